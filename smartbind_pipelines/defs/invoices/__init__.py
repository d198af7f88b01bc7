"""Invoice sync: Bind ERP invoices upserted by UUID into a Smartsheet sheet, built by the shared builder
(defs/pull/builder.py) with the invoices' hooks: the window config and the read (read.py), the write and the
sync state (write.py), the checks by row id (checks.py), the change-detecting sensor (sensors.py); plus the
nightly reconcile job and its schedule."""

from __future__ import annotations

from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.pull.builder import PullHooks, build_pull_defs

from .checks import CHECKS, check_invoices
from .config import InvoiceWindowConfig, SheetWriteConfig
from .jobs import reconcile_invoices
from .read import read_invoices
from .schedules import reconcile_invoices_nightly
from .sensors import build_invoices_sensor
from .stored import READS_IO_MANAGER, invoice_reads
from .write import write_invoices

HOOKS = PullHooks(
    source_description=(
        "Invoices read from Bind ERP for this run's window (Mexico City time): the regular sync reads "
        "from the last successful sync (minus a 10-minute overlap) up to now; a backfill reads the dates "
        "given in the launchpad; the nightly reconcile reads the last 35 days. Drafts not yet stamped "
        "(no UUID) are not written; they are re-read by id on later runs until they are stamped."
    ),
    sheet_description=(
        f"The invoices sheet in Smartsheet (the sheet id set in ProcessConfig for {INVOICES.job_id}), kept in "
        f"step with {INVOICES.source_asset} by UUID: new invoices are added, changed cells are updated, nothing "
        "else is touched. Rows the sheet refuses fail the run, naming them, after every other row was "
        "written; they are re-read and retried on every later run while the watermark moves on."
    ),
    job_description=(
        "Reads Bind invoices since the last successful sync (minus a 10-minute overlap) and upserts them "
        f"by UUID into the invoices sheet. Started by {INVOICES.sensor_name} every interval_minutes; to "
        f"backfill a date range, launch it with window_start / window_end under {INVOICES.source_asset}."
    ),
    read=read_invoices,
    read_config=InvoiceWindowConfig,
    read_resources=frozenset({"bind", "clock", "process_config"}),
    skipped_name="skipped_invoices",
    write_config=SheetWriteConfig,
    write=write_invoices,
    checks=CHECKS,
    check=check_invoices,
    io_manager_key=READS_IO_MANAGER,  # the invoices' older key, kept for the runs that stored reads under it
    io_manager=invoice_reads(),
    sensor=build_invoices_sensor,
)

built = build_pull_defs(INVOICES, HOOKS)
sync_invoices = built.job
sync_invoices_sensor = built.sensor
defs = built.definitions(jobs=[reconcile_invoices], schedules=[reconcile_invoices_nightly])
