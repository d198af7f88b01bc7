"""The doors' routes: reads (job list, details, history, stats), writes (pause, resume, interval, operating
hours), "run now" and the /admin page, behind api.py's bearer check and answering in its JSON envelope.

Reads and launches touch the Dagster instance, so they run in a thread; a ``DagsterUnavailable`` becomes a
503 with Retry-After, a ``LaunchFailed`` a 502 naming the job. Writes go to ProcessConfig, audited with the
X-Actor header (the sensor reads the row at its next tick).
"""

from __future__ import annotations

from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from smartbind_pipelines.admin_doors.instance import Dagster, DagsterUnavailable
from smartbind_pipelines.admin_doors.launch import LaunchFailed, launch_run
from smartbind_pipelines.admin_doors.page import admin_page
from smartbind_pipelines.admin_doors.shapes import history_entries, job_shape, stats
from smartbind_pipelines.api import MAX_HISTORY_LIMIT, actor_of, envelope, error_answer, parse_limit, store_of
from smartbind_pipelines.core.process_config import (
    ConfigValidationError,
    ProcessConfig,
    ProcessConfigStore,
    UnknownProcessError,
)
from smartbind_pipelines.core.process_config.hours import describe as describe_hours

MANUAL_TRIGGER = "admin-api"  # the "trigger" tag of a run started by "run now"
DAGSTER_RETRY_AFTER_SECONDS = 30
DETAILS_HISTORY_ENTRIES = 10


def hours_from_query(query: QueryParams) -> tuple[Any, tuple[str, str] | None]:
    """The operating hours a PUT .../operating-hours asks for, as the value ProcessConfig validates; or, when
    the query cannot be read, ``(None, (message, parameter))`` for a 422."""
    if "hours" in query:
        return query["hours"], None
    if "start_hour" in query or "end_hour" in query:
        hours = []
        for name in ("start_hour", "end_hour"):
            raw = query.get(name, "")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 2 and int(raw) <= 24):
                return None, (f"must be an hour 0..24 (Mexico City), not {raw[:40]!r}", name)
            hours.append(int(raw))
        return {"start": f"{hours[0]:02d}:00", "end": f"{hours[1]:02d}:00", "days": query.get("days")}, None
    if "start" in query or "end" in query:
        return {"start": query.get("start"), "end": query.get("end"), "days": query.get("days")}, None
    return None, (
        "required: start_hour and end_hour (0..24), or start and end (HH:MM), optionally days "
        "(mon-fri); or hours=always to remove the window",
        "start_hour",
    )


