"""core/inventory/stale.py: a product that left stock, within the synced warehouses only."""

import pytest

from smartbind_pipelines.core.inventory import INVENTORY_MAPPING, stale_policy
from smartbind_pipelines.core.sheets import plan_upsert

from .cases import P1, P2, existing


def test_a_product_that_left_stock_goes_to_zero_only_within_the_synced_warehouses():
    sheet = existing((P1, "Central", 5), (P2, "Central", 3), (P2, "Norte", 3))
    records = [{"ID Producto": P1, "Código": "C-1", "Nombre": "Tornillo", "Existencias": 5, "Almacén": "Central"}]
    plan = plan_upsert(records, sheet, INVENTORY_MAPPING, stale=stale_policy("zero", ["Central"]))
    assert [(u.row_id, u.changes, u.stale) for u in plan.updates] == [(2, {"Existencias": 0}, True)]
    assert plan.unchanged == 1 and not plan.adds
    deleting = plan_upsert(records, sheet, INVENTORY_MAPPING, stale=stale_policy("delete", ["Central"]))
    assert deleting.deletes == [2] and not deleting.updates
    with pytest.raises(ValueError, match="stale_rows must be one of zero, delete"):
        stale_policy("keep", ["Central"])
