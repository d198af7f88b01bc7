"""sync_inventory: the regular inventory sync (started by sync_inventory_sensor or from the launchpad)."""

from __future__ import annotations

import dagster as dg

from .process import INVENTORY

sync_inventory = dg.define_asset_job(
    INVENTORY.job_id,
    selection=dg.AssetSelection.assets(INVENTORY.source_key, INVENTORY.sheet_key),  # also runs their checks
    description=(
        "Reads the stock of the configured Bind warehouses and upserts it by ID Producto + Almacén into the "
        "inventory sheet; products that left stock go to Existencias 0 (stale_rows=delete removes them). "
        "Started by sync_inventory_sensor every interval_minutes (default 60)."
    ),
    tags=INVENTORY.run_tags,
)
