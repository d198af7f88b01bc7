"""What docker-compose runs, run as plain processes: a real PostgreSQL server, the gRPC code server, the
daemon and the webserver on the production dagster.yaml; runs queued with `dagster job launch` and
followed through the GraphQL API."""

from __future__ import annotations

import pytest
from dagster import DagsterRunStatus

from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines_tests.deploy.local_stack import start_local_stack

pytestmark = pytest.mark.slow

# Unreachable on purpose: this run must not need Bind or Smartsheet.
OFFLINE_PIPELINE_ENV = {
    "BIND_API_BASE_URL": "http://127.0.0.1:9/api",
    "BIND_API_KEY": "unused",
    "SMARTSHEET_API_BASE": "http://127.0.0.1:9/2.0",
    "SMARTSHEET_ACCESS_TOKEN": "unused",
}


def test_update_process_config_runs_through_queue_daemon_and_code_server(tmp_path, postgres_database):
    with start_local_stack(tmp_path, postgres_database, OFFLINE_PIPELINE_ENV) as stack:
        run_id = stack.launch("update_process_config", {
            "ops": {"apply_process_config_change": {"config": {"job_id": "sync_invoices", "interval_minutes": 7}}}
        })
        status = stack.wait_for_run(run_id)
        assert status == DagsterRunStatus.SUCCESS, stack.group.all_logs()

        # The run executed where compose runs it: the code server, writing the database on the data volume.
        assert ProcessConfigStore(stack.placement.process_config_db).get("sync_invoices").interval_minutes == 7
        # The admin API reads that same file.
        assert stack.admin_api("/api/admin/process-configs/sync_invoices")["config"]["interval_minutes"] == 7
        # ...and Dagster kept it in PostgreSQL, not in a SQLite file under DAGSTER_HOME.
        with postgres_database.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,))
            assert cur.fetchone() == ("SUCCESS",)
