"""The sync state of each process in a small SQLite file beside ProcessConfig (``sync_state.db``).

A pull process remembers where it left off between runs: the watermark (the window end of the last
complete incremental run), the Bind ids of the drafts it follows until they are stamped, the Bind ids of
the rows the sheet refused (retried every run), and the followed set a regular run read (the query and
each member's signature, which the sensor compares Bind with); the inventory remembers the name each
warehouse's rows carry in the sheet (warehouse id -> name), by which it recognises a renamed warehouse. This state used to live only in the
metadata of the sheet asset's materializations, so a new Dagster instance (a fresh PostgreSQL) or a pruned
run history would have lost it. Here it outlives Dagster's history (issue 15); the runs still write the
same metadata so operators see it in the UI.

One row per process (``job_id``), replaced as a whole in one transaction. ``update`` reads the row and
writes the new one inside ``BEGIN IMMEDIATE``, so a run merging its state with the current one never
overwrites a state another writer committed in between. ``put_if_absent`` is for migrating the state a run
history recorded: it never overwrites a row a run wrote.

A file written before a column existed gains it when a run opens the store (``ALTER TABLE``, in one
transaction); reading such a file without a run shows the column as empty.

Pure storage: no Dagster import; the process decides what the state means (core/invoices/state.py,
core/inventory/state.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from smartbind_pipelines.core.cdmx import iso_cdmx, parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.sqlite_files import connection

STATE_DB_NAME = "sync_state.db"
SCHEMA_VERSION = 2  # 2: warehouse_names
FROM_RUN = "run"  # written by the run that recorded it
FROM_HISTORY = "migrated from the run history"  # read once from the materializations of earlier runs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_state (
    job_id TEXT PRIMARY KEY,
    watermark TEXT,
    pending_draft_ids TEXT NOT NULL,
    refused_ids TEXT NOT NULL,
    followed TEXT,
    warehouse_names TEXT,
    run_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class SyncStateError(ValueError):
    """The stored state of a process cannot be read; the message names the file, the process and the field."""


@dataclass(frozen=True)
class StoredState:
    watermark: datetime | None = None
    pending_draft_ids: tuple[str, ...] = ()
    refused_ids: tuple[str, ...] = ()
    followed: Mapping[str, Any] | None = None  # the process's own JSON (invoices: FollowedSet.to_json())
    warehouse_names: Mapping[str, str] | None = None  # inventory: warehouse id -> the name its rows carry
    run_id: str = ""  # the run that wrote it ("" when migrated without one)
    origin: str = FROM_RUN
    updated_at: str = ""

    @property
    def empty(self) -> bool:
        return (
            self.watermark is None
            and not self.pending_draft_ids
            and not self.refused_ids
            and not self.followed
            and not self.warehouse_names
        )

    def summary(self) -> dict[str, Any]:
        """What an operator reads (``smartbind config show``): the followed set as its size, not its members."""
        followed = None
        if self.followed:
            followed = {
                "invoices": len(self.followed.get("members") or {}),
                "read_at": self.followed.get("read_at"),
                "filter": self.followed.get("filter"),
            }
        names = {"warehouse_names": dict(self.warehouse_names)} if self.warehouse_names is not None else {}
        return {
            "watermark": iso_cdmx(self.watermark) if self.watermark else None,
            "pending_draft_ids": list(self.pending_draft_ids),
            "refused_ids": list(self.refused_ids),
            "followed_set": followed,
            **names,
            "recorded_by_run": self.run_id or None,
            "origin": self.origin,
            "updated_at": self.updated_at,
        }


def state_path(process_config_db: str | Path) -> Path:
    """The state file kept next to a ProcessConfig file (on the data volume)."""
    return Path(process_config_db).resolve().parent / STATE_DB_NAME


class SyncStateStore:
    """Short connections per call, so runs, the sensor's daemon and the CLI can share one file."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._conn() as conn:
                conn.execute("BEGIN IMMEDIATE")  # two runs opening an older file add the column once
                try:
                    conn.execute(_SCHEMA)
                    columns = {row["name"] for row in conn.execute("PRAGMA table_info(sync_state)")}
                    if "warehouse_names" not in columns:
                        conn.execute("ALTER TABLE sync_state ADD COLUMN warehouse_names TEXT")
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

    @classmethod
    def beside(cls, process_config_db: str | Path) -> "SyncStateStore":
        return cls(state_path(process_config_db))

    def _conn(self):
        return connection(self.path)

    def get(self, job_id: str) -> StoredState | None:
        with self._conn() as conn:
            row = conn.execute("SELECT * FROM sync_state WHERE job_id = ?", (job_id,)).fetchone()
        return self._state(job_id, row)

    def job_ids(self) -> list[str]:
        with self._conn() as conn:
            return [row[0] for row in conn.execute("SELECT job_id FROM sync_state ORDER BY job_id")]

    def put(self, job_id: str, state: StoredState, *, now: datetime) -> StoredState:
        with self._conn() as conn:
            return self._write(conn, job_id, state, now)

    def put_if_absent(self, job_id: str, state: StoredState, *, now: datetime) -> bool:
        """Write ``state`` only when the process has no row yet (migration); True when it was written."""
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM sync_state WHERE job_id = ?", (job_id,)).fetchone():
                    conn.execute("ROLLBACK")
                    return False
                self._write(conn, job_id, state, now)
                conn.execute("COMMIT")
                return True
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def update(self, job_id: str, change: Callable[[StoredState | None], StoredState], *, now: datetime) -> StoredState:
        """Replace the row with ``change(current row)``, read and written in one transaction."""
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = self._state(
                    job_id, conn.execute("SELECT * FROM sync_state WHERE job_id = ?", (job_id,)).fetchone()
                )
                written = self._write(conn, job_id, change(current), now)
                conn.execute("COMMIT")
                return written
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _write(self, conn: sqlite3.Connection, job_id: str, state: StoredState, now: datetime) -> StoredState:
        stamp = iso_cdmx(now)
        values = (
            job_id,
            iso_cdmx(state.watermark) if state.watermark else None,
            json.dumps(sorted(state.pending_draft_ids)),
            json.dumps(sorted(state.refused_ids)),
            json.dumps(dict(state.followed), sort_keys=True) if state.followed else None,
            json.dumps(dict(state.warehouse_names), sort_keys=True, ensure_ascii=False)
            if state.warehouse_names is not None
            else None,
            state.run_id,
            state.origin,
            stamp,
        )
        statement = (
            "INSERT INTO sync_state (job_id, watermark, pending_draft_ids, refused_ids, followed, "
            "warehouse_names, run_id, origin, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(job_id) DO UPDATE SET watermark = excluded.watermark, "
            "pending_draft_ids = excluded.pending_draft_ids, refused_ids = excluded.refused_ids, "
            "followed = excluded.followed, warehouse_names = excluded.warehouse_names, "
            "run_id = excluded.run_id, origin = excluded.origin, updated_at = excluded.updated_at"
        )
        conn.execute(statement, values)  # one statement: atomic on its own, or part of the caller's transaction
        return StoredState(
            to_cdmx(state.watermark) if state.watermark else None,
            tuple(sorted(state.pending_draft_ids)),
            tuple(sorted(state.refused_ids)),
            state.followed,
            state.warehouse_names,
            state.run_id,
            state.origin,
            stamp,
        )

    def _state(self, job_id: str, row: sqlite3.Row | None) -> StoredState | None:
        if row is None:
            return None

        def problem(field: str, detail: str) -> SyncStateError:
            return SyncStateError(f"{self.path}: sync state of {job_id}: {field} {detail}")

        try:
            watermark = parse_bind_datetime(row["watermark"]) if row["watermark"] else None
        except ValueError:
            raise problem("watermark", f"is not a date and time: {str(row['watermark'])[:40]!r}") from None
        ids: dict[str, tuple[str, ...]] = {}
        for field in ("pending_draft_ids", "refused_ids"):
            try:
                value = json.loads(row[field])
            except (TypeError, ValueError):
                raise problem(field, "is not a JSON list") from None
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise problem(field, "is not a list of Bind ids")
            ids[field] = tuple(value)
        followed = None
        if row["followed"]:
            try:
                followed = json.loads(row["followed"])
            except ValueError:
                raise problem("followed", "is not JSON") from None
            if not isinstance(followed, dict):
                raise problem("followed", "is not a JSON object")
        names = None
        if "warehouse_names" in row.keys() and row["warehouse_names"] is not None:  # absent in a version-1 file
            try:
                names = json.loads(row["warehouse_names"])
            except ValueError:
                raise problem("warehouse_names", "is not JSON") from None
            if not isinstance(names, dict) or not all(isinstance(v, str) for v in (*names, *names.values())):
                raise problem("warehouse_names", "is not a JSON object of warehouse id -> name")
        return StoredState(
            watermark,
            ids["pending_draft_ids"],
            ids["refused_ids"],
            followed,
            names,
            row["run_id"],
            row["origin"],
            row["updated_at"],
        )


def read_stored(process_config_db: str | Path, job_id: str) -> StoredState | None:
    """The stored state of ``job_id`` without creating the file (None when there is no file or no row)."""
    path = state_path(process_config_db)
    if not path.is_file():
        return None
    try:
        store = SyncStateStore(path, create=False)
        return store.get(job_id)
    except sqlite3.DatabaseError as exc:
        raise SyncStateError(f"{path}: not a readable sync state file: {exc}") from None
