"""How the inventory scenario turns Bind stock into sheet records.

The inventory sync (issue 5) is built by someone else. When its core module is importable, the benchmark
uses its reader, mapping and stale policy (``read_inventory``, ``INVENTORY_MAPPING``, ``stale_policy``);
otherwise a stand-in with the agreed columns and key (``ID Producto`` + ``Almacén``) feeds the same engine
(``upsert_sheet``). ``InventoryParts.source`` says which one ran, and the report prints it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

STAND_IN = "bench stand-in (smartbind_pipelines_tests/bench/inventory.py)"
CORE = "smartbind_pipelines.core.inventory (read_inventory, INVENTORY_MAPPING, stale_policy)"

# (BindClient, warehouse ids) -> (sheet records, StalePolicy | None)
Reader = Callable[[Any, Sequence[str]], tuple[list[dict[str, Any]], Any]]


@dataclass(frozen=True)
class InventoryParts:
    mapping: Any  # SheetMapping
    read: Reader
    source: str


def inventory_sync_parts() -> InventoryParts:
    """The core inventory sync's parts when they exist, else the stand-in."""
    try:
        core = importlib.import_module("smartbind_pipelines.core.inventory")
    except ModuleNotFoundError:
        return _stand_in()
    needed = ("INVENTORY_MAPPING", "read_inventory", "stale_policy")
    if not all(hasattr(core, name) for name in needed):
        return _stand_in()

    def read(bind, warehouse_ids: Sequence[str]):
        batch = core.read_inventory(bind, warehouse_ids)
        # the production default: a product that left stock shows Existencias 0 in its warehouse
        stale = core.stale_policy("zero", [warehouse.name for warehouse in batch.warehouses])
        return batch.records, stale

    return InventoryParts(mapping=core.INVENTORY_MAPPING, read=read, source=CORE)


def _stand_in() -> InventoryParts:
    from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping, StalePolicy

    mapping = SheetMapping(
        key=("ID Producto", "Almacén"),
        columns=(
            ColumnSpec("ID Producto"),
            ColumnSpec("Código"),
            ColumnSpec("Nombre"),
            ColumnSpec("Existencias", "number"),
            ColumnSpec("Almacén"),
        ),
    )

    def read(bind, warehouse_ids: Sequence[str]):
        wanted = {wid.lower() for wid in warehouse_ids}
        names = {w["ID"].lower(): w["Name"] for w in bind.warehouses() if w["ID"].lower() in wanted}
        rows: list[dict[str, Any]] = []
        for warehouse_id, name in names.items():
            # The seed lists products with stock; filtering on the server reads only their pages.
            in_stock = bind.get_all("Inventory", {"warehouseID": warehouse_id, "$filter": "CurrentInventory gt 0"})
            rows += [
                {
                    "ID Producto": item["ProductID"],
                    "Código": item.get("Code") or "",
                    "Nombre": item.get("Title") or "",
                    "Existencias": item["CurrentInventory"],
                    "Almacén": name,
                }
                for item in in_stock
                if (item.get("CurrentInventory") or 0) > 0
            ]
        return rows, StalePolicy("zero", {"Existencias": 0}, scope={"Almacén": set(names.values())})

    return InventoryParts(mapping=mapping, read=read, source=STAND_IN)
