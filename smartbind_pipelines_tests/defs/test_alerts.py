"""The run-failure sensor: failures recorded, posted to a real webhook over HTTP, streaks called out."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

import dagster as dg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.failure_alerts import (
    FailureLog,
    RunFailure,
    alert_message,
    consecutive_failures,
    failure_log_path,
    run_url,
    short_error,
)
from smartbind_pipelines.defs.alerts import (
    ALERT_TAG,
    CONSECUTIVE_FAILURES_TAG,
    RESOURCE_KEY,
    FailureAlertsResource,
    failure_alerts_resource_from_env,
    run_failure_alerts,
)
from smartbind_pipelines.sandbox.server import BackgroundServer


class Webhook:
    """A chat webhook on loopback that keeps what it receives and answers with `status`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        self._lock = threading.Lock()

        async def receive(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                self.received.append(body)
            return JSONResponse({"ok": self.status < 300}, status_code=self.status)

        self.server = BackgroundServer(Starlette(routes=[Route("/hooks/alerts", receive, methods=["POST"])]))

    @property
    def url(self) -> str:
        return f"{self.server.url}/hooks/alerts"


@pytest.fixture
def webhook():
    hook = Webhook()
    with hook.server:
        yield hook


@dg.op(config_schema={"fail": bool})
def pull_invoices(context) -> None:
    if context.op_config["fail"]:
        raise RuntimeError("Bind GET /Invoices answered HTTP 503 after 6 attempts")


@dg.job(name="sync_invoices")
def flaky_sync() -> None:
    pull_invoices()


def run_once(instance: dg.DagsterInstance, *, fail: bool) -> dg.ExecuteInProcessResult:
    return flaky_sync.execute_in_process(
        instance=instance, raise_on_error=False, run_config={"ops": {"pull_invoices": {"config": {"fail": fail}}}}
    )


def evaluate_sensor(
    instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, resource: FailureAlertsResource
) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={RESOURCE_KEY: resource},
    ).for_run_failure()
    run_failure_alerts(context)


def test_each_failure_is_posted_with_process_error_and_run_link_and_the_third_in_a_row_is_loud(tmp_path, webhook):
    resource = FailureAlertsResource(
        log_path=str(tmp_path / "alerts.db"),
        webhook_url=webhook.url,
        dagster_url="https://dagster.example.mx/",
        alert_after_failures=3,
    )
    with dg.instance_for_test() as instance:
        failed_runs = []
        for _ in range(3):
            result = run_once(instance, fail=True)
            assert not result.success
            evaluate_sensor(instance, result, resource)
            failed_runs.append(result.run_id)

    first, second, third = webhook.received
    assert first["process"] == "sync_invoices"
    assert first["run_id"] == failed_runs[0]
    assert first["error"] == "pull_invoices: RuntimeError: Bind GET /Invoices answered HTTP 503 after 6 attempts"
    assert first["run_url"] == f"https://dagster.example.mx/runs/{failed_runs[0]}"
    assert first["run_url"] in first["text"]
    assert [m["consecutive_failures"] for m in webhook.received] == [1, 2, 3]
    assert [m["repeated_failure"] for m in webhook.received] == [False, False, True]
    assert "3 times in a row" in third["text"] and "in a row" not in second["text"]

    log = FailureLog(tmp_path / "alerts.db").recent()
    assert {row["run_id"] for row in log} == set(failed_runs)
    assert {row["alert_status"] for row in log} == {"sent"}
    assert sorted(row["repeated"] for row in log) == [0, 0, 1]


def test_the_streak_is_tagged_on_the_failed_runs_where_the_ui_shows_it(tmp_path):
    resource = FailureAlertsResource(log_path=str(tmp_path / "alerts.db"), alert_after_failures=3)
    with dg.instance_for_test() as instance:
        failed = []
        for _ in range(3):
            result = run_once(instance, fail=True)
            evaluate_sensor(instance, result, resource)
            failed.append(instance.get_run_by_id(result.run_id).tags)
        alerted = instance.get_runs(dg.RunsFilter(tags={ALERT_TAG: "sync_invoices failed 3 times in a row"}))

    assert [tags[CONSECUTIVE_FAILURES_TAG] for tags in failed] == ["1", "2", "3"]
    assert [ALERT_TAG in tags for tags in failed] == [False, False, True]
    assert [run.run_id for run in alerted] == [result.run_id]


def test_a_success_ends_the_streak(tmp_path, webhook):
    resource = FailureAlertsResource(
        log_path=str(tmp_path / "alerts.db"), webhook_url=webhook.url, alert_after_failures=2
    )
    with dg.instance_for_test() as instance:
        evaluate_sensor(instance, run_once(instance, fail=True), resource)
        assert run_once(instance, fail=False).success
        evaluate_sensor(instance, run_once(instance, fail=True), resource)
        evaluate_sensor(instance, run_once(instance, fail=True), resource)

    assert [m["consecutive_failures"] for m in webhook.received] == [1, 1, 2]
    assert [m["repeated_failure"] for m in webhook.received] == [False, False, True]
    assert webhook.received[0]["run_url"] is None  # no SMARTBIND_DAGSTER_URL: no link rather than a wrong one


