"""core/inventory.py: warehouse selection, record building, stale policy, renamed warehouses; then the
real BindClient and sync_sheet against the emulators."""

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.inventory import (
    INVENTORY_MAPPING,
    InventoryConfigError,
    Warehouse,
    apply_rekey,
    inventory_batch,
    read_inventory,
    rekey_plan,
    renamed_warehouses,
    resolve_warehouses,
    stale_policy,
    stock_totals,
    warehouses_to_sync,
)
from smartbind_pipelines.core.sheets import ExistingRow, FixedBackoff, SheetGateway, plan_upsert, sync_sheet

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
P1 = "11111111-0000-4000-8000-000000000001"
P2 = "22222222-0000-4000-8000-000000000002"


def row(product, qty, code="C-1", title="Tornillo"):
    return {"ProductID": product, "ID": product, "Code": code, "Title": title, "CurrentInventory": qty}


# -- which warehouses ---------------------------------------------------------------------------


def test_process_config_warehouses_win_over_the_environment_fallback():
    assert warehouses_to_sync({"warehouse_ids": [A.upper(), B, A]}, B) == ([A, B], "ProcessConfig fields_mapping.warehouse_ids")
    assert warehouses_to_sync({}, f" {B} ") == ([B], "BIND_WAREHOUSE_ID")
    assert warehouses_to_sync({"warehouse_ids": A}, None) == ([A], "ProcessConfig fields_mapping.warehouse_ids")


@pytest.mark.parametrize("mapping, fallback, words", [
    ({}, "", "has no warehouse"),
    ({"warehouse_ids": ["almacen-1"]}, B, "'almacen-1' is not a warehouse GUID"),
    ({}, "x' or 1 eq 1", "BIND_WAREHOUSE_ID"),
    ({"warehouse_ids": {"a": 1}}, None, "must be a list"),
])
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
    rows = [row(P1, 5), row(P2, 0), row("33333333-0000-4000-8000-000000000003", -2), row(None, 4),
            row("44444444-0000-4000-8000-000000000004", "abc"), row(P1, 9)]
    batch = inventory_batch([central], {A: rows})
    assert batch.fetched == 6
    assert batch.sheet_records() == [
        {"ID Producto": P1, "Código": "C-1", "Nombre": "Tornillo", "Existencias": 5.0, "Almacén": "Central"}]
    reasons = [item["reason"] for item in batch.skipped]
    assert reasons == ["no ProductID", "CurrentInventory 'abc' is not a number",
                       "product listed twice in this warehouse: first row kept"]
    everything = inventory_batch([central], {A: rows}, only_in_stock=False)
    assert [record["Existencias"] for record in everything.records] == [5.0, 0.0, -2.0]
    assert everything.totals() == {"Central": 3.0}


def test_stock_totals_round_to_cents_and_ignore_rows_without_a_warehouse():
    assert stock_totals([("A", 0.1), ("A", 0.2), ("B", "3"), ("", 7), (None, 1), ("B", "n/a")]) == {"A": 0.3, "B": 3.0}


# -- stale rows and renames (pure) ---------------------------------------------------------------


def existing(*cells):
    return [ExistingRow(index + 1, {"ID Producto": p, "Almacén": w, "Existencias": q, "Código": "C-1",
                                    "Nombre": "Tornillo"}) for index, (p, w, q) in enumerate(cells)]


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


def test_renamed_warehouse_rows_move_to_the_new_name_or_go_when_already_there():
    renames = renamed_warehouses({A: "Central", B: "Norte"}, [Warehouse(A, "Central CDMX"), Warehouse(B, "Norte")])
    assert renames == {"Central": "Central CDMX"}
    sheet = existing((P1, "Central", 5), (P2, "Central", 3), (P2, "Central CDMX", 3), (P1, "Norte", 1), (None, "Central", 2))
    plan = rekey_plan(sheet, renames)
    assert plan.updates == [(1, {"Almacén": "Central CDMX"})]
    assert plan.deletes == [2]  # P2 already has its row under the new name
    assert rekey_plan(sheet, {}).writes == 0


# -- against the emulators ----------------------------------------------------------------------


@pytest.fixture
def gateway(smartsheet_emulator):
    return SheetGateway.connect(smartsheet_emulator.token, smartsheet_emulator.url,
                                max_retry_time=FixedBackoff(0.01), retry_delay=0.01)


