"""The admin routes every emulator shares, served by ``FaultMiddleware`` outside auth, never faulted or logged.

- ``GET|POST|DELETE /_sandbox/faults``  list, add (JSON ``Fault``, or a list of them) or clear queued faults
- ``GET|DELETE /_sandbox/requests``     per-endpoint counts and the recent log, or reset them
- ``PUT|DELETE /_sandbox/rate-limit``    ``{"per_second": 5, "burst": 10}`` token bucket, or off
- ``PUT /_sandbox/latency``              ``{"ms": 50}`` added to every request

Any other ``/_sandbox/...`` path falls through to the emulator's own admin routes.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smartbind_pipelines.sandbox.faults.control import Fault, SandboxControl, TokenBucket


async def admin_response(control: SandboxControl, request: Request, path: str) -> Response | None:
    """The answer to a shared admin route, or None when ``path`` and the method are not one of them."""
    method = request.method
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
                added = [control.add_fault(Fault(**{k: v for k, v in item.items() if k != "id"})) for item in items]
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
