"""sync_invoices_sensor through Dagster: build_sensor_context on a real (ephemeral) instance."""

import uuid
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._utils.tags import TagConcurrencyLimitsCounter

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.defs.invoices import sync_invoices_sensor
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def process_config(tmp_path):
    resource = ProcessConfigResource(db_path=str(tmp_path / "processes.db"))
    resource.store().update(
        "sync_invoices", {"smartsheet_sheet_id": "1234567890123", "interval_minutes": 5, "is_active": True}, via="test"
    )
    return resource


def tick(instance, process_config, *, minutes_from_now: float = 0):
    clock = ClockResource(frozen_at=(now_cdmx() + timedelta(minutes=minutes_from_now)).isoformat())
    # As a context manager: the context then releases what evaluating the sensor set up on the instance.
    # No run has recorded a followed set on these instances, so the sensor never reaches Bind (test_changes.py does).
    unreachable = BindResource(api_key="not-used", base_url="http://127.0.0.1:9/api", max_attempts=1)
    resources = {"process_config": process_config, "clock": clock, "bind": unreachable}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        return sync_invoices_sensor(context)


def add_run(instance, status: dg.DagsterRunStatus, job_name: str = "sync_invoices", **tags) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(job_name=job_name, run_id=run_id, status=status, tags={"process": "sync_invoices", **tags})
    )
    return run_id


def test_sensor_is_on_by_default_and_ticks_every_30_seconds():
    assert sync_invoices_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sync_invoices_sensor.minimum_interval_seconds == 30
    assert sync_invoices_sensor.job_name == "sync_invoices"


def test_first_tick_requests_a_run_tagged_with_sheet_and_interval(instance, process_config):
    request = tick(instance, process_config)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["smartsheet_sheet_id"] == "1234567890123"
    assert request.tags["interval_minutes"] == "5"


def test_paused_process_skips_with_its_reason(instance, process_config):
    process_config.store().update("sync_invoices", {"is_active": False}, via="test")
    skip = tick(instance, process_config)
    assert isinstance(skip, dg.SkipReason)
    assert "paused in ProcessConfig" in skip.skip_message


def test_a_queued_or_running_run_blocks_the_next_request(instance, process_config):
    # (QUEUED needs a code-location origin to store; the pure tests cover it.)
    for status in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED):
        run_id = add_run(instance, status)
        skip = tick(instance, process_config, minutes_from_now=60)
        assert isinstance(skip, dg.SkipReason), status
        assert f"{run_id[:8]} is still {status.value}" in skip.skip_message
        instance.delete_run(run_id)


def test_a_running_reconcile_also_blocks_the_sync(instance, process_config):
    add_run(instance, dg.DagsterRunStatus.STARTED, job_name="reconcile_invoices")
    skip = tick(instance, process_config, minutes_from_now=60)
    assert "reconcile_invoices run" in skip.skip_message


def test_not_due_then_a_shorter_interval_applies_at_the_next_tick(instance, process_config):
    add_run(instance, dg.DagsterRunStatus.SUCCESS)  # e.g. launched by hand from the UI
    skip = tick(instance, process_config, minutes_from_now=3)
    assert isinstance(skip, dg.SkipReason) and "not due" in skip.skip_message and "every 5 min" in skip.skip_message

    process_config.store().update("sync_invoices", {"interval_minutes": 2}, via="test")
    request = tick(instance, process_config, minutes_from_now=3)
    assert isinstance(request, dg.RunRequest) and request.tags["interval_minutes"] == "2"


def test_a_changed_sheet_id_is_in_the_next_request(instance, process_config):
    process_config.store().update("sync_invoices", {"smartsheet_sheet_id": "999888777"}, via="test")
    assert tick(instance, process_config).tags["smartsheet_sheet_id"] == "999888777"


def test_dry_runs_do_not_reset_the_cadence(instance, process_config):
    add_run(instance, dg.DagsterRunStatus.SUCCESS, **{"smartbind/dry_run": "true"})
    assert isinstance(tick(instance, process_config), dg.RunRequest)


