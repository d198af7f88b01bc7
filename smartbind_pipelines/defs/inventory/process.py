"""The inventory process's names: ProcessConfig job_id, run-queue tag, asset and sensor names."""

from __future__ import annotations

from smartbind_pipelines.core.inventory import INVENTORY_MAPPING
from smartbind_pipelines.defs.sync.process import SyncProcess

INVENTORY = SyncProcess(
    job_id="sync_inventory",
    group="inventory",
    source_asset="bind_inventory",
    sheet_asset="smartsheet_inventory",
    sheet_id_env="SMARTSHEET_INVENTORY_SHEET_ID",
    mapping=INVENTORY_MAPPING,
)
