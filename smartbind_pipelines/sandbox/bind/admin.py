"""The Bind emulator's ``/_sandbox/...`` admin routes: JSON bodies to ``BindState``'s mutators and reads.

They live on the API's port but outside its auth; an unknown record answers 404, a bad body or keyword 400.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smartbind_pipelines.sandbox.bind.state import BindState
from smartbind_pipelines.sandbox.bind.state.admin_input import UnknownRecord


def _admin_routes(state: BindState) -> list[tuple[str, tuple[str, ...], Callable[..., object]]]:
    """(method, path segments after /_sandbox with '*' for an id, handler(body, *ids))."""
    return [
        ("POST", ("invoices",), lambda body: state.add_invoice(**body)),
        ("POST", ("invoices", "generate"), lambda body: state.generate_invoices(**body)),
        ("PATCH", ("invoices", "*"), lambda body, i: state.update_invoice(i, **body)),
        ("POST", ("invoices", "*", "stamp"), lambda body, i: state.stamp_invoice(i)),
        ("POST", ("invoices", "*", "pay"), lambda body, i: state.pay_invoice(i)),
        ("POST", ("invoices", "*", "cancel"), lambda body, i: state.cancel_invoice(i)),
        ("PUT", ("stock",), lambda body: state.set_stock(**body)),
        ("POST", ("products",), lambda body: state.add_product(**body)),
        ("POST", ("products", "generate"), lambda body: state.generate_products(**body)),
        ("PATCH", ("warehouses", "*"), lambda body, i: state.rename_warehouse(i, **body)),
        ("POST", ("clients",), lambda body: state.add_client(**body)),
        ("POST", ("services",), lambda body: state.add_service(**body)),
        ("GET", ("invoicing",), lambda body: state.configure_invoicing()),
        ("PUT", ("invoicing",), lambda body: state.configure_invoicing(**body)),
        ("GET", ("invoicing", "pending"), lambda body: {"pending": state.pending_stamps()}),
        ("POST", ("reset",), lambda body: state.reset(**_reset_args(body))),
        ("GET", ("state",), lambda body: state.summary()),
    ]


def _reset_args(body: dict) -> dict:
    if isinstance(body.get("now"), str):
        body = {**body, "now": datetime.fromisoformat(body["now"])}
    return body


def _match(pattern: tuple[str, ...], segments: list[str]) -> list[str] | None:
    if len(pattern) != len(segments):
        return None
    ids = []
    for expected, actual in zip(pattern, segments):
        if expected == "*":
            ids.append(actual)
        elif expected != actual.lower():
            return None
    return ids


async def sandbox_admin(state: BindState, request: Request) -> Response:
    """Answer one ``/_sandbox/...`` request: the handler's result as JSON, or ``{"error": ...}``."""
    segments = [s for s in request.url.path.split("/") if s][1:]
    for method, pattern, handler in _admin_routes(state):
        ids = _match(pattern, segments)
        if ids is None or method != request.method:
            continue
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            result = await run_in_threadpool(handler, body, *ids)
        except UnknownRecord as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except (TypeError, ValueError) as exc:  # json errors are ValueErrors; bad keywords are TypeErrors
            return JSONResponse({"error": f"{request.method} {request.url.path}: {exc}"}, status_code=400)
        return JSONResponse(result)
    return JSONResponse({"error": f"no sandbox route {request.method} {request.url.path}"}, status_code=404)
