"""Rows of the synced warehouses whose product left stock (pure).

The upsert engine retires them with a ``StalePolicy`` scoped to the synced warehouses' names, so a product that
left stock shows 0 (or is deleted), never a stale figure, and other warehouses' rows are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable

from smartbind_pipelines.core.sheets import StalePolicy

from .mapping import STOCK, WAREHOUSE

STALE_ACTIONS = ("zero", "delete")


def stale_policy(action: str, warehouse_names: Iterable[str]) -> StalePolicy:
    """Rows of the synced warehouses that left stock: Existencias 0 ("zero") or removed ("delete")."""
    if action not in STALE_ACTIONS:
        raise ValueError(f"stale_rows must be one of {', '.join(STALE_ACTIONS)}, not {action!r}")
    scope = {WAREHOUSE: set(warehouse_names)}
    if action == "delete":
        return StalePolicy("delete", scope=scope)
    return StalePolicy("zero", {STOCK: 0}, scope=scope)