def inventory_sheet(smartsheet_emulator):
    columns = [{"title": c.title, "type": "TEXT_NUMBER", **({"primary": True} if i == 0 else {})}
               for i, c in enumerate(INVENTORY_MAPPING.columns)]
    return smartsheet_emulator.state.create_sheet("Inventario Bind", columns)["id"]


def test_read_inventory_follows_every_page_of_each_warehouse(empty_bind_emulator):
    state = empty_bind_emulator.state
    state.generate_products(230)
    warehouses = state.warehouse_ids()
    with BindClient(empty_bind_emulator.url, empty_bind_emulator.token) as client:
        batch = read_inventory(client, warehouses, only_in_stock=False)
        assert client.request_counts["GET /Inventory"] == 3 * 3  # 230 rows = 3 pages per warehouse
        assert client.request_counts["GET /Warehouses"] == 1
    assert batch.fetched == 3 * 230 and len(batch.records) == 3 * 230
    names = {w["ID"]: w["Name"] for w in state.warehouses.records.values()}
    assert [w.name for w in batch.warehouses] == [names[w] for w in warehouses]
    expected = {names[w]: round(sum(r["CurrentInventory"] for r in state.inventory(w)), 2) for w in warehouses}
    assert batch.totals() == pytest.approx(expected)


def test_in_stock_only_lets_bind_filter_so_empty_stock_costs_no_pages(empty_bind_emulator):
    state = empty_bind_emulator.state
    state.generate_products(250)
    warehouse = state.warehouse_ids()[0]
    stocked = sorted(r["ProductID"] for r in state.inventory(warehouse))[:40]
    for row in state.inventory(warehouse):
        state.set_stock(warehouse, row["ProductID"], 5 if row["ProductID"] in stocked else 0)
    with BindClient(empty_bind_emulator.url, empty_bind_emulator.token) as client:
        batch = read_inventory(client, [warehouse])
        assert client.request_counts["GET /Inventory"] == 1  # 40 stocked rows: one page, not three
    assert sorted(record["ID Producto"] for record in batch.records) == stocked


def test_sync_then_rename_moves_rows_and_a_rerun_writes_nothing(empty_bind_emulator, smartsheet_emulator, gateway):
    state = empty_bind_emulator.state
    state.generate_products(40)
    first = state.warehouse_ids()[0]
    sheet_id = inventory_sheet(smartsheet_emulator)
    with BindClient(empty_bind_emulator.url, empty_bind_emulator.token) as client:
        batch = read_inventory(client, [first])
        result = sync_sheet(gateway, sheet_id, batch.sheet_records(), INVENTORY_MAPPING,
                            stale=stale_policy("zero", ["x"]))
        assert result.inserted == len(batch.records) > 0
        before = batch.names()

        state.rename_warehouse(first, "Almacén Central CDMX")
        renamed = read_inventory(client, [first])
    renames = renamed_warehouses(before, renamed.warehouses)
    rekey = apply_rekey(gateway, sheet_id, renames)
    assert len(rekey.updates) == len(batch.records) and not rekey.deletes and not rekey.failed
    again = sync_sheet(gateway, sheet_id, renamed.sheet_records(), INVENTORY_MAPPING,
                       stale=stale_policy("zero", ["Almacén Central CDMX"]))
    assert (again.inserted, again.updated, again.writes) == (0, 0, 0)
    names = {cells["Almacén"] for cells in (r["cells"] for r in smartsheet_emulator.state.rows_as_dicts(sheet_id))}
    assert names == {"Almacén Central CDMX"}


def test_items_that_are_not_objects_are_skipped_with_what_they_are_and_warehouses_still_resolve():
    from smartbind_pipelines.core.inventory import Warehouse, inventory_batch, resolve_warehouses

    [central] = resolve_warehouses([A], ["oops", None, {"ID": A.upper(), "Name": " Central "}, [A]])
    assert central == Warehouse(A, "Central")
    batch = inventory_batch([central], {A: ["oops", row(P1, 3), 7, None, row(P2, 4)]})
    assert [record["ID Producto"] for record in batch.records] == [P1, P2]
    assert [skip["reason"] for skip in batch.skipped] == [
        "not an inventory object: a JSON string 'oops'", "not an inventory object: a JSON number 7",
        "not an inventory object: a JSON null"]
