"""Knowing that a sheet has settled before adding rows again, and remembering add batches in flight.

An add whose answer was lost (a timeout, a dropped connection, a proxy's 502/504) may still be being
saved: a key index read at once does not show its rows yet, and sending them again makes duplicates
(issue 14, defect 1). So nothing is re-sent until the sheet is known to have settled: its version has
not moved for ``quiet_seconds``; if it keeps moving for ``max_wait_seconds``, the sync fails without
re-sending, and the next run adds only what is missing.

A run killed while its batch was in flight leaves the same trap for the next run. ``WriteJournal``
records each add batch before it is sent and clears it once its answer is known; a run that finds an
uncleared entry younger than ``journal_horizon_seconds`` waits for the sheet to settle before it reads
the key index and plans.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from smartbind_pipelines.core.sheets.errors import SheetUnsettledError

log = logging.getLogger(__name__)

QUIET_ENV = "SMARTBIND_SHEET_SETTLE_QUIET_SECONDS"
MAX_WAIT_ENV = "SMARTBIND_SHEET_SETTLE_MAX_SECONDS"
POLL_ENV = "SMARTBIND_SHEET_SETTLE_POLL_SECONDS"
HORIZON_ENV = "SMARTBIND_SHEET_INFLIGHT_HORIZON_SECONDS"
JOURNAL_FILE = "sheet_writes.db"


@dataclass(frozen=True)
class SettleBounds:
    """How long to wait for a sheet to settle. The defaults suit production; tests pass small ones.

    ``quiet_seconds`` should be at least the longest time Smartsheet may still be saving a request
    after the client gave up on it; the gateway's own timeout (60 s) is the default.
    """

    quiet_seconds: float = 60.0  # the sheet version must stay unchanged this long
    max_wait_seconds: float = 600.0  # then the sync fails, without re-sending anything
    poll_seconds: float = 2.0  # between two version reads
    journal_horizon_seconds: float = 1800.0  # an in-flight entry older than this is history

    def __post_init__(self) -> None:
        for name in ("quiet_seconds", "max_wait_seconds", "poll_seconds", "journal_horizon_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"settle bound {name} must be a number of seconds >= 0, not {value!r}")
        if self.max_wait_seconds < self.quiet_seconds:
            raise ValueError(
                f"settle bound max_wait_seconds ({self.max_wait_seconds}) must be at least "
                f"quiet_seconds ({self.quiet_seconds})"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "SettleBounds":
        """Bounds from SMARTBIND_SHEET_SETTLE_* variables; an unset one keeps its default.

        Raises ValueError naming the variable when a value is not a number of seconds."""
        env = os.environ if env is None else env
        values = {}
        for field, name in (
            ("quiet_seconds", QUIET_ENV),
            ("max_wait_seconds", MAX_WAIT_ENV),
            ("poll_seconds", POLL_ENV),
            ("journal_horizon_seconds", HORIZON_ENV),
        ):
            raw = (env.get(name) or "").strip()
            if not raw:
                continue
            try:
                values[field] = float(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"{exc} (SMARTBIND_SHEET_SETTLE_* / {HORIZON_ENV})") from None


def wait_until_settled(
    read_version: Callable[[], int | None],
    sheet: str,
    bounds: SettleBounds,
    *,
    reason: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int | None:
    """Read the version until it has not moved for ``bounds.quiet_seconds``; return it.

    Raises ``SheetUnsettledError`` when it is still moving after ``bounds.max_wait_seconds``."""
    started = clock()
    version = read_version()
    quiet_since = started
    changes = 0
    while True:
        now = clock()
        if now - quiet_since >= bounds.quiet_seconds:
            log.info("sheet %s settled at version %s after %.1f s (%s)", sheet, version, now - started, reason)
            return version
        if now - started >= bounds.max_wait_seconds:
            raise SheetUnsettledError(sheet, reason, changes, bounds)
        sleep(
            max(
                0.0,
                min(
                    bounds.poll_seconds,
                    bounds.quiet_seconds - (now - quiet_since),
                    bounds.max_wait_seconds - (now - started),
                ),
            )
            or 0.001
        )
        current = read_version()
        if current != version:
            version, quiet_since, changes = current, clock(), changes + 1


@dataclass(frozen=True)
class InFlight:
    entry_id: int
    sheet_id: int
    rows: int
    sent_at: float  # epoch seconds
    owner: str  # host:pid of the run that sent it


class WriteJournal:
    """Add batches sent to a sheet whose answer is not known yet, in a small SQLite file.

    Short connections per call, so several processes (runs, the sensor's daemon) can share one file."""

    def __init__(self, path: str | os.PathLike, *, clock: Callable[[], float] = time.time):
        self.path = str(path)
        self._clock = clock
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS in_flight (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "sheet_id INTEGER NOT NULL, rows INTEGER NOT NULL, sent_at REAL NOT NULL, "
                "owner TEXT NOT NULL)"
            )

    @classmethod
    def beside(cls, db_path: str | os.PathLike) -> "WriteJournal":
        """The journal kept next to a ProcessConfig file (``sheet_writes.db`` in its directory)."""
        return cls(Path(db_path).resolve().parent / JOURNAL_FILE)

    @contextlib.contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def record(self, sheet_id: int, rows: int) -> int:
        """Note an add batch about to be sent; returns the entry to clear once its answer is known."""
        owner = f"{socket.gethostname()}:{os.getpid()}"
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO in_flight (sheet_id, rows, sent_at, owner) VALUES (?, ?, ?, ?)",
                (int(sheet_id), int(rows), self._clock(), owner),
            )
            return int(cursor.lastrowid)

    def clear(self, *entry_ids: int) -> None:
        if entry_ids:
            with self._connect() as db:
                db.executemany("DELETE FROM in_flight WHERE id = ?", [(entry,) for entry in entry_ids])

    def open_entries(self, sheet_id: int, horizon_seconds: float) -> list[InFlight]:
        """Uncleared batches of ``sheet_id`` sent within ``horizon_seconds``; older ones are forgotten."""
        cutoff = self._clock() - horizon_seconds
        with self._connect() as db:
            db.execute("DELETE FROM in_flight WHERE sheet_id = ? AND sent_at < ?", (int(sheet_id), cutoff))
            found = db.execute(
                "SELECT id, sheet_id, rows, sent_at, owner FROM in_flight WHERE sheet_id = ? ORDER BY id",
                (int(sheet_id),),
            ).fetchall()
        return [InFlight(*row) for row in found]
