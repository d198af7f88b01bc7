"""The emulator's state: sheets, workspaces and folders, IDs, sandbox limits and the per-sheet write lock.

Every public method is thread-safe; the HTTP layer runs them in worker threads so that two requests on
one sheet really overlap (which is what the save-collision mode detects).
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import secrets
import threading
import time
from dataclasses import asdict, dataclass, fields

from smartbind_pipelines.sandbox.smartsheet import discussions as discussion_ops
from smartbind_pipelines.sandbox.smartsheet import rows as row_ops
from smartbind_pipelines.sandbox.smartsheet import webhook_events
from smartbind_pipelines.sandbox.smartsheet import webhooks as hooks
from smartbind_pipelines.sandbox.smartsheet.columns import apply_column_update, build_column, validate_new_columns
from smartbind_pipelines.sandbox.smartsheet.errors import (SmartsheetError, missing_attribute, not_found,
                                                           server_error_4004)
from smartbind_pipelines.sandbox.smartsheet.sheet import Sheet, SheetQuery, utc_stamp

MAX_ID = 2**53 - 1  # IDs must survive a trip through a JavaScript double
_MIN_ID = 10**15    # real IDs are 16-digit numbers


@dataclass
class SandboxConfig:
    """Limits and behaviours a test can change (PUT /_sandbox/config)."""

    max_rows_per_request: int = 500
    reject_oversized_batches: bool = True
    save_collisions: bool = False
    max_rows: int = 20000
    max_cells: int = 500000
    write_delay_ms: int = 0  # simulated save time, held under the sheet's write lock
    write_delay_count: int = 0  # > 0: only that many more row writes are slowed by write_delay_ms
    unpaged_read_rows: int = 0  # > 0: a GET /sheets/{id} without page/pageSize answers only its first N rows
    read_rows_cap: int = 0  # > 0: every GET /sheets/{id} answers at most N rows, paged or not
    rows_modified_since_inclusive: bool = True  # [G] rowsModifiedSince keeps rows modified at exactly that second
    discussion_touches_row: bool = False  # [G] a new discussion/comment on a row also sets the row's modifiedAt
    # webhooks (smartsheet-events.md §8; every value [G] except verify_every's default of 100)
    webhook_require_https: bool = False  # true: a non-https callbackUrl is 400/1152, as on Smartsheet
    webhook_aggregate_ms: int = 200  # events within this window of the first go into one callback
    webhook_callback_timeout_ms: int = 5000
    webhook_first_retry_ms: int = 50  # the 7 early retries wait 50, 100, … 3200 ms
    webhook_late_retry_ms: int = 1000  # then 7 retries this far apart (Smartsheet: 3 hours)
    webhook_verify_every: int = 100  # a new verification after this many delivered callbacks
    webhook_sign_verification: bool = False  # verification requests carry Smartsheet-Hmac-SHA256 too

    def limits(self) -> row_ops.Limits:
        return row_ops.Limits(self.max_rows_per_request, self.reject_oversized_batches, self.max_rows,
                              self.max_cells)


class IdAllocator:
    """Random, unique, positive IDs below 2**53, shared by sheets, columns, rows and containers."""

    def __init__(self, seed: int | None = None):
        self._random = random.Random(seed)
        self._used: set[int] = set()
        self._lock = threading.Lock()

    def claim(self, wanted: int) -> int:
        if not isinstance(wanted, int) or isinstance(wanted, bool) or not 0 < wanted <= MAX_ID:
            raise ValueError(f"an id must be a positive integer below 2**53, not {wanted!r}")
        with self._lock:
            if wanted in self._used:
                raise ValueError(f"id {wanted} is already in use")
            self._used.add(wanted)
        return wanted

    def __call__(self) -> int:
        with self._lock:
            while True:
                candidate = self._random.randint(_MIN_ID, MAX_ID)
                if candidate not in self._used:
                    self._used.add(candidate)
                    return candidate


class SmartsheetState:
    # Where new sheets' permalinks point; the sandbox runner points them at its HTML page of the sheet.
    permalink_base = "https://app.smartsheet.com/sheets/"

    def __init__(self, seed: int | None = None):
        self._seed = seed
        self._registry_lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every sheet, workspace and folder and restore the default limits."""
        with self._registry_lock:
            self.config = SandboxConfig()
            self.new_id = IdAllocator(self._seed)
            self.sheets: dict[int, Sheet] = {}
            self.containers: dict[int, dict] = {}  # id -> {"id", "name", "kind": workspace|folder}
            self.webhooks: dict[int, dict] = {}  # id -> webhook record (keys with "_" are not shown)
            if getattr(self, "deliveries", None) is None:
                self.deliveries = hooks.Deliveries()
            else:
                self.deliveries.pause(False)

    # -- sandbox configuration and containers -----------------------------------------------------------

    def configure(self, **changes) -> dict:
        known = {f.name: f.type for f in fields(SandboxConfig)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown sandbox setting {key!r}; known: {', '.join(known)}")
            if known[key] in (bool, "bool"):
                if not isinstance(value, bool):
                    raise ValueError(f"sandbox setting {key} must be true or false, not {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"sandbox setting {key} must be a non-negative integer, not {value!r}")
        with self._registry_lock:
            for key, value in changes.items():
                setattr(self.config, key, value)
            return asdict(self.config)

    def create_container(self, kind: str, name: str, container_id: int | None = None) -> dict:
        if kind not in ("workspace", "folder"):
            raise ValueError(f"container kind must be workspace or folder, not {kind!r}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a {kind} needs a name")
        with self._registry_lock:
            new = self.new_id.claim(container_id) if container_id is not None else self.new_id()
            self.containers[new] = {"id": new, "name": name, "kind": kind}
            return dict(self.containers[new])

    # -- sheets -------------------------------------------------------------------------------------

    def create_sheet(self, name: str, columns: list[dict], sheet_id: int | None = None, *,
                     container: tuple[str, int] | None = None) -> dict:
        """Create a sheet as POST /sheets does (same validation) and return the API's ``result`` object.

        ``container`` is ``("folder"|"workspace", id)``; an unknown one gives 404/1006.
        """
        if not isinstance(name, str) or not name.strip():
            raise missing_attribute("sheet.name")
        validate_new_columns(columns)
        with self._registry_lock:
            container_id = None
            if container is not None:
                kind, container_id = container
                found = self.containers.get(container_id)
                if found is None or found["kind"] != kind:
                    raise not_found()
            if sheet_id is not None:
                try:
                    self.new_id.claim(sheet_id)
                except ValueError as exc:
                    raise SmartsheetError(400, 1018, f"The value {sheet_id} was not valid for the parameter "
                                                     f"sheet.id: {exc}.") from None
            else:
                sheet_id = self.new_id()
            built = [build_column(self.new_id(), spec) for spec in columns]
            permalink = f"{self.permalink_base}{secrets.token_urlsafe(30)[:40]}"
            sheet = Sheet(sheet_id, name, built, permalink, container_id)
            self.sheets[sheet_id] = sheet
        return {"id": sheet.id, "name": sheet.name, "accessLevel": "OWNER", "permalink": sheet.permalink,
                "columns": sheet.render_columns()}

    def sheet(self, sheet_id: int) -> Sheet:
        with self._registry_lock:
            sheet = self.sheets.get(sheet_id)
        if sheet is None:
            raise not_found()
        return sheet

    def list_sheets(self, with_version: bool = False) -> list[dict]:
        with self._registry_lock:
            sheets = list(self.sheets.values())
        return [sheet.summary(with_version) for sheet in sorted(sheets, key=lambda s: (s.name.casefold(), s.id))]

    def delete_sheet(self, sheet_id: int) -> None:
        with self._registry_lock:
            if self.sheets.pop(sheet_id, None) is None:
                raise not_found()

    def get_sheet(self, sheet_id: int, query: SheetQuery | None = None, if_version_after: int | None = None) -> dict:
        sheet = self.sheet(sheet_id)
        query = query or SheetQuery()
        with sheet.data_lock:
            if if_version_after is not None and if_version_after >= sheet.version:
                return {"version": sheet.version}
            if query.column_ids is not None:
                known = {column.id for column in sheet.columns}
                for column_id in query.column_ids:
                    if column_id not in known:
                        raise SmartsheetError(400, 1018, f"The value {column_id} was not valid for the "
                                                         "parameter columnIds.")
            return sheet.render(self._cut_read(query))

    def _cut_read(self, query: SheetQuery) -> SheetQuery:
        """The sandbox's short reads: ``totalRowCount`` stays true, the rows answered are fewer."""
        config = self.config
        if config.unpaged_read_rows and query.page is None and query.page_size is None:
            query = dataclasses.replace(query, page=1, page_size=config.unpaged_read_rows)
        if config.read_rows_cap:
            query = dataclasses.replace(query, row_cap=config.read_rows_cap)
        if not config.rows_modified_since_inclusive:
            query = dataclasses.replace(query, rows_modified_exclusive=True)
        return query

    def sheet_version(self, sheet_id: int) -> int:
        return self.sheet(sheet_id).version

    def get_row(self, sheet_id: int, row_id: int, include: frozenset[str] = frozenset(),
                exclude_nonexistent: bool = False) -> dict:
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

    # -- columns ------------------------------------------------------------------------------------

    def list_columns(self, sheet_id: int, level: int = 0) -> list[dict]:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return sheet.render_columns(level)

    def get_column(self, sheet_id: int, column_id: int) -> dict:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            return column.render(sheet.columns.index(column))

    def update_column(self, sheet_id: int, column_id: int, spec) -> dict:
        """PUT /sheets/{id}/columns/{cid}: rename, move or retype a column (what a user does in the UI)."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            apply_column_update(sheet.columns, column, spec)
            sheet.changed()
            return {"message": "SUCCESS", "resultCode": 0,
                    "result": column.render(sheet.columns.index(column)), "version": sheet.version}

    def rename_column(self, sheet_id: int, column_id: int, title: str) -> dict:
        return self.update_column(sheet_id, column_id, {"title": title})["result"]

    def delete_column(self, sheet_id: int, column_id: int) -> dict:
        """DELETE /sheets/{id}/columns/{cid}: the column and its cells go; the primary column cannot."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            if column.primary:
                raise SmartsheetError(400, 1032, "The attribute(s) column.primary are not allowed for this "
                                                 "operation: the primary column cannot be deleted.")
            sheet.columns.remove(column)
            for row in sheet.rows:
                row.cells.pop(column_id, None)
            sheet.changed()
            return {"message": "SUCCESS", "resultCode": 0, "version": sheet.version}

    # -- rows ---------------------------------------------------------------------------------------

    def add_rows(self, sheet_id: int, body, allow_partial_success: bool = False) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = row_ops.add_rows(sheet, body, partial=allow_partial_success, limits=self.config.limits(),
                                      new_id=self.new_id)
            if result["result"] and self._watched(sheet_id):
                added = [sheet.rows_by_id[row["id"]] for row in result["result"]]
                self._emit(sheet_id, webhook_events.events_for_add(
                    added, lambda row: [cid for cid, value in row.cells.items() if value not in (None, "")]))
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

    # -- discussions --------------------------------------------------------------------------------

    def create_discussion(self, sheet_id: int, body, row_id: int | None = None) -> dict:
        """POST /sheets/{id}/rows/{rowId}/discussions, or /sheets/{id}/discussions when ``row_id`` is None."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = discussion_ops.create_discussion(sheet, self.new_id, body, row_id,
                                                      touch_row=self.config.discussion_touches_row)
            if self._watched(sheet_id):
                discussion = result["result"]
                self._emit(sheet_id, webhook_events.events_for_discussion(discussion["id"], discussion["comments"][0]["id"]))
            return result

    def add_comment(self, sheet_id: int, discussion_id: int, body) -> dict:
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            result = discussion_ops.add_comment(sheet, self.new_id, discussion_id, body,
                                                touch_row=self.config.discussion_touches_row)
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

    # -- webhooks -------------------------------------------------------------------------------------

    def create_webhook(self, body, token: str = "") -> dict:
        hooks.validate_create(body, lambda sid: sid in self.sheets, self.config.webhook_require_https)
        with self._registry_lock:
            hook = hooks.new_hook(self.new_id(), body, token)
            self.webhooks[hook["id"]] = hook
            return hooks.public(hook)

    def list_webhooks(self, token: str | None = None) -> list[dict]:
        """The caller's own webhooks, by name then creation (one API client here)."""
        with self._registry_lock:
            mine = [h for h in self.webhooks.values() if token is None or h["_token"] == token]
            return [hooks.public(h) for h in sorted(mine, key=lambda h: (h["name"], h["createdAt"]))]

    def get_webhook(self, hook_id: int) -> dict:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            return hooks.public(hook)

    def webhook_record(self, hook_id: int) -> dict | None:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            return dict(hook) if hook is not None else None

    def delete_webhook(self, hook_id: int) -> None:
        with self._registry_lock:
            if self.webhooks.pop(hook_id, None) is None:
                raise not_found()
        self.deliveries.drop_queued(hook_id)

    def reset_shared_secret(self, hook_id: int) -> dict:
        import secrets as _secrets

        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            hook["sharedSecret"] = "".join(_secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(26))
            hook["modifiedAt"] = utc_stamp()
            return {"sharedSecret": hook["sharedSecret"]}

    def update_webhook(self, hook_id: int, body) -> dict:
        """PUT /webhooks/{id}: ``enabled: true`` runs the verification before answering (§3)."""
        if not isinstance(body, dict):
            from smartbind_pipelines.sandbox.smartsheet.errors import parse_error

            raise parse_error("the webhook must be a JSON object.")
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            if "events" in body and body["events"] != ["*.*"]:
                raise SmartsheetError(400, 1018, "The value for webhook.events must be [\"*.*\"] for a sheet webhook.")
            if "callbackUrl" in body:
                hooks.check_url(body["callbackUrl"], self.config.webhook_require_https)
            for key in ("name", "callbackUrl"):  # other keys are ignored [G]
                if key in body:
                    hook[key] = body[key]
            hook["modifiedAt"] = utc_stamp()
            enable = body.get("enabled")
            if enable is True and hook["status"] in hooks.TERMINAL:
                code = 1153 if hook["status"] == "DISABLED_APP_REVOKED" else 1154
                raise SmartsheetError(403, code, "The webhook cannot be enabled." if code == 1153 else
                                      "This webhook was disabled by Smartsheet support; contact support.")
            if enable is False:
                hook.update(enabled=False, status="DISABLED_BY_OWNER")
            snapshot = dict(hook)
        if enable is True and not (snapshot["enabled"] and snapshot["status"] == "ENABLED"):
            ok, what = hooks.verify(snapshot, self.config.webhook_callback_timeout_ms / 1000,
                                    self.config.webhook_sign_verification)
            self.deliveries.record(webhookId=hook_id, kind="verification", status=what, retry=0)
            with self._registry_lock:
                hook = self.webhooks.get(hook_id)
                if hook is None:
                    raise not_found()
                if ok:
                    hook.update(enabled=True, status="ENABLED", _since_verify=0)
                    hook.pop("disabledDetails", None)
                else:
                    hook.update(enabled=False, status="DISABLED_VERIFICATION_FAILED", disabledDetails=what)
        return self.get_webhook(hook_id)

    def set_webhook_status(self, hook_id: int, status: str, details: str | None = None) -> dict:
        """Also the sandbox's "force a status" control; any DISABLED_* status disables the hook."""
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            hook.update(status=status, enabled=status == "ENABLED", modifiedAt=utc_stamp())
            if status != "ENABLED" and details:
                hook["disabledDetails"] = details
            return hooks.public(hook)

    def note_webhook(self, hook_id: int, *, attempt: int = 0, delivered: bool = False, verified: bool = False) -> None:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                return
            if verified:
                hook["_since_verify"] = 0
                return
            stats = hook["stats"]
            stats["lastCallbackAttempt"] = utc_stamp()
            stats["lastCallbackAttemptRetryCount"] = attempt
            if delivered:
                stats["lastSuccessfulCallback"] = stats["lastCallbackAttempt"]
                hook["_since_verify"] += 1

    def _watched(self, sheet_id: int) -> bool:
        return any(h["enabled"] and h["scopeObjectId"] == sheet_id for h in list(self.webhooks.values()))

    def _emit(self, sheet_id: int, events: list[dict]) -> None:
        """Queue ``events`` for the sheet's enabled webhooks; of duplicates (same token, URL and subscope)
        only the oldest delivers (§1)."""
        with self._registry_lock:
            chosen: dict[tuple, dict] = {}
            for hook in self.webhooks.values():  # creation order
                if hook["enabled"] and hook["scopeObjectId"] == sheet_id:
                    key = (hook["_token"], hook["callbackUrl"],
                           tuple(sorted((hook.get("subscope") or {}).get("columnIds") or [])))
                    chosen.setdefault(key, hook)
            targets = list(chosen.values())
        for hook in targets:
            self.deliveries.enqueue(hook["id"], [dict(e) for e in webhook_events.for_subscope(hook, events)], self)

    def set_row_modified_at(self, sheet_id: int, row_id: int, stamp: str) -> dict:
        """Sandbox only: back-date (or forward-date) a row's ``modifiedAt``, e.g. to test a poller's cursor."""
        import datetime as dt

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

    def row_comments(self, sheet_id: int, row_id: int) -> list[str]:
        """Every comment text on a row, oldest thread first (for test assertions)."""
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return [c.text for d in discussion_ops.of_row(sheet, row_id) for c in d.comments]

    def _take_write_delay(self) -> float:
        """Seconds the next row write sleeps (``write_delay_ms``, counted down by ``write_delay_count``)."""
        with self._registry_lock:
            config = self.config
            delay = config.write_delay_ms / 1000
            if delay and config.write_delay_count:
                config.write_delay_count -= 1
                if not config.write_delay_count:  # that was the last slow write
                    config.write_delay_ms = 0
            return delay

    @contextlib.contextmanager
    def _writing(self, sheet: Sheet):
        """One writer per sheet. With save collisions on, a second overlapping writer gets 500/4004."""
        if self.config.save_collisions:
            if not sheet.write_lock.acquire(blocking=False):
                raise server_error_4004(sheet.id)
        else:
            sheet.write_lock.acquire()
        try:
            delay = self._take_write_delay()
            if delay:
                time.sleep(delay)
            with sheet.data_lock:
                yield
        finally:
            sheet.write_lock.release()
