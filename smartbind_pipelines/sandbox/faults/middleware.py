"""``FaultMiddleware``: the ASGI layer that serves the admin routes and applies latency, the rate limit
and queued faults before the emulator's app answers, logging every request.

Each emulator supplies an ``ErrorFlavor`` that renders errors the way its real service does (Bind:
ASP.NET/APIM bodies; Smartsheet: ``errorCode`` bodies). ``drop`` and ``drop_after`` close the
connection mid-answer by raising ``SandboxDroppedConnection``, which uvicorn's error log is told to
keep quiet about.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smartbind_pipelines.sandbox.faults.admin_routes import admin_response
from smartbind_pipelines.sandbox.faults.control import Fault, SandboxControl


class ErrorFlavor(Protocol):
    """How one emulated service renders the errors that faults and the rate limiter produce."""

    def rate_limited(self, retry_after: int) -> Response: ...

    def server_error(self) -> Response: ...

    def unavailable(self) -> Response: ...


class SandboxDroppedConnection(Exception):
    """Raised after a response has started so that uvicorn closes the socket mid-response."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SandboxDroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class FaultMiddleware:
    """ASGI middleware: admin routes, latency, rate limit, queued faults, request log."""

    def __init__(self, app, flavor: ErrorFlavor, control: SandboxControl | None = None):
        self.app = app
        self.flavor = flavor
        self.control = control or SandboxControl()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if path.startswith("/_sandbox/"):
            response = await admin_response(self.control, Request(scope, receive), path.rstrip("/"))
            if response is not None:
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)

        control = self.control
        started = time.time()
        fault = control.take_fault(method, path)
        delay_ms = control.latency_ms + (fault.latency_ms if fault and fault.kind == "latency" else 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)

        if control.bucket is not None:
            wait = control.bucket.take()
            if wait:
                control.record(method, path, 429, None)
                return await self.flavor.rate_limited(max(1, math.ceil(wait)))(scope, receive, send)

        kind = fault.kind if fault else None
        canned = {
            "rate_limit": lambda: self.flavor.rate_limited(fault.retry_after),
            "server_error": self.flavor.server_error,
            "unavailable": self.flavor.unavailable,
            "custom": lambda: _custom_response(fault),
        }
        if kind in canned:
            response = canned[kind]()
            control.record(method, path, response.status_code, fault, started)
            return await response(scope, receive, send)
        if kind == "endless_next_link":
            return await _endless_next_link(self.app, scope, receive, send, control, fault)
        if kind == "drop":
            control.record(method, path, "dropped", fault)
            await _start_then_drop(send)
        if kind == "drop_after":

            async def swallow(message):  # the work is done; the answer never arrives
                return None

            await self.app(scope, receive, swallow)
            control.record(method, path, "dropped", fault)
            await _start_then_drop(send)

        status: dict[str, int] = {}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            control.record(method, path, status.get("code", 500), fault, started)


def _custom_response(fault: Fault) -> Response:
    if fault.status == 204:  # a 204 never has a body (RFC 9110 §15.3.5)
        return Response(None, status_code=204)
    if fault.raw is not None:
        return Response(fault.raw.encode("utf-8"), status_code=fault.status, media_type=fault.content_type)
    if isinstance(fault.body, (dict, list)):
        return JSONResponse(fault.body, status_code=fault.status)
    return Response(fault.body or "", status_code=fault.status, media_type="text/html")


async def _endless_next_link(app, scope, receive, send, control: SandboxControl, fault: Fault) -> None:
    """Let the app answer, then point ``nextLink`` at the same page under a URL never seen before."""
    start: dict = {}
    chunks: list[bytes] = []

    async def capture(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    body = b"".join(chunks)
    try:
        page = json.loads(body)
    except ValueError:
        page = None
    if isinstance(page, dict) and "value" in page:
        serial = control.next_serial()
        query = scope.get("query_string", b"").decode("latin-1")
        query = re.sub(r"&?sandboxLoop=\d+", "", query).lstrip("&")
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        link = f"{scope.get('scheme', 'http')}://{host}{scope['path']}?" + (f"{query}&" if query else "")
        page["nextLink"] = f"{link}sandboxLoop={serial}"
        body = json.dumps(page, ensure_ascii=False).encode("utf-8")
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode("latin-1")))
    status = start.get("status", 500)
    control.record(scope["method"], scope["path"], status, fault)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _start_then_drop(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"value": [', "more_body": True})
    raise SandboxDroppedConnection("sandbox fault: connection dropped")
