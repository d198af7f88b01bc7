"""What docker-compose runs, run as plain processes: a real PostgreSQL server, the gRPC code server, the
daemon, the webserver and the admin API on the production dagster.yaml, against the sandbox emulators.
Runs are queued with `dagster job launch` and followed through the GraphQL API."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
import requests
from dagster import DagsterRunStatus

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.sandbox.runner import Sandbox
from smartbind_pipelines.sandbox.sheets import INVOICES_SHEET_ID
from smartbind_pipelines_tests.deploy.local_stack import process_env, start_local_stack
from smartbind_pipelines_tests.deploy.stack import guide_commands

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox():
    with Sandbox(invoices=60) as box:
        yield box


def test_sync_invoices_runs_through_queue_daemon_and_code_server_on_postgres(tmp_path, postgres_database, sandbox):
    with start_local_stack(tmp_path, postgres_database, sandbox.env(), paused=("sync_inventory",)) as stack:
        # Every demo invoice is dated within the last 30 days: this window covers them all.
        today = now_cdmx().date()
        sync_run, config_run = stack.launch(
            (
                "sync_invoices",
                {
                    "ops": {
                        "bind_invoices": {
                            "config": {
                                "window_start": (today - timedelta(days=40)).isoformat(),
                                "window_end": today.isoformat(),
                            }
                        }
                    }
                },
            ),
            (
                "update_process_config",
                {
                    "ops": {
                        "apply_process_config_change": {"config": {"job_id": "sync_invoices", "interval_minutes": 7}}
                    }
                },
            ),
        )
        stack.start_daemon()  # queued runs only start once the daemon is up

        assert stack.wait_for_run(sync_run) == DagsterRunStatus.SUCCESS, stack.group.all_logs()
        assert stack.wait_for_run(config_run) == DagsterRunStatus.SUCCESS, stack.group.all_logs()

        # What a user sees: every stamped Bind invoice is a row of the sandbox sheet, keyed by UUID.
        stamped = {invoice["UUID"] for invoice in sandbox.bind_state.list_invoices() if invoice["UUID"]}
        rows = sandbox.smartsheet_state.rows_as_dicts(INVOICES_SHEET_ID)
        assert stamped and {row["cells"]["UUID"] for row in rows} == stamped
        assert len(rows) == len(stamped)

        # The runs executed where compose runs them: in the code server, on the data volume's database,
        # which the admin API reads too...
        assert ProcessConfigStore(stack.placement.process_config_db).get("sync_invoices").interval_minutes == 7
        assert stack.admin_api("/api/admin/process-configs/sync_invoices")["config"]["interval_minutes"] == 7
        # ...and Dagster kept them in PostgreSQL, not in SQLite files under DAGSTER_HOME.
        conn = postgres_database.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT run_id, status FROM runs WHERE run_id IN (%s, %s)", (sync_run, config_run))
                assert dict(cur.fetchall()) == {sync_run: "SUCCESS", config_run: "SUCCESS"}
        finally:
            conn.close()


def test_the_operations_guide_commands_work_as_written(tmp_path, postgres_database, sandbox):
    """Every `docker compose exec|run --rm webserver|admin_api ...` line of the operator's guides (docs/going-live.md,
    docs/operations.md), run in that
    service's environment and working directory (the image's WORKDIR is DAGSTER_HOME)."""
    commands = guide_commands(("webserver", "admin_api"))
    assert len(commands) >= 10, "the guide lost its commands?"
    with start_local_stack(tmp_path, postgres_database, sandbox.env()) as stack:
        for service, command in commands:
            env = {**process_env(service, stack.values), "USER": "guide-test"}  # $USER expands on the host
            result = subprocess.run(
                ["bash", "-c", command],
                env=env,
                cwd=stack.placement.dagster_home,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert result.returncode == 0, f"{service}: {command}\n{result.stdout}\n{result.stderr}"

        config = ProcessConfigStore(stack.placement.process_config_db).get("sync_invoices")
        assert (config.is_active, config.interval_minutes) == (True, 10)  # the guide's last word on each
        query = 'query { runsOrError(filter: {pipelineName: "sync_invoices"}) { ... on Runs { results { status } } } }'
        response = requests.post(f"{stack.webserver_url}/graphql", json={"query": query}, timeout=30)
        statuses = [run["status"] for run in response.json()["data"]["runsOrError"]["results"]]
        # going live's first real sync (`smartbind sync` in webserver), "run now" and the backfill, waiting
        # for the daemon
        assert statuses == ["QUEUED", "QUEUED", "QUEUED"]
