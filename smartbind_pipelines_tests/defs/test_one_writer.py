"""One writer per sheet, on every path (issue 14).

Every sheet-writing asset is in a concurrency pool of its own, and the instance (dagster.yaml,
dev/dagster.yaml) gives each pool one slot. Here the test holds a sheet's slot itself, the way a running
writer holds it, then starts writers by every path that does not go through the run queue:

- ``execute_in_process`` (what the harnesses and ``smartbind sync --local`` call),
- ``smartbind sync --local``, ``dagster job execute`` and ``dagster asset materialize`` (the implicit
  ``__ASSET_JOB``, the job *Materialize* in the UI runs, without the ``process`` tag), as processes.

Each writer must be seen waiting for the slot (a pending claim in the instance, nothing written to the
sheet); once the slot is free they write one after the other: their sheet steps never overlap. No clock
is read: the order comes from the instance's event log and the emulator's request log.
The queued path (sensor, launchpad, *Materialize*) is in deploy/test_processes.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster import DagsterEventType

from smartbind_pipelines.commands.sync import run_config
from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.core.processes import INVENTORY, INVOICES
from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_INSTANCE = REPO_ROOT / "dev" / "dagster.yaml"
HOLDER_RUN = "held-by-the-test"  # stands in for a writer already in the sheet
SHEET_STEP = INVOICES.sheet_asset


def _definitions() -> dg.Definitions:
    from smartbind_pipelines.definitions import defs

    return defs()


# Sheet assets that only read their sheet: the push process reads the rows marked "Facturar"
# (invoice_requests); its claims and write-backs happen in the pooled step that creates the invoices.
SHEET_READERS = {"invoice_requests"}


def test_every_sheet_writer_is_in_a_pool_of_its_own_and_nothing_else_is():
    definitions = _definitions()
    asset_job = definitions.resolve_implicit_global_asset_job_def()
    graph = definitions.resolve_asset_graph()
    steps: dict[str, tuple[str | None, set[str]]] = {}  # op name -> (pool, kinds of the assets it makes)
    for key in graph.get_all_asset_keys():
        assets_def = graph.assets_def_for_key(key)
        if not assets_def.is_executable:
            continue
        pool, kinds = steps.setdefault(assets_def.op.name, (assets_def.op.pool, set()))
        kinds.update(graph.get(key).kinds)
    pools = {}
    for op_name, (pool, kinds) in steps.items():
        if "smartsheet" in kinds and op_name not in SHEET_READERS:
            pools[op_name] = pool
        else:
            assert pool is None, op_name  # a Bind read (or a sheet read) never waits for a sheet's writer
    assert pools[INVOICES.sheet_asset] == INVOICES.pool == "smartsheet_sync_invoices"
    assert pools[INVENTORY.sheet_asset] == INVENTORY.pool == "smartsheet_sync_inventory"
    assert len(pools) >= 5  # invoices, inventory, the declared processes (clients, products), invoicing
    assert all(pools.values()) and len(set(pools.values())) == len(pools), pools

    # The step carries the pool in every job that can run it, the UI's untagged __ASSET_JOB included.
    for job in (
        asset_job,
        definitions.resolve_job_def(INVOICES.job_id),
        definitions.resolve_job_def("reconcile_invoices"),
    ):
        steps = {node.name: node.definition for node in job.graph.node_dict.values()}
        assert steps[INVOICES.sheet_asset].pool == INVOICES.pool, job.name


@pytest.fixture
def dev_home(tmp_path) -> Path:
    """A DAGSTER_HOME holding the `make dev` instance file (SQLite, one slot per pool)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEV_INSTANCE, home / "dagster.yaml")
    return home


@pytest.fixture
def dev_instance(dev_home):
    with dg.DagsterInstance.from_config(str(dev_home)) as instance:
        yield instance


def hold_slot(instance: dg.DagsterInstance, pool: str) -> None:
    """Take the pool's only slot as a running writer does (the limit is the instance's default)."""
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(pool)
    info = storage.get_concurrency_info(pool)
    assert info.slot_count == 1, "the instance must give each sheet's pool exactly one slot"
    assert storage.claim_concurrency_slot(pool, HOLDER_RUN, SHEET_STEP).is_claimed


def release_slot(instance: dg.DagsterInstance, pool: str) -> None:
    instance.event_log_storage.free_concurrency_slot_for_step(HOLDER_RUN, SHEET_STEP)


def wait_until_waiting(instance: dg.DagsterInstance, pool: str, writers: int, still_running) -> set[str]:
    """Block until `writers` runs have a pending claim on `pool`, or until a writer stopped without one."""
    while True:
        pending = instance.event_log_storage.get_concurrency_info(pool).pending_run_ids
        if len(pending) >= writers:
            return pending
        if not still_running():
            raise AssertionError(
                f"a writer finished without waiting for pool {pool} (pending claims: {sorted(pending)})"
            )
        time.sleep(0.05)


def sheet_step_spans(instance: dg.DagsterInstance, run_ids) -> list[tuple[float, float, str]]:
    """(when the sheet step started, when it ended, run id) per run, earliest first.

    The event stamps of separate processes on one machine order them: a writer frees its slot only after
    its step's end event, and the next one starts its step only after it claimed the slot.
    (Event storage ids cannot order them: the SQLite instance numbers each run's events on its own.)
    """
    spans = []
    for run_id in run_ids:
        entries = [r.event_log_entry for r in instance.get_records_for_run(run_id).records]
        sheet = [(e.timestamp, e.dagster_event_type) for e in entries if e.step_key == SHEET_STEP]
        start = [stamp for stamp, kind in sheet if kind == DagsterEventType.STEP_START]
        end = [stamp for stamp, kind in sheet if kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)]
        assert start and end, f"run {run_id} never ran {SHEET_STEP}"
        spans.append((start[0], end[-1], run_id))
    return sorted(spans)


