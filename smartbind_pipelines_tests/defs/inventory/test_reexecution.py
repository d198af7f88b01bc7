"""Dagit's "Re-execute → From failure" on sync_inventory: the re-execution writes its own run's stock read or
refuses when another run has read the stock since, so an older snapshot never overwrites newer stock; stored
reads (product data) are kept per run while they may be used, then deleted (issue 14, defect 5).

Every run goes through ``dg.execute_job`` on a reconstructable job, so outputs are stored on disk by the
job's own I/O manager exactly as in the deployment (``execute_in_process`` would be a different path).
"""

from pathlib import Path

import dagster as dg
import pytest

from smartbind_pipelines.core.processes import INVENTORY
from smartbind_pipelines.defs.pull.stored import prune_reads
from smartbind_pipelines_tests.defs.support import (
    aim_runs,
    execute_run,
    materialized_in,
    run_failure,
    stored_reads,
)

from . import reexecutable

SHEET = r"/sheets/\d+$"
NOT_FOUND = {"errorCode": 1006, "message": "Not Found"}


@pytest.fixture
def stock(inventory_sync, monkeypatch):
    """One warehouse synced, one product with 5 in stock; runs aimed at these emulators."""
    aim_runs(monkeypatch, inventory_sync.bind, inventory_sync.smartsheet, inventory_sync.process_config)
    warehouse = inventory_sync.bind.state.warehouse_ids()[0]
    inventory_sync.use_warehouses([warehouse])
    product = inventory_sync.bind.state.add_product(stock={warehouse: 5})["ID"]
    return inventory_sync, warehouse, product


def run(sync, reexecute: str | None = None) -> dg.DagsterRun:
    return execute_run(reexecutable.sync_inventory_job, sync.instance, reexecute=reexecute)


def sheet_stock(sync) -> dict[str, float]:
    return {cells["ID Producto"]: cells["Existencias"] for cells in sync.rows()}


def fail_at_the_sheet_step(sync) -> dg.DagsterRun:
    sync.smartsheet.admin.inject("custom", SHEET, method="GET", count=1, status=404, body=NOT_FOUND)
    failed = run(sync)
    assert failed.status == dg.DagsterRunStatus.FAILURE and "1006" in run_failure(sync.instance, failed)
    assert sync.rows() == [] and materialized_in(sync.instance, failed, INVENTORY.source_asset)
    return failed


def test_a_re_execution_after_another_run_read_the_stock_refuses_and_the_newer_stock_stays(stock):
    sync, warehouse, product = stock
    failed = fail_at_the_sheet_step(sync)  # it read 5

    sync.bind.state.set_stock(warehouse, product, 8)
    later = run(sync)
    assert later.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, later)
    assert sheet_stock(sync) == {product: 8}

    again = run(sync, reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.FAILURE  # old code: SUCCESS, writing the later run's read
    message = run_failure(sync.instance, again)
    assert failed.run_id in message and later.run_id in message and "new run" in message
    assert not materialized_in(sync.instance, again, INVENTORY.sheet_asset)
    assert sheet_stock(sync) == {product: 8}  # the failed run's 5 was not written over the newer 8


def test_a_failed_run_re_executed_from_failure_writes_its_own_read_then_the_read_is_deleted(stock):
    sync, warehouse, product = stock
    failed = fail_at_the_sheet_step(sync)
    assert stored_reads(sync.instance, INVENTORY.source_asset) == {failed.run_id}  # old code: set()

    sync.bind.state.set_stock(warehouse, product, 8)  # Bind moves on; no run reads it
    again = run(sync, reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, again)
    assert not materialized_in(sync.instance, again, INVENTORY.source_asset)  # Bind was not read again
    assert sheet_stock(sync) == {product: 5}  # what the failed run read
    assert stored_reads(sync.instance, INVENTORY.source_asset) == set()  # written and checked: deleted


def test_a_later_read_deletes_a_finished_runs_read_and_the_legacy_per_asset_file(stock):
    sync, _, product = stock
    failed = fail_at_the_sheet_step(sync)
    legacy = Path(sync.instance.storage_directory()) / INVENTORY.source_asset
    legacy.write_bytes(b"what the default I/O manager left")

    regular = run(sync)
    assert regular.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, regular)
    assert sheet_stock(sync) == {product: 5}
    assert stored_reads(sync.instance, INVENTORY.source_asset) == set()
    assert not legacy.exists()  # old code: the default I/O manager's per-asset file, overwritten each run

    again = run(sync, reexecute=failed.run_id)  # superseded: refused with what to do, not a traceback
    assert again.status == dg.DagsterRunStatus.FAILURE
    assert failed.run_id in run_failure(sync.instance, again) and "new run" in run_failure(sync.instance, again)


def test_another_process_read_leaves_a_failed_inventory_runs_read_alone(stock):
    sync, _, product = stock
    failed = fail_at_the_sheet_step(sync)
    # What every invoice read does on its way (the reads of finished runs of *its* source are deleted).
    prune_reads(sync.instance, step_key="bind_invoices", keep_run_id="a-later-invoice-run")
    assert stored_reads(sync.instance, INVENTORY.source_asset) == {failed.run_id}

    again = run(sync, reexecute=failed.run_id)  # still re-executable: no run read the stock since
    assert again.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, again)
    assert sheet_stock(sync) == {product: 5}


def test_the_sheet_asset_materialized_alone_refuses_instead_of_loading_another_runs_read(stock):
    sync, warehouse, product = stock
    assert sync.run().success  # a read exists from an earlier run
    sync.bind.state.set_stock(warehouse, product, 8)
    definitions = sync.definitions()
    alone = dg.materialize(
        [*definitions.assets],
        selection=[INVENTORY.sheet_asset],
        resources=definitions.resources,
        instance=sync.instance,
        raise_on_error=False,
    )
    assert not alone.success
    [failed_step] = [event for event in alone.all_events if event.is_step_failure]
    description = failed_step.step_failure_data.user_failure_data.description
    assert "no Bind read in this run" in description and INVENTORY.job_id in description
    assert alone.asset_materializations_for_node(INVENTORY.sheet_asset) == [] and sheet_stock(sync) == {product: 5}


def test_a_read_stored_by_an_older_version_is_refused_with_what_to_do(stock):
    # A run failed before a deploy changed what the source asset returns (issue 15: InventoryBatch became
    # SourceBatch); its stored read names a class that no longer exists.
    sync, _, _ = stock
    failed = fail_at_the_sheet_step(sync)
    [stored] = [
        path
        for path in Path(sync.instance.storage_directory()).rglob("*")
        if path.is_file() and failed.run_id in str(path) and INVENTORY.source_asset in str(path)
    ]
    stored.write_bytes(
        b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x1dsmartbind_pipelines.core.gone"
        b"\x94\x8c\x0eInventoryBatch\x94\x93\x94)\x81\x94."
    )

    again = run(sync, reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.FAILURE
    message = run_failure(sync.instance, again)
    assert failed.run_id in message and "new run" in message  # old code: ModuleNotFoundError, a traceback
    assert sync.rows() == []  # nothing written
