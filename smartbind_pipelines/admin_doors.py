"""The old middleware's admin doors, answered by Dagster (issue 18).

The old service (``../shared/notes/old-middleware-api.md`` §2.5) ran its jobs in an in-process scheduler
and served them at ``/api/admin/jobs...``. Here a "job" is a ProcessConfig row; its runs live in the Dagster
instance (``DAGSTER_HOME``), its cadence in its sensor. The old paths keep their shapes, answered so:

GET  /api/admin/jobs                       every process: status, last and next run, interval, sheet
GET  /api/admin/jobs/{job_id}/details      one process, its ProcessConfig and its last 10 history entries
POST /api/admin/jobs/{job_id}/run          submits a run to the instance (``dagster job launch``), answers
                                           its run id and Dagster UI link; it waits in the run queue behind
                                           any run of the same process (one writer per sheet)
POST /api/admin/jobs/{job_id}/pause        ProcessConfig is_active = false
POST /api/admin/jobs/{job_id}/resume       ProcessConfig is_active = true
PUT  /api/admin/jobs/{job_id}/interval     ?minutes=N (1..1440): ProcessConfig interval_minutes
PUT  /api/admin/jobs/{job_id}/operating-hours  ?start_hour=8&end_hour=20 (the old door; 0..24, may cross
                                           midnight) or ?start=08:00&end=20:00, optional &days=mon-fri, or
                                           ?hours=always to remove the window: ProcessConfig operating_hours
GET  /api/admin/history                    ?limit=N: Dagster runs and ProcessConfig changes, newest first
GET  /api/admin/stats                      run counts from Dagster's run storage, processes, daemon
GET  /admin                                HTML: where each feature of the old dashboard lives now

Every /api route needs the bearer token and answers JSON, errors included (``api.py``'s rules: 401, 404
naming the process, 422 naming the parameter, 503 naming what is missing when the ProcessConfig file or
the Dagster instance cannot be used). ``/admin`` holds links only, no data, so it needs no token.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from smartbind_pipelines.core.cadence import IN_FLIGHT_STATUSES
from smartbind_pipelines.core.cdmx import CDMX, now_cdmx, to_cdmx
from smartbind_pipelines.core.process_config import (
    ConfigValidationError,
    ProcessConfig,
    ProcessConfigStore,
    UnknownProcessError,
)
from smartbind_pipelines.core.process_config.hours import describe as describe_hours

DAGSTER_URL_ENV = "SMARTBIND_DAGSTER_URL"  # the Dagster UI address, for links (make dev sets it)
# Where "run now" submits runs: the webserver's GraphQL endpoint (default: SMARTBIND_DAGSTER_URL + /graphql).
# The webserver's code location validates the run's config with its own environment, so the admin API needs
# no Bind or Smartsheet secret. With neither variable set it falls back to `dagster job launch` over
# SMARTBIND_DAGSTER_WORKSPACE, which loads the code here and so needs those secrets in this environment.
GRAPHQL_URL_ENV = "SMARTBIND_DAGSTER_GRAPHQL_URL"
WORKSPACE_ENV = "SMARTBIND_DAGSTER_WORKSPACE"
LOCATION = "smartbind"  # location_name in workspace.yaml and workspace.docker.yaml
REPO_PATH = f"__repository__@{LOCATION}"
MANUAL_TRIGGER = "admin-api"
DRY_RUN_TAG = "smartbind/dry_run"
MAX_HISTORY_LIMIT = 1000
LAUNCH_TIMEOUT_SECONDS = 180

# Dagster run status -> the old history's words (completed / failed), others lower-cased.
_RUN_STATUS_WORDS = {"SUCCESS": "completed", "FAILURE": "failed", "CANCELED": "canceled", "QUEUED": "queued",
                     "NOT_STARTED": "starting", "STARTING": "starting", "STARTED": "running",
                     "CANCELING": "canceling"}


class DagsterUnavailable(RuntimeError):
    """The Dagster instance (or the tool to launch runs) cannot be used from the admin API: a 503."""


class LaunchFailed(RuntimeError):
    """`dagster job launch` refused the run: a 502 naming the job and Dagster's last lines."""


