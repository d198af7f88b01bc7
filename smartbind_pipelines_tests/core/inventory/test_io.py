"""core/inventory/io.py: the real BindClient and upsert_sheet against the emulators."""

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.inventory import (
    INVENTORY_MAPPING,
    apply_rekey,
    batch_totals,
    read_inventory,
    renamed_warehouses,
    stale_policy,
    warehouse_names,
)
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway, upsert_sheet


@pytest.fixture
def gateway(smartsheet_emulator):
    return SheetGateway.connect(
        smartsheet_emulator.token, smartsheet_emulator.url, max_retry_time=FixedBackoff(0.01), retry_delay=0.01
    )


def inventory_sheet(smartsheet_emulator):
    columns = [
        {"title": c.title, "type": "TEXT_NUMBER", **({"primary": True} if i == 0 else {})}
        for i, c in enumerate(INVENTORY_MAPPING.columns)
    ]
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
    assert batch_totals(batch.records) == pytest.approx(expected)


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
        result = upsert_sheet(gateway, sheet_id, batch.records, INVENTORY_MAPPING, stale=stale_policy("zero", ["x"]))
        assert result.inserted == len(batch.records) > 0
        before = warehouse_names(batch.warehouses)

        state.rename_warehouse(first, "Almacén Central CDMX")
        renamed = read_inventory(client, [first])
    renames = renamed_warehouses(before, renamed.warehouses)
    rekey = apply_rekey(gateway, sheet_id, renames)
    assert len(rekey.updates) == len(batch.records) and not rekey.deletes and not rekey.failed
    again = upsert_sheet(
        gateway, sheet_id, renamed.records, INVENTORY_MAPPING, stale=stale_policy("zero", ["Almacén Central CDMX"])
    )
    assert (again.inserted, again.updated, again.writes) == (0, 0, 0)
    names = {cells["Almacén"] for cells in (r["cells"] for r in smartsheet_emulator.state.rows_as_dicts(sheet_id))}
    assert names == {"Almacén Central CDMX"}
