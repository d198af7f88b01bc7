"""The old middleware's admin doors (issue 18) over HTTP.

Most tests run against a real stack: a real `smartbind admin-api` process, a real Dagster webserver and a
real instance (SQLite, dev/dagster.yaml's queued run coordinator) in a temporary DAGSTER_HOME. No daemon
runs, so a submitted run stays QUEUED where the test can see it. The doors that only write ProcessConfig
(operating hours) and the 503 without DAGSTER_HOME run against the app in this process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import requests
from dagster._core.instance.ref import InstanceRef

from smartbind_pipelines.api import create_app
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines.defs.process_config import ProcessConfigResource, update_process_config
from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines_tests.core.process_config.cases import snapshot

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "doors-token-18"
STARTUP_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} process exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    # Each server was started in its own session: its group holds it and the code server it spawned.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("doors_home")
    shutil.copy(REPO_ROOT / "dev" / "dagster.yaml", home / "dagster.yaml")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BIND_", "SMARTSHEET_", "SMARTBIND_", "DAGSTER_"))
    }
    ui_port, api_port = _free_port(), _free_port()
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DAGSTER_HOME=str(home),
        SMARTBIND_DB_PATH=str(home / "processes.db"),
        SMARTBIND_DAGSTER_URL=f"http://127.0.0.1:{ui_port}",
        # The webserver's code location validates a run's resources: values, never used (no daemon).
        BIND_API_KEY="unused-key",
        BIND_API_BASE_URL="http://127.0.0.1:9/api",
        SMARTSHEET_ACCESS_TOKEN="unused-token",
        SMARTSHEET_API_BASE="http://127.0.0.1:9/2.0",
    )
    processes = []
    try:
        # Storage created once, before two processes race to create it (as dev.sh does).
        subprocess.run(
            [str(BIN / "python"), "-c", "import dagster; dagster.DagsterInstance.get().dispose()"],
            env=env,
            cwd=REPO_ROOT,
            check=True,
        )
        web_log = home / "webserver.log"
        with open(web_log, "wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(ui_port)],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        api_log = home / "admin-api.log"
        with open(api_log, "wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(BIN / "smartbind"), "admin-api", "--host", "127.0.0.1", "--port", str(api_port)],
                    cwd=REPO_ROOT,
                    env={**env, "SMARTBIND_ADMIN_TOKEN": TOKEN},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait(f"http://127.0.0.1:{ui_port}/server_info", processes[0], web_log)
        _wait(f"http://127.0.0.1:{api_port}/healthz", processes[1], api_log)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        session.base_url = f"http://127.0.0.1:{api_port}"
        session.ui_url = f"http://127.0.0.1:{ui_port}"
        session.home = home
        yield session
    finally:
        for process in processes:
            _stop(process)


@pytest.fixture(scope="module")
def instance(stack):
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(stack.home))) as opened:
        yield opened


def _store(stack) -> ProcessConfigStore:
    return ProcessConfigStore(stack.home / "processes.db", env={})


def _get(stack, path, **kwargs):
    return stack.get(stack.base_url + path, timeout=30, **kwargs)


def test_every_old_path_needs_the_token_and_answers_json(stack):
    for method, path in [
        ("GET", "/api/admin/jobs"),
        ("POST", "/api/admin/jobs/sync_invoices/run"),
        ("POST", "/api/admin/jobs/sync_invoices/pause"),
        ("GET", "/api/admin/history"),
        ("PUT", "/api/admin/jobs/sync_invoices/interval?minutes=5"),
        ("GET", "/api/admin/stats"),
    ]:
        response = requests.request(method, stack.base_url + path, timeout=30)
        assert response.status_code == 401, path
        assert response.json()["success"] is False
    # The scheme word in any case (RFC 7235), as the rest of the API.
    response = requests.get(
        stack.base_url + "/api/admin/jobs", headers={"Authorization": f"bEaReR {TOKEN}"}, timeout=30
    )
    assert response.status_code == 200
    assert _store(stack).get("sync_invoices").is_active  # the refused pause changed nothing


def test_job_list_has_the_old_shape_with_status_interval_and_sheet(stack):
    body = _get(stack, "/api/admin/jobs").json()
    assert body["success"] is True
    jobs = {job["id"]: job for job in body["jobs"]}
    stored = {config.job_id: config for config in _store(stack).list()}
    assert set(jobs) == set(stored)
    invoices = jobs["sync_invoices"]
    assert set(invoices) >= {
        "id",
        "name",
        "company_id",
        "base_type",
        "description",
        "source",
        "sheet_id",
        "next_run",
        "trigger",
        "pending",
        "last_run",
        "status",
        "interval_minutes",
    }
    assert invoices["sheet_id"] == stored["sync_invoices"].smartsheet_sheet_id
    assert invoices["trigger"]["interval_minutes"] == stored["sync_invoices"].interval_minutes
    assert invoices["links"]["sensor"] == (
        f"{stack.ui_url}/locations/__repository__@smartbind/sensors/sync_invoices_sensor"
    )


def test_run_now_submits_a_queued_run_to_the_instance_one_writer_per_sheet(stack, instance):
    first = stack.post(stack.base_url + "/api/admin/jobs/sync_invoices/run", timeout=120, headers={"X-Actor": "ana"})
    assert first.status_code == 200, first.text
    body = first.json()
    run = instance.get_run_by_id(body["run_id"])
    assert run is not None and run.job_name == "sync_invoices"
    assert run.status == dg.DagsterRunStatus.QUEUED  # no daemon here: it waits in the queue
    assert run.tags["process"] == "sync_invoices"  # the run queue's one-run-per-process limit applies
    assert run.tags["trigger"] == "admin-api" and run.tags["smartbind/actor"] == "ana"
    assert body["url"] == f"{stack.ui_url}/runs/{body['run_id']}"

    second = stack.post(stack.base_url + "/api/admin/jobs/sync_invoices/run", timeout=120).json()
    assert body["run_id"] in second["queued_behind"]

    listed = {job["id"]: job for job in _get(stack, "/api/admin/jobs").json()["jobs"]}["sync_invoices"]
    assert listed["pending"] is True
    assert listed["last_run"]["run_id"] == second["run_id"]
    assert listed["status"] == "queued"

    history = _get(stack, "/api/admin/history?limit=1000").json()["history"]
    run_ids = [entry["details"].get("run_id") for entry in history]
    assert second["run_id"] in run_ids and body["run_id"] in run_ids
    assert run_ids.index(second["run_id"]) < run_ids.index(body["run_id"])  # newest first


def test_run_now_of_an_unknown_process_is_a_json_404(stack, instance):
    before = instance.get_runs_count()
    response = stack.post(stack.base_url + "/api/admin/jobs/sync_nothing/run", timeout=30)
    assert response.status_code == 404
    assert response.json()["field"] == "job_id" and response.json()["job_id"] == "sync_nothing"
    assert instance.get_runs_count() == before


def test_pause_resume_and_interval_write_process_config(stack):
    paused = stack.post(stack.base_url + "/api/admin/jobs/sync_inventory/pause", timeout=30)
    assert paused.status_code == 200 and paused.json()["message"] == "Job 'sync_inventory' pausado"
    assert _store(stack).get("sync_inventory").is_active is False
    listed = {job["id"]: job for job in _get(stack, "/api/admin/jobs").json()["jobs"]}["sync_inventory"]
    assert listed["status"] == "paused" and listed["next_run"] is None  # null = paused, as before

    assert stack.post(stack.base_url + "/api/admin/jobs/sync_inventory/resume", timeout=30).status_code == 200
    assert _store(stack).get("sync_inventory").is_active is True

    changed = stack.put(stack.base_url + "/api/admin/jobs/sync_inventory/interval?minutes=17", timeout=30)
    assert changed.status_code == 200 and changed.json()["interval_minutes"] == 17
    assert _store(stack).get("sync_inventory").interval_minutes == 17

    for query in ("?minutes=0", "?minutes=1441", "?minutes=abc", "?minutes=", ""):
        refused = stack.put(stack.base_url + f"/api/admin/jobs/sync_inventory/interval{query}", timeout=30)
        assert refused.status_code == 422, query
        assert refused.json()["field"] == "minutes"
    assert _store(stack).get("sync_inventory").interval_minutes == 17

    statuses = [
        entry["status"]
        for entry in _get(stack, "/api/admin/history?limit=1000").json()["history"]
        if entry["job_id"] == "sync_inventory"
    ]
    assert statuses[:3] == ["interval_changed", "resumed", "paused"]
    assert stack.post(stack.base_url + "/api/admin/jobs/nope/pause", timeout=30).status_code == 404


def test_history_and_stats_come_from_dagster_run_storage(stack, instance):
    job = dg.Definitions(
        jobs=[update_process_config],
        resources={"process_config": ProcessConfigResource(db_path=str(stack.home / "processes.db"))},
    ).resolve_job_def("update_process_config")
    good = job.execute_in_process(
        instance=instance,
        run_config={
            "ops": {"apply_process_config_change": {"config": {"job_id": "sync_invoices", "interval_minutes": 3}}}
        },
    )
    bad = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={
            "ops": {"apply_process_config_change": {"config": {"job_id": "sync_invoices", "interval_minutes": 0}}}
        },
    )
    assert good.success and not bad.success

    history = _get(stack, "/api/admin/history?limit=1000").json()["history"]
    by_run = {entry["details"].get("run_id"): entry for entry in history}
    assert by_run[good.run_id]["status"] == "completed"
    assert by_run[bad.run_id]["status"] == "failed"
    assert by_run[good.run_id]["job_name"] == "update_process_config"

    stats = _get(stack, "/api/admin/stats").json()
    assert stats["history"]["total"] == instance.get_runs_count()
    assert stats["history"]["successful"] == instance.get_runs_count(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS])
    )
    assert stats["history"]["failed"] == instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert stats["scheduler"]["jobs"] == len(_store(stack).list())

    for limit in ("0", "-5", "abc", "1001"):
        refused = _get(stack, f"/api/admin/history?limit={limit}")
        assert refused.status_code == 422 and refused.json()["field"] == "limit"
    assert len(_get(stack, "/api/admin/history?limit=2").json()["history"]) == 2


def test_admin_page_says_where_each_feature_lives_now(stack):
    response = requests.get(stack.base_url + "/admin", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for link in ("/runs", "/automation", "/locations/__repository__@smartbind/jobs/update_process_config"):
        assert f'href="{stack.ui_url}{link}' in page
    assert "Open launchpad" in page and "is_active" in page


def test_without_dagster_home_the_doors_answer_503_naming_it(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    app = create_app(ProcessConfigStore(tmp_path / "processes.db"), TOKEN)
    with BackgroundServer(app) as server:
        response = requests.post(
            server.url + "/api/admin/jobs/sync_invoices/run", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
    assert response.status_code == 503
    assert "DAGSTER_HOME" in response.json()["error"]


# -- the operating-hours door (issue 16): ProcessConfig only, no Dagster -----------------------------------

OFFICE = {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
HOURS_DOOR = "/api/admin/jobs/{}/operating-hours"


@pytest.fixture(scope="module")
def _server(tmp_path_factory):
    store = ProcessConfigStore(tmp_path_factory.mktemp("doors") / "unused.db", env={})
    with BackgroundServer(create_app(store, TOKEN)) as server:
        yield server


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "processes.db"


@pytest.fixture
def doors(_server, db_path):
    """The app in this process, pointed at this test's own file; ``doors.put(door)`` sends the token."""
    _server.app.state.store = ProcessConfigStore(db_path)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    session.base_url = _server.url
    yield session
    session.close()


