"""docker-compose.yml for real: the production image, built from the Dockerfile, run with podman as an
operator runs it (docs/operations.md), against the sandbox emulators.

The steps run in file order on one stack (module-scoped): deploy and health, what production promises
(ports, user, secrets, image contents), run now and backfill, the interval through the admin API, a full
restart, a code server killed mid-run. `make test-stack` runs this; figures go to $SMARTBIND_STACK_FIGURES.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.sandbox.runner import Sandbox
from smartbind_pipelines.sandbox.sheets import INVOICES_SHEET_ID
from smartbind_pipelines_tests.deploy.stack import SERVICES
from smartbind_pipelines_tests.stack.podman_stack import (
    APP_IMAGE,
    COMPOSE_FILE,
    SECRET_NAMES,
    ComposeProject,
    new_project_dir,
    podman,
    secret_values,
    teardown,
)

pytestmark = pytest.mark.slow

LOOPBACK = "127.0.0.1"
HOST_FROM_CONTAINERS = "host.containers.internal"  # podman's name for the host, in every container
UI = f"http://{LOOPBACK}:3000"
ADMIN_API = f"http://{LOOPBACK}:8080"
ALL_SERVICES = {"postgres", *SERVICES}
TERMINAL = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
FIGURES: dict[str, object] = {}


def record(name: str, value) -> None:
    FIGURES[name] = value
    path = os.environ.get("SMARTBIND_STACK_FIGURES")
    if path:
        Path(path).write_text(json.dumps(FIGURES, indent=2) + "\n")


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def sandbox():
    for port in (3000, 8080):  # docker-compose.yml publishes these fixed ports
        assert port_is_free(port), f"127.0.0.1:{port} is taken: stop what listens there (make dev?) first"
    teardown()  # whatever a crashed earlier run left
    # On every interface (the compose bridge appears only with its first container); random bearer tokens.
    box = Sandbox(host="0.0.0.0", invoices=60).start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def stack(sandbox):
    # The containers reach the host, where the emulators listen, as host.containers.internal.
    values = {
        **{name: value.replace("//0.0.0.0:", f"//{HOST_FROM_CONTAINERS}:") for name, value in sandbox.env().items()},
        **secret_values(),
        # Failure alerts go nowhere (connection refused on the host) but the secret is handed out.
        "SMARTBIND_ALERT_WEBHOOK_URL": f"http://{HOST_FROM_CONTAINERS}:9/hook-{uuid.uuid4().hex}",
        "SMARTBIND_DAGSTER_URL": UI,
    }
    directory = new_project_dir(values)
    project = ComposeProject(directory, env={"SMARTBIND_POSTGRES_IMAGE": os.environ["SMARTBIND_POSTGRES_IMAGE"]})
    project.values = values
    try:
        start = time.monotonic()
        # docs/operations.md "Deploy", first deploy: hold both processes, check the settings, then start everything.
        for job in ("sync_invoices", "sync_inventory"):
            project.compose(
                "run", "--rm", "admin_api", "smartbind", "config", "set", job, "--inactive", "--actor", "stack-test"
            )
        doctor = project.compose("run", "--rm", "user_code", "smartbind", "doctor", check=False)
        project.doctor = doctor
        with project.health_ticker():
            project.compose("up", "-d")
            up = time.monotonic()
            project.wait_healthy(ALL_SERVICES)
            record("deploy_to_healthy_seconds", round(time.monotonic() - start))
            record("up_to_healthy_seconds", round(time.monotonic() - up))
            yield project
    finally:
        logs = project.logs(tail=200)
        Path(directory.with_suffix(".log")).write_text(logs)
        record("logs", str(directory.with_suffix(".log")))
        removed = teardown(directory)
        record("teardown", removed)


@pytest.fixture(scope="module")
def graphql(stack) -> DagsterGraphQLClient:
    return DagsterGraphQLClient(LOOPBACK, port_number=3000, timeout=30)


def admin(stack, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {stack.values['SMARTBIND_ADMIN_TOKEN']}"}
    return requests.request(method, f"{ADMIN_API}{path}", headers=headers, timeout=30, **kwargs)


def launch(stack, *extra: str) -> str:
    """docs/operations.md "Run now" (CLI): `docker compose exec webserver dagster job launch -w workspace.yaml -j
    sync_invoices`, with the `--run-id` the guide suggests for following the run from a script."""
    run_id = str(uuid.uuid4())
    stack.exec(
        "webserver",
        "dagster",
        "job",
        "launch",
        "-w",
        "workspace.yaml",
        "-j",
        "sync_invoices",
        "--run-id",
        run_id,
        *extra,
    )
    return run_id


def wait_for_run(stack, graphql, run_id: str, timeout: float = 300) -> DagsterRunStatus:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = graphql.get_run_status(run_id)
        except Exception:  # the webserver restarting, or the run not stored yet
            status = None
        if status in TERMINAL:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {status} after {timeout:.0f}s\n{stack.logs()}")
        time.sleep(1)


def gql(query: str, **variables) -> dict:
    response = requests.post(f"{UI}/graphql", json={"query": query, "variables": variables}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def run_failure_message(run_id: str) -> str:
    data = gql(
        """
        query($runId: ID!) { logsForRun(runId: $runId, limit: 5000) { __typename
          ... on EventConnection { events { __typename ... on RunFailureEvent { message } } } } }""",
        runId=run_id,
    )
    return " ".join(e["message"] for e in data["logsForRun"]["events"] if e["__typename"] == "RunFailureEvent")


def runs_tagged(key: str, value: str) -> list[str]:
    data = gql(
        """
        query($key: String!, $value: String!) { runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
          __typename ... on Runs { results { runId } } } }""",
        key=key,
        value=value,
    )
    return [run["runId"] for run in data["runsOrError"]["results"]]


def sheet_materializations(run_id: str) -> list[dict[str, str]]:
    """Metadata (label -> text) of the invoices sheet asset's materializations in one run."""
    data = gql(
        """
        query($runId: ID!) { logsForRun(runId: $runId, limit: 5000) { __typename
          ... on EventConnection { events { __typename
            ... on MaterializationEvent { assetKey { path } metadataEntries { label
              ... on TextMetadataEntry { text } ... on IntMetadataEntry { intValue } } } } } } }""",
        runId=run_id,
    )
    found = []
    for event in data["logsForRun"]["events"]:
        if event["__typename"] == "MaterializationEvent" and event["assetKey"]["path"] == sheet_key(INVOICES).path:
            found.append({e["label"]: e.get("text", e.get("intValue")) for e in event["metadataEntries"]})
    return found