class Dagster:
    """The Dagster side of the doors: the instance under DAGSTER_HOME, opened once, and run launching."""

    def __init__(self, env: dict[str, str] | None = None):
        self.env = os.environ if env is None else env
        self._instance = None
        self._lock = threading.Lock()

    @property
    def ui_url(self) -> str | None:
        value = (self.env.get(DAGSTER_URL_ENV) or "").strip()
        return value.rstrip("/") or None

    def link(self, path: str) -> str:
        """A Dagster UI address: absolute when SMARTBIND_DAGSTER_URL is set, else the path to append."""
        return f"{self.ui_url}{path}" if self.ui_url else path

    def instance(self):
        with self._lock:
            if self._instance is None:
                if not (self.env.get("DAGSTER_HOME") or "").strip():
                    raise DagsterUnavailable(
                        "DAGSTER_HOME is not set for the admin API: runs and their history live in the Dagster "
                        "instance, so start it with the DAGSTER_HOME the daemon uses (make dev does)"
                    )
                import dagster as dg

                try:
                    self._instance = dg.DagsterInstance.get()
                except Exception as exc:  # a bad dagster.yaml, an unreachable database...
                    raise DagsterUnavailable(
                        f"the Dagster instance under DAGSTER_HOME={self.env.get('DAGSTER_HOME')} cannot be "
                        f"opened: {type(exc).__name__}: {str(exc)[:300]}"
                    ) from None
            return self._instance

    def runs(self, job_name: str | None = None, *, limit: int, statuses: tuple[str, ...] = ()) -> list:
        import dagster as dg

        filters = dg.RunsFilter(
            job_name=job_name, statuses=[dg.DagsterRunStatus(status) for status in statuses] or None
        )
        return list(self.instance().get_run_records(filters=filters, limit=limit))

    def in_flight(self, job_id: str) -> list:
        import dagster as dg

        return list(self.instance().get_run_records(
            filters=dg.RunsFilter(tags={"process": job_id},
                                  statuses=[dg.DagsterRunStatus(status) for status in IN_FLIGHT_STATUSES]),
            limit=5,
        ))

    def count(self, statuses: tuple[str, ...] = ()) -> int:
        import dagster as dg

        filters = dg.RunsFilter(statuses=[dg.DagsterRunStatus(status) for status in statuses] or None)
        return self.instance().get_runs_count(filters)

    def stopped_sensors(self) -> set[str]:
        """Sensors an operator stopped in the UI (a sensor with no stored state runs: default RUNNING)."""
        from dagster._core.definitions.run_request import InstigatorType
        from dagster._core.scheduler.instigation import InstigatorStatus

        states = self.instance().all_instigator_state(instigator_type=InstigatorType.SENSOR)
        return {state.instigator_name for state in states if state.status == InstigatorStatus.STOPPED}

    def daemon_running(self) -> bool | None:
        """Whether the sensor daemon reported in the last few minutes (None: it never did here)."""
        heartbeats = self.instance().get_daemon_heartbeats()
        beat = heartbeats.get("SENSOR")
        if beat is None:
            return None
        return now_cdmx().timestamp() - beat.timestamp < 180

    @property
    def graphql_url(self) -> str | None:
        explicit = (self.env.get(GRAPHQL_URL_ENV) or "").strip()
        if explicit:
            return explicit
        return f"{self.ui_url}/graphql" if self.ui_url else None

    def workspace(self) -> str:
        candidates = [self.env.get(WORKSPACE_ENV) or "", "workspace.yaml",
                      str(Path(self.env.get("DAGSTER_HOME") or ".") / "workspace.yaml")]
        for candidate in candidates:
            if candidate and Path(candidate).is_file():
                return candidate
        raise DagsterUnavailable(
            f"no Dagster workspace file to launch runs with: set {WORKSPACE_ENV}, or start the admin API in the "
            "project folder (workspace.yaml)"
        )

    def launch(self, job_id: str, tags: dict[str, str]) -> str:
        """Submit ``job_id`` to the instance's run queue (the webserver's GraphQL API, else `dagster job
        launch` as `smartbind sync` does); the run id. The run starts QUEUED: the daemon dequeues it when
        the run queue's "process" limit and the sheet's pool allow (one writer per sheet)."""
        self.instance()  # DAGSTER_HOME first: the clearer error
        if self.graphql_url:
            return self._launch_graphql(job_id, tags)
        beside = Path(sys.executable).with_name("dagster")
        executable = str(beside) if beside.exists() else shutil.which("dagster")
        if not executable:
            raise DagsterUnavailable("the `dagster` command is not installed beside the admin API")
        run_id = str(uuid.uuid4())
        command = [executable, "job", "launch", "-w", self.workspace(), "-j", job_id,
                   "--tags", json.dumps(tags), "--run-id", run_id]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_SECONDS,
                                       env=dict(self.env))
        except subprocess.TimeoutExpired:
            raise LaunchFailed(f"dagster job launch for {job_id} did not answer in {LAUNCH_TIMEOUT_SECONDS} s") from None
        if completed.returncode != 0:
            lines = (completed.stderr or completed.stdout).strip().splitlines()[-4:]
            raise LaunchFailed(f"dagster job launch refused {job_id}: " + " | ".join(lines)[:800])
        return run_id

    def _launch_graphql(self, job_id: str, tags: dict[str, str]) -> str:
        import requests

        params = {
            "selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": job_id},
            "executionMetadata": {"tags": [{"key": key, "value": value} for key, value in tags.items()]},
        }
        try:
            response = requests.post(self.graphql_url, json={"query": _LAUNCH_RUN, "variables": {"executionParams": params}},
                                     timeout=LAUNCH_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise DagsterUnavailable(
                f"the Dagster webserver at {self.graphql_url} did not answer ({type(exc).__name__}); "
                f"set {GRAPHQL_URL_ENV} to an address the admin API can reach"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or "data" not in body:
            raise LaunchFailed(f"the Dagster webserver at {self.graphql_url} answered HTTP {response.status_code} "
                               f"for {job_id}: {response.text[:300]}")
        result = (body.get("data") or {}).get("launchRun") or {}
        if result.get("__typename") == "LaunchRunSuccess":
            return result["run"]["runId"]
        messages = [error.get("message", "") for error in result.get("errors") or []] or [result.get("message", "")]
        raise LaunchFailed(f"Dagster refused {job_id} ({result.get('__typename') or body.get('errors')}): "
                           + "; ".join(m for m in messages if m)[:800])


_LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""


# -- shapes ---------------------------------------------------------------------------------------


def _iso(timestamp: float | datetime | None) -> str | None:
    if timestamp is None:
        return None
    moment = timestamp if isinstance(timestamp, datetime) else datetime.fromtimestamp(timestamp, CDMX)
    return to_cdmx(moment).isoformat()


def run_summary(dagster: Dagster, record) -> dict[str, Any]:
    run = record.dagster_run
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": _RUN_STATUS_WORDS.get(run.status.value, run.status.value.lower()),
        "dagster_status": run.status.value,
        "trigger": run.tags.get("trigger") or ("sensor" if run.tags.get("dagster/sensor_name") else "manual"),
        "created_at": _iso(record.create_timestamp),
        "started_at": _iso(record.start_time),
        "ended_at": _iso(record.end_time),
        "url": dagster.link(f"/runs/{run.run_id}"),
    }


def job_shape(dagster: Dagster, config: ProcessConfig, stopped_sensors: set[str]) -> dict[str, Any]:
    """One process in the old job shape, plus what the old one never knew (status, last run)."""
    job_id = config.job_id
    sensor = f"{job_id}_sensor"
    records = dagster.runs(job_id, limit=10)
    real = [r for r in records if r.dagster_run.tags.get(DRY_RUN_TAG) != "true"]
    last = real[0] if real else None
    in_flight = dagster.in_flight(job_id)
    sensor_stopped = sensor in stopped_sensors
    if not config.is_active:
        status = "paused"
    elif not config.smartsheet_sheet_id:
        status = "no_sheet"
    elif sensor_stopped:
        status = "sensor_stopped"
    elif in_flight:
        status = _RUN_STATUS_WORDS.get(in_flight[0].dagster_run.status.value, "running")
    else:
        status = "scheduled"
    next_run = None  # null = paused, as in the old API
    if status not in ("paused", "no_sheet", "sensor_stopped"):
        due = now_cdmx()
        if last is not None:
            due = max(due, to_cdmx(last.create_timestamp) + timedelta(minutes=config.interval_minutes))
        hours = config.hours
        if hours is not None and not hours.is_open(due):
            due = hours.next_opening(due)  # the sensor skips until the operating window opens
        next_run = due.isoformat()
    return {
        "id": job_id,
        "name": config.name,
        "company_id": None,
        "base_type": job_id,
        "description": config.description,
        "source": config.source_system,
        "sheet_id": config.smartsheet_sheet_id or None,
        "sheet_name": config.smartsheet_sheet_name or None,
        "status": status,
        "is_active": config.is_active,
        "paused": not config.is_active,
        "next_run": next_run,
        "interval_minutes": config.interval_minutes,
        "operating_hours": config.to_dict()["operating_hours"],
        "hours": describe_hours(config.operating_hours),
        "trigger": {"type": "interval", "interval_seconds": float(config.interval_minutes * 60),
                    "interval_minutes": float(config.interval_minutes)},
        "pending": bool(in_flight),
        "last_run": run_summary(dagster, last) if last else {},
        "sensor": sensor,
        "sensor_stopped": sensor_stopped,
        "links": {
            "job": dagster.link(f"/locations/{REPO_PATH}/jobs/{job_id}"),
            "runs": dagster.link(f"/runs?q[]=job:{job_id}"),
            "sensor": dagster.link(f"/locations/{REPO_PATH}/sensors/{sensor}"),
        },
    }


def _audit_status(entry: dict[str, Any]) -> str:
    new = entry.get("new") or {}
    if not entry.get("old"):
        return "created"  # seeded, restored or declared
    if "is_active" in new:
        return "resumed" if new["is_active"] else "paused"
    if set(new) == {"interval_minutes"}:
        return "interval_changed"
    if set(new) == {"operating_hours"}:
        return "hours_changed"
    return "config_changed"


def history_entries(dagster: Dagster, store: ProcessConfigStore, limit: int,
                    job_id: str | None = None) -> list[dict[str, Any]]:
    """Runs from Dagster's run storage and ProcessConfig changes from its audit table, newest first."""
    entries: list[tuple[datetime, dict[str, Any]]] = []
    for record in dagster.runs(job_id, limit=limit):
        summary = run_summary(dagster, record)
        run = record.dagster_run
        entries.append((to_cdmx(record.create_timestamp), {
            "timestamp": summary["created_at"],
            "job_id": run.tags.get("process") or run.job_name,
            "job_name": run.job_name,
            "status": summary["status"],
            "details": {key: summary[key] for key in
                        ("run_id", "dagster_status", "trigger", "started_at", "ended_at", "url")},
        }))
    job_ids = [job_id] if job_id else [config.job_id for config in store.list()]
    for one in job_ids:
        try:
            audit = store.history(one, limit)
        except UnknownProcessError:
            continue
        for entry in audit:
            entries.append((datetime.fromisoformat(entry["changed_at"]), {
                "timestamp": entry["changed_at"],
                "job_id": entry["job_id"],
                "job_name": entry["job_id"],
                "status": _audit_status(entry),
                "details": {"via": entry["via"], "actor": entry["actor"], "old": entry["old"], "new": entry["new"]},
            }))
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in entries[:limit]]


