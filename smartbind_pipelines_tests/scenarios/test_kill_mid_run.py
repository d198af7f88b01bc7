"""The pipeline killed (SIGKILL) between two write batches: the next run finishes the work, nothing doubled.

The sync runs as operators run it by hand, ``smartbind sync sync_invoices --local``, in its own process
group against the emulators, on a persistent DAGSTER_HOME. Its backlog needs two add batches (500 rows
each at most). The first batch lands; the second is refused with 429/4003, and while the SDK sleeps
before retrying, the process is killed: nothing is in flight, exactly one batch is in the sheet.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from smartbind_pipelines.core.cdmx import format_bind_datetime, now_cdmx
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines_tests.defs.invoices.harness import invoice_columns

from .oracle import compare

ROWS = r"/sheets/\d+/rows$"
ADD_ENDPOINT = "POST /2.0/sheets/{id}/rows"
SMARTBIND = str(Path(sys.executable).with_name("smartbind"))


def sync_command(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [SMARTBIND, "sync", "sync_invoices", "--local"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(
                f"the sync ended (exit {process.returncode}) before {what}: {process.stderr.read()[-2000:]}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_between_two_batches_the_next_run_adds_the_rest_without_duplicates(
    empty_bind_emulator, smartsheet_emulator, tmp_path, monkeypatch, figures
):
    bind, sheets = empty_bind_emulator, smartsheet_emulator
    sheet_id = sheets.state.create_sheet("Registros Facturas Bind", invoice_columns())["id"]
    db_path = tmp_path / "processes.db"
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    ProcessConfigStore(db_path).update("sync_invoices", {"smartsheet_sheet_id": str(sheet_id)}, via="test")
    now = now_cdmx()
    bind.admin.post(
        "invoices/generate",
        {
            "count": 700,
            "start": format_bind_datetime(now - timedelta(hours=8)),
            "end": format_bind_datetime(now - timedelta(minutes=1)),
        },
    )
    stamped = [invoice for invoice in bind.state.list_invoices() if invoice["UUID"]]
    assert len(stamped) > 500  # two add batches

    (tmp_path / "dagster_home").mkdir()
    env = {
        **os.environ,
        "BIND_API_KEY": bind.token,
        "BIND_API_BASE_URL": bind.url,
        "SMARTSHEET_ACCESS_TOKEN": sheets.token,
        "SMARTSHEET_API_BASE": sheets.url,
        "SMARTBIND_DB_PATH": str(db_path),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    for variable in SHEET_ID_ENV.values():
        env.pop(variable, None)

    sheets.admin.inject("latency", ROWS, method="POST", count=1, latency_ms=100)  # batch 1 lands
    sheets.admin.inject("rate_limit", ROWS, method="POST", count=3, retry_after=1)  # batch 2 waits

    def refused_once() -> bool:
        return any(
            entry["endpoint"] == ADD_ENDPOINT and entry["status"] == 429 for entry in sheets.admin.requests()["log"]
        )

    killed = sync_command(env)
    try:
        wait_for(refused_once, 180, "the second batch was refused", killed)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the group this test started, nothing else
        killed.wait(30)
    assert killed.returncode == -signal.SIGKILL
    served = sheets.admin.requests()["log"]
    sheets.admin.clear_faults()
    figures.incident("sync process killed between batches")
    figures.fault("smartsheet", "rate_limit", sum(1 for entry in served if entry["status"] == 429))

    assert len(sheets.state.rows_as_dicts(sheet_id)) == 500  # exactly the first batch, nothing half-sent

    rerun = sync_command(env)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["success"] and summary["inserted"] == len(stamped) - 500 and summary["failed"] == 0

    rows = [row["cells"] for row in sheets.state.rows_as_dicts(sheet_id)]
    assert max(Counter(row["UUID"] for row in rows).values()) == 1
    outcome = compare(bind.state.list_invoices(), rows)
    figures.runs += 2
    figures.failed_runs += 1
    figures.record_check(outcome)
    assert outcome.equal, outcome.explain()
    assert outcome.checked == len(stamped)
