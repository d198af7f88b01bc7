"""sync_inventory end to end: real Bind client and smartsheet SDK over HTTP against the emulators, the real
job definition, a real (temporary) Dagster instance."""

import dagster as dg

from smartbind_pipelines.defs.inventory.checks import NO_DUPLICATES, TOTALS_MATCH
from smartbind_pipelines_tests.defs import support


def materialized(result, asset="smartsheet_inventory") -> dict:
    return support.materialized(result, asset)


checks = support.check_results
failure_text = support.failure_text


def writes(sync) -> int:
    return sync.writes()


def bind_stock(state, warehouse_id) -> dict[str, float]:
    return {row["ProductID"]: row["CurrentInventory"] for row in state.inventory(warehouse_id)}


def names(state) -> dict[str, str]:
    return {w["ID"]: w["Name"] for w in state.warehouses.records.values()}


def test_three_warehouses_of_1000_products_then_changes_then_a_rerun_writes_nothing(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(1000)
    warehouses = state.warehouse_ids()
    sync.use_warehouses(warehouses)

    first = sync.run()
    assert first.success, failure_text(first)
    in_stock = {(pid, names(state)[w]): qty for w in warehouses for pid, qty in bind_stock(state, w).items() if qty > 0}
    assert len(in_stock) > 2000
    assert {key: cells["Existencias"] for key, cells in sync.by_key().items()} == in_stock
    written = materialized(first)
    assert written["inserted"] == len(in_stock) and written["updated"] == written["zeroed"] == 0
    source = materialized(first, "bind_inventory")
    # Bind filters out rows without stock, so only pages of stocked rows are read
    pages = sum(-(-sum(1 for qty in bind_stock(state, w).values() if qty > 0) // 100) for w in warehouses)
    assert source["fetched"] == len(in_stock) and source["bind_requests_by_endpoint"]["GET /Inventory"] == pages
    assert pages < 30
    assert all(evaluation.passed for evaluation in checks(first).values()) and len(checks(first)) == 2

    # a stock change, a new product, a product out of stock
    central, north = warehouses[0], warehouses[1]
    changed, emptied = [pid for pid, qty in bind_stock(state, central).items() if qty > 0][:2]
    state.set_stock(central, changed, 777)
    state.set_stock(central, emptied, 0)
    new = state.add_product(Title="Taladro nuevo", stock={north: 12})
    sync.smartsheet.admin.reset_requests()
    second = sync.run()
    assert second.success, failure_text(second)
    written = materialized(second)
    assert (written["inserted"], written["updated"], written["zeroed"], written["deleted"]) == (1, 1, 1, 0)
    rows = sync.by_key()
    assert rows[(changed, names(state)[central])]["Existencias"] == 777
    assert rows[(emptied, names(state)[central])]["Existencias"] == 0  # never left showing stale stock
    assert rows[(new["ID"], names(state)[north])]["Existencias"] == 12
    assert (new["ID"], names(state)[central]) not in rows  # no stock there: not written
    assert "→ 777" in written["changes"] and "→ 0" in written["changes"]
    assert all(evaluation.passed for evaluation in checks(second).values())

    sync.smartsheet.admin.reset_requests()
    third = sync.run()
    assert third.success and writes(sync) == 0
    assert (
        materialized(third)["smartsheet_writes"] == 0 and materialized(third)["unchanged"] == len(rows) - 1
    )  # + the row at 0


def test_rows_of_unsynced_warehouses_are_never_touched_and_delete_removes_stale_rows(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(30)
    central, north = state.warehouse_ids()[:2]
    sync.use_warehouses([central, north])
    assert sync.run().success

    sync.use_warehouses([central])
    for pid, qty in bind_stock(state, north).items():
        state.set_stock(north, pid, 0)  # would all go stale if north were still synced
    gone = next(pid for pid, qty in bind_stock(state, central).items() if qty > 0)
    state.set_stock(central, gone, 0)
    result = sync.run(stale_rows="delete")
    assert result.success, failure_text(result)
    assert materialized(result)["deleted"] == 1
    rows = sync.by_key()
    assert (gone, names(state)[central]) not in rows
    assert sum(1 for _, warehouse in rows if warehouse == names(state)[north]) > 0
    assert all(cells["Existencias"] > 0 for (_, w), cells in rows.items() if w == names(state)[north])


def test_a_renamed_warehouse_leaves_no_rows_under_its_old_name(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(50)
    central = state.warehouse_ids()[0]
    sync.fallback_warehouse = central  # no warehouse_ids in ProcessConfig: BIND_WAREHOUSE_ID applies
    old = names(state)[central]
    assert sync.run().success
    count = len(sync.rows())

    state.rename_warehouse(central, "Almacén Central CDMX")
    sync.smartsheet.admin.reset_requests()
    result = sync.run()
    assert result.success, failure_text(result)
    assert {cells["Almacén"] for cells in sync.rows()} == {"Almacén Central CDMX"} and len(sync.rows()) == count
    written = materialized(result)
    assert written["renamed_warehouses"] == {old: "Almacén Central CDMX"}
    assert written["rows_moved_to_new_name"] == count and written["inserted"] == 0
    assert all(evaluation.passed for evaluation in checks(result).values())

    sync.smartsheet.admin.reset_requests()
    assert sync.run().success and writes(sync) == 0


def test_checks_fail_when_the_sheet_disagrees_with_bind(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(20)
    central = state.warehouse_ids()[0]
    sync.use_warehouses([central])
    assert sync.run().success
    # someone pastes a copy of a row and edits the stock by hand: a duplicate key and a wrong total
    first = sync.rows()[0]
    sync.smartsheet.state.add_rows(
        sync.sheet_id,
        [
            {
                "cells": [
                    {"columnId": column["id"], "value": first[column["title"]]}
                    for column in sync.smartsheet.state.list_columns(sync.sheet_id)
                ]
            }
        ],
    )

    result = sync.run(dry_run=False)
    evaluations = checks(result)
    assert not evaluations[NO_DUPLICATES].passed
    assert evaluations[NO_DUPLICATES].severity == dg.AssetCheckSeverity.WARN
    assert not evaluations[TOTALS_MATCH].passed and names(state)[central] in evaluations[TOTALS_MATCH].description


def test_a_dry_run_writes_nothing_and_an_unknown_warehouse_fails_naming_it(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(10)
    sync.use_warehouses([state.warehouse_ids()[0]])
    dry = sync.run(dry_run=True)
    assert dry.success and sync.rows() == [] and materialized(dry)["planned_inserts"] > 0

    sync.use_warehouses(["cccccccc-0000-4000-8000-00000000000c"])
    failed = sync.run()
    assert not failed.success
    assert "cccccccc-0000-4000-8000-00000000000c" in failure_text(failed) and "not found in Bind" in failure_text(
        failed
    )


def test_no_warehouse_anywhere_fails_saying_what_to_set(inventory_sync):
    result = inventory_sync.run()
    assert not result.success and "BIND_WAREHOUSE_ID" in failure_text(result)


def test_the_sensor_runs_on_the_seed_cadence_and_skips_while_paused(instance, process_config):
    from datetime import timedelta

    from smartbind_pipelines.core.cdmx import now_cdmx
    from smartbind_pipelines.defs.inventory import sync_inventory_sensor
    from smartbind_pipelines.defs.resources import ClockResource

    def tick(minutes=0):
        clock = ClockResource(frozen_at=(now_cdmx() + timedelta(minutes=minutes)).isoformat())
        with dg.build_sensor_context(
            instance=instance, resources={"process_config": process_config, "clock": clock}
        ) as context:
            return sync_inventory_sensor(context)

    assert sync_inventory_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sync_inventory_sensor.job_name == "sync_inventory"
    store = process_config.store()
    assert store.get("sync_inventory").interval_minutes == 60
    store.update("sync_inventory", {"smartsheet_sheet_id": "4242"}, via="test")
    request = tick()
    assert isinstance(request, dg.RunRequest) and request.tags == {
        "smartsheet_sheet_id": "4242",
        "interval_minutes": "60",
        "trigger": "sensor",
    }

    import uuid

    instance.add_run(
        dg.DagsterRun(
            job_name="sync_inventory",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.SUCCESS,
            tags={"process": "sync_inventory"},
        )
    )
    assert "not due" in tick(30).skip_message and isinstance(tick(61), dg.RunRequest)
    store.update("sync_inventory", {"is_active": False}, via="test")
    assert "paused in ProcessConfig" in tick(61).skip_message
