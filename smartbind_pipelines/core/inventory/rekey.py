"""A renamed warehouse: its rows move to the new name (pure plan).

The sheet keys rows on the warehouse *name* (the seed's columns carry no id), so rows written under the old
name would linger. The last sync records each warehouse's id -> name; when a synced warehouse's name
changed, ``rekey_plan`` moves its rows to the new name (one cell per row, the row and whatever people wrote
next to it are kept) before the regular upsert runs (io.py ``apply_rekey``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartbind_pipelines.core.sheets import ExistingRow, comparable

from .mapping import INVENTORY_MAPPING, PRODUCT, WAREHOUSE, Warehouse


def renamed_warehouses(previous: Mapping[str, str], current: Sequence[Warehouse]) -> dict[str, str]:
    """Old name -> new name for synced warehouses whose name changed since the last sync."""
    return {
        previous[w.id]: w.name
        for w in current
        if previous.get(w.id) and previous[w.id].strip() and previous[w.id].strip() != w.name
    }


@dataclass
class RekeyPlan:
    updates: list[tuple[int, dict[str, Any]]]  # (row id, {"Almacén": new name})
    deletes: list[int]  # old-name rows whose product already has a row under the new name
    failed: list[str] = field(default_factory=list)  # per-row refusals from Smartsheet, as messages

    @property
    def writes(self) -> int:
        return len(self.updates) + len(self.deletes)


def rekey_plan(existing: Sequence[ExistingRow], renames: Mapping[str, str]) -> RekeyPlan:
    """Move rows of a renamed warehouse to its new name (pure). A product that already has a row under
    the new name keeps that row; the old-name copy is deleted rather than left showing stale stock."""
    plan = RekeyPlan(updates=[], deletes=[])
    if not renames:
        return plan
    product = INVENTORY_MAPPING.column(PRODUCT)
    taken = {
        (comparable(row.cells.get(PRODUCT), product), str(row.cells.get(WAREHOUSE) or "").strip()) for row in existing
    }
    for row in existing:
        old = str(row.cells.get(WAREHOUSE) or "").strip()
        if old not in renames:
            continue
        key = (comparable(row.cells.get(PRODUCT), product), renames[old])
        if key[0] is None:
            continue  # a row without a product id is never touched (the engine reports it)
        if key in taken:
            plan.deletes.append(row.row_id)
            continue
        taken.add(key)
        plan.updates.append((row.row_id, {WAREHOUSE: renames[old]}))
    return plan
