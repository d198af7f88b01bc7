"""Inventory sync: Bind warehouse stock upserted by ID Producto + Almacén into a Smartsheet sheet, built by the
shared builder (defs/pull/builder.py) with the inventory's hooks (assets.py, checks.py)."""

from __future__ import annotations

from smartbind_pipelines.core.processes import INVENTORY
from smartbind_pipelines.defs.pull.builder import PullHooks, build_pull_defs

from .assets import read_stock, write_stock
from .checks import CHECKS, check_stock
from .config import RESOURCE_KEY, InventoryReadConfig, InventoryWriteConfig, inventory_settings_from_env

HOOKS = PullHooks(
    source_description=(
        f"Stock of the warehouses configured for {INVENTORY.job_id} (ProcessConfig fields_mapping.warehouse_ids, "
        "else BIND_WAREHOUSE_ID), read from Bind's /api/Inventory, every page, with each warehouse's name "
        "from /api/Warehouses. By default only products with Existencias > 0."
    ),
    sheet_description=(
        f"The inventory sheet in Smartsheet (the sheet id set in ProcessConfig for {INVENTORY.job_id}), kept in step "
        f"with {INVENTORY.source_asset} by ID Producto + Almacén: new stock is added, changed cells are updated, and a "
        "product that left stock in a synced warehouse is set to Existencias 0 (or deleted, stale_rows=delete). "
        "Rows of other warehouses are never touched; a renamed warehouse's rows move to its new name."
    ),
    job_description=(
        "Reads the stock of the configured Bind warehouses and upserts it by ID Producto + Almacén into the "
        "inventory sheet; products that left stock go to Existencias 0 (stale_rows=delete removes them). "
        f"Started by {INVENTORY.sensor_name} every interval_minutes (default {INVENTORY.interval_minutes})."
    ),
    read=read_stock,
    read_config=InventoryReadConfig,
    read_resources=frozenset({"bind", "process_config", RESOURCE_KEY}),
    write_config=InventoryWriteConfig,
    write=write_stock,
    checks=CHECKS,
    check=check_stock,
)

built = build_pull_defs(INVENTORY, HOOKS)
sync_inventory = built.job
sync_inventory_sensor = built.sensor
defs = built.definitions(resources={RESOURCE_KEY: inventory_settings_from_env()})
