"""Admin REST API over ProcessConfig, with the seed's paths and JSON envelopes.

GET  /api/admin/process-configs                    -> {"success", "timestamp", "configs": [...]}
GET  /api/admin/process-configs/{job_id}           -> {"success", "timestamp", "config": {...}}
PUT  /api/admin/process-configs/{job_id}           -> partial update; same envelope
GET  /api/admin/process-configs/{job_id}/history   -> ?limit=N (1..1000, default 100), newest first:
                                                      {"success", "timestamp", "job_id", "history": [...]}
GET  /healthz                                      -> liveness, no auth
/admin, /api/admin/jobs..., /api/admin/history, /api/admin/stats: the old middleware's doors, answered
by Dagster and ProcessConfig (the admin_doors package)

Every /api route needs ``Authorization: Bearer <SMARTBIND_ADMIN_TOKEN>`` (the scheme word in any case,
RFC 7235). The token is never logged and never echoed back.

Every answer is JSON, errors included: 401 (token), 404 (unknown process), 400 (a body that is not a
JSON object), 413 (a body over MAX_BODY_BYTES), 422 naming the field (a bad value, a huge number, nesting
too deep), 503 naming the file and the problem when the ProcessConfig file cannot be used (locked beyond a
short wait, missing, corrupt, read-only, newer schema), and a JSON 500 for anything unexpected.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from smartbind_pipelines.core.cdmx import iso_cdmx
from smartbind_pipelines.core.process_config import (
    ConfigValidationError,
    ProcessConfigStore,
    ProcessConfigUnavailable,
    UnknownProcessError,
)

logger = logging.getLogger(__name__)

ADMIN_TOKEN_ENV = "SMARTBIND_ADMIN_TOKEN"
MAX_BODY_BYTES = 1_000_000
MAX_ACTOR_LENGTH = 200
MAX_HISTORY_LIMIT = 1000
MAX_INTEGER_DIGITS = 30  # every integer field fits in 19 digits; longer ones are refused, not parsed
MAX_BODY_DEPTH = 32  # deeper bodies are refused naming the top-level field (the store allows 20 in a mapping)
# How long a request waits for another writer before answering 503; `smartbind admin-api` opens its store
# with this busy timeout (the store's own default suits batch writers better).
API_BUSY_TIMEOUT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 5


class _HugeNumber:
    """Stands in for an integer literal too long to parse, so the field's validator names the field."""

    def __init__(self, digits: int):
        self.digits = digits

    def __repr__(self) -> str:
        return f"a {self.digits}-digit number"


def _parse_int(text: str) -> int | _HugeNumber:
    digits = len(text.lstrip("-"))
    return _HugeNumber(digits) if digits > MAX_INTEGER_DIGITS else int(text)


def _too_deep(text: str, limit: int) -> tuple[bool, str | None]:
    """Whether ``text`` nests brackets deeper than ``limit``, and the top-level key it happens under.

    A plain scan (strings skipped), so it works where ``json.loads`` would hit the recursion limit.
    """
    depth, index, length, key = 0, 0, len(text), None
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if depth == 1:
                after = end + 1
                while after < length and text[after] in " \t\r\n":
                    after += 1
                if after < length and text[after] == ":":
                    key = text[index + 1 : end][:100]
            index = end + 1
            continue
        if char in "[{":
            depth += 1
            if depth > limit:
                return True, key
        elif char in "]}":
            depth -= 1
        index += 1
    return False, None


class AdminTokenMissing(RuntimeError):
    """The API refuses to start without a token: an open admin API would let anyone repoint sheets."""

    def __init__(self) -> None:
        super().__init__(
            f"{ADMIN_TOKEN_ENV} is not set or empty; the admin API refuses to start without a bearer token"
        )


def envelope(status_code: int = 200, **body: Any) -> JSONResponse:
    """Every answer's JSON: ``success`` (a status below 400), ``timestamp`` (Mexico City), then ``body``."""
    return JSONResponse({"success": status_code < 400, "timestamp": iso_cdmx(), **body}, status_code=status_code)


def error_answer(status_code: int, error: str, field: str | None = None, **extra: Any) -> JSONResponse:
    """An error in the envelope, naming the ``field`` (a parameter or body field) when one is at fault."""
    return envelope(status_code, error=error, field=field, **extra)


