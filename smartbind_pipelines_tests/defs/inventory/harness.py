"""Runs the real sync_inventory job against the emulators on a test Dagster instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import dagster as dg

from smartbind_pipelines.core.inventory import INVENTORY_MAPPING
from smartbind_pipelines.core.sheets import SheetMapping
from smartbind_pipelines.defs import inventory
from smartbind_pipelines.defs.inventory.config import RESOURCE_KEY, InventorySettings
from smartbind_pipelines_tests.defs.support import ProcessSync


@dataclass
class InventorySync(ProcessSync):
    fallback_warehouse: str = ""

    job_id: ClassVar[str] = "sync_inventory"
    source_asset: ClassVar[str] = "bind_inventory"
    sheet_asset: ClassVar[str] = "smartsheet_inventory"
    mapping: ClassVar[SheetMapping] = INVENTORY_MAPPING
    sheet_name: ClassVar[str] = "Inventario Bind"

    def process_definitions(self) -> dg.Definitions:
        return inventory.defs

    def use_warehouses(self, ids: list[str]) -> None:
        self.process_config.store().update("sync_inventory", {"fields_mapping": {"warehouse_ids": ids}}, via="test")

    def resources(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            **super().resources(now),
            RESOURCE_KEY: InventorySettings(fallback_warehouse_id=self.fallback_warehouse),
        }

    def run(
        self, *, stale_rows: str = "zero", dry_run: bool = False, include_zero_stock: bool = False
    ) -> dg.ExecuteInProcessResult:
        return self.execute(
            source={"include_zero_stock": include_zero_stock}, sheet={"stale_rows": stale_rows, "dry_run": dry_run}
        )

    def by_key(self) -> dict[tuple, dict]:
        return {(cells["ID Producto"], cells["Almacén"]): cells for cells in self.rows()}
