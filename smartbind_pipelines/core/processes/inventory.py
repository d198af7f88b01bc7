"""The inventory process: the configured warehouses' stock upserted by ID Producto + Almacén."""

from __future__ import annotations

from smartbind_pipelines.core.inventory.mapping import INVENTORY_MAPPING
from smartbind_pipelines.core.processes.model import Process

INVENTORY = Process(
    job_id="sync_inventory",
    name="Sincronización de Inventario",
    description=(
        "Sincroniza el inventario de Bind ERP hacia Smartsheet: obtiene los productos con "
        "existencias de los almacenes configurados y actualiza la hoja de inventario."
    ),
    direction="pull",
    mapping=INVENTORY_MAPPING,
    sheet_name="Registros Inventario Bind",
    sheet_id_env="SMARTSHEET_INVENTORY_SHEET_ID",
    interval_minutes=60,
    group="inventory",
    source_asset="bind_inventory",
    sheet_asset="smartsheet_inventory",
    fields_mapping={
        "bind_fields": ["ProductID", "Code", "Title", "CurrentInventory", "WarehouseID"],
        "smartsheet_columns": list(INVENTORY_MAPPING.titles),
        "key_columns": list(INVENTORY_MAPPING.key),
        # No "warehouse_ids" key: the inventory process then falls back to BIND_WAREHOUSE_ID.
    },
    defs_module="smartbind_pipelines.defs.inventory",
)
