"""invoice_from_sheet's shipped ProcessConfig row: push (Smartsheet -> Bind), paused until an operator activates it.

It is one of ``core.process_config.defaults.default_processes`` (seeded with a new ProcessConfig file,
known to ``smartbind config restore``); a file created before this process existed gets the row the first
time the process is used (defs/invoicing/process.py ``effective_config``).
"""

from __future__ import annotations

from typing import Any, Mapping

from smartbind_pipelines.core.invoicing.columns import ALL_COLUMNS, JOB_ID


def process_defaults(env: Mapping[str, str]) -> dict[str, Any]:
    from smartbind_pipelines.core.process_config.defaults import fallback_sheet_id

    return {
        "job_id": JOB_ID,
        "name": "Facturación desde Smartsheet",
        "description": ("Crea en Bind ERP una factura (CFDI) por cada fila de la hoja marcada \"Facturar\", una sola "
                        "vez, y escribe en la fila el UUID, el folio y la fecha, o el error."),
        "smartsheet_sheet_id": fallback_sheet_id(JOB_ID, env),
        "smartsheet_sheet_name": "Facturación",
        "interval_minutes": 1,
        "is_active": False,  # an operator activates it once the settings are filled in and the doctor passes
        "source_system": "smartsheet",
        "target_system": "bind",
        "sync_direction": "push",
        "fields_mapping": {"smartsheet_columns": list(ALL_COLUMNS)},
    }
