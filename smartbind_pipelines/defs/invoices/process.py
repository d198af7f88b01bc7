"""The invoices process: bind_invoices -> smartsheet_invoices, job sync_invoices, keyed on UUID."""

from __future__ import annotations

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.defs.sync.process import SyncProcess

INVOICES = SyncProcess(
    job_id="sync_invoices",
    group="invoices",
    source_asset="bind_invoices",
    sheet_asset="smartsheet_invoices",
    sheet_id_env="SMARTSHEET_INVOICES_SHEET_ID",
    mapping=INVOICE_MAPPING,
)

RECONCILE_INVOICES_JOB = "reconcile_invoices"