def assert_one_after_the_other(spans: list[tuple[float, float, str]]) -> None:
    for (_, first_end, first), (second_start, _, second) in zip(spans, spans[1:]):
        assert second_start > first_end, f"{second}'s sheet step started while {first}'s was writing"


def test_a_run_executed_in_process_waits_for_the_sheet_slot(
    bind_emulator, smartsheet_emulator, process_config, dev_instance
):
    sync = InvoiceSync(bind_emulator, smartsheet_emulator, process_config, dev_instance)
    sync.create_sheet()
    today = now_cdmx().date()
    window = {"window_start": (today - timedelta(days=40)).isoformat(), "window_end": today.isoformat()}
    hold_slot(dev_instance, INVOICES.pool)

    results: list[dg.ExecuteInProcessResult] = []
    writer = threading.Thread(target=lambda: results.append(sync.run(window=window)))
    writer.start()
    try:
        (waiting,) = wait_until_waiting(dev_instance, INVOICES.pool, 1, writer.is_alive)
        assert sync.rows() == []  # nothing written while another writer holds the sheet
        started = dev_instance.get_records_for_run(waiting).records
        assert not [
            r
            for r in started
            if r.event_log_entry.step_key == SHEET_STEP
            and r.event_log_entry.dagster_event_type == DagsterEventType.STEP_START
        ]
    finally:
        release_slot(dev_instance, INVOICES.pool)
        writer.join()

    (result,) = results
    assert result.success and result.run_id == waiting
    uuids = sync.uuids()
    assert uuids and len(uuids) == len(set(uuids))
    # Its own slot is given back when the step ends: the pool is free for the next writer.
    assert dev_instance.event_log_storage.get_concurrency_info(INVOICES.pool).active_slot_count == 0


def _cli_env(dev_home: Path, bind, smartsheet, process_config) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("HOME", "LANG", "TMPDIR", "TZ") if name in os.environ}
    env.update(
        {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "DAGSTER_HOME": str(dev_home),
            "BIND_API_BASE_URL": bind.url,
            "BIND_API_KEY": bind.token,
            "SMARTSHEET_API_BASE": smartsheet.url,
            "SMARTSHEET_ACCESS_TOKEN": smartsheet.token,
            "SMARTBIND_DB_PATH": process_config.db_path,
            "SMARTBIND_PROCESSES_DIR": str(dev_home / "no-declarations"),
        }
    )
    return env


@pytest.mark.slow
def test_cli_writers_outside_the_queue_wait_for_each_other(
    tmp_path, dev_home, dev_instance, bind_emulator, smartsheet_emulator, process_config
):
    """`smartbind sync --local`, `dagster job execute` and `dagster asset materialize` (the UI's untagged
    __ASSET_JOB) on one sheet at once: all three wait while the sheet is held, then write one at a time."""
    sync = InvoiceSync(bind_emulator, smartsheet_emulator, process_config, dev_instance)
    sync.create_sheet()
    today = now_cdmx().date()
    start, end = (today - timedelta(days=40)).isoformat(), today.isoformat()
    config_file = tmp_path / "run_config.yaml"
    config_file.write_text(yaml.safe_dump(run_config(INVOICES, window_start=start, window_end=end, dry_run=False)))
    bin_dir = Path(sys.executable).parent
    commands = {
        "smartbind sync --local": [
            str(bin_dir / "smartbind"),
            "sync",
            INVOICES.job_id,
            "--local",
            "--from",
            start,
            "--to",
            end,
        ],
        "dagster job execute": [
            str(bin_dir / "dagster"),
            "job",
            "execute",
            "-m",
            "smartbind_pipelines.definitions",
            "-j",
            INVOICES.job_id,
            "-c",
            str(config_file),
        ],
        "dagster asset materialize": [
            str(bin_dir / "dagster"),
            "asset",
            "materialize",
            "-m",
            "smartbind_pipelines.definitions",
            "--select",
            f"{INVOICES.source_asset},{INVOICES.sheet_asset}",
            "-c",
            str(config_file),
        ],
    }
    env = _cli_env(dev_home, bind_emulator, smartsheet_emulator, process_config)
    hold_slot(dev_instance, INVOICES.pool)
    processes = {
        name: subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, argv in commands.items()
    }
    try:
        waiting = wait_until_waiting(
            dev_instance, INVOICES.pool, len(processes), lambda: all(p.poll() is None for p in processes.values())
        )
        assert sync.rows() == []
    finally:
        release_slot(dev_instance, INVOICES.pool)
        outputs = {name: process.communicate()[0] for name, process in processes.items()}
    for name, process in processes.items():
        assert process.returncode == 0, f"{name}:\n{outputs[name][-3000:]}"

    assert_one_after_the_other(sheet_step_spans(dev_instance, waiting))
    uuids = sync.uuids()
    stamped = {invoice["UUID"] for invoice in bind_emulator.state.list_invoices() if invoice["UUID"]}
    assert sorted(uuids) == sorted(stamped)  # each invoice once: the later writers found it written
    untagged = [dev_instance.get_run_by_id(run_id) for run_id in waiting]
    assert any(run.job_name == "__ASSET_JOB" and "process" not in run.tags for run in untagged)
