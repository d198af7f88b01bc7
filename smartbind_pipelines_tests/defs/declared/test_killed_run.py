"""A declared process's run started after a killed one waits for the killed run's add batch to land (issue 14,
defect 1, for every pull process): real emulators, real SDK, the real sync_clients job in both runs.

Run A runs in a subprocess and is killed while Smartsheet is still saving its add batch (the emulator's
one-shot slow save); run B starts at once on the same ProcessConfig file. B must find A's batch in the
journal (sheet_writes.db beside ProcessConfig), wait for the sheet to settle, and add nothing twice.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines.core.sheets.settle import JOURNAL_FILE, MAX_WAIT_ENV, POLL_ENV, QUIET_ENV, WriteJournal
from smartbind_pipelines_tests.defs.support import failure_text, materialized

CLIENTS = get_process("sync_clients", {}).declaration
SLOW_SAVE_MS = 4000  # longer than run B takes to reach its read of the sheet
REPOSITORY = Path(__file__).resolve().parents[3]

_KILLED_RUN = """
import json, sys
from types import SimpleNamespace
import dagster as dg
from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines.defs.declared import build_all
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines_tests.defs.support import emulator_resources

args = json.loads(sys.argv[1])
own = build_all([get_process(args["job_id"], {}).declaration])
resources = emulator_resources(SimpleNamespace(url=args["bind_url"], token=args["bind_token"]),
                               SimpleNamespace(url=args["url"], token=args["token"]),
                               ProcessConfigResource(db_path=args["db"]))
defs = dg.Definitions(assets=own.assets, asset_checks=own.asset_checks, jobs=own.jobs,
                      resources={**own.resources, **resources})
with dg.instance_for_test() as instance:
    defs.resolve_job_def(args["job_id"]).execute_in_process(instance=instance)
"""


@pytest.fixture(autouse=True)
def _settle_longer_than_a_slow_save(monkeypatch):
    # the quiet period must outlast what is left of the slow save when run B starts
    monkeypatch.setenv(QUIET_ENV, str(SLOW_SAVE_MS / 1000 + 1.5))
    monkeypatch.setenv(MAX_WAIT_ENV, "60")
    monkeypatch.setenv(POLL_ENV, "0.1")


def test_a_declared_run_started_after_a_killed_one_waits_for_its_batch_in_flight(declared_sync):
    sync = declared_sync(CLIENTS)
    sheet = sync.create_sheet()
    clients = {client["ID"] for client, _ in sync.bind.state.rows("clients")}
    sync.smartsheet.admin.put("config", {"write_delay_ms": SLOW_SAVE_MS, "write_delay_count": 1})

    args = {
        "job_id": CLIENTS.job_id,
        "bind_url": sync.bind.url,
        "bind_token": sync.bind.token,
        "url": sync.smartsheet.url,
        "token": sync.smartsheet.token,
        "db": sync.process_config.db_path,
    }
    run_a = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, json.dumps(args)],
        cwd=REPOSITORY,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lock = sync.smartsheet.state.sheet(sheet).write_lock
    deadline = time.monotonic() + 120
    while not lock.locked() and run_a.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lock.locked(), (
        f"run A never reached its add: {run_a.stderr.read().decode()[-2000:] if run_a.poll() is not None else ''}"
    )
    run_a.kill()
    run_a.wait()
    run_a.stderr.close()
    journal = Path(sync.process_config.db_path).resolve().parent / JOURNAL_FILE
    assert len(WriteJournal(journal).open_entries(sheet, 3600)) == 1  # A's batch: its answer never came

    run_b = sync.run()  # at once, on the same ProcessConfig file, while Smartsheet still saves A's batch
    assert run_b.success, failure_text(run_b)
    ids = [row["ID"] for row in sync.rows()]
    assert len(ids) == len(set(ids)) == len(clients)  # old code: every client twice
    written = materialized(run_b, CLIENTS.sheet_asset)
    assert (written["inserted"], written["unchanged"]) == (0, len(clients))
    assert WriteJournal(journal).open_entries(sheet, 3600) == []
