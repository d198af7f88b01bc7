"""Dagit's "Re-execute → From failure" on a declared process (sync_clients): the re-execution writes its own
run's read of Bind or refuses when another run has read the clients since; stored reads (client names and
RFCs) are kept per run while they may be used, then deleted (issue 14, defect 5).

Every run goes through ``dg.execute_job`` on a reconstructable job, so outputs are stored on disk by the
job's own I/O manager exactly as in the deployment.
"""

import dagster as dg
import pytest

from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines_tests.defs.support import (
    aim_runs,
    execute_run,
    materialized_in,
    run_failure,
    stored_reads,
)

from . import reexecutable

CLIENTS = get_process("sync_clients", {}).declaration
SHEET = r"/sheets/\d+$"
NOT_FOUND = {"errorCode": 1006, "message": "Not Found"}


@pytest.fixture
def clients(declared_sync, monkeypatch):
    """sync_clients with its sheet; runs aimed at these emulators; one client to rename."""
    sync = declared_sync(CLIENTS)
    aim_runs(monkeypatch, sync.bind, sync.smartsheet, sync.process_config)
    sync.create_sheet()
    client = next(iter(sync.bind.state.clients.records))
    return sync, client


def run(sync, reexecute: str | None = None) -> dg.DagsterRun:
    return execute_run(reexecutable.sync_clients_job, sync.instance, reexecute=reexecute)


def rename(sync, client_id: str, legal_name: str) -> None:
    state = sync.bind.state
    with state._lock:
        state.clients.put({**state.clients.records[client_id], "LegalName": legal_name})


def legal_names(sync) -> dict[str, str]:
    return {row["ID"]: row["Razón Social"] for row in sync.rows()}


def fail_at_the_sheet_step(sync) -> dg.DagsterRun:
    sync.smartsheet.admin.inject("custom", SHEET, method="GET", count=1, status=404, body=NOT_FOUND)
    failed = run(sync)
    assert failed.status == dg.DagsterRunStatus.FAILURE and "1006" in run_failure(sync.instance, failed)
    assert sync.rows() == [] and materialized_in(sync.instance, failed, CLIENTS.source_asset)
    return failed


def test_a_re_execution_after_another_run_read_the_clients_refuses_and_the_newer_names_stay(clients):
    sync, client = clients
    rename(sync, client, "Razón Anterior SA de CV")
    failed = fail_at_the_sheet_step(sync)

    rename(sync, client, "Razón Nueva SA de CV")
    later = run(sync)
    assert later.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, later)
    assert legal_names(sync)[client] == "Razón Nueva SA de CV"

    again = run(sync, reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.FAILURE  # old code: SUCCESS, writing the later run's read
    message = run_failure(sync.instance, again)
    assert failed.run_id in message and later.run_id in message and "new run" in message
    assert not materialized_in(sync.instance, again, CLIENTS.sheet_asset)
    assert legal_names(sync)[client] == "Razón Nueva SA de CV"  # the older name was not written


def test_a_failed_run_re_executed_from_failure_writes_its_own_read_then_the_read_is_deleted(clients):
    sync, client = clients
    rename(sync, client, "Razón Anterior SA de CV")
    failed = fail_at_the_sheet_step(sync)
    assert stored_reads(sync.instance, CLIENTS.source_asset) == {failed.run_id}  # old code: set()

    rename(sync, client, "Razón Nueva SA de CV")  # Bind moves on; no run reads it
    again = run(sync, reexecute=failed.run_id)
    assert again.status == dg.DagsterRunStatus.SUCCESS, run_failure(sync.instance, again)
    assert not materialized_in(sync.instance, again, CLIENTS.source_asset)  # Bind was not read again
    names = legal_names(sync)
    assert names[client] == "Razón Anterior SA de CV" and len(names) == len(sync.bind.state.clients.records)
    assert stored_reads(sync.instance, CLIENTS.source_asset) == set()  # written and checked: deleted
