"""dagster.yaml loads against a real PostgreSQL server with the rules it promises; dev/dagster.yaml keeps
the same queue rules on SQLite."""

from __future__ import annotations

import logging
import re
import shutil

import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.config import PoolGranularity
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.test_utils import create_run_for_test
from dagster._daemon.monitoring import run_monitoring
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines_tests.deploy.stack import COMPOSE_FILE, PRODUCTION_INSTANCE, REPO_ROOT

DEV_INSTANCE = REPO_ROOT / "dev" / "dagster.yaml"


def test_production_instance_runs_on_postgres_with_one_run_per_process(tmp_path, monkeypatch, postgres_database):
    shutil.copyfile(PRODUCTION_INSTANCE, tmp_path / "dagster.yaml")
    for name, value in postgres_database.dagster_env().items():
        monkeypatch.setenv(name, value)

    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_runs() == []  # tables created and readable in the fresh database

        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "process", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
        assert_one_writer_per_sheet(instance)

    with postgres_database.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('runs', 'event_logs')")
        assert cur.fetchone() == (2,)
        cur.execute("SHOW server_version_num")
        server_major = int(cur.fetchone()[0]) // 10000
    # Compose deploys the PostgreSQL major version these tests ran against.
    compose_image = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["postgres"]["image"]
    assert re.fullmatch(rf"postgres:{server_major}(\.\d+)?(-\w+)?", compose_image), compose_image


def test_dev_instance_is_sqlite_with_the_production_queue_rules(tmp_path, monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"):
        monkeypatch.delenv(name, raising=False)  # the dev instance must not need them
    shutil.copyfile(DEV_INSTANCE, tmp_path / "dagster.yaml")

    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_runs() == []

        assert_one_writer_per_sheet(instance)

    production = yaml.safe_load(PRODUCTION_INSTANCE.read_text())
    dev = yaml.safe_load(DEV_INSTANCE.read_text())
    assert dev["concurrency"] == production["concurrency"]
    assert dev["run_coordinator"] == production["run_coordinator"]
    assert dev["run_monitoring"] == production["run_monitoring"]


def assert_one_writer_per_sheet(instance: DagsterInstance) -> None:
    """Every pool (one per sheet) has one slot, claimed by the step itself: a second writer is refused it."""
    pools = instance.get_concurrency_config().pool_config
    assert pools.default_pool_limit == 1
    assert pools.pool_granularity == PoolGranularity.OP  # "run" would leave CLI-executed runs unguarded
    storage = instance.event_log_storage
    assert storage.supports_global_concurrency_limits
    storage.initialize_concurrency_limit_to_default(INVOICES.pool)
    assert storage.claim_concurrency_slot(INVOICES.pool, "first-writer", INVOICES.sheet_asset).is_claimed
    assert not storage.claim_concurrency_slot(INVOICES.pool, "second-writer", INVOICES.sheet_asset).is_claimed
    storage.free_concurrency_slot_for_step("first-writer", INVOICES.sheet_asset)
    assert storage.claim_concurrency_slot(INVOICES.pool, "second-writer", INVOICES.sheet_asset).is_claimed
    storage.free_concurrency_slots_for_run("second-writer")


def test_dev_instance_fails_a_run_stuck_in_not_started_as_production_does(tmp_path, monkeypatch):
    """A run launched with an empty --run-id stays NOT_STARTED and blocks its process's sensor: the `make dev`
    instance's run monitoring fails it once start_timeout_seconds have passed (the clock is moved, not waited)."""
    shutil.copyfile(DEV_INSTANCE, tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        timeout = instance.run_monitoring_start_timeout_seconds
        assert timeout == yaml.safe_load(PRODUCTION_INSTANCE.read_text())["run_monitoring"]["start_timeout_seconds"]
        stuck = create_run_for_test(
            instance, job_name=INVOICES.job_id, run_id="", status=DagsterRunStatus.NOT_STARTED, tags=INVOICES.run_tags
        )
        (record,) = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.NOT_STARTED]))
        assert record.dagster_run.run_id == stuck.run_id == ""
        created = record.create_timestamp.timestamp()

        monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: created + timeout - 1)
        run_monitoring.monitor_starting_run(instance, record, logging.getLogger(__name__))
        assert status_of_the_only_run(instance) == DagsterRunStatus.NOT_STARTED  # not yet

        monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: created + timeout)
        run_monitoring.monitor_starting_run(instance, record, logging.getLogger(__name__))
        assert status_of_the_only_run(instance) == DagsterRunStatus.FAILURE


def status_of_the_only_run(instance: DagsterInstance) -> DagsterRunStatus:
    (run,) = instance.get_runs()  # get_run_by_id("") answers None: an empty id is looked up as no id
    return run.status
