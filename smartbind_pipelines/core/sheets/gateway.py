"""SheetGateway: the only code that talks to the smartsheet SDK.

It fixes the SDK traps found on the wire (see contracts/smartsheet-api.md §1):
- errors are raised (``errors_as_exceptions(True)``), never returned as values to forget;
- every request has a timeout (the SDK sets none; a hung server would hang the run);
- urllib3 never re-sends a POST behind our back (the SDK's https adapter would, duplicating adds);
- the SDK retries only errorCodes 4001-4004; a 5xx without those codes or a lost connection is
  retried here with a bounded backoff, but only for requests that are safe to repeat. An add whose
  answer was lost raises ``SheetTransportError`` so the caller re-reads the key index first.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import smartsheet
from requests.adapters import HTTPAdapter
from smartsheet.exceptions import ApiError, HttpError, UnexpectedRequestError
from smartsheet.models import Column, Comment, Discussion, JSONObject, Sheet
from smartsheet.smartsheet import AbstractUserCalcBackoff

from smartbind_pipelines.core.sheets.errors import (
    MissingColumnError, SheetApiError, SheetIndexError, SheetTransportError,
)
from smartbind_pipelines.core.sheets.mapping import SheetMapping, sheet_columns
from smartbind_pipelines.core.sheets.plan import ExistingRow

log = logging.getLogger(__name__)

MAX_BATCH = 500  # Smartsheet: "limit your request to 500 rows at a time"
DELETE_CHUNK = 300  # row ids travel in the query string; keep URLs short
READ_PAGE_SIZE = 5000  # rows per page when the service pages the key index: the same size on every page
PAGED_READ_ATTEMPTS = 3  # whole paged re-reads (a sheet changing between pages) before failing
ROW_IDS_PER_READ = 100  # row ids per GET /sheets/{id}?rowIds=…: keeps the URL short (17 digits an id)
_SDK_RETRIED = {4001, 4002, 4003, 4004}  # the SDK already backed off on these: the request was not applied
_NUMERIC = re.compile(r"^\d+$")
MAX_ERROR_CHARS = 300  # an error body quoted in an error message, after redaction
MAX_COMMENT_CHARS = 4000  # a discussion comment's text limit [G: contracts/smartsheet-events.md]


class FixedBackoff(AbstractUserCalcBackoff):
    """SDK backoff of ``delay`` seconds for up to ``attempts`` retries: for tests and the sandbox."""

    def __init__(self, delay: float = 0.01, attempts: int = 5):
        self.delay = delay
        self.attempts = attempts

    def calc_backoff(self, previous_attempts, total_elapsed_time, error_result):
        return self.delay if previous_attempts <= self.attempts else -1


class _Redactor(logging.Filter):
    """Replaces access tokens in the SDK's log records: it logs error bodies, and a server may echo the token."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            clean = self.redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
        return True


_REDACTOR = _Redactor()
logging.getLogger("smartsheet.smartsheet").addFilter(_REDACTOR)  # the SDK's own logger


class _TimeoutAdapter(HTTPAdapter):
    """Supplies a default timeout to every request, never retries at the urllib3 level, and reports
    each request as it is sent (so one whose answer is cut after the headers is counted once)."""

    def __init__(self, timeout: float, on_send: Callable[[Any], None]):
        self._timeout = timeout
        self._on_send = on_send
        super().__init__(max_retries=0)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        self._on_send(request)
        return super().send(request, **kwargs)


@dataclass
class SheetInfo:
    sheet_id: int
    name: str
    version: int | None
    total_row_count: int
    column_count: int
    permalink: str | None = None  # the sheet's link for people (the sandbox's HTML page in the sandbox)


@dataclass
class BatchOutcome:
    """One write request's result: row ids created/updated by batch position, and per-row failures."""

    row_ids: dict[int, int] = field(default_factory=dict)  # batch index -> row id
    failures: list[tuple[int, int | None, str]] = field(default_factory=list)  # (index, errorCode, message)