def parse_limit(raw: str) -> int | None:
    """A history ``?limit=``: an integer 1..MAX_HISTORY_LIMIT, else None (the caller answers 422)."""
    # ASCII digits only: "²" and "١٢" pass str.isdigit() but not int(); length before int() (digit limit).
    if raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_HISTORY_LIMIT:
        return int(raw)
    return None


def create_app(store: ProcessConfigStore, admin_token: str | None) -> Starlette:
    """The admin API over ``store``; raises AdminTokenMissing when ``admin_token`` is empty."""
    if not admin_token or not admin_token.strip():
        raise AdminTokenMissing()
    expected = admin_token.encode()

    def authorised(request: Request) -> bool:
        # RFC 7235: the scheme word is case-insensitive; the token itself is compared exactly.
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        presented = credentials.strip(" ").encode("utf-8", "surrogateescape")
        matches = hmac.compare_digest(presented, expected)  # constant time: no token guessing by timing
        return scheme.lower() == "bearer" and matches

    def refusal() -> JSONResponse:
        response = error_answer(401, "missing or invalid bearer token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="smartbind-admin"'
        return response

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def list_configs(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        configs = await run_in_threadpool(store_of(request).list)
        return envelope(configs=[config.to_dict() for config in configs])

    async def get_config(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        config = await run_in_threadpool(store_of(request).get, job_id)
        if config is None:
            return error_answer(404, UnknownProcessError(job_id).message, "job_id", job_id=job_id)
        return envelope(config=config.to_dict())

    async def update_config(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return error_answer(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        try:
            text = body.decode("utf-8")
            deep, key = _too_deep(text, MAX_BODY_DEPTH)
            if deep and key is not None:
                return error_answer(422, f"nested deeper than {MAX_BODY_DEPTH} levels", key, job_id=job_id)
            if deep:
                return error_answer(400, f"request body nests deeper than {MAX_BODY_DEPTH} levels")
            changes = json.loads(text, parse_int=_parse_int)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            return error_answer(400, f"request body is not valid JSON: {str(exc)[:200]}")
        if not isinstance(changes, dict):
            return error_answer(400, f"request body must be a JSON object, got {type(changes).__name__}")
        actor = actor_of(request)
        try:
            config = await run_in_threadpool(store_of(request).update, job_id, changes, via="api", actor=actor)
        except UnknownProcessError as exc:
            return error_answer(404, exc.message, exc.field, job_id=job_id)
        except ConfigValidationError as exc:
            return error_answer(422, exc.message, exc.field, job_id=job_id)
        return envelope(config=config.to_dict())

    async def history(request: Request) -> JSONResponse:
        if not authorised(request):
            return refusal()
        job_id = request.path_params["job_id"]
        limit = parse_limit(request.query_params.get("limit", "100"))
        if limit is None:
            return error_answer(422, f"must be an integer between 1 and {MAX_HISTORY_LIMIT}", "limit")
        try:
            entries = await run_in_threadpool(store_of(request).history, job_id, limit)
        except UnknownProcessError as exc:
            return error_answer(404, exc.message, exc.field, job_id=job_id)
        return envelope(job_id=job_id, history=entries)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/admin/process-configs", list_configs, methods=["GET"]),
        Route("/api/admin/process-configs/{job_id}", get_config, methods=["GET"]),
        Route("/api/admin/process-configs/{job_id}", update_config, methods=["PUT"]),
        Route("/api/admin/process-configs/{job_id}/history", history, methods=["GET"]),
    ]
    # The old middleware's doors (/admin, /api/admin/jobs..., history, stats), answered by Dagster. Imported
    # here, not at the top: the doors answer with this module's envelope.
    from smartbind_pipelines.admin_doors import build_routes as door_routes

    routes += door_routes(authorised, refusal)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("admin API: %s", exc)
        response = error_answer(503, str(exc))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        response = error_answer(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its type only: an exception text may quote a header or a body.
        logger.error("admin API: unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_answer(500, f"internal error ({type(exc).__name__}); see the admin API log")

    app = Starlette(
        routes=routes,
        exception_handlers={
            ProcessConfigUnavailable: unavailable,
            HTTPException: http_error,
            Exception: unexpected,
        },
    )
    app.state.store = store
    return app


def store_of(request: Request) -> ProcessConfigStore:
    """The ProcessConfig store the app serves (tests point it at their own file)."""
    return request.app.state.store


def actor_of(request: Request) -> str:
    """Who made the change, for the audit: the X-Actor header when given, else "api"."""
    actor = request.headers.get("x-actor", "").strip()
    return actor[:MAX_ACTOR_LENGTH] if actor else "api"
