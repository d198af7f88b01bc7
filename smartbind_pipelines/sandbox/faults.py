"""Fault injection, rate limiting and a request log shared by both emulators.

``FaultMiddleware`` wraps an emulator's ASGI app. Each emulator supplies an ``ErrorFlavor`` that renders
errors the way its real service does (Bind: ASP.NET/APIM bodies; Smartsheet: ``errorCode`` bodies).

Admin API (on each emulator's own port, outside auth, never faulted or logged):

- ``GET|POST|DELETE /_sandbox/faults``  list, add (JSON ``Fault``) or clear queued faults
- ``GET|DELETE /_sandbox/requests``     per-endpoint counts and the recent log, or reset them
- ``PUT|DELETE /_sandbox/rate-limit``    ``{"per_second": 5, "burst": 10}`` token bucket, or off
- ``PUT /_sandbox/latency``              ``{"ms": 50}`` added to every request

Answers that are not what the route promises (issue 14): ``custom`` serves any status with a JSON
``body``, a text ``body`` (``text/html``), or a ``raw`` body sent byte for byte with ``content_type``;
``{"kind": "custom", "status": 204}`` is a 204 with no body and ``{"kind": "custom", "status": 200}`` an
empty 200. ``endless_next_link`` lets the app answer, then points the page's ``nextLink`` at the same
page under a new URL (``sandboxLoop=<n>`` appended), so a client that follows links without a cap
never stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

FAULT_KINDS = ("rate_limit", "server_error", "unavailable", "drop", "drop_after", "latency", "custom",
               "endless_next_link")

_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


def route_template(path: str) -> str:
    """``/2.0/sheets/123/rows`` -> ``/2.0/sheets/{id}/rows``: numeric and GUID segments become ``{id}``."""
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


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


@dataclass
class Fault:
    """The next ``count`` requests whose method and path match answer with ``kind``.

    kinds: rate_limit (429 + Retry-After), server_error (500), unavailable (503), drop (connection
    closed before the request is handled), drop_after (request handled, then connection closed before
    the answer arrives), latency (``latency_ms`` added), custom (``status`` with a JSON ``body``, a text
    ``body`` served as ``text/html``, or ``raw`` text served verbatim as ``content_type``; no body at
    all gives an empty answer, and 204 always has none), endless_next_link (the real answer, its
    ``nextLink`` replaced by a fresh URL of the same page: paging never ends while the fault lasts).
    ``path`` is a regular expression searched in the request path, case-insensitively.
    """

    kind: str
    path: str = ""
    method: str | None = None
    count: int = 1
    retry_after: int = 1
    latency_ms: int = 0
    status: int = 500
    body: dict | list | str | None = None
    raw: str | None = None
    content_type: str = "application/json; charset=utf-8"
    id: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {self.kind!r}")
        if not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"fault count must be a positive integer, not {self.count!r}")
        re.compile(self.path)
        if self.raw is not None and self.body is not None:
            raise ValueError("a custom fault takes a body or a raw body, not both")
        if self.raw is not None and not isinstance(self.raw, str):
            raise ValueError(f"raw must be text, not {type(self.raw).__name__}")
        if not isinstance(self.status, int) or isinstance(self.status, bool) or not 200 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP status from 200 to 599, not {self.status!r}")

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path, re.IGNORECASE) is not None


class TokenBucket:
    def __init__(self, per_second: float, burst: int):
        self.per_second = per_second
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is free."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.per_second)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.per_second


@dataclass
class SandboxControl:
    """Queued faults, global latency, optional rate limit and the request log of one emulator."""

    faults: list[Fault] = field(default_factory=list)
    latency_ms: int = 0
    bucket: TokenBucket | None = None
    counts: Counter = field(default_factory=Counter)
    log: deque = field(default_factory=lambda: deque(maxlen=2000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record(self, method: str, path: str, status: int | str, fault: Fault | None,
               started: float | None = None) -> None:
        endpoint = f"{method} {route_template(path)}"
        with self._lock:
            self.counts[endpoint] += 1
            # "started" (when the request arrived) and "at" (when it was answered) show overlapping requests
            self.log.append({"at": time.time(), "started": started, "endpoint": endpoint, "path": path,
                             "status": status, "fault": fault.kind if fault else None})

    def snapshot(self) -> dict:
        with self._lock:
            return {"total": sum(self.counts.values()), "counts": dict(self.counts),
                    "log": list(self.log)[-200:]}

    def reset_log(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()


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
            response = await self._admin(Request(scope, receive), path.rstrip("/"))
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

    async def _admin(self, request: Request, path: str) -> Response | None:
        control, method = self.control, request.method
        if path == "/_sandbox/faults":
            if method == "GET":
                return JSONResponse([asdict(f) for f in control.faults])
            if method == "DELETE":
                control.faults.clear()
                return JSONResponse({"cleared": True})
            if method == "POST":
                try:
                    payload = await request.json()
                    items = payload if isinstance(payload, list) else [payload]
                    added = [control.add_fault(Fault(**{k: v for k, v in item.items() if k != "id"}))
                             for item in items]
                except (TypeError, ValueError, re.error) as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
                return JSONResponse([asdict(f) for f in added])
        if path == "/_sandbox/requests":
            if method == "GET":
                return JSONResponse(control.snapshot())
            if method == "DELETE":
                control.reset_log()
                return JSONResponse({"cleared": True})
        if path == "/_sandbox/rate-limit":
            if method == "DELETE":
                control.bucket = None
                return JSONResponse({"rate_limit": None})
            if method == "PUT":
                try:
                    payload = await request.json()
                    per_second, burst = float(payload["per_second"]), int(payload.get("burst", 1))
                    if per_second <= 0 or burst < 1:
                        raise ValueError("per_second must be > 0 and burst >= 1")
                except (KeyError, TypeError, ValueError) as exc:
                    return JSONResponse({"error": f"rate-limit: {exc}"}, status_code=400)
                control.bucket = TokenBucket(per_second, burst)
                return JSONResponse({"rate_limit": {"per_second": per_second, "burst": burst}})
        if path == "/_sandbox/latency" and method == "PUT":
            try:
                ms = int((await request.json())["ms"])
                if ms < 0:
                    raise ValueError("ms must be >= 0")
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": f"latency: {exc}"}, status_code=400)
            control.latency_ms = ms
            return JSONResponse({"latency_ms": ms})
        return None


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
        with control._lock:
            control._next_id += 1
            serial = control._next_id
        query = scope.get("query_string", b"").decode("latin-1")
        query = re.sub(r"&?sandboxLoop=\d+", "", query).lstrip("&")
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        link = f"{scope.get('scheme', 'http')}://{host}{scope['path']}?" + (f"{query}&" if query else "")
        page["nextLink"] = f"{link}sandboxLoop={serial}"
        body = json_dumps(page).encode("utf-8")
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode("latin-1")))
    status = start.get("status", 500)
    control.record(scope["method"], scope["path"], status, fault)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _start_then_drop(send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")]})
    await send({"type": "http.response.body", "body": b'{"value": [', "more_body": True})
    raise SandboxDroppedConnection("sandbox fault: connection dropped")


class SandboxAdmin:
    """A small client for an emulator's ``/_sandbox`` admin API, for tests, benchmarks and the CLI."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        import requests

        root = base_url.rstrip("/")
        for suffix in ("/api", "/2.0"):
            if root.endswith(suffix):
                root = root[: -len(suffix)]
        self.root = root
        self._session = requests.Session()
        self._timeout = timeout

    def _call(self, method: str, path: str, payload=None):
        response = self._session.request(method, f"{self.root}/_sandbox/{path}", json=payload,
                                         timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def inject(self, kind: str, path: str = "", *, method: str | None = None, count: int = 1,
               **options) -> list[dict]:
        return self._call("POST", "faults", {"kind": kind, "path": path, "method": method,
                                             "count": count, **options})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def pending_faults(self) -> list[dict]:
        return self._call("GET", "faults")

    def requests(self) -> dict:
        return self._call("GET", "requests")

    def counts(self) -> dict[str, int]:
        return self.requests()["counts"]

    def reset_requests(self) -> None:
        self._call("DELETE", "requests")

    def set_latency(self, ms: int) -> None:
        self._call("PUT", "latency", {"ms": ms})

    def set_rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        if per_second is None:
            self._call("DELETE", "rate-limit")
        else:
            self._call("PUT", "rate-limit", {"per_second": per_second, "burst": burst})

    def post(self, path: str, payload=None):
        """Call an emulator-specific admin route, e.g. ``post("invoices", {...})``."""
        return self._call("POST", path, payload)

    def put(self, path: str, payload=None):
        return self._call("PUT", path, payload)

    def get(self, path: str):
        return self._call("GET", path)

    def delete(self, path: str):
        return self._call("DELETE", path)


def json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
