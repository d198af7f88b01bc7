"""Dagit's "Re-execute → From failure" on sync_invoices: the re-execution writes its own run's Bind read or
refuses; the watermark never moves on data another run read; stored reads are pruned (issue 14, defect 5).

Every run here goes through ``dg.execute_job`` on a reconstructable job, so outputs are stored on disk by
the job's own I/O manager exactly as in the deployment (``execute_in_process`` would keep them in memory).
"""

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs import invoices
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.invoices.stored import READS_IO_MANAGER
from smartbind_pipelines.defs.invoices.sync_state import read_sync_state
from smartbind_pipelines.defs.pull.stored import RunScopedIOManager
from smartbind_pipelines_tests.defs.support import materialized_in, run_failure, stored_reads

from . import reexecutable

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
SHEET = r"/sheets/\d+$"
NOT_FOUND = {"errorCode": 1006, "message": "Not Found"}


def add(sync, when: datetime) -> dict:
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), UUID=str(uuid.uuid4()))


@pytest.fixture
def launch(monkeypatch):
    def _launch(sync, now: datetime, *, window: dict | None = None, reexecute: str | None = None) -> dg.DagsterRun:
        """One sync_invoices run (or a from-failure re-execution of ``reexecute``) with the clock at ``now``."""
        reexecutable.aim(monkeypatch, sync, now)
        return _execute(sync, window, reexecute)

    return _launch


def _execute(sync, window: dict | None, reexecute: str | None) -> dg.DagsterRun:
    job = dg.reconstructable(reexecutable.sync_invoices_job)
    options = dg.ReexecutionOptions.from_failure(reexecute, sync.instance) if reexecute else None
    run_config = {"ops": {INVOICES.source_asset: {"config": window}}} if window else {}
    result = dg.execute_job(
        job, sync.instance, run_config=run_config or None, reexecution_options=options, raise_on_error=False
    )
    return sync.instance.get_run_by_id(result.run_id)


def stored_runs(instance: dg.DagsterInstance) -> set[str]:
    """Run ids that still have a stored Bind read on disk."""
    return stored_reads(instance, INVOICES.source_asset)


def test_a_failed_run_re_executed_from_failure_writes_its_own_read_and_moves_the_watermark_to_its_window(
    empty_sync, launch
):
    mine = [add(empty_sync, T0 - timedelta(minutes=m)) for m in (9, 4)]
    empty_sync.smartsheet.admin.inject("custom", SHEET, method="GET", count=1, status=404, body=NOT_FOUND)
    failed = launch(empty_sync, T0)
    assert failed.status == dg.DagsterRunStatus.FAILURE and "1006" in run_failure(empty_sync.instance, failed)
    assert empty_sync.rows() == []

    again = launch(empty_sync, T0 + timedelta(minutes=30), reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.SUCCESS, run_failure(empty_sync.instance, again)
    assert not materialized_in(empty_sync.instance, again, INVOICES.source_asset)  # Bind was not read again
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in mine)
    # The window is the failed run's (it ended at T0), not the re-execution's clock.
    assert read_sync_state(empty_sync.instance, sheet_key(INVOICES)).watermark == T0
    assert stored_runs(empty_sync.instance) == set()  # written and checked: the read is deleted


def test_a_re_execution_after_another_run_read_bind_refuses_and_the_watermark_stays(empty_sync, launch):
    mine = [add(empty_sync, T0 - timedelta(minutes=m)) for m in (9, 4)]
    empty_sync.smartsheet.admin.inject("custom", SHEET, method="GET", count=1, status=404, body=NOT_FOUND)
    failed = launch(empty_sync, T0)
    assert failed.status == dg.DagsterRunStatus.FAILURE

    # An unrelated backfill of February reads other invoices and writes them.
    theirs = [add(empty_sync, T0 - timedelta(days=d)) for d in (20, 19)]
    backfill = launch(
        empty_sync, T0 + timedelta(minutes=10), window={"window_start": "2026-02-15", "window_end": "2026-02-25"}
    )
    assert backfill.status == dg.DagsterRunStatus.SUCCESS, run_failure(empty_sync.instance, backfill)
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in theirs)

    again = launch(empty_sync, T0 + timedelta(minutes=20), reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.FAILURE
    message = run_failure(empty_sync.instance, again)
    assert failed.run_id in message and "new run" in message
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in theirs)  # nothing of anyone's written
    assert read_sync_state(empty_sync.instance, sheet_key(INVOICES)).watermark is None

    # The regular sync catches the failed run's window up: nothing lost.
    regular = launch(empty_sync, T0 + timedelta(minutes=30))
    assert regular.status == dg.DagsterRunStatus.SUCCESS, run_failure(empty_sync.instance, regular)
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in [*theirs, *mine])
    assert read_sync_state(empty_sync.instance, sheet_key(INVOICES)).watermark == T0 + timedelta(minutes=30)


def test_a_stored_bind_read_is_kept_per_run_while_it_may_be_used_then_deleted(empty_sync, launch):
    add(empty_sync, T0 - timedelta(minutes=4))
    empty_sync.smartsheet.admin.inject("custom", SHEET, method="GET", count=1, status=404, body=NOT_FOUND)
    failed = launch(empty_sync, T0)
    assert stored_runs(empty_sync.instance) == {failed.run_id}  # kept: it may be re-executed

    # The next run's read supersedes the failed run's (deleted), and its own checks delete its own.
    regular = launch(empty_sync, T0 + timedelta(minutes=5))
    assert regular.status == dg.DagsterRunStatus.SUCCESS, run_failure(empty_sync.instance, regular)
    assert stored_runs(empty_sync.instance) == set()
    # Nothing is left at the shared per-asset path the default I/O manager used.
    assert not (Path(empty_sync.instance.storage_directory()) / INVOICES.source_asset).exists()

    # Re-executing the superseded run is refused with what to do, not a traceback.
    again = launch(empty_sync, T0 + timedelta(minutes=6), reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.FAILURE
    message = run_failure(empty_sync.instance, again)
    assert failed.run_id in message and "new run" in message


def test_the_sheet_asset_materialized_alone_refuses_instead_of_writing_another_runs_read(empty_sync):
    add(empty_sync, T0 - timedelta(minutes=4))
    assert empty_sync.run(T0).success  # a read exists from an earlier run
    resources = {**empty_sync.resources(T0 + timedelta(minutes=5)), READS_IO_MANAGER: RunScopedIOManager()}
    alone = dg.materialize(
        [invoices.built.source_asset, invoices.built.sheet_asset],
        selection=[invoices.built.sheet_asset],
        resources=resources,
        instance=empty_sync.instance,
        raise_on_error=False,
    )
    assert not alone.success
    [failed_step] = [event for event in alone.all_events if event.is_step_failure]
    assert "no Bind read in this run" in failed_step.step_failure_data.user_failure_data.description
    assert alone.asset_materializations_for_node(INVOICES.sheet_asset) == []
