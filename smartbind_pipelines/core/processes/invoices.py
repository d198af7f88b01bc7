"""The invoices process: Bind's invoices upserted by UUID into the "Registros Facturas Bind" sheet."""

from __future__ import annotations

from smartbind_pipelines.core.invoices.mapping import INVOICE_MAPPING
from smartbind_pipelines.core.processes.model import Process

INVOICES = Process(
    job_id="sync_invoices",
    name="Sincronización de Facturas",
    description=(
        "Sincroniza facturas de Bind ERP hacia Smartsheet: consulta las facturas en Bind "
        "(zona horaria CDMX), busca cada una en la hoja por UUID y hace UPSERT "
        "(actualiza las existentes o inserta las nuevas)."
    ),
    direction="pull",
    mapping=INVOICE_MAPPING,
    sheet_name="Registros Facturas Bind",
    sheet_id_env="SMARTSHEET_INVOICES_SHEET_ID",
    interval_minutes=2,
    group="invoices",
    source_asset="bind_invoices",
    sheet_asset="smartsheet_invoices",
    default_sheet_id="4956740131966852",  # the seed's production sheet
    fields_mapping={
        "bind_fields": ["UUID", "Number", "Date", "RFC", "ClientName", "Total", "Status"],
        "smartsheet_columns": list(INVOICE_MAPPING.titles),
        "key_columns": list(INVOICE_MAPPING.key),
    },
    windowed=True,
    reconcile_job="reconcile_invoices",
    defs_module="smartbind_pipelines.defs.invoices",
)