def _put_hours(doors, job_id, query, **kwargs):
    return doors.put(doors.base_url + HOURS_DOOR.format(job_id) + query, timeout=5, **kwargs)


def test_the_old_operating_hours_door_sets_hours_and_may_cross_midnight(doors, db_path):
    response = _put_hours(doors, "sync_inventory", "?start_hour=8&end_hour=20&days=mon-fri", headers={"X-Actor": "ana"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Horario actualizado: 08:00–20:00 Mon–Fri" and body["operating_hours"] == OFFICE
    assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours == OFFICE
    assert ProcessConfigStore(db_path).history("sync_inventory", 1)[0]["actor"] == "ana"

    # The old door refused start >= end; a night window is now allowed.
    night = _put_hours(doors, "sync_inventory", "?start_hour=22&end_hour=6")
    assert night.status_code == 200 and night.json()["hours"] == "22:00–06:00 (crosses midnight) every day"
    minutes = _put_hours(doors, "sync_inventory", "?start=07:30&end=19:45&days=sat")
    assert minutes.json()["operating_hours"] == {"start": "07:30", "end": "19:45", "days": ["sat"]}
    always = _put_hours(doors, "sync_inventory", "?hours=always")
    assert always.status_code == 200 and always.json()["operating_hours"] is None


@pytest.mark.parametrize(
    "query, field, words",
    [
        ("?start_hour=8&end_hour=25", "end_hour", "must be an hour 0..24"),
        ("?start_hour=-1&end_hour=20", "start_hour", "must be an hour 0..24"),
        ("?start_hour=8", "end_hour", "must be an hour 0..24"),
        ("?start_hour=8&end_hour=8", "operating_hours", "both 08:00"),
        ("?start_hour=8&end_hour=20&days=mon-funday", "operating_hours", "'funday' is not a weekday"),
        ("?start=8h&end=20:00", "operating_hours", "start must be a time HH:MM"),
        ("?hours=sometimes", "operating_hours", "not a window HH:MM-HH:MM"),
        ("", "start_hour", "required"),
    ],
)
def test_bad_hours_at_the_door_are_422_naming_the_field_and_write_nothing(doors, db_path, query, field, words):
    ProcessConfigStore(db_path)
    before = snapshot(db_path, "sync_inventory")
    response = _put_hours(doors, "sync_inventory", query)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and words in response.json()["error"]
    assert snapshot(db_path, "sync_inventory") == before


def test_the_hours_door_of_an_unknown_process_is_404(doors):
    response = _put_hours(doors, "sync_nothing", "?start_hour=8&end_hour=20")
    assert response.status_code == 404 and response.json()["field"] == "job_id"