# -- the /admin page ------------------------------------------------------------------------------

_FEATURES = [
    ("Job list: status, next run, interval, sheet",
     "Automation (each process's sensor: running/stopped, its ticks and skip reasons)", "/automation",
     "GET /api/admin/jobs"),
    ("Run now", "the job's page → Materialize all ▾ → Open launchpad → Launch run "
     "(or smartbind sync sync_invoices)", f"/locations/{REPO_PATH}/jobs/sync_invoices",
     "POST /api/admin/jobs/{job_id}/run"),
    ("Pause / resume a process", "ProcessConfig is_active: job update_process_config → Open launchpad "
     "(or smartbind config set JOB --inactive / --active). The sensor toggle under Automation also stops it, "
     "but only until someone turns it back on; see docs/operations.md", f"/locations/{REPO_PATH}/jobs/update_process_config",
     "POST /api/admin/jobs/{job_id}/pause, /resume"),
    ("Change the interval", "ProcessConfig interval_minutes: job update_process_config → Open launchpad "
     "(or smartbind config set JOB --interval-minutes N)", f"/locations/{REPO_PATH}/jobs/update_process_config",
     "PUT /api/admin/jobs/{job_id}/interval?minutes=N"),
    ("Run history", "Runs (filter by job; each run's log, step timings and what it wrote)", "/runs",
     "GET /api/admin/history"),
    ("Failures and alerts", "Runs filtered by status Failure; the run_failure_alerts sensor's ticks "
     "(\"N failures in a row\")", "/runs?q[]=status:FAILURE", "GET /api/admin/stats"),
    ("Sheet state", "Assets → smartsheet_* (last write, rows, checks, freshness, link to the sheet)",
     "/assets", "—"),
    ("Operating hours", "ProcessConfig operating_hours (Mexico City; a window may cross midnight; weekdays): job "
     "update_process_config → Open launchpad (or smartbind config set JOB --hours 08:00-20:00 --days mon-fri). "
     "Outside the window the sensor skips saying when it opens; the first run inside catches up",
     f"/locations/{REPO_PATH}/jobs/update_process_config",
     "PUT /api/admin/jobs/{job_id}/operating-hours?start_hour=8&end_hour=20"),
    ("Companies", "not carried over: one deployment serves one Bind company", "", "—"),
]


