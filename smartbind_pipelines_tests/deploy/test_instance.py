"""dagster.yaml loads against a real PostgreSQL server with the rules it promises; dev/dagster.yaml keeps
the same queue rules on SQLite."""

from __future__ import annotations

import re
import shutil

import yaml
from dagster import DagsterInstance
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

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

    production = yaml.safe_load(PRODUCTION_INSTANCE.read_text())
    dev = yaml.safe_load(DEV_INSTANCE.read_text())
    assert dev["concurrency"] == production["concurrency"]
    assert dev["run_coordinator"] == production["run_coordinator"]
