"""Runs the real sync_inventory job against the emulators on a test Dagster instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dagster as dg

from smartbind_pipelines.core.inventory import INVENTORY_MAPPING
from smartbind_pipelines.defs import inventory
from smartbind_pipelines.defs.inventory.config import RESOURCE_KEY, InventorySettings
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines_tests.defs.support import create_process_sheet, emulator_resources, mapping_columns


@dataclass
class InventorySync:
    bind: Any  # RunningEmulator
    smartsheet: Any
    process_config: ProcessConfigResource
    instance: dg.DagsterInstance
    fallback_warehouse: str = ""
    sheet_id: int = 0

    def create_sheet(self, name: str = "Inventario Bind") -> int:
        self.sheet_id = create_process_sheet(self.smartsheet, self.process_config, "sync_inventory", name,
                                             mapping_columns(INVENTORY_MAPPING))
        return self.sheet_id

    def use_warehouses(self, ids: list[str]) -> None:
        self.process_config.store().update("sync_inventory", {"fields_mapping": {"warehouse_ids": ids}}, via="test")

    def resources(self) -> dict[str, Any]:
        return {**emulator_resources(self.bind, self.smartsheet, self.process_config),
                RESOURCE_KEY: InventorySettings(fallback_warehouse_id=self.fallback_warehouse)}

    def definitions(self) -> dg.Definitions:
        # The inventory module's own objects, bound to the emulators as deployment binds them to env vars.
        return dg.Definitions(assets=inventory.defs.assets, asset_checks=inventory.defs.asset_checks,
                              jobs=inventory.defs.jobs, sensors=inventory.defs.sensors,
                              resources={**inventory.defs.resources, **self.resources()})

    def run(self, *, stale_rows: str = "zero", dry_run: bool = False,
            include_zero_stock: bool = False) -> dg.ExecuteInProcessResult:
        run_config = {"ops": {
            "bind_inventory": {"config": {"include_zero_stock": include_zero_stock}},
            "smartsheet_inventory": {"config": {"stale_rows": stale_rows, "dry_run": dry_run}},
        }}
        return self.definitions().resolve_job_def("sync_inventory").execute_in_process(
            run_config=run_config, instance=self.instance, raise_on_error=False)

    def rows(self) -> list[dict]:
        return [row["cells"] for row in self.smartsheet.state.rows_as_dicts(self.sheet_id)]

    def by_key(self) -> dict[tuple, dict]:
        return {(cells["ID Producto"], cells["Almacén"]): cells for cells in self.rows()}
