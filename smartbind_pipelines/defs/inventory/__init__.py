"""Inventory sync: Bind warehouse stock upserted by ID Producto + Almacén into a Smartsheet sheet."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.defs.sync.stored import process_reads

from .assets import bind_inventory, smartsheet_inventory
from .checks import inventory_sheet_checks
from .config import RESOURCE_KEY, inventory_settings_from_env
from .jobs import sync_inventory
from .process import INVENTORY
from .sensors import sync_inventory_sensor

defs = dg.Definitions(
    assets=[bind_inventory, smartsheet_inventory],
    asset_checks=[inventory_sheet_checks],
    jobs=[sync_inventory],
    sensors=[sync_inventory_sensor],
    resources={RESOURCE_KEY: inventory_settings_from_env(), **process_reads(INVENTORY)},
)