@pytest.mark.parametrize("instance_yaml", ["dagster.yaml", "dev/dagster.yaml"])
def test_the_run_queue_never_starts_a_second_run_of_the_process(instance_yaml):
    """Two runs requested at once (sensor + a manual launch): the queue holds the second."""
    limits = yaml.safe_load((REPO / instance_yaml).read_text())["concurrency"]["runs"]["tag_concurrency_limits"]
    running = dg.DagsterRun(job_name="sync_invoices", run_id=str(uuid.uuid4()), tags={"process": "sync_invoices"})
    queued_sync = dg.DagsterRun(job_name="sync_invoices", run_id=str(uuid.uuid4()), tags={"process": "sync_invoices"})
    queued_reconcile = dg.DagsterRun(
        job_name="reconcile_invoices", run_id=str(uuid.uuid4()), tags={"process": "sync_invoices"}
    )
    other_process = dg.DagsterRun(
        job_name="sync_inventory", run_id=str(uuid.uuid4()), tags={"process": "sync_inventory"}
    )
    counter = TagConcurrencyLimitsCounter(limits, [running])
    assert counter.is_blocked(queued_sync) and counter.is_blocked(queued_reconcile)
    assert not counter.is_blocked(other_process)
    assert not TagConcurrencyLimitsCounter(limits, []).is_blocked(queued_sync)


# -- issue 14: an unusable ProcessConfig file, a deleted row, a run stuck in NOT_STARTED ----------------------


def test_a_corrupt_process_config_file_skips_naming_the_file(instance, process_config):
    path = Path(process_config.db_path)
    path.write_bytes(b"not a database " * 400)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    skip = tick(instance, process_config)
    assert isinstance(skip, dg.SkipReason)
    assert str(path) in skip.skip_message and "not a readable SQLite database" in skip.skip_message


def test_a_locked_process_config_file_skips_naming_the_file(instance, process_config, monkeypatch):
    import sqlite3

    from smartbind_pipelines.core.process_config import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(process_config.db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE process_configs SET name = name")
    try:
        skip = tick(instance, process_config)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert isinstance(skip, dg.SkipReason)
    assert process_config.db_path in skip.skip_message and "locked" in skip.skip_message
    assert isinstance(tick(instance, process_config), dg.RunRequest)  # and it recovers by itself


def test_a_deleted_paused_row_stays_stopped_and_says_how_to_restore(instance, process_config):
    import sqlite3

    process_config.store().update("sync_invoices", {"is_active": False}, via="test")
    with sqlite3.connect(process_config.db_path) as conn:
        conn.execute("DELETE FROM process_configs WHERE job_id = 'sync_invoices'")
    conn.close()
    for _ in range(2):  # the first tick (re)opens the store; the second must not find it re-seeded either
        skip = tick(instance, process_config, minutes_from_now=60)
        assert isinstance(skip, dg.SkipReason)
        assert "no ProcessConfig row" in skip.skip_message
        assert "smartbind config restore sync_invoices" in skip.skip_message


def test_a_run_stuck_in_not_started_names_the_run_and_the_command_that_clears_it(tmp_path, process_config):
    """The printed command is run for real (Dagster's own CLI, against this instance) and unblocks the sensor."""
    import os
    import re
    import subprocess
    import sys

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        stuck = add_run(instance, dg.DagsterRunStatus.NOT_STARTED)
        skip = tick(instance, process_config, minutes_from_now=60)
        assert isinstance(skip, dg.SkipReason)
        assert stuck in skip.skip_message  # the whole id, so it can be pasted
        command = re.search(r"`(dagster run delete [^`]+)`", skip.skip_message).group(1)
        assert command == f"dagster run delete --force {stuck}"
        dagster = Path(sys.executable).parent / "dagster"
        completed = subprocess.run(
            [str(dagster), *command.split()[1:]],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert instance.get_run_by_id(stuck) is None
        assert isinstance(tick(instance, process_config, minutes_from_now=60), dg.RunRequest)