def bind_window_start(run_id: str) -> dict[str, str]:
    data = gql(
        """
        query($runId: ID!) { logsForRun(runId: $runId, limit: 5000) { __typename
          ... on EventConnection { events { __typename
            ... on MaterializationEvent { assetKey { path } metadataEntries { label
              ... on TextMetadataEntry { text } } } } } } }""",
        runId=run_id,
    )
    for event in data["logsForRun"]["events"]:
        if event["__typename"] == "MaterializationEvent" and event["assetKey"]["path"] == ["bind_invoices"]:
            return {e["label"]: e.get("text") for e in event["metadataEntries"]}
    raise AssertionError(f"run {run_id} materialized no bind_invoices")


def sheet_uuids(sandbox) -> Counter:
    return Counter(row["cells"]["UUID"] for row in sandbox.smartsheet_state.rows_as_dicts(INVOICES_SHEET_ID))


def stamped_uuids(sandbox) -> set[str]:
    return {invoice["UUID"] for invoice in sandbox.bind_state.list_invoices() if invoice["UUID"]}


def backfill_config() -> str:
    today = now_cdmx().date()
    return json.dumps(
        {
            "ops": {
                "bind_invoices": {
                    "config": {
                        "window_start": (today - timedelta(days=40)).isoformat(),
                        "window_end": today.isoformat(),
                    }
                }
            }
        }
    )


# --- deploy -------------------------------------------------------------------------------------------


def test_every_service_turns_healthy(stack):
    assert COMPOSE_FILE.read_bytes() == (stack.directory / "docker-compose.yml").read_bytes()
    assert stack.health() == {service: "healthy" for service in ALL_SERVICES}
    assert stack.doctor.returncode == 0, f"smartbind doctor failed:\n{stack.doctor.stdout}\n{stack.doctor.stderr}"


