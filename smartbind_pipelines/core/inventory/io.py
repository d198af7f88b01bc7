"""The inventory's two reads and one write outside the pure rules: Bind's warehouses and stock, and moving a
renamed warehouse's rows in the sheet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smartbind_pipelines.core.batch import SourceBatch

from .mapping import PRODUCT, WAREHOUSE, inventory_batch, resolve_warehouses
from .rekey import RekeyPlan, rekey_plan


def read_inventory(client, warehouse_ids: Sequence[str], *, only_in_stock: bool = True) -> SourceBatch:
    """Warehouse names from ``GET /Warehouses``, then every page of ``GET /Inventory?warehouseID=`` per
    warehouse. ``client`` is a BindClient; BindApiError and InventoryConfigError propagate."""
    warehouses = resolve_warehouses(warehouse_ids, client.warehouses())
    rows = {warehouse.id: client.inventory(warehouse.id, in_stock_only=only_in_stock) for warehouse in warehouses}
    return inventory_batch(warehouses, rows, only_in_stock=only_in_stock)


def apply_rekey(gateway, sheet_id: int, renames: Mapping[str, str], *, dry_run: bool = False) -> RekeyPlan:
    """Read the key columns once and move renamed warehouses' rows to their new name (``gateway`` is a
    SheetGateway). Costs nothing when no synced warehouse was renamed."""
    if not renames:
        return RekeyPlan(updates=[], deletes=[])
    existing, _ = gateway.read_rows(sheet_id, (PRODUCT, WAREHOUSE))
    plan = rekey_plan(existing, renames)
    if not dry_run:
        columns = gateway.sheet_columns(sheet_id)
        if plan.updates:
            outcome = gateway.update_rows(sheet_id, plan.updates, columns)
            plan.failed += [
                f"row {plan.updates[index][0]}: code {code}: {message}" for index, code, message in outcome.failures
            ]
        if plan.deletes:
            gateway.delete_rows(sheet_id, plan.deletes)
    return plan
