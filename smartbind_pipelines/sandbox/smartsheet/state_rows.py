"""The state's rows and discussions: read, add, update and delete rows, discussions and comments on them,
and the sandbox's back-dating of a row; each write emits its webhook events.

``RowOperations`` is mixed into ``SmartsheetState`` (state.py), which owns the id allocator, the sandbox
config and the per-sheet write lock (``_writing``); the events go out through ``WebhookRegistry._emit``
(state_webhooks.py).
"""

from __future__ import annotations

import datetime as dt

from smartbind_pipelines.sandbox.smartsheet import discussions as discussion_ops
from smartbind_pipelines.sandbox.smartsheet import rows as row_ops
from smartbind_pipelines.sandbox.smartsheet import webhook_events
from smartbind_pipelines.sandbox.smartsheet.errors import not_found


class RowOperations:
    """Row and discussion operations of ``SmartsheetState``; every method is thread-safe."""

    def get_row(
        self, sheet_id: int, row_id: int, include: frozenset[str] = frozenset(), exclude_nonexistent: bool = False
    ) -> dict:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            row = sheet.rows_by_id.get(row_id)
            if row is None:
                raise not_found()
            return sheet.render_row(row, exclude_nonexistent=exclude_nonexistent, include=include)

    def rows_as_dicts(self, sheet_id: int) -> list[dict]:
        """Every row as ``{"id": rowId, "cells": {title: value}}`` in sheet order (empty cells are None)."""
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return [{"id": row.id, "cells": sheet.values_by_title(row)} for row in sheet.rows]

    def add_rows(self, sheet_id: int, body, allow_partial_success: bool = False) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = row_ops.add_rows(
                sheet, body, partial=allow_partial_success, limits=self.config.limits(), new_id=self.new_id
            )
            if result["result"] and self._watched(sheet_id):
                added = [sheet.rows_by_id[row["id"]] for row in result["result"]]
                self._emit(
                    sheet_id,
                    webhook_events.events_for_add(
                        added, lambda row: [cid for cid, value in row.cells.items() if value not in (None, "")]
                    ),
                )
            return result

    def update_rows(self, sheet_id: int, body, allow_partial_success: bool = False) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            watched = self._watched(sheet_id)
            before = {row.id: dict(row.cells) for row in sheet.rows} if watched else {}
            result = row_ops.update_rows(sheet, body, partial=allow_partial_success, limits=self.config.limits())
            if watched and result["result"]:
                changed = {}
                for row in result["result"]:
                    cells, old = sheet.rows_by_id[row["id"]].cells, before.get(row["id"], {})
                    changed[row["id"]] = [cid for cid, value in cells.items() if old.get(cid) != value]
                self._emit(sheet_id, webhook_events.events_for_update(changed))
            return result

    def delete_rows(self, sheet_id: int, row_ids: list[int], ignore_rows_not_found: bool = False) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = row_ops.delete_rows(sheet, row_ids, ignore_not_found=ignore_rows_not_found)
            discussion_ops.forget_rows(sheet, set(result["result"]))
            if result["result"] and self._watched(sheet_id):
                self._emit(sheet_id, webhook_events.events_for_delete(result["result"]))
            return result

    def set_row_modified_at(self, sheet_id: int, row_id: int, stamp: str) -> dict:
        """Sandbox only: back-date (or forward-date) a row's ``modifiedAt``, e.g. to test a poller's cursor."""
        if not isinstance(stamp, str):
            raise ValueError(f"modifiedAt must be text, not {stamp!r}")
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            row = sheet.rows_by_id.get(row_id)
            if row is None:
                raise not_found()
            row.modified_at = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {"id": row.id, "modifiedAt": row.modified_at}

    # -- discussions --------------------------------------------------------------------------------

    def create_discussion(self, sheet_id: int, body, row_id: int | None = None) -> dict:
        """POST /sheets/{id}/rows/{rowId}/discussions, or /sheets/{id}/discussions when ``row_id`` is None."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = discussion_ops.create_discussion(
                sheet, self.new_id, body, row_id, touch_row=self.config.discussion_touches_row
            )
            if self._watched(sheet_id):
                discussion = result["result"]
                self._emit(
                    sheet_id, webhook_events.events_for_discussion(discussion["id"], discussion["comments"][0]["id"])
                )
            return result

    def add_comment(self, sheet_id: int, discussion_id: int, body) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = discussion_ops.add_comment(
                sheet, self.new_id, discussion_id, body, touch_row=self.config.discussion_touches_row
            )
            if self._watched(sheet_id):
                self._emit(sheet_id, webhook_events.events_for_discussion(None, result["result"]["id"]))
            return result

    def list_discussions(self, sheet_id: int, row_id: int | None = None, with_comments: bool = False) -> list[dict]:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return discussion_ops.listed(sheet, row_id, with_comments)

    def get_discussion(self, sheet_id: int, discussion_id: int) -> dict:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return discussion_ops.find(sheet, discussion_id).render()

    def get_comment(self, sheet_id: int, comment_id: int) -> dict:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return discussion_ops.find_comment(sheet, comment_id)

    def row_comments(self, sheet_id: int, row_id: int) -> list[str]:
        """Every comment text on a row, oldest thread first (for test assertions)."""
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return [c.text for d in discussion_ops.of_row(sheet, row_id) for c in d.comments]
