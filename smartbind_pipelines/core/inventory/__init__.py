"""The inventory pull process: warehouse stock -> sheet rows keyed on ID Producto + Almacén (mapping.py), the
rows that left stock (stale.py), a renamed warehouse's rows (rekey.py) and the names it is recognised by
(state.py), and the reads (io.py)."""

from .io import apply_rekey, read_inventory
from .mapping import (
    INVENTORY_MAPPING,
    PRODUCT,
    SHEET_COLUMNS,
    STOCK,
    WAREHOUSE,
    InventoryConfigError,
    Warehouse,
    batch_totals,
    inventory_batch,
    resolve_warehouses,
    stock_totals,
    warehouse_names,
    warehouses_to_sync,
)
from .rekey import RekeyPlan, rekey_plan, renamed_warehouses
from .stale import STALE_ACTIONS, stale_policy

__all__ = [
    "INVENTORY_MAPPING",
    "PRODUCT",
    "SHEET_COLUMNS",
    "STALE_ACTIONS",
    "STOCK",
    "WAREHOUSE",
    "InventoryConfigError",
    "RekeyPlan",
    "Warehouse",
    "apply_rekey",
    "batch_totals",
    "inventory_batch",
    "read_inventory",
    "rekey_plan",
    "renamed_warehouses",
    "resolve_warehouses",
    "stale_policy",
    "stock_totals",
    "warehouse_names",
    "warehouses_to_sync",
]