def admin_page(dagster: Dagster) -> str:
    base = dagster.ui_url
    rows = []
    for feature, where, path, api in _FEATURES:
        target = html.escape(where)
        if path and base:
            target = f'<a href="{html.escape(base + path)}">{target}</a>'
        elif path:
            target += f" <code>{html.escape(path)}</code>"
        rows.append(f"<tr><td>{html.escape(feature)}</td><td>{target}</td><td><code>{html.escape(api)}</code></td></tr>")
    ui = (f'<a href="{html.escape(base)}">{html.escape(base)}</a>' if base
          else f"the Dagster UI (set {DAGSTER_URL_ENV} to get links here)")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smartbind: the old admin dashboard has moved</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}}th{{background:#f4f4f4}}</style>
</head><body>
<h1>The admin dashboard has moved to the Dagster UI</h1>
<p>Runs, schedules and history now live in Dagster: {ui}. The old API paths still answer (with the bearer
token in <code>Authorization: Bearer …</code>), backed by Dagster and ProcessConfig.</p>
<table><tr><th>Old dashboard feature</th><th>Where it is now</th><th>Old API path (still answers)</th></tr>
{''.join(rows)}
</table></body></html>
"""


# -- routes ---------------------------------------------------------------------------------------


def build_routes(authorised: Callable[[Request], bool], refusal: Callable[[], JSONResponse],
                 envelope: Callable[..., JSONResponse], error: Callable[..., JSONResponse],
                 dagster: Dagster | None = None) -> list[Route]:
    """The doors, with api.py's bearer check and JSON envelopes."""
    dagster = dagster or Dagster()

    def store_of(request: Request) -> ProcessConfigStore:
        return request.app.state.store

    def guarded(handler):
        async def route(request: Request):
            if not authorised(request):
                return refusal()
            try:
                return await handler(request)
            except DagsterUnavailable as exc:
                response = error(503, str(exc))
                response.headers["Retry-After"] = "30"
                return response
            except LaunchFailed as exc:
                return error(502, str(exc), job_id=request.path_params.get("job_id"))
        return route

    def known(store: ProcessConfigStore, job_id: str) -> ProcessConfig:
        config = store.get(job_id)
        if config is None:
            raise UnknownProcessError(job_id)
        return config

    def not_found(exc: UnknownProcessError, job_id: str) -> JSONResponse:
        return error(404, exc.message, "job_id", job_id=job_id)

    async def jobs(request: Request) -> JSONResponse:
        def read():
            stopped = dagster.stopped_sensors()
            return [job_shape(dagster, config, stopped) for config in store_of(request).list()], \
                dagster.daemon_running()
        listed, daemon = await run_in_threadpool(read)
        return envelope(scheduler_running=daemon, jobs=listed)

    async def details(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]

        def read():
            store = store_of(request)
            config = known(store, job_id)
            return (job_shape(dagster, config, dagster.stopped_sensors()), config.to_dict(),
                    history_entries(dagster, store, 10, job_id))
        try:
            job, config, recent = await run_in_threadpool(read)
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        return envelope(job=job, process_config=config, last_run=job["last_run"], recent_history=recent)

    def set_active(active: bool, word: str):
        async def handler(request: Request) -> JSONResponse:
            job_id = request.path_params["job_id"]
            try:
                config = await run_in_threadpool(store_of(request).update, job_id, {"is_active": active},
                                                 via="api", actor=_actor(request))
            except UnknownProcessError as exc:
                return not_found(exc, job_id)
            return envelope(message=f"Job '{job_id}' {word}", job_id=job_id, is_active=config.is_active,
                            config=config.to_dict())
        return handler

    async def interval(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        raw = request.query_params.get("minutes")
        if raw is None:
            return error(422, "required query parameter (integer minutes, 1..1440)", "minutes", job_id=job_id)
        if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 6):
            return error(422, f"must be an integer number of minutes, not {raw[:40]!r}", "minutes", job_id=job_id)
        try:
            config = await run_in_threadpool(store_of(request).update, job_id, {"interval_minutes": int(raw)},
                                             via="api", actor=_actor(request))
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        except ConfigValidationError as exc:
            return error(422, exc.message, "minutes", job_id=job_id)
        return envelope(message=f"Job '{job_id}' reprogramado a cada {config.interval_minutes} minutos",
                        job_id=job_id, interval_minutes=config.interval_minutes, config=config.to_dict())

    async def operating_hours(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        query = request.query_params
        value: Any
        if "hours" in query:
            value = query["hours"]
        elif "start_hour" in query or "end_hour" in query:
            hours = []
            for name in ("start_hour", "end_hour"):
                raw = query.get(name, "")
                if not (raw.isascii() and raw.isdigit() and len(raw) <= 2 and int(raw) <= 24):
                    return error(422, f"must be an hour 0..24 (Mexico City), not {raw[:40]!r}", name, job_id=job_id)
                hours.append(int(raw))
            value = {"start": f"{hours[0]:02d}:00", "end": f"{hours[1]:02d}:00", "days": query.get("days")}
        elif "start" in query or "end" in query:
            value = {"start": query.get("start"), "end": query.get("end"), "days": query.get("days")}
        else:
            return error(422, "required: start_hour and end_hour (0..24), or start and end (HH:MM), optionally "
                              "days (mon-fri); or hours=always to remove the window", "start_hour", job_id=job_id)
        try:
            config = await run_in_threadpool(store_of(request).update, job_id, {"operating_hours": value},
                                             via="api", actor=_actor(request))
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        except ConfigValidationError as exc:
            # The store's message says which part is wrong (start, end or days).
            return error(422, exc.message, "operating_hours", job_id=job_id)
        hours_text = describe_hours(config.operating_hours)
        return envelope(message=f"Horario actualizado: {hours_text}", job_id=job_id,
                        operating_hours=config.to_dict()["operating_hours"], hours=hours_text,
                        config=config.to_dict())

    async def run_now(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]

        def launch():
            config = known(store_of(request), job_id)
            ahead = [record.dagster_run.run_id for record in dagster.in_flight(job_id)]
            tags = {"trigger": MANUAL_TRIGGER, "smartbind/actor": _actor(request)}
            return config, ahead, dagster.launch(job_id, tags)
        try:
            config, ahead, run_id = await run_in_threadpool(launch)
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        note = (f"queued behind run(s) {', '.join(ahead)} of {job_id}: one writer per sheet" if ahead
                else "queued; the Dagster daemon starts it when the process's writer slot is free")
        if not config.is_active:
            note += "; the process is paused, which stops its sensor, not a run started by hand"
        return envelope(message=f"Job '{job_id}' iniciado", job_id=job_id, run_id=run_id,
                        url=dagster.link(f"/runs/{run_id}"), queued_behind=ahead, note=note)

    async def history(request: Request) -> JSONResponse:
        raw = request.query_params.get("limit", "50")
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_HISTORY_LIMIT):
            return error(422, f"must be an integer between 1 and {MAX_HISTORY_LIMIT}", "limit")
        entries = await run_in_threadpool(history_entries, dagster, store_of(request), int(raw))
        return envelope(history=entries)

    async def stats(request: Request) -> JSONResponse:
        def read():
            configs = store_of(request).list()
            return {
                "connections": {"smartsheet": None, "bind": None,
                                "note": "not probed on every request: `smartbind doctor` checks both"},
                "scheduler": {
                    "running": dagster.daemon_running(),
                    "job_count": sum(1 for config in configs if config.is_active),
                    "jobs": len(configs),
                    "paused": sorted(config.job_id for config in configs if not config.is_active),
                },
                "history": {
                    "total": dagster.count(),
                    "successful": dagster.count(("SUCCESS",)),
                    "failed": dagster.count(("FAILURE",)),
                    "in_flight": dagster.count(IN_FLIGHT_STATUSES),
                },
            }
        return envelope(**await run_in_threadpool(read))

    async def admin(request: Request) -> HTMLResponse:
        return HTMLResponse(admin_page(dagster))

    base = "/api/admin/jobs"
    return [
        Route("/admin", admin, methods=["GET"]),
        Route(base, guarded(jobs), methods=["GET"]),
        Route(base + "/{job_id}/details", guarded(details), methods=["GET"]),
        Route(base + "/{job_id}/run", guarded(run_now), methods=["POST"]),
        Route(base + "/{job_id}/pause", guarded(set_active(False, "pausado")), methods=["POST"]),
        Route(base + "/{job_id}/resume", guarded(set_active(True, "reanudado")), methods=["POST"]),
        Route(base + "/{job_id}/interval", guarded(interval), methods=["PUT"]),
        Route(base + "/{job_id}/operating-hours", guarded(operating_hours), methods=["PUT"]),
        Route("/api/admin/history", guarded(history), methods=["GET"]),
        Route("/api/admin/stats", guarded(stats), methods=["GET"]),
    ]


def _actor(request: Request) -> str:
    actor = request.headers.get("x-actor", "").strip()
    return actor[:200] if actor else "api"
