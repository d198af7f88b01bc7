"""How the inventory scenario turns Bind stock into sheet records.

The inventory sync (issue 5) is built by someone else. When its core module exists, the benchmark uses
its mapping and record function; until then a stand-in with the agreed columns and key (``ID Producto``
+ ``Almacén``) feeds the same engine (``sync_sheet``), so the numbers measure the engine either way.
``InventoryParts.source`` says which one ran, and the report prints it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

STAND_IN = "bench stand-in (smartbind_pipelines_tests/bench/inventory.py)"


@dataclass(frozen=True)
class InventoryParts:
    mapping: Any  # SheetMapping
    records: Callable[[Any], list[dict[str, Any]]]  # BindClient -> records
    stale: Callable[[Sequence[dict[str, Any]]], Any]  # records -> StalePolicy | None
    source: str


def inventory_sync_parts() -> InventoryParts:
    """The core inventory mapping when it has landed, else the stand-in."""
    try:
        core = importlib.import_module("smartbind_pipelines.core.inventory")
    except ModuleNotFoundError:
        core = None
    if core is not None:
        parts = _from_core(core)
        if parts is not None:
            return parts
    return _stand_in()


def _from_core(core) -> InventoryParts | None:
    mapping = getattr(core, "INVENTORY_MAPPING", None)
    build = getattr(core, "inventory_records", None)
    if mapping is None or build is None:
        return None
    stale = getattr(core, "stale_policy", None)
    return InventoryParts(mapping=mapping, records=build,
                          stale=stale if stale is not None else (lambda records: None),
                          source="smartbind_pipelines.core.inventory")


def _stand_in() -> InventoryParts:
    from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping, StalePolicy

    mapping = SheetMapping(
        key=("ID Producto", "Almacén"),
        columns=(ColumnSpec("ID Producto"), ColumnSpec("Código"), ColumnSpec("Nombre"),
                 ColumnSpec("Existencias", "number"), ColumnSpec("Almacén")),
    )

    def records(bind) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for warehouse in bind.warehouses():
            # The seed lists products with stock; filtering on the server reads only their pages.
            in_stock = bind.get_all("Inventory", {"warehouseID": warehouse["ID"].lower(),
                                                  "$filter": "CurrentInventory gt 0"})
            for item in in_stock:
                if (item.get("CurrentInventory") or 0) > 0:
                    rows.append({"ID Producto": item["ProductID"], "Código": item.get("Code") or "",
                                 "Nombre": item.get("Title") or "", "Existencias": item["CurrentInventory"],
                                 "Almacén": warehouse["Name"]})
        return rows

    def stale(records: Sequence[dict[str, Any]]):
        # A product that left stock shows 0, within the warehouses this run read.
        return StalePolicy("zero", {"Existencias": 0},
                           scope={"Almacén": {record["Almacén"] for record in records}})

    return InventoryParts(mapping=mapping, records=records, stale=stale, source=STAND_IN)
