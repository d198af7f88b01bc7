"""Issue 15: the warehouse names the inventory sheet shows (warehouse id -> name, how a renamed warehouse is
recognised) live in sync_state.db beside ProcessConfig, so they outlive Dagster's run history, and the names
earlier runs recorded as materialization metadata are migrated into it once.

Real HTTP against both emulators, the real job; "a new Dagster instance" is a fresh dg.instance_for_test with
the same ProcessConfig file (the data volume survives, the run history does not).
"""

import json

import dagster as dg
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.processes import INVENTORY
from smartbind_pipelines.core.sync_state import FROM_HISTORY, FROM_RUN, read_stored, state_path
from smartbind_pipelines_tests.defs import support

NEW_NAME = "Almacén Central CDMX"


def stored(sync):
    return read_stored(sync.process_config.db_path, INVENTORY.job_id)


def first_run(sync) -> tuple[str, str, int]:
    """One writing run of one warehouse: (its id, its name, the rows written)."""
    state = sync.bind.state
    state.generate_products(40)
    central = state.warehouse_ids()[0]
    sync.fallback_warehouse = central
    first = sync.run()
    assert first.success, support.failure_text(first)
    return central, state.warehouses.records[central]["Name"], len(sync.rows())


def renamed_run(sync, central: str, old: str, count: int) -> dict:
    """Rename the warehouse in Bind, run on a new Dagster instance: its rows move, none is duplicated."""
    sync.bind.state.rename_warehouse(central, NEW_NAME)
    with dg.instance_for_test() as fresh:  # a new PostgreSQL: no run, no materialization
        sync.instance = fresh
        result = sync.run()
        assert result.success, support.failure_text(result)
        rows = sync.rows()
        assert {cells["Almacén"] for cells in rows} == {NEW_NAME} and len(rows) == count
        written = support.materialized(result, INVENTORY.sheet_asset)
        assert written["renamed_warehouses"] == {old: NEW_NAME} and written["rows_moved_to_new_name"] == count
        assert written["inserted"] == 0 and written["warehouse_names"] == {central: NEW_NAME}
        return written


def test_a_warehouse_renamed_after_the_run_history_is_wiped_still_has_its_rows_moved(inventory_sync):
    central, old, count = first_run(inventory_sync)
    assert stored(inventory_sync).warehouse_names == {central: old}
    assert stored(inventory_sync).run_id and stored(inventory_sync).origin == FROM_RUN

    written = renamed_run(inventory_sync, central, old, count)
    assert written["warehouse_names_from"] == "store"
    assert stored(inventory_sync).warehouse_names == {central: NEW_NAME}


def test_names_earlier_runs_recorded_are_migrated_once_from_the_run_history(inventory_sync):
    central, old, count = first_run(inventory_sync)
    # A deployment from before the store: the names are only in the run history.
    state_path(inventory_sync.process_config.db_path).unlink()
    inventory_sync.bind.state.rename_warehouse(central, NEW_NAME)
    result = inventory_sync.run()
    assert result.success, support.failure_text(result)
    written = support.materialized(result, INVENTORY.sheet_asset)
    assert written["warehouse_names_from"] == FROM_HISTORY
    assert written["renamed_warehouses"] == {old: NEW_NAME} and written["rows_moved_to_new_name"] == count
    assert stored(inventory_sync).warehouse_names == {central: NEW_NAME}

    # From now on the store answers, even on a new instance.
    inventory_sync.bind.state.rename_warehouse(central, old)
    with dg.instance_for_test() as fresh:
        inventory_sync.instance = fresh
        back = inventory_sync.run()
        assert back.success, support.failure_text(back)
        again = support.materialized(back, INVENTORY.sheet_asset)
        assert again["warehouse_names_from"] == "store" and again["renamed_warehouses"] == {NEW_NAME: old}
        assert {cells["Almacén"] for cells in inventory_sync.rows()} == {old}


def test_a_dry_run_records_no_names_and_config_show_has_them(inventory_sync):
    central, old, _ = first_run(inventory_sync)
    inventory_sync.bind.state.rename_warehouse(central, NEW_NAME)
    assert inventory_sync.run(dry_run=True).success
    assert stored(inventory_sync).warehouse_names == {central: old}

    shown = CliRunner().invoke(
        main, ["config", "--db-path", inventory_sync.process_config.db_path, "show", INVENTORY.job_id]
    )
    assert shown.exit_code == 0, shown.output
    state = json.loads(shown.output)["sync_state"]
    assert state["warehouse_names"] == {central: old} and state["origin"] == FROM_RUN