def test_the_ui_answers_on_loopback(stack):
    assert requests.get(f"{UI}/server_info", timeout=10).json()["dagster_version"]
    page = requests.get(UI, timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert requests.get(f"{ADMIN_API}/healthz", timeout=10).ok


# --- what production promises ---------------------------------------------------------------------


def test_only_the_ui_and_the_admin_api_are_published_and_only_on_loopback(stack):
    published = {}
    for service, c in stack.containers().items():
        for port, bindings in (c["HostConfig"].get("PortBindings") or {}).items():
            for binding in bindings or []:
                published.setdefault(service, set()).add((binding["HostIp"], binding["HostPort"], port))
    assert published == {"webserver": {(LOOPBACK, "3000", "3000/tcp")}, "admin_api": {(LOOPBACK, "8080", "8080/tcp")}}


def test_every_process_runs_as_the_unprivileged_user(stack):
    for service in SERVICES:
        out = podman("exec", stack.container(service), "sh", "-c", "grep -h '^Uid:' /proc/[0-9]*/status").stdout
        uids = {line.split()[1] for line in out.splitlines()}  # real uid of every process, exec'd ones too
        assert uids and "0" not in uids, f"{service} runs processes as root: {uids}"
    assert stack.containers()["user_code"]["Config"]["User"] == "smartbind"
    # PostgreSQL's server itself drops to the postgres user, as the official image does.
    out = podman("exec", stack.container("postgres"), "grep", "^Uid:", "/proc/1/status").stdout
    assert out.split()[1] != "0"


def test_each_service_holds_only_the_secrets_it_needs(stack):
    """Read from each running container's main process: which secret values it holds, under any name."""
    secrets_by_value = {stack.values[name]: name for name in SECRET_NAMES}
    held = {}
    for service in ALL_SERVICES:
        env = stack.process_env(service, user="postgres" if service == "postgres" else None)
        held[service] = {secrets_by_value[v] for v in env.values() if v in secrets_by_value}
    needed = {name: {v for v in (*s.env, *s.optional_env) if v in SECRET_NAMES} for name, s in SERVICES.items()}
    needed["postgres"] = {"DAGSTER_PG_PASSWORD"}  # as POSTGRES_PASSWORD, for the first start
    assert held == needed


def test_the_image_carries_no_secret_and_no_test_data(stack):
    image = json.loads(podman("image", "inspect", APP_IMAGE).stdout)[0]
    baked = {item.split("=", 1)[0] for item in image["Config"].get("Env") or []}
    assert baked.isdisjoint(SECRET_NAMES)
    assert image["Config"].get("User") == "smartbind"
    root = Path(podman("image", "mount", APP_IMAGE).stdout.strip())
    try:
        bad = []
        ours = [
            root / "app",
            root / "opt/dagster",
            *root.glob("opt/python/lib/python3*/site-packages/smartbind*"),
            *root.glob("usr/local/lib/python3*/site-packages/smartbind*"),
        ]  # our files, not third parties'
        assert len(ours) >= 3, ours
        for top in ours:
            for path in top.rglob("*"):
                name = path.name
                if (
                    name in {".env", ".git", "conftest.py", "smartbind_pipelines_tests", ".dagster_home"}
                    or name.endswith(".db")
                    or (name.startswith(".env") and name != ".env.example")
                ):
                    bad.append(str(path.relative_to(root)))
        assert bad == []
        # The values this test put in .env exist only outside the image.
        for top in ("app", "opt/dagster"):
            for path in (root / top).rglob("*"):
                if path.is_file():
                    text = path.read_bytes()
                    assert not any(stack.values[n].encode() in text for n in SECRET_NAMES), path
    finally:
        podman("image", "unmount", APP_IMAGE, check=False)


# --- as an operator --------------------------------------------------------------------------------


def test_run_now_and_a_backfill_land_every_invoice_once(stack, graphql, sandbox):
    start = time.monotonic()
    regular = launch(stack)
    assert wait_for_run(stack, graphql, regular) == DagsterRunStatus.SUCCESS, stack.logs()
    record("run_now_seconds", round(time.monotonic() - start))
    after_regular = sheet_uuids(sandbox)
    assert set(after_regular) <= stamped_uuids(sandbox) and max(after_regular.values(), default=1) == 1
    (materialized,) = sheet_materializations(regular)
    assert materialized.get("watermark"), materialized  # the regular sync moved it

    backfill = launch(stack, "--config-json", backfill_config())
    assert wait_for_run(stack, graphql, backfill) == DagsterRunStatus.SUCCESS, stack.logs()
    rows = sheet_uuids(sandbox)
    assert set(rows) == stamped_uuids(sandbox) and set(rows.values()) == {1}
    record("rows_synced", {"run_now": len(after_regular), "after_backfill": len(rows)})
    stack.runs = {"regular": regular, "backfill": backfill}
    stack.watermark = materialized["watermark"]


def test_the_interval_changes_through_the_admin_api(stack):
    changed = admin(stack, "PUT", "/api/admin/process-configs/sync_invoices", json={"interval_minutes": 7})
    assert changed.status_code == 200, changed.text
    config = admin(stack, "GET", "/api/admin/process-configs/sync_invoices").json()["config"]
    assert (config["interval_minutes"], config["is_active"]) == (7, False)
    unauthenticated = requests.get(f"{ADMIN_API}/api/admin/process-configs/sync_invoices", timeout=10)
    assert unauthenticated.status_code == 401


def test_a_restart_keeps_process_config_sync_state_and_run_history(stack, graphql, sandbox):
    before = sheet_uuids(sandbox)
    start = time.monotonic()
    stack.compose("down")  # containers and network go; the named volumes stay
    with stack.health_ticker():
        stack.compose("up", "-d")
        stack.wait_healthy(ALL_SERVICES)
    record("restart_to_healthy_seconds", round(time.monotonic() - start))

    config = admin(stack, "GET", "/api/admin/process-configs/sync_invoices").json()["config"]
    assert (config["interval_minutes"], config["is_active"]) == (7, False)
    for name, run_id in stack.runs.items():
        assert graphql.get_run_status(run_id) == DagsterRunStatus.SUCCESS, name
    # Sync state: the next regular run continues from the watermark the first one left.
    regular = launch(stack)
    assert wait_for_run(stack, graphql, regular) == DagsterRunStatus.SUCCESS, stack.logs()
    assert bind_window_start(regular)["watermark_before"] == stack.watermark
    assert sheet_uuids(sandbox) == before
    record("restart", {"process_config": "kept", "runs_kept": len(stack.runs), "watermark": "kept"})
    stack.runs["after_restart"] = regular


def test_the_old_admin_doors_answer_from_dagster(stack, graphql, sandbox):
    """docs/operations.md "The old admin doors" through the published admin API: the job list shows the last
    run from Dagster's run storage, and "run now" queues a run through the webserver, which then succeeds."""
    before = sheet_uuids(sandbox)
    jobs = admin(stack, "GET", "/api/admin/jobs")
    assert jobs.status_code == 200, jobs.text
    (invoices,) = [job for job in jobs.json()["jobs"] if job["id"] == "sync_invoices"]
    last = invoices["last_run"]
    assert (last["run_id"], last["dagster_status"]) == (stack.runs["after_restart"], "SUCCESS"), invoices
    assert last["url"] == f"{UI}/runs/{last['run_id']}"  # SMARTBIND_DAGSTER_URL: absolute links
    assert invoices["status"] == "paused" and invoices["interval_minutes"] == 7

    start = time.monotonic()
    queued = admin(stack, "POST", "/api/admin/jobs/sync_invoices/run")
    assert queued.status_code == 200, queued.text
    run_id = queued.json()["run_id"]
    tags = {
        t["key"]: t["value"]
        for t in gql(
            """query($runId: ID!) { runOrError(runId: $runId) { __typename
        ... on Run { tags { key value } } } }""",
            runId=run_id,
        )["runOrError"]["tags"]
    }
    assert tags.get("trigger") == "admin-api" and tags.get("process") == "sync_invoices", tags
    assert wait_for_run(stack, graphql, run_id) == DagsterRunStatus.SUCCESS, stack.logs()
    record("admin_door_run_now_seconds", round(time.monotonic() - start))
    assert sheet_uuids(sandbox) == before  # nothing new in Bind: nothing written, nothing twice

    history = admin(stack, "GET", "/api/admin/history?limit=5")
    assert history.status_code == 200, history.text
    assert run_id in [(entry.get("details") or {}).get("run_id") for entry in history.json()["history"]]
    stack.runs["admin_door"] = run_id


@pytest.mark.skipif(
    os.environ.get("SMARTBIND_STACK_KILL", "1") == "0",
    reason="SMARTBIND_STACK_KILL=0: the kill step (about 6 minutes) is skipped",
)
def test_killing_the_code_server_mid_run_loses_and_doubles_nothing(stack, graphql, sandbox):
    """New invoices in Bind, a slow Smartsheet, and the code server killed while the run writes to it.

    With the DefaultRunLauncher, Dagster's run monitoring cannot see that the run's worker died with the
    code server (`supports_check_run_worker_health` is False) and would leave the run STARTED until
    `max_runtime_seconds`. The run_worker_watchdog sensor (defs/run_watchdog.py), evaluated in the restarted
    code server, finds the worker's pid gone and fails the run, with no operator: run_retries retries it;
    the sheet slot is freed `free_slots_after_run_end_seconds` later, in case the dead run's last batch was
    still being saved; then the retry and the next run write what is missing, once."""
    # New business: invoices dated now, inside the next regular run's window (late-dated ones are the
    # nightly reconcile's, not this step's).
    sandbox.bind_state.generate_invoices(40, start=now_cdmx() - timedelta(minutes=5), end=now_cdmx())
    expected = stamped_uuids(sandbox)
    sandbox.smartsheet_admin.set_latency(3000)
    sandbox.smartsheet_admin.reset_requests()
    try:
        run_id = launch(stack)
        deadline = time.monotonic() + 240
        while not sum(sandbox.smartsheet_admin.counts().values()):  # the run has reached Smartsheet
            assert time.monotonic() < deadline, (
                f"run {run_id} never reached Smartsheet: {graphql.get_run_status(run_id)}"
            )
            time.sleep(0.2)
        time.sleep(2)
        assert graphql.get_run_status(run_id) == DagsterRunStatus.STARTED
        podman("kill", stack.container("user_code"))
        killed_at = time.monotonic()
    finally:
        sandbox.smartsheet_admin.set_latency(0)
    with stack.health_ticker():
        deadline = time.monotonic() + 20  # give `restart: unless-stopped` its chance first
        while not (restarted_by_policy := bool(stack.containers()["user_code"]["State"].get("Running"))):
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        if not restarted_by_policy:
            podman("start", stack.container("user_code"))  # what the engine's restart policy does
        stack.wait_healthy(ALL_SERVICES)
    status_after_restart = graphql.get_run_status(run_id)

    # No operator: the watchdog (grace 60 s, a tick a minute) fails the run whose worker is gone.
    assert wait_for_run(stack, graphql, run_id, timeout=420) == DagsterRunStatus.FAILURE, stack.logs()
    failed_at = time.monotonic()
    failure = run_failure_message(run_id)
    assert "run_worker_watchdog" in failure and "pid" in failure, failure
    deadline = time.monotonic() + 180  # run_retries (dagster.yaml): a run failure, not a step's, is retried
    while not (retries := runs_tagged("dagster/parent_run_id", run_id)):
        assert time.monotonic() < deadline, f"run {run_id} was failed but not retried\n{stack.logs()}"
        time.sleep(2)
    for retry in retries:
        assert wait_for_run(stack, graphql, retry, timeout=600) == DagsterRunStatus.SUCCESS, stack.logs()

    after = launch(stack)
    assert wait_for_run(stack, graphql, after, timeout=600) == DagsterRunStatus.SUCCESS, stack.logs()
    rows = sheet_uuids(sandbox)
    record(
        "kill",
        {
            "killed_run_after_code_server_restart": status_after_restart.value,
            "restarted_by_restart_policy": restarted_by_policy,
            "kill_to_failed_by_watchdog_seconds": round(failed_at - killed_at),
            "watchdog_message": failure,
            "retries": len(retries),
            "kill_to_next_run_success_seconds": round(time.monotonic() - killed_at),
            "rows": len(rows),
            "expected": len(expected),
            "duplicates": sum(n - 1 for n in rows.values()),
        },
    )
    assert set(rows) == expected and set(rows.values()) == {1}