class SheetGateway:
    """Sheet reads and writes through the SDK, with request counts per endpoint template."""

    def __init__(self, client: smartsheet.Smartsheet, *, api_base: str, timeout: float = 60,
                 transport_attempts: int = 3, retry_delay: float = 1.0, sleep=time.sleep):
        self._client = client
        self._base_path = urlsplit(api_base).path.rstrip("/")
        self.transport_attempts = transport_attempts
        self.retry_delay = retry_delay
        self._sleep = sleep
        self.request_counts: collections.Counter = collections.Counter()
        token = getattr(client, "_access_token", None)  # the SDK keeps it there; errors must never show it
        if token:
            _REDACTOR.secrets.add(token)
        client.errors_as_exceptions(True)
        session = client._session  # the SDK exposes no hook for timeouts or adapters
        adapter = _TimeoutAdapter(timeout, self._count_request)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    @classmethod
    def connect(cls, access_token: str, api_base: str, *, timeout: float = 60,
                max_retry_time: float | AbstractUserCalcBackoff = 60, transport_attempts: int = 3,
                retry_delay: float = 1.0, sleep=time.sleep) -> "SheetGateway":
        """A gateway on a fresh SDK client. ``max_retry_time`` may be an AbstractUserCalcBackoff."""
        if not access_token:
            raise ValueError("Smartsheet access token is empty: set SMARTSHEET_ACCESS_TOKEN")
        client = smartsheet.Smartsheet(access_token=access_token, api_base=api_base.rstrip("/"),
                                       max_retry_time=max_retry_time, user_agent="smartbind")
        return cls(client, api_base=api_base, timeout=timeout, transport_attempts=transport_attempts,
                   retry_delay=retry_delay, sleep=sleep)

    def __repr__(self) -> str:
        return f"SheetGateway({self._base_path or '/'})"

    # -- reads ----------------------------------------------------------------------------------

    def sheet_columns(self, sheet_id: int) -> dict[str, dict]:
        """Column title -> {"id", "type", "primary"} (one request)."""
        result = self._call("GET /sheets/{id}/columns", True,
                            lambda: self._client.Sheets.get_columns(sheet_id, include_all=True))
        columns = {}
        for column in result.data or []:
            kind = str(column.type_) if column.type_ is not None else None
            columns[column.title] = {"id": column.id, "type": None if kind == "None" else kind,
                                     "primary": bool(column.primary)}
        return columns

    def read_rows(self, sheet_id: int, titles: Sequence[str], *,
                  columns: dict[str, dict] | None = None) -> tuple[list[ExistingRow], SheetInfo]:
        """Rows with only the cells of ``titles``: one ``GET /sheets/{id}?columnIds=…`` request
        (plus one for the columns when ``columns`` is not given)."""
        columns = columns if columns is not None else self.sheet_columns(sheet_id)
        missing = [title for title in titles if title not in columns]
        if missing:
            raise MissingColumnError(str(sheet_id), missing)
        ids = [columns[title]["id"] for title in titles]
        by_id = {columns[title]["id"]: title for title in titles}
        sheet = self._get_sheet(sheet_id, ids)
        rows = list(sheet.get("rows") or [])
        total = int(sheet.get("totalRowCount") or 0)
        if len(rows) < total:  # the service paged an unpaged read: read it all again, page by page
            sheet, rows, total = self._read_paged(sheet_id, ids, first=sheet)
        existing = [ExistingRow(row["id"], {by_id[cell["columnId"]]: cell.get("value")
                                             for cell in row.get("cells") or [] if cell.get("columnId") in by_id})
                    for row in rows]
        info = SheetInfo(sheet_id, sheet.get("name"), sheet.get("version"), max(total, len(existing)), len(columns),
                         sheet.get("permalink"))
        return existing, info

    def _read_paged(self, sheet_id: int, ids: list[int], *, first: dict) -> tuple[dict, list[dict], int]:
        """Every row through pages of one size, from page 1; the same sheet version on every page.

        Raises ``SheetIndexError`` when the rows read never add up to ``totalRowCount``: planning on a
        partial key index would add again every row it missed."""
        name = first.get("name")
        got, total = len(first.get("rows") or []), int(first.get("totalRowCount") or 0)
        for _ in range(PAGED_READ_ATTEMPTS):
            rows: list[dict] = []
            head: dict = {}
            versions = set()
            page = 0
            while True:
                page += 1
                answer = self._get_sheet(sheet_id, ids, pageSize=READ_PAGE_SIZE, page=page)
                head = head or answer
                versions.add(answer.get("version"))
                more = answer.get("rows") or []
                rows.extend(more)
                total = int(answer.get("totalRowCount") or 0)
                if len(more) < READ_PAGE_SIZE or len(rows) >= total or page * READ_PAGE_SIZE >= total:
                    break
            if len(rows) == total and len(versions) == 1 and len({row.get("id") for row in rows}) == total:
                return head, rows, total
            got = len(rows)
            log.warning("sheet %s: read %d of %d rows over %d page(s) (versions %s); reading again",
                        sheet_id, got, total, page, sorted(v for v in versions if v is not None))
        raise SheetIndexError(str(sheet_id), name, got, total)

    def rows_modified_since(self, sheet_id: int, since: datetime, titles: Sequence[str], *,
                            columns: dict[str, dict] | None = None) -> list[ExistingRow]:
        """Rows modified at or after ``since`` (``GET /sheets/{id}?rowsModifiedSince=``) with only the cells
        of ``titles``: one request (plus one for the columns when ``columns`` is not given); a read, so retried.

        ``since`` travels as an explicit UTC ``…Z`` string (the SDK would send a datetime with a space)."""
        columns = columns if columns is not None else self.sheet_columns(sheet_id)
        missing = [title for title in titles if title not in columns]
        if missing:
            raise MissingColumnError(str(sheet_id), missing)
        by_id = {columns[title]["id"]: title for title in titles}
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = self._get_sheet(sheet_id, list(by_id), rowsModifiedSince=stamp)
        return [ExistingRow(row["id"], {by_id[cell["columnId"]]: cell.get("value")
                                        for cell in row.get("cells") or [] if cell.get("columnId") in by_id})
                for row in answer.get("rows") or []]

    def read_rows_by_id(self, sheet_id: int, row_ids: Sequence[int], titles: Sequence[str], *,
                        columns: dict[str, dict] | None = None) -> list[ExistingRow]:
        """These rows only (``GET /sheets/{id}?rowIds=…``, ``ROW_IDS_PER_READ`` a request), with the cells of
        ``titles`` (plus one request for the columns when ``columns`` is not given). Ids the sheet no longer
        has are simply absent from the answer; a read, so retried."""
        columns = columns if columns is not None else self.sheet_columns(sheet_id)
        missing = [title for title in titles if title not in columns]
        if missing:
            raise MissingColumnError(str(sheet_id), missing)
        by_id = {columns[title]["id"]: title for title in titles}
        wanted = list(dict.fromkeys(int(row_id) for row_id in row_ids))
        rows: list[ExistingRow] = []
        for start in range(0, len(wanted), ROW_IDS_PER_READ):
            chunk = wanted[start:start + ROW_IDS_PER_READ]
            answer = self._get_sheet(sheet_id, list(by_id), rowIds=",".join(map(str, chunk)))
            rows += [ExistingRow(row["id"], {by_id[cell["columnId"]]: cell.get("value")
                                             for cell in row.get("cells") or [] if cell.get("columnId") in by_id})
                     for row in answer.get("rows") or []]
        return rows

    def _get_sheet(self, sheet_id: int, column_ids: list[int], **paging) -> dict:
        # the SDK's passthrough GET keeps its auth, retries and errors but skips building a typed
        # model per row and cell, which costs ~0.5 ms a row: 10 s of CPU for a 20,000-row key index
        query = {"columnIds": column_ids, "exclude": "nonexistentCells", **paging}
        return self._call("GET /sheets/{id}", True,
                          lambda: self._client.Passthrough.get(f"/sheets/{int(sheet_id)}", query)).data or {}

    # -- writes ---------------------------------------------------------------------------------

    def add_rows(self, sheet_id: int, rows: Sequence[dict[str, Any]], columns: dict[str, dict]) -> BatchOutcome:
        """Add rows (cells by title) at the bottom, ≤ 500 per request, serially, partial success on.

        Not repeated on a lost answer: ``SheetTransportError`` means "maybe applied", and only the
        caller, after re-reading the key index, knows which rows still need adding."""
        outcome = BatchOutcome()
        for start, batch in _batches(rows):
            body = [_row(columns, cells, to_bottom=True) for cells in batch]
            result = self._call("POST /sheets/{id}/rows", False,
                                lambda: self._write("post", sheet_id, body))
            _collect(result, start, outcome, len(batch))
        return outcome

    def update_rows(self, sheet_id: int, updates: Sequence[tuple[int, dict[str, Any]]],
                    columns: dict[str, dict]) -> BatchOutcome:
        """Update (row id, changed cells by title) pairs, ≤ 500 per request, serially; idempotent, so
        a lost answer is simply retried."""
        outcome = BatchOutcome()
        for start, batch in _batches(updates):
            body = [_row(columns, cells, row_id=row_id) for row_id, cells in batch]
            result = self._call("PUT /sheets/{id}/rows", True,
                                lambda: self._write("put", sheet_id, body))
            _collect(result, start, outcome, len(batch), [row_id for row_id, _ in batch])
        return outcome

    def _write(self, method: str, sheet_id: int, body: list[dict]) -> dict:
        # Rows go through the SDK's passthrough: same auth, retries and error classes as
        # Sheets.add_rows_with_partial_success, without building (and parsing back) a typed model
        # per row and cell, which costs ~2 ms a row. Values are already typed by cell_value.
        send = getattr(self._client.Passthrough, method)
        return send(f"/sheets/{int(sheet_id)}/rows", JSONObject(json.dumps(body)),
                    {"allowPartialSuccess": "true"}).data or {}

    def delete_rows(self, sheet_id: int, row_ids: Sequence[int]) -> int:
        """Delete rows (rows already gone are ignored, so a retry is safe); returns how many went."""
        deleted = 0
        for start in range(0, len(row_ids), DELETE_CHUNK):
            chunk = list(row_ids[start:start + DELETE_CHUNK])
            result = self._call("DELETE /sheets/{id}/rows", True, lambda: self._client.Sheets.delete_rows(
                sheet_id, chunk, ignore_rows_not_found=True))
            deleted += len(result.result or [])
        return deleted

    def create_sheet(self, name: str, mapping: SheetMapping, *, folder_id: int | None = None,
                     workspace_id: int | None = None) -> dict:
        """Create a sheet with the mapping's columns, typed; ``columns[0]`` is primary (must be text)."""
        sheet = Sheet({"name": name, "columns": [Column(column) for column in sheet_columns(mapping)]})
        if folder_id is not None:
            call = lambda: self._client.Folders.create_sheet_in_folder(folder_id, sheet)  # noqa: E731
            label = "POST /folders/{id}/sheets"
        elif workspace_id is not None:
            call = lambda: self._client.Workspaces.create_sheet_in_workspace(workspace_id, sheet)  # noqa: E731
            label = "POST /workspaces/{id}/sheets"
        else:
            def call():
                # Home.create_sheet is deprecated, still the only "no folder" way. The SDK forces its warning
                # through with simplefilter("always"), so only recording it keeps it off the terminal.
                with warnings.catch_warnings(record=True):
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return self._client.Home.create_sheet(sheet)
            label = "POST /sheets"
        created = self._call(label, False, call).result
        return {"id": created.id, "name": created.name, "permalink": created.permalink,
                "columns": {column.title: column.id for column in (created.columns or [])}}

    def add_row_comment(self, sheet_id: int, row_id: int, text: str) -> None:
        """A comment on a row (a new discussion, ``POST /sheets/{id}/rows/{id}/discussions``), cut to the
        service's 4,000 characters. Not idempotent (each call is a new thread): never re-sent after an
        answer that may have been applied; ``SheetTransportError`` then means "maybe posted"."""
        discussion = Discussion({"comment": Comment({"text": str(text)[:MAX_COMMENT_CHARS]})})
        self._call("POST /sheets/{id}/rows/{id}/discussions", False,
                   lambda: self._client.Discussions.create_discussion_on_row(int(sheet_id), int(row_id), discussion))

    def sheet_version(self, sheet_id: int) -> int:
        return self._call("GET /sheets/{id}/version", True,
                          lambda: self._client.Sheets.get_sheet_version(sheet_id)).version

    # -- transport ------------------------------------------------------------------------------

    def _count_request(self, request) -> None:
        path = urlsplit(request.url).path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path):]
        template = "/".join("{id}" if _NUMERIC.match(part) else part for part in path.split("/"))
        self.request_counts[f"{request.method} {template}"] += 1

    def _call(self, operation: str, repeatable: bool, request: Callable[[], Any]):
        """Run one SDK call; retry what is safe to retry, raise Sheet*Error otherwise."""
        for attempt in range(1, self.transport_attempts + 1):
            try:
                return request()
            except (UnexpectedRequestError, HttpError) as exc:
                failure = SheetTransportError(operation, _transport_text(exc))
                applied_maybe = True
            except ApiError as exc:
                result = exc.error.result
                code, status = result.code, result.status_code
                message = error_text(result.message or "no message")
                failure = SheetApiError(operation, status, code, message)
                if code in _SDK_RETRIED:
                    applied_maybe = False
                elif status is not None and status >= 500:
                    # an error page without a Smartsheet errorCode: we cannot tell whether it was applied
                    failure = SheetTransportError(operation, f"HTTP {status}, errorCode {code}: {message}")
                    applied_maybe = True
                else:
                    raise failure from None
            if (applied_maybe and not repeatable) or attempt == self.transport_attempts:
                raise failure from None
            delay = self.retry_delay * 2 ** (attempt - 1)
            log.warning("%s; attempt %d of %d, retrying in %.1f s", failure, attempt,
                        self.transport_attempts, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")


def _batches(items: Sequence) -> list[tuple[int, Sequence]]:
    return [(start, items[start:start + MAX_BATCH]) for start in range(0, len(items), MAX_BATCH)]


def _row(columns: dict[str, dict], cells: dict[str, Any], *, to_bottom: bool = False,
         row_id: int | None = None) -> dict:
    # fresh rows with only id/location and cells: re-sending fetched rows is rejected by the API
    row: dict[str, Any] = {"cells": [{"columnId": columns[title]["id"], "value": value}
                                     for title, value in cells.items()]}
    if row_id is not None:
        row["id"] = row_id
    if to_bottom:
        row["toBottom"] = True
    return row


def _collect(result: dict, start: int, outcome: BatchOutcome, size: int, row_ids: list[int] | None = None) -> None:
    failed = {}
    for item in result.get("failedItems") or []:
        error = item.get("error") or {}
        failed[item.get("index")] = (error.get("errorCode"), error.get("message") or "failed")
    for index in sorted(i for i in failed if isinstance(i, int)):
        outcome.failures.append((start + index, *failed[index]))
    created = iter(result.get("result") or [])
    for index in range(size):
        if index in failed:
            continue
        if row_ids is not None:
            outcome.row_ids[start + index] = row_ids[index]
        else:
            row = next(created, None)
            if row is not None:
                outcome.row_ids[start + index] = row.get("id")


def error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` fit for an error, a log line or run metadata: secrets redacted FIRST, then cut to ``limit``.

    The other order leaks: a token straddling the cut loses its tail, no longer matches, and its head
    survives the redaction."""
    clean = _REDACTOR.redact(str(text))
    return clean if len(clean) <= limit else clean[:limit] + "…"


def _transport_text(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return type(exc).__name__
    return error_text(f"{type(cause).__name__}: {cause}")
