"""Admin REST API over ProcessConfig, with the seed's paths and JSON envelopes.

GET  /api/admin/process-configs                    -> {"success", "timestamp", "configs": [...]}
GET  /api/admin/process-configs/{job_id}           -> {"success", "timestamp", "config": {...}}
PUT  /api/admin/process-configs/{job_id}           -> partial update; same envelope
GET  /api/admin/process-configs/{job_id}/history   -> {"success", "timestamp", "job_id", "history": [...]}
GET  /healthz                                      -> liveness, no auth

Every /api route needs ``Authorization: Bearer <SMARTBIND_ADMIN_TOKEN>``. The token is never logged
and never echoed back.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from smartbind_pipelines.core.cdmx import iso_cdmx
from smartbind_pipelines.core.process_config import (
    ConfigValidationError,
    ProcessConfigStore,
    UnknownProcessError,
)

ADMIN_TOKEN_ENV = "SMARTBIND_ADMIN_TOKEN"
MAX_BODY_BYTES = 1_000_000
MAX_ACTOR_LENGTH = 200
MAX_HISTORY_LIMIT = 1000


class AdminTokenMissing(RuntimeError):
    """The API refuses to start without a token: an open admin API would let anyone repoint sheets."""

    def __init__(self) -> None:
        super().__init__(
            f"{ADMIN_TOKEN_ENV} is not set or empty; the admin API refuses to start without a bearer token"
        )


def _envelope(status_code: int = 200, **body: Any) -> JSONResponse:
    return JSONResponse({"success": status_code < 400, "timestamp": iso_cdmx(), **body}, status_code=status_code)


def _error(status_code: int, error: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return _envelope(status_code, error=error, field=field, **extra)


def create_app(store: ProcessConfigStore, admin_token: str | None) -> Starlette:
    """The admin API over ``store``; raises AdminTokenMissing when ``admin_token`` is empty."""
    if not admin_token or not admin_token.strip():
        raise AdminTokenMissing()
    expected = f"Bearer {admin_token}".encode()

    def authorised(request: Request) -> bool:
        presented = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(presented, expected)  # constant time: no token guessing by timing

    def refusal() -> JSONResponse:
        response = _error(401, "missing or invalid bearer token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="smartbind-admin"'
        return response

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def list_configs(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        configs = await run_in_threadpool(_store(request).list)
        return _envelope(configs=[config.to_dict() for config in configs])

    async def get_config(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        config = await run_in_threadpool(_store(request).get, job_id)
        if config is None:
            return _error(404, str(UnknownProcessError(job_id).message), "job_id", job_id=job_id)
        return _envelope(config=config.to_dict())

    async def update_config(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        try:
            changes = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, f"request body is not valid JSON: {exc}")
        if not isinstance(changes, dict):
            return _error(400, f"request body must be a JSON object, got {type(changes).__name__}")
        actor = _actor(request)
        try:
            config = await run_in_threadpool(_store(request).update, job_id, changes, via="api", actor=actor)
        except UnknownProcessError as exc:
            return _error(404, exc.message, exc.field, job_id=job_id)
        except ConfigValidationError as exc:
            return _error(422, exc.message, exc.field, job_id=job_id)
        return _envelope(config=config.to_dict())

    async def history(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        raw_limit = request.query_params.get("limit", "100")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_HISTORY_LIMIT:
            return _error(422, f"must be an integer between 1 and {MAX_HISTORY_LIMIT}", "limit")
        try:
            entries = await run_in_threadpool(_store(request).history, job_id, int(raw_limit))
        except UnknownProcessError as exc:
            return _error(404, exc.message, exc.field, job_id=job_id)
        return _envelope(job_id=job_id, history=entries)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/admin/process-configs", list_configs, methods=["GET"]),
        Route("/api/admin/process-configs/{job_id}", get_config, methods=["GET"]),
        Route("/api/admin/process-configs/{job_id}", update_config, methods=["PUT"]),
        Route("/api/admin/process-configs/{job_id}/history", history, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    return app


def _store(request: Request) -> ProcessConfigStore:
    return request.app.state.store


def _actor(request: Request) -> str:
    """Who made the change, for the audit: the X-Actor header when given, else "api"."""
    actor = request.headers.get("x-actor", "").strip()
    return actor[:MAX_ACTOR_LENGTH] if actor else "api"
