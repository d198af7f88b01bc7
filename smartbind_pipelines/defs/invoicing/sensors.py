"""invoice_from_sheet_sensor: polls the sheet with rowsModifiedSince and starts a run only when rows wait.

ProcessConfig is read at every tick (paused, no sheet, unreadable file: skipped, saying why), as the
shared cadence sensor does. The cursor is the moment from which rows may be waiting: it moves to the
poll's start only when no changed row waits, so a row left waiting (per-run limit, per-day cap, a
failed run) is seen again at the next tick instead of being lost behind the cursor.
"""

# No `from __future__ import annotations`: Dagster reads the sensor's resource annotations at decoration time.

import json
import os
from datetime import datetime, timedelta

import dagster as dg

from smartbind_pipelines.core.cadence import IN_FLIGHT_STATUSES
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.ledger import InvoiceLedger, ledger_path
from smartbind_pipelines.core.invoicing.plan import estado
from smartbind_pipelines.core.invoicing.settings import InvoicingSettingsError, settings_from_mapping
from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
from smartbind_pipelines.core.process_config import ProcessConfigUnavailable
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET as PROCESS
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import ClockResource, SmartsheetResource

from .jobs import invoice_from_sheet

OVERLAP = timedelta(minutes=2)  # rowsModifiedSince has second resolution and clocks differ: read back a little


def _cursor(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


@dg.sensor(
    name=PROCESS.sensor_name,
    job=invoice_from_sheet,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        f"Polls the invoicing sheet (rowsModifiedSince, from its cursor) and starts {PROCESS.job_id} when "
        "rows are marked Facturar (or left Facturando). Skips, saying why, while the process is paused, has "
        "no sheet, a run is queued or running, the per-day cap is reached, or nothing waits."
    ),
)
def invoice_from_sheet_sensor(
    context: dg.SensorEvaluationContext,
    process_config: ProcessConfigResource,
    smartsheet: SmartsheetResource,
    clock: ClockResource,
):
    try:
        config = PROCESS.effective_config(process_config.store(), os.environ)
    except ProcessConfigUnavailable as exc:
        return dg.SkipReason(f"{PROCESS.job_id}: {exc}")
    if config is None:
        return dg.SkipReason(
            f"{PROCESS.job_id}: no ProcessConfig row (deleted); `smartbind config restore {PROCESS.job_id}`"
        )
    if not config.is_active:
        if not config.smartsheet_sheet_id:
            return dg.SkipReason(
                f"{PROCESS.job_id} is paused and has no sheet yet: `smartbind sheets create {PROCESS.job_id}`, "
                f"fill in its settings, then `smartbind config set {PROCESS.job_id} --active`"
            )
        return dg.SkipReason(f"{PROCESS.job_id} is paused (is_active false)")
    if config.sheet_id_int is None:
        return dg.SkipReason(f"{PROCESS.job_id} has no sheet: `smartbind sheets create {PROCESS.job_id}`")
    in_flight = context.instance.get_run_records(
        filters=dg.RunsFilter(
            tags={"process": PROCESS.job_id}, statuses=[dg.DagsterRunStatus(status) for status in IN_FLIGHT_STATUSES]
        ),
        limit=1,
    )
    if in_flight:
        return dg.SkipReason(f"{PROCESS.job_id}: run {in_flight[0].dagster_run.run_id} is still queued or running")

    cursor = _cursor(context.cursor)
    started = clock.now()
    sheet = InvoiceSheet(smartsheet.gateway(), config.sheet_id_int)
    try:
        if cursor.get("sheet_id") == config.smartsheet_sheet_id and cursor.get("since"):
            since = datetime.fromisoformat(cursor["since"])
            rows = sheet.modified_since(since - OVERLAP)
        else:  # first tick, or the sheet changed: look at every row once
            since = None
            rows = sheet.rows()
    except Exception as exc:  # noqa: BLE001 - a tick that cannot read says why; the next one tries again
        return dg.SkipReason(f"{PROCESS.job_id}: reading sheet {config.sheet_id_int} failed: {str(exc)[:300]}")
    waiting = [row.row_id for row in rows if estado(row.cells) in C.WAITING]
    if not waiting:
        context.update_cursor(json.dumps({"sheet_id": config.smartsheet_sheet_id, "since": started.isoformat()}))
        return dg.SkipReason(f"{PROCESS.job_id}: no row waits (read {len(rows)} changed row(s))")
    # rows wait: the cursor stays where it is, so they are read again until a run has given them an outcome
    try:
        settings = settings_from_mapping(config.fields_mapping)
        today = InvoiceLedger(ledger_path(process_config.db_path)).count_on(started.date().isoformat())
        if today >= settings.per_day_cap and all(estado(r.cells) == C.FACTURAR for r in rows if r.row_id in waiting):
            return dg.SkipReason(
                f"{PROCESS.job_id}: per-day cap of {settings.per_day_cap} invoices reached; "
                f"{len(waiting)} row(s) wait until tomorrow"
            )
    except InvoicingSettingsError as exc:
        return dg.SkipReason(f"{PROCESS.job_id}: {exc}")
    context.log.info(f"{len(waiting)} row(s) waiting: starting {PROCESS.job_id}")
    return dg.RunRequest(
        tags={"smartsheet_sheet_id": config.smartsheet_sheet_id, "trigger": "sensor", "waiting_rows": str(len(waiting))}
    )