def build_routes(
    authorised: Callable[[Request], bool], refusal: Callable[[], JSONResponse], dagster: Dagster | None = None
) -> list[Route]:
    """The doors, with api.py's bearer check (``authorised``) and its 401 answer (``refusal``)."""
    dagster = dagster or Dagster()

    def guarded(handler):
        async def route(request: Request):
            if not authorised(request):
                return refusal()
            try:
                return await handler(request)
            except DagsterUnavailable as exc:
                response = error_answer(503, str(exc))
                response.headers["Retry-After"] = str(DAGSTER_RETRY_AFTER_SECONDS)
                return response
            except LaunchFailed as exc:
                return error_answer(502, str(exc), job_id=request.path_params.get("job_id"))

        return route

    def known(store: ProcessConfigStore, job_id: str) -> ProcessConfig:
        config = store.get(job_id)
        if config is None:
            raise UnknownProcessError(job_id)
        return config

    def not_found(exc: UnknownProcessError, job_id: str) -> JSONResponse:
        return error_answer(404, exc.message, "job_id", job_id=job_id)

    async def update(request: Request, changes: dict[str, Any]) -> ProcessConfig:
        return await run_in_threadpool(
            store_of(request).update, request.path_params["job_id"], changes, via="api", actor=actor_of(request)
        )

    async def jobs(request: Request) -> JSONResponse:
        def read():
            stopped = dagster.stopped_sensors()
            return [
                job_shape(dagster, config, stopped) for config in store_of(request).list()
            ], dagster.daemon_running()

        listed, daemon = await run_in_threadpool(read)
        return envelope(scheduler_running=daemon, jobs=listed)

    async def details(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]

        def read():
            store = store_of(request)
            config = known(store, job_id)
            return (
                job_shape(dagster, config, dagster.stopped_sensors()),
                config.to_dict(),
                history_entries(dagster, store, DETAILS_HISTORY_ENTRIES, job_id),
            )

        try:
            job, config, recent = await run_in_threadpool(read)
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        return envelope(job=job, process_config=config, last_run=job["last_run"], recent_history=recent)

    def set_active(active: bool, word: str):
        async def handler(request: Request) -> JSONResponse:
            job_id = request.path_params["job_id"]
            try:
                config = await update(request, {"is_active": active})
            except UnknownProcessError as exc:
                return not_found(exc, job_id)
            return envelope(
                message=f"Job '{job_id}' {word}", job_id=job_id, is_active=config.is_active, config=config.to_dict()
            )

        return handler

    async def interval(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        raw = request.query_params.get("minutes")
        if raw is None:
            return error_answer(422, "required query parameter (integer minutes, 1..1440)", "minutes", job_id=job_id)
        if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 6):
            return error_answer(
                422, f"must be an integer number of minutes, not {raw[:40]!r}", "minutes", job_id=job_id
            )
        try:
            config = await update(request, {"interval_minutes": int(raw)})
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        except ConfigValidationError as exc:
            return error_answer(422, exc.message, "minutes", job_id=job_id)
        return envelope(
            message=f"Job '{job_id}' reprogramado a cada {config.interval_minutes} minutos",
            job_id=job_id,
            interval_minutes=config.interval_minutes,
            config=config.to_dict(),
        )

    async def operating_hours(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        value, refused = hours_from_query(request.query_params)
        if refused is not None:
            message, parameter = refused
            return error_answer(422, message, parameter, job_id=job_id)
        try:
            config = await update(request, {"operating_hours": value})
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        except ConfigValidationError as exc:
            # The store's message says which part is wrong (start, end or days).
            return error_answer(422, exc.message, "operating_hours", job_id=job_id)
        hours_text = describe_hours(config.operating_hours)
        return envelope(
            message=f"Horario actualizado: {hours_text}",
            job_id=job_id,
            operating_hours=config.to_dict()["operating_hours"],
            hours=hours_text,
            config=config.to_dict(),
        )

    async def run_now(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]

        def launch():
            config = known(store_of(request), job_id)
            ahead = [record.dagster_run.run_id for record in dagster.in_flight(job_id)]
            tags = {"trigger": MANUAL_TRIGGER, "smartbind/actor": actor_of(request)}
            return config, ahead, launch_run(dagster, job_id, tags)

        try:
            config, ahead, run_id = await run_in_threadpool(launch)
        except UnknownProcessError as exc:
            return not_found(exc, job_id)
        note = (
            f"queued behind run(s) {', '.join(ahead)} of {job_id}: one writer per sheet"
            if ahead
            else "queued; the Dagster daemon starts it when the process's writer slot is free"
        )
        if not config.is_active:
            note += "; the process is paused, which stops its sensor, not a run started by hand"
        return envelope(
            message=f"Job '{job_id}' iniciado",
            job_id=job_id,
            run_id=run_id,
            url=dagster.link(f"/runs/{run_id}"),
            queued_behind=ahead,
            note=note,
        )

    async def history(request: Request) -> JSONResponse:
        limit = parse_limit(request.query_params.get("limit", "50"))
        if limit is None:
            return error_answer(422, f"must be an integer between 1 and {MAX_HISTORY_LIMIT}", "limit")
        entries = await run_in_threadpool(history_entries, dagster, store_of(request), limit)
        return envelope(history=entries)

    async def run_stats(request: Request) -> JSONResponse:
        def read():
            return stats(dagster, store_of(request).list())

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
        Route("/api/admin/stats", guarded(run_stats), methods=["GET"]),
    ]
