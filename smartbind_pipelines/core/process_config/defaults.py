"""The processes smartbind ships with, and the environment fallbacks the seed describes.

The seed's note "Fallback: si no hay configuración en BD, se usan variables de entorno" becomes: when a
process row is missing, or its sheet id is empty, the sheet id comes from the process's environment
variable (DESIGN.md's environment table).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

logger = logging.getLogger(__name__)

DEFAULT_DB_PATH = "data/processes.db"
DB_PATH_ENV = "SMARTBIND_DB_PATH"

# The seed's production sheet for invoices.
SEED_INVOICES_SHEET_ID = "4956740131966852"

SHEET_ID_ENV = {
    "sync_invoices": "SMARTSHEET_INVOICES_SHEET_ID",
    "sync_inventory": "SMARTSHEET_INVENTORY_SHEET_ID",
    # A push process, paused until activated (core/invoicing/defaults.py).
    "invoice_from_sheet": "SMARTSHEET_INVOICING_SHEET_ID",
}

INVOICE_COLUMNS = ["UUID", "Folio", "Fecha", "RFC Cliente", "Nombre Cliente", "Total", "Estado"]
INVENTORY_COLUMNS = ["ID Producto", "Código", "Nombre", "Existencias", "Almacén"]


def default_db_path(env: Mapping[str, str]) -> str:
    return env.get(DB_PATH_ENV) or DEFAULT_DB_PATH


def fallback_sheet_id(job_id: str, env: Mapping[str, str]) -> str:
    """The sheet id the environment supplies for a process, or "" when it supplies none (or garbage)."""
    variable = SHEET_ID_ENV.get(job_id)
    value = (env.get(variable) or "").strip() if variable else ""
    if value and not (value.isascii() and value.isdigit()):
        # A typo in the environment must not stop every sensor from reading its config.
        logger.warning("ignoring %s=%r: a Smartsheet sheet id has digits only", variable, value)
        return ""
    return value


def default_processes(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The seed's two processes and invoice_from_sheet (paused), as rows to insert when absent (never over
    an existing row)."""
    from smartbind_pipelines.core.invoicing.defaults import process_defaults as invoicing_defaults

    return [
        {
            "job_id": "sync_invoices",
            "name": "Sincronización de Facturas",
            "description": (
                "Sincroniza facturas de Bind ERP hacia Smartsheet: consulta las facturas en Bind "
                "(zona horaria CDMX), busca cada una en la hoja por UUID y hace UPSERT "
                "(actualiza las existentes o inserta las nuevas)."
            ),
            # An operator who set the environment before the first start gets that sheet seeded.
            "smartsheet_sheet_id": fallback_sheet_id("sync_invoices", env) or SEED_INVOICES_SHEET_ID,
            "smartsheet_sheet_name": "Registros Facturas Bind",
            "interval_minutes": 2,
            "is_active": True,
            "source_system": "bind",
            "target_system": "smartsheet",
            "sync_direction": "pull",
            "fields_mapping": {
                "bind_fields": ["UUID", "Number", "Date", "RFC", "ClientName", "Total", "Status"],
                "smartsheet_columns": list(INVOICE_COLUMNS),
                "key_columns": ["UUID"],
            },
        },
        {
            "job_id": "sync_inventory",
            "name": "Sincronización de Inventario",
            "description": (
                "Sincroniza el inventario de Bind ERP hacia Smartsheet: obtiene los productos con "
                "existencias de los almacenes configurados y actualiza la hoja de inventario."
            ),
            "smartsheet_sheet_id": fallback_sheet_id("sync_inventory", env),
            "smartsheet_sheet_name": "Registros Inventario Bind",
            "interval_minutes": 60,
            "is_active": True,
            "source_system": "bind",
            "target_system": "smartsheet",
            "sync_direction": "pull",
            "fields_mapping": {
                "bind_fields": ["ProductID", "Code", "Title", "CurrentInventory", "WarehouseID"],
                "smartsheet_columns": list(INVENTORY_COLUMNS),
                "key_columns": ["ID Producto", "Almacén"],
                # No "warehouse_ids" key: the inventory process then falls back to BIND_WAREHOUSE_ID.
            },
        },
        invoicing_defaults(env),
    ]