def test_a_refusing_webhook_neither_breaks_the_sensor_nor_loses_the_record(tmp_path, webhook):
    webhook.status = 500
    resource = FailureAlertsResource(log_path=str(tmp_path / "alerts.db"), webhook_url=webhook.url)
    with dg.instance_for_test() as instance:
        result = run_once(instance, fail=True)
        evaluate_sensor(instance, result, resource)

    assert len(webhook.received) == 1
    (row,) = FailureLog(tmp_path / "alerts.db").recent(process="sync_invoices")
    assert row["run_id"] == result.run_id
    assert row["alert_status"] == "failed: alert webhook answered HTTP 500"
    assert webhook.url not in row["alert_status"]


def test_without_a_webhook_failures_are_still_recorded(tmp_path):
    resource = FailureAlertsResource(log_path=str(tmp_path / "data" / "alerts.db"))
    with dg.instance_for_test() as instance:
        result = run_once(instance, fail=True)
        evaluate_sensor(instance, result, resource)

    (row,) = FailureLog(tmp_path / "data" / "alerts.db").recent()
    assert (row["process"], row["run_id"], row["alert_status"]) == ("sync_invoices", result.run_id, "not_configured")
    assert "HTTP 503" in row["error"]
    assert datetime.fromisoformat(row["failed_at"]).utcoffset() == datetime.now(CDMX).utcoffset()


def test_resource_from_environment(tmp_path):
    env = {
        "SMARTBIND_DB_PATH": str(tmp_path / "vol" / "processes.db"),
        "SMARTBIND_ALERT_WEBHOOK_URL": "https://hooks.example.com/T000/secret",
        "SMARTBIND_DAGSTER_URL": "http://dagster.internal:3000",
        "SMARTBIND_ALERT_AFTER_FAILURES": "5",
    }
    resource = failure_alerts_resource_from_env(env)
    assert resource.log_path == str(tmp_path / "vol" / "alerts.db")
    assert resource.alert_after_failures == 5
    assert resource.dagster_url == "http://dagster.internal:3000"
    assert isinstance(resource.webhook_url, dg.EnvVar)  # the UI shows the variable name, not the secret
    assert not (tmp_path / "vol").exists()  # loading the code location writes nothing

    bare = failure_alerts_resource_from_env({"SMARTBIND_DB_PATH": str(tmp_path / "processes.db")})
    assert (bare.webhook_url, bare.dagster_url, bare.alert_after_failures) == (None, None, 3)


@pytest.mark.parametrize(
    "raw",
    ["three", "0", "-2", "2.5", "1" + "0" * 5000, "³"],
    ids=["word", "zero", "negative", "decimal", "5001-digits", "superscript"],
)
def test_a_bad_alert_threshold_falls_back_to_the_default_with_a_warning(tmp_path, caplog, raw):
    """Issue 14: a typo in SMARTBIND_ALERT_AFTER_FAILURES must not take the code location down."""
    caplog.set_level(logging.WARNING)
    resource = failure_alerts_resource_from_env(
        {"SMARTBIND_DB_PATH": str(tmp_path / "processes.db"), "SMARTBIND_ALERT_AFTER_FAILURES": raw}
    )
    assert resource.alert_after_failures == 3
    assert "SMARTBIND_ALERT_AFTER_FAILURES" in caplog.text and repr(raw[:20])[:-1] in caplog.text


def test_the_code_location_loads_with_a_bad_alert_threshold(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SMARTBIND_ALERT_AFTER_FAILURES": "three", "SMARTBIND_DB_PATH": str(tmp_path / "p.db")}
    script = (
        "from smartbind_pipelines.definitions import defs; print(defs().resolve_sensor_def('run_failure_alerts').name)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().endswith("run_failure_alerts")
    assert "SMARTBIND_ALERT_AFTER_FAILURES" in completed.stderr and "'three'" in completed.stderr


def test_the_code_location_registers_the_sensor_running_by_default():
    from smartbind_pipelines.definitions import defs

    sensor = defs().resolve_sensor_def("run_failure_alerts")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.parametrize(
    ("history", "expected"),
    [([], 0), (["SUCCESS", "FAILURE"], 0), (["FAILURE"], 1), (["FAILURE", "FAILURE", "SUCCESS", "FAILURE"], 2)],
)
def test_consecutive_failures_counts_the_leading_streak(history, expected):
    assert consecutive_failures(history) == expected


def test_short_error_keeps_the_first_line_and_bounds_the_length():
    assert short_error("\n  Bind 503 on GET /Invoices\nTraceback ...") == "Bind 503 on GET /Invoices"
    assert short_error(None) == "no error message recorded"
    assert len(short_error("x" * 5000)) == 500


def test_message_is_plain_json_with_link_only_when_known():
    failure = RunFailure("sync_inventory", "abc-123", "boom", datetime(2026, 11, 27, 9, 30, tzinfo=CDMX), 4)
    message = alert_message(failure, link=run_url("http://h:3000/", "abc-123"), alert_after_failures=3)
    assert json.loads(json.dumps(message)) == message
    assert message["run_url"] == "http://h:3000/runs/abc-123"
    assert message["repeated_failure"] is True and "4 times in a row" in message["text"]
    assert message["failed_at"] == "2026-11-27T09:30:00-06:00"
    assert run_url(None, "abc-123") is None
    assert failure_log_path("/app/data/processes.db").as_posix() == "/app/data/alerts.db"
