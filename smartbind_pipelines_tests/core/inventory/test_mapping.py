"""core/inventory/mapping.py: which warehouses, and Bind's Inventory rows as sheet records (pure)."""

import pytest

from smartbind_pipelines.core.inventory import (
    InventoryConfigError,
    Warehouse,
    batch_totals,
    inventory_batch,
    resolve_warehouses,
    stock_totals,
    warehouses_to_sync,
)

from .cases import P1, P2, A, B, row

# -- which warehouses ---------------------------------------------------------------------------


def test_process_config_warehouses_win_over_the_environment_fallback():
    assert warehouses_to_sync({"warehouse_ids": [A.upper(), B, A]}, B) == (
        [A, B],
        "ProcessConfig fields_mapping.warehouse_ids",
    )
    assert warehouses_to_sync({}, f" {B} ") == ([B], "BIND_WAREHOUSE_ID")
    assert warehouses_to_sync({"warehouse_ids": A}, None) == ([A], "ProcessConfig fields_mapping.warehouse_ids")


@pytest.mark.parametrize(
    "mapping, fallback, words",
    [
        ({}, "", "has no warehouse"),
        ({"warehouse_ids": ["almacen-1"]}, B, "'almacen-1' is not a warehouse GUID"),
        ({}, "x' or 1 eq 1", "BIND_WAREHOUSE_ID"),
        ({"warehouse_ids": {"a": 1}}, None, "must be a list"),
    ],
)
def test_bad_warehouse_configuration_is_refused_naming_the_value(mapping, fallback, words):
    with pytest.raises(InventoryConfigError, match=words.replace("(", r"\(")):
        warehouses_to_sync(mapping, fallback)


def test_unknown_and_same_named_warehouses_are_refused():
    bind = [{"ID": A, "Name": "Central"}, {"ID": B, "Name": "Central"}]
    with pytest.raises(InventoryConfigError, match="not found in Bind"):
        resolve_warehouses(["cccccccc-0000-4000-8000-000000000003"], bind)
    with pytest.raises(InventoryConfigError, match="more than one synced warehouse is named 'Central'"):
        resolve_warehouses([A, B], bind)
    assert resolve_warehouses([A], bind) == [Warehouse(A, "Central")]


# -- records ------------------------------------------------------------------------------------


def test_only_products_in_stock_by_default_and_bad_rows_are_skipped_with_a_reason():
    central = Warehouse(A, "Central")
    rows = [
        row(P1, 5),
        row(P2, 0),
        row("33333333-0000-4000-8000-000000000003", -2),
        row(None, 4),
        row("44444444-0000-4000-8000-000000000004", "abc"),
        row(P1, 9),
    ]
    batch = inventory_batch([central], {A: rows})
    assert batch.fetched == 6
    assert batch.records == [
        {"ID Producto": P1, "Código": "C-1", "Nombre": "Tornillo", "Existencias": 5.0, "Almacén": "Central"}
    ]
    reasons = [item["reason"] for item in batch.skipped]
    assert reasons == [
        "no ProductID",
        "CurrentInventory 'abc' is not a number",
        "product listed twice in this warehouse: first row kept",
    ]
    everything = inventory_batch([central], {A: rows}, only_in_stock=False)
    assert [record["Existencias"] for record in everything.records] == [5.0, 0.0, -2.0]
    assert batch_totals(everything.records) == {"Central": 3.0}


def test_stock_totals_round_to_cents_and_ignore_rows_without_a_warehouse():
    assert stock_totals([("A", 0.1), ("A", 0.2), ("B", "3"), ("", 7), (None, 1), ("B", "n/a")]) == {"A": 0.3, "B": 3.0}


def test_items_that_are_not_objects_are_skipped_with_what_they_are_and_warehouses_still_resolve():
    [central] = resolve_warehouses([A], ["oops", None, {"ID": A.upper(), "Name": " Central "}, [A]])
    assert central == Warehouse(A, "Central")
    batch = inventory_batch([central], {A: ["oops", row(P1, 3), 7, None, row(P2, 4)]})
    assert [record["ID Producto"] for record in batch.records] == [P1, P2]
    assert [skip["reason"] for skip in batch.skipped] == [
        "not an inventory object: a JSON string 'oops'",
        "not an inventory object: a JSON number 7",
        "not an inventory object: a JSON null",
    ]
