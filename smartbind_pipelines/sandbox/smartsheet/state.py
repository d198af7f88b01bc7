"""The emulator's state: ``SmartsheetState`` with its sandbox limits (``SandboxConfig``), its IDs
(``IdAllocator``), workspaces and folders, and the per-sheet write lock.

Its operations are in three mixins: sheets and columns (state_sheets.py), rows and discussions
(state_rows.py), webhooks (state_webhooks.py). Every public method is thread-safe; the HTTP layer runs
them in worker threads so that two requests on one sheet really overlap (which is what the
save-collision mode detects). The sandbox snapshot (sandbox/snapshot.py) pickles a ``SmartsheetState``
with its ``SandboxConfig`` and ``IdAllocator``: they stay defined here, where old snapshots name them.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from dataclasses import asdict, dataclass, fields

from smartbind_pipelines.sandbox.smartsheet import webhooks as hooks
from smartbind_pipelines.sandbox.smartsheet.errors import server_error_4004
from smartbind_pipelines.sandbox.smartsheet.row_validation import Limits
from smartbind_pipelines.sandbox.smartsheet.sheet import Sheet
from smartbind_pipelines.sandbox.smartsheet.state_rows import RowOperations
from smartbind_pipelines.sandbox.smartsheet.state_sheets import SheetOperations
from smartbind_pipelines.sandbox.smartsheet.state_webhooks import WebhookRegistry

MAX_ID = 2**53 - 1  # IDs must survive a trip through a JavaScript double
_MIN_ID = 10**15  # real IDs are 16-digit numbers


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

    def limits(self) -> Limits:
        return Limits(self.max_rows_per_request, self.reject_oversized_batches, self.max_rows, self.max_cells)


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


class SmartsheetState(SheetOperations, RowOperations, WebhookRegistry):
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

    # -- the per-sheet write lock ------------------------------------------------------------------------

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
