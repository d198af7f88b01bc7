"""core/inventory/rekey.py: a renamed warehouse's rows move to the new name (pure plan)."""

from smartbind_pipelines.core.inventory import Warehouse, rekey_plan, renamed_warehouses

from .cases import P1, P2, A, B, existing


def test_renamed_warehouse_rows_move_to_the_new_name_or_go_when_already_there():
    renames = renamed_warehouses({A: "Central", B: "Norte"}, [Warehouse(A, "Central CDMX"), Warehouse(B, "Norte")])
    assert renames == {"Central": "Central CDMX"}
    sheet = existing(
        (P1, "Central", 5), (P2, "Central", 3), (P2, "Central CDMX", 3), (P1, "Norte", 1), (None, "Central", 2)
    )
    plan = rekey_plan(sheet, renames)
    assert plan.updates == [(1, {"Almacén": "Central CDMX"})]
    assert plan.deletes == [2]  # P2 already has its row under the new name
    assert rekey_plan(sheet, {}).writes == 0
