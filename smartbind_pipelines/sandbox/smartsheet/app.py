"""The HTTP face of the emulator: Smartsheet API 2.0 routes under ``/2.0``, wrapped in FaultMiddleware.

Handlers parse the request on the event loop and run the state operation in a worker thread, so
overlapping requests on one sheet really overlap (the per-sheet lock or the 4004 collision decides).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from smartbind_pipelines.sandbox.faults import FaultMiddleware, SandboxControl
from smartbind_pipelines.sandbox.smartsheet import admin
from smartbind_pipelines.sandbox.smartsheet.api_request import Query, index_result, json_body, read_sheet_query
from smartbind_pipelines.sandbox.smartsheet.errors import (
    SmartsheetError,
    SmartsheetErrorFlavor,
    current_path,
    json_response,
    method_not_supported,
    missing_parameter,
    not_found,
    parse_error,
    token_invalid,
    token_required,
)
from smartbind_pipelines.sandbox.smartsheet.state import SmartsheetState

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Response]]


def _int_id(raw: str) -> int:
    return int(raw)


class SmartsheetApi:
    """Route table and handlers of the public API (everything under ``/2.0``)."""

    def __init__(self, state: SmartsheetState, tokens: set[str] | None):
        self.state = state
        self.tokens = set(tokens) if tokens is not None else None
        self.routes: list[tuple[re.Pattern, dict[str, Handler]]] = [
            (re.compile(r"^/2\.0/sheets$"), {"GET": self.list_sheets, "POST": self.create_sheet}),
            (
                re.compile(r"^/2\.0/(?P<kind>folders|workspaces)/(?P<container_id>\d+)/sheets$"),
                {"POST": self.create_sheet},
            ),
            (re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)$"), {"GET": self.get_sheet, "DELETE": self.delete_sheet}),
            (re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/version$"), {"GET": self.get_version}),
            (re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/columns$"), {"GET": self.list_columns}),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/columns/(?P<column_id>\d+)$"),
                {"GET": self.get_column, "PUT": self.update_column, "DELETE": self.delete_column},
            ),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/rows$"),
                {"POST": self.add_rows, "PUT": self.update_rows, "DELETE": self.delete_rows},
            ),
            (re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/rows/(?P<row_id>\d+)$"), {"GET": self.get_row}),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/rows/(?P<row_id>\d+)/discussions$"),
                {"GET": self.list_discussions, "POST": self.create_discussion},
            ),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/discussions$"),
                {"GET": self.list_discussions, "POST": self.create_discussion},
            ),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/discussions/(?P<discussion_id>\d+)$"),
                {"GET": self.get_discussion},
            ),
            (
                re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/discussions/(?P<discussion_id>\d+)/comments$"),
                {"POST": self.add_comment},
            ),
            (re.compile(r"^/2\.0/sheets/(?P<sheet_id>\d+)/comments/(?P<comment_id>\d+)$"), {"GET": self.get_comment}),
            (re.compile(r"^/2\.0/webhooks$"), {"GET": self.list_webhooks, "POST": self.create_webhook}),
            (
                re.compile(r"^/2\.0/webhooks/(?P<webhook_id>\d+)$"),
                {"GET": self.get_webhook, "PUT": self.update_webhook, "DELETE": self.delete_webhook},
            ),
            (
                re.compile(r"^/2\.0/webhooks/(?P<webhook_id>\d+)/(?i:resetsharedsecret)$"),
                {"POST": self.reset_shared_secret},
            ),
        ]

    def authorize(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise token_required()
        if self.tokens is not None and token not in self.tokens:
            raise token_invalid()

    async def __call__(self, request: Request) -> Response:
        try:
            for pattern, methods in self.routes:
                match = pattern.match(request.url.path)
                if match is None:
                    continue
                self.authorize(request)
                handler = methods.get(request.method)
                if handler is None:
                    raise method_not_supported()
                params = {k: (v if k == "kind" else _int_id(v)) for k, v in match.groupdict().items()}
                return await handler(request, Query(request), **params)
            self.authorize(request)
            raise not_found()
        except SmartsheetError as error:
            return error.response()
        except Exception:  # an emulator bug must still answer like the service, never hang the SDK
            log.exception("smartsheet emulator failed on %s %s", request.method, request.url.path)
            return SmartsheetError(500, 4000, "An unexpected error has occurred.").response()

    # -- sheets -------------------------------------------------------------------------------------

    async def list_sheets(self, request: Request, query: Query) -> Response:
        with_version = "sheetVersion" in query.words("include")
        sheets = await run_in_threadpool(self.state.list_sheets, with_version)
        return json_response(index_result(sheets, query))

    async def create_sheet(
        self, request: Request, query: Query, kind: str | None = None, container_id: int | None = None
    ) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise parse_error("the sheet must be a JSON object.")
        if body.get("fromId") is not None:
            raise SmartsheetError(400, 9999, "Smartsheet emulator: creating a sheet fromId is not emulated.")
        container = (kind[:-1], container_id) if kind else None
        created = await run_in_threadpool(
            lambda: self.state.create_sheet(body.get("name"), body.get("columns"), container=container)
        )
        return json_response({"message": "SUCCESS", "resultCode": 0, "result": created})

    async def get_sheet(self, request: Request, query: Query, sheet_id: int) -> Response:
        sheet_query = read_sheet_query(query)
        if_version_after = query.integer("ifVersionAfter")
        body = await run_in_threadpool(self.state.get_sheet, sheet_id, sheet_query, if_version_after)
        return json_response(body)

    async def get_version(self, request: Request, query: Query, sheet_id: int) -> Response:
        return json_response({"version": self.state.sheet_version(sheet_id)})

    async def delete_sheet(self, request: Request, query: Query, sheet_id: int) -> Response:
        await run_in_threadpool(self.state.delete_sheet, sheet_id)
        return json_response({"message": "SUCCESS", "resultCode": 0})

    # -- columns ------------------------------------------------------------------------------------

    async def list_columns(self, request: Request, query: Query, sheet_id: int) -> Response:
        columns = await run_in_threadpool(self.state.list_columns, sheet_id, query.integer("level") or 0)
        return json_response(index_result(columns, query))

    async def get_column(self, request: Request, query: Query, sheet_id: int, column_id: int) -> Response:
        return json_response(await run_in_threadpool(self.state.get_column, sheet_id, column_id))

    async def update_column(self, request: Request, query: Query, sheet_id: int, column_id: int) -> Response:
        body = await json_body(request)
        return json_response(await run_in_threadpool(self.state.update_column, sheet_id, column_id, body))

    async def delete_column(self, request: Request, query: Query, sheet_id: int, column_id: int) -> Response:
        return json_response(await run_in_threadpool(self.state.delete_column, sheet_id, column_id))

    # -- rows ---------------------------------------------------------------------------------------

    async def add_rows(self, request: Request, query: Query, sheet_id: int) -> Response:
        partial = query.flag("allowPartialSuccess")
        self.state.sheet(sheet_id)  # 404 before the body is even read, as the service does
        body = await json_body(request)
        return json_response(await run_in_threadpool(self.state.add_rows, sheet_id, body, partial))

    async def update_rows(self, request: Request, query: Query, sheet_id: int) -> Response:
        partial = query.flag("allowPartialSuccess")
        self.state.sheet(sheet_id)
        body = await json_body(request)
        return json_response(await run_in_threadpool(self.state.update_rows, sheet_id, body, partial))

    async def delete_rows(self, request: Request, query: Query, sheet_id: int) -> Response:
        if not query.words("ids"):
            raise missing_parameter("ids")
        row_ids = query.ids("ids")
        ignore = query.flag("ignoreRowsNotFound")
        return json_response(await run_in_threadpool(self.state.delete_rows, sheet_id, row_ids, ignore))

    async def get_row(self, request: Request, query: Query, sheet_id: int, row_id: int) -> Response:
        include = frozenset(query.words("include"))
        exclude = "nonexistentCells" in query.words("exclude")
        return json_response(await run_in_threadpool(self.state.get_row, sheet_id, row_id, include, exclude))

    # -- discussions and comments (smartsheet-events.md §7) -------------------------------------------

    async def list_discussions(
        self, request: Request, query: Query, sheet_id: int, row_id: int | None = None
    ) -> Response:
        with_comments = "comments" in query.words("include")
        items = await run_in_threadpool(self.state.list_discussions, sheet_id, row_id, with_comments)
        return json_response(index_result(items, query))

    async def create_discussion(
        self, request: Request, query: Query, sheet_id: int, row_id: int | None = None
    ) -> Response:
        self.state.sheet(sheet_id)
        body = await json_body(request)
        return json_response(await run_in_threadpool(self.state.create_discussion, sheet_id, body, row_id))

    async def get_discussion(self, request: Request, query: Query, sheet_id: int, discussion_id: int) -> Response:
        return json_response(await run_in_threadpool(self.state.get_discussion, sheet_id, discussion_id))

    async def add_comment(self, request: Request, query: Query, sheet_id: int, discussion_id: int) -> Response:
        self.state.sheet(sheet_id)
        body = await json_body(request)
        return json_response(await run_in_threadpool(self.state.add_comment, sheet_id, discussion_id, body))

    async def get_comment(self, request: Request, query: Query, sheet_id: int, comment_id: int) -> Response:
        return json_response(await run_in_threadpool(self.state.get_comment, sheet_id, comment_id))

    # -- webhooks (smartsheet-events.md §1-§3) -------------------------------------------------------

    @staticmethod
    def _token(request: Request) -> str:
        return request.headers.get("authorization", "").partition(" ")[2].strip()

    async def list_webhooks(self, request: Request, query: Query) -> Response:
        items = await run_in_threadpool(self.state.list_webhooks, self._token(request))
        return json_response(index_result(items, query))

    async def create_webhook(self, request: Request, query: Query) -> Response:
        body = await json_body(request)
        created = await run_in_threadpool(self.state.create_webhook, body, self._token(request))
        return json_response({"message": "SUCCESS", "resultCode": 0, "result": created})

    async def get_webhook(self, request: Request, query: Query, webhook_id: int) -> Response:
        return json_response(await run_in_threadpool(self.state.get_webhook, webhook_id))

    async def update_webhook(self, request: Request, query: Query, webhook_id: int) -> Response:
        body = await json_body(request)
        updated = await run_in_threadpool(self.state.update_webhook, webhook_id, body)
        return json_response({"message": "SUCCESS", "resultCode": 0, "result": updated})

    async def delete_webhook(self, request: Request, query: Query, webhook_id: int) -> Response:
        await run_in_threadpool(self.state.delete_webhook, webhook_id)
        return json_response({"message": "SUCCESS", "resultCode": 0})

    async def reset_shared_secret(self, request: Request, query: Query, webhook_id: int) -> Response:
        secret = await run_in_threadpool(self.state.reset_shared_secret, webhook_id)
        return json_response({"message": "SUCCESS", "resultCode": 0, "result": secret})


class _SmartsheetFaults(FaultMiddleware):
    """FaultMiddleware that remembers the request path, so an injected 4004 names the sheet it hit."""

    async def __call__(self, scope, receive, send):
        token = current_path.set(scope.get("path", "") if scope["type"] == "http" else "")
        try:
            await super().__call__(scope, receive, send)
        finally:
            current_path.reset(token)


def create_smartsheet_app(state: SmartsheetState, tokens: set[str] | None = None) -> FaultMiddleware:
    """The emulator as an ASGI app: API under ``/2.0``, admin under ``/_sandbox``.

    ``tokens``: accepted bearer tokens; ``None`` accepts any non-empty token.
    """
    api = SmartsheetApi(state, tokens)
    control = SandboxControl()
    sandbox = admin.SandboxRoutes(state, control)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.url.path.startswith("/_sandbox/"):
            response = await sandbox(request)
        else:
            response = await api(request)
        await response(scope, receive, send)

    return _SmartsheetFaults(app, SmartsheetErrorFlavor(), control)
