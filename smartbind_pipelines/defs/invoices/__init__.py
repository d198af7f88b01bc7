"""Invoice sync: Bind ERP invoices upserted by UUID into a Smartsheet sheet."""

from __future__ import annotations

import dagster as dg

from .assets import bind_invoices, smartsheet_invoices
from .checks import invoices_sheet_checks
from .jobs import reconcile_invoices, sync_invoices
from .schedules import reconcile_invoices_nightly
from .sensors import sync_invoices_sensor
from .stored import READS_IO_MANAGER, invoice_reads

defs = dg.Definitions(
    assets=[bind_invoices, smartsheet_invoices],
    asset_checks=[invoices_sheet_checks],
    jobs=[sync_invoices, reconcile_invoices],
    schedules=[reconcile_invoices_nightly],
    sensors=[sync_invoices_sensor],
    resources={READS_IO_MANAGER: invoice_reads()},
)
