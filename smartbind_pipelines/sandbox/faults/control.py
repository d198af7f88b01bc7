"""The fault menu of one emulator: what a queued fault is, the token bucket, and ``SandboxControl``.

``SandboxControl`` holds an emulator's queued faults, global latency, optional rate limit and request
log; ``FaultMiddleware`` (faults/middleware.py) consults it on every request and the admin routes
(faults/admin_routes.py) change it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "unavailable",
    "drop",
    "drop_after",
    "latency",
    "custom",
    "endless_next_link",
)

_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


def route_template(path: str) -> str:
    """``/2.0/sheets/123/rows`` -> ``/2.0/sheets/{id}/rows``: numeric and GUID segments become ``{id}``."""
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


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

    def record(
        self, method: str, path: str, status: int | str, fault: Fault | None, started: float | None = None
    ) -> None:
        endpoint = f"{method} {route_template(path)}"
        with self._lock:
            self.counts[endpoint] += 1
            # "started" (when the request arrived) and "at" (when it was answered) show overlapping requests
            self.log.append(
                {
                    "at": time.time(),
                    "started": started,
                    "endpoint": endpoint,
                    "path": path,
                    "status": status,
                    "fault": fault.kind if fault else None,
                }
            )

    def next_serial(self) -> int:
        """A number never handed out before (fault ids share the counter)."""
        with self._lock:
            self._next_id += 1
            return self._next_id

    def snapshot(self) -> dict:
        with self._lock:
            return {"total": sum(self.counts.values()), "counts": dict(self.counts), "log": list(self.log)[-200:]}

    def reset_log(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()
