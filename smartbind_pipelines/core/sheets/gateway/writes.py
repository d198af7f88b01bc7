"""The gateway's writes: rows added, updated and deleted in batches, sheets created, row comments.

Writes are serial, at most 500 rows a request, with partial success on; each outcome says which rows
were written and why the others were not. Only idempotent writes (updates, deletes) are re-sent after a
lost answer; an add or a comment that may have been applied raises ``SheetTransportError`` instead.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from smartsheet.models import Column, Comment, Discussion, JSONObject, Sheet

from smartbind_pipelines.core.sheets.gateway.transport import SdkCalls
from smartbind_pipelines.core.sheets.mapping import SheetMapping, sheet_columns

MAX_BATCH = 500  # Smartsheet: "limit your request to 500 rows at a time"
DELETE_CHUNK = 300  # row ids travel in the query string; keep URLs short
MAX_COMMENT_CHARS = 4000  # a discussion comment's text limit [G: contracts/smartsheet-events.md]


@dataclass
class BatchOutcome:
    """One write request's result: row ids created/updated by batch position, and per-row failures."""

    row_ids: dict[int, int] = field(default_factory=dict)  # batch index -> row id
    failures: list[tuple[int, int | None, str]] = field(default_factory=list)  # (index, errorCode, message)


class SheetWrites(SdkCalls):
    """Sheet writes through the SDK."""

    def add_rows(self, sheet_id: int, rows: Sequence[dict[str, Any]], columns: dict[str, dict]) -> BatchOutcome:
        """Add rows (cells by title) at the bottom, ≤ 500 per request, serially, partial success on.

        Not repeated on a lost answer: ``SheetTransportError`` means "maybe applied", and only the
        caller, after re-reading the key index, knows which rows still need adding."""
        outcome = BatchOutcome()
        for start, batch in _batches(rows):
            body = [_row(columns, cells, to_bottom=True) for cells in batch]
            result = self._call("POST /sheets/{id}/rows", False, lambda: self._write("post", sheet_id, body))
            _collect(result, start, outcome, len(batch))
        return outcome

    def update_rows(
        self, sheet_id: int, updates: Sequence[tuple[int, dict[str, Any]]], columns: dict[str, dict]
    ) -> BatchOutcome:
        """Update (row id, changed cells by title) pairs, ≤ 500 per request, serially; idempotent, so
        a lost answer is simply retried."""
        outcome = BatchOutcome()
        for start, batch in _batches(updates):
            body = [_row(columns, cells, row_id=row_id) for row_id, cells in batch]
            result = self._call("PUT /sheets/{id}/rows", True, lambda: self._write("put", sheet_id, body))
            _collect(result, start, outcome, len(batch), [row_id for row_id, _ in batch])
        return outcome

    def _write(self, method: str, sheet_id: int, body: list[dict]) -> dict:
        # Rows go through the SDK's passthrough: same auth, retries and error classes as
        # Sheets.add_rows_with_partial_success, without building (and parsing back) a typed model
        # per row and cell, which costs ~2 ms a row. Values are already typed by cell_value.
        send = getattr(self._client.Passthrough, method)
        return (
            send(f"/sheets/{int(sheet_id)}/rows", JSONObject(json.dumps(body)), {"allowPartialSuccess": "true"}).data
            or {}
        )

    def delete_rows(self, sheet_id: int, row_ids: Sequence[int]) -> int:
        """Delete rows (rows already gone are ignored, so a retry is safe); returns how many went."""
        deleted = 0
        for start in range(0, len(row_ids), DELETE_CHUNK):
            chunk = list(row_ids[start : start + DELETE_CHUNK])
            result = self._call(
                "DELETE /sheets/{id}/rows",
                True,
                lambda: self._client.Sheets.delete_rows(sheet_id, chunk, ignore_rows_not_found=True),
            )
            deleted += len(result.result or [])
        return deleted

    def create_sheet(
        self, name: str, mapping: SheetMapping, *, folder_id: int | None = None, workspace_id: int | None = None
    ) -> dict:
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
        return {
            "id": created.id,
            "name": created.name,
            "permalink": created.permalink,
            "columns": {column.title: column.id for column in (created.columns or [])},
        }

    def add_row_comment(self, sheet_id: int, row_id: int, text: str) -> None:
        """A comment on a row (a new discussion, ``POST /sheets/{id}/rows/{id}/discussions``), cut to the
        service's 4,000 characters. Not idempotent (each call is a new thread): never re-sent after an
        answer that may have been applied; ``SheetTransportError`` then means "maybe posted"."""
        discussion = Discussion({"comment": Comment({"text": str(text)[:MAX_COMMENT_CHARS]})})
        self._call(
            "POST /sheets/{id}/rows/{id}/discussions",
            False,
            lambda: self._client.Discussions.create_discussion_on_row(int(sheet_id), int(row_id), discussion),
        )


def _batches(items: Sequence) -> list[tuple[int, Sequence]]:
    return [(start, items[start : start + MAX_BATCH]) for start in range(0, len(items), MAX_BATCH)]


def _row(
    columns: dict[str, dict], cells: dict[str, Any], *, to_bottom: bool = False, row_id: int | None = None
) -> dict:
    # fresh rows with only id/location and cells: re-sending fetched rows is rejected by the API
    row: dict[str, Any] = {
        "cells": [{"columnId": columns[title]["id"], "value": value} for title, value in cells.items()]
    }
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
