"""Sandbox-only admin routes under ``/_sandbox/`` (outside auth, never faulted, never in the request log).

FaultMiddleware already serves ``faults``, ``requests``, ``rate-limit`` and ``latency``; these add the
Smartsheet-specific ones: sheets with chosen IDs, row dumps for assertions, limits, containers, reset.
"""

from __future__ import annotations

import json
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from smartbind_pipelines.sandbox.faults import SandboxControl
from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, json_response
from smartbind_pipelines.sandbox.smartsheet.state import SmartsheetState

_SHEET = re.compile(r"^/_sandbox/sheets/(\d+)$")
_SHEET_ROWS = re.compile(r"^/_sandbox/sheets/(\d+)/rows$")
_SHEET_COLUMN = re.compile(r"^/_sandbox/sheets/(\d+)/columns/(\d+)$")
_SHEET_ROW = re.compile(r"^/_sandbox/sheets/(\d+)/rows/(\d+)$")
_WEBHOOK_STATUS = re.compile(r"^/_sandbox/webhooks/(\d+)/status$")
_ROW_COMMENTS = re.compile(r"^/_sandbox/sheets/(\d+)/rows/(\d+)/comments$")


def _problem(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


class SandboxRoutes:
    def __init__(self, state: SmartsheetState, control: SandboxControl):
        self.state = state
        self.control = control

    async def __call__(self, request: Request) -> Response:
        path, method = request.url.path.rstrip("/"), request.method
        try:
            payload = await self._payload(request)
            return await run_in_threadpool(self._dispatch, path, method, payload)
        except (ValueError, TypeError) as exc:
            return _problem(400, f"{method} {path}: {exc}")
        except SmartsheetError as error:
            return _problem(error.status, f"{method} {path}: {error.code} {error.message}")

    @staticmethod
    async def _payload(request: Request):
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON body: {exc}") from None

    def _dispatch(self, path: str, method: str, payload) -> Response:
        state = self.state
        if path == "/_sandbox/sheets" and method == "POST":
            if not isinstance(payload, dict):
                raise ValueError('expected {"name", "columns", "id"?, "folderId"?, "workspaceId"?}')
            container = None
            if payload.get("folderId") is not None:
                container = ("folder", payload["folderId"])
            elif payload.get("workspaceId") is not None:
                container = ("workspace", payload["workspaceId"])
            return json_response(
                state.create_sheet(payload.get("name"), payload.get("columns"), payload.get("id"), container=container)
            )
        if path == "/_sandbox/sheets" and method == "GET":
            return json_response(
                [
                    {**summary, "totalRowCount": len(state.sheet(summary["id"]).rows)}
                    for summary in state.list_sheets(with_version=True)
                ]
            )
        if match := _SHEET_ROWS.match(path):
            if method == "GET":
                return json_response(state.rows_as_dicts(int(match.group(1))))
        if match := _SHEET_ROW.match(path):
            if method == "PATCH":
                if not isinstance(payload, dict) or set(payload) != {"modifiedAt"}:
                    raise ValueError('expected {"modifiedAt": "YYYY-MM-DDTHH:MM:SSZ"}')
                return json_response(
                    state.set_row_modified_at(int(match.group(1)), int(match.group(2)), payload["modifiedAt"])
                )
        if match := _ROW_COMMENTS.match(path):
            if method == "GET":
                return json_response(state.row_comments(int(match.group(1)), int(match.group(2))))
        if match := _SHEET.match(path):
            if method == "DELETE":
                state.delete_sheet(int(match.group(1)))
                return json_response({"deleted": int(match.group(1))})
        if match := _SHEET_COLUMN.match(path):
            sheet_id, column_id = int(match.group(1)), int(match.group(2))
            if method == "PUT":
                return json_response(state.update_column(sheet_id, column_id, payload)["result"])
            if method == "DELETE":
                state.delete_column(sheet_id, column_id)
                return json_response({"deleted": column_id})
        if path == "/_sandbox/webhooks" and method == "GET":  # every hook, secrets included
            with state._registry_lock:
                return json_response([{**hook} for hook in state.webhooks.values()])
        if path == "/_sandbox/webhooks/deliveries" and method == "GET":
            return json_response({"idle": state.deliveries.idle(), "attempts": state.deliveries.log()})
        if path == "/_sandbox/webhooks/pause" and method == "PUT":
            if not isinstance(payload, dict) or not isinstance(payload.get("paused"), bool):
                raise ValueError('expected {"paused": true|false}')
            state.deliveries.pause(payload["paused"])
            return json_response({"paused": payload["paused"]})
        if (match := _WEBHOOK_STATUS.match(path)) and method == "PUT":
            if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
                raise ValueError('expected {"status": "DISABLED_ADMINISTRATIVE", "details"?}')
            return json_response(
                state.set_webhook_status(int(match.group(1)), payload["status"], payload.get("details"))
            )
        if path == "/_sandbox/config":
            if method == "PUT":
                if not isinstance(payload, dict):
                    raise ValueError("expected a JSON object of settings")
                return json_response(state.configure(**payload))
            if method == "GET":
                return json_response(state.configure())
        if path in ("/_sandbox/workspaces", "/_sandbox/folders") and method == "POST":
            if not isinstance(payload, dict):
                raise ValueError('expected {"name", "id"?}')
            kind = "workspace" if path.endswith("workspaces") else "folder"
            return json_response(state.create_container(kind, payload.get("name"), payload.get("id")))
        if path == "/_sandbox/reset" and method == "POST":
            state.reset()
            self.control.faults.clear()
            self.control.reset_log()
            self.control.bucket = None
            self.control.latency_ms = 0
            return json_response({"reset": True})
        return _problem(404, f"no sandbox route {method} {path}")
