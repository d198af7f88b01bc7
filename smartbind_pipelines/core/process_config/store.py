"""ProcessConfigStore: the SQLite file every face reads and writes.

Sensors read it at every tick; the API, the CLI and the Dagster job write it. SQLite in WAL mode lets
readers proceed while a writer works; each write is one ``BEGIN IMMEDIATE`` transaction that re-reads
the row, validates the merged record and writes the row with its audit entry, so two writers in
different processes serialise instead of overwriting each other. The file and its transactions are in
``file.py``, the row encoding and the audit entry in ``rows.py``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from smartbind_pipelines.core.cdmx import iso_cdmx
from smartbind_pipelines.core.process_config.defaults import default_processes
from smartbind_pipelines.core.process_config.file import ConfigFile
from smartbind_pipelines.core.process_config.model import (
    EDITABLE_FIELDS,
    ConfigValidationError,
    ProcessConfig,
    UnknownProcessError,
    apply_changes,
    validate_changes,
    validate_new_process,
)
from smartbind_pipelines.core.process_config.rows import (
    COLUMNS,
    SELECT,
    audit,
    decode_value,
    encode,
    normalise_timestamp,
)
from smartbind_pipelines.core.process_config.schema import SCHEMA_VERSION, migrate, schema_version

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 15.0  # how long a write waits for another writer before the file counts as locked


class ProcessConfigStore(ConfigFile):
    """ProcessConfig rows in one SQLite file.

    ``env`` supplies the fallback sheet ids and the seeded rows' variables. It is taken once, here (default:
    this process's environment): nothing changes a running process's environment, and every face opens a
    store per use (a sensor per tick, the CLI per command), so a new value applies at the next tick or
    command, and to a long-lived holder (the admin API) at its restart. Opening creates the directory and file and migrates an older
    file; the default processes are seeded once, when the file is created (or first adopted), so a row an
    operator deletes stays deleted. An existing row is never changed by opening.

    Any failure of the file itself (missing after creation, locked beyond ``busy_timeout`` seconds,
    corrupt, read-only, a newer schema) raises :class:`ProcessConfigUnavailable` with one line naming the
    file and the problem.
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        *,
        busy_timeout: float | None = None,
    ):
        self.db_path = Path(db_path)
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.busy_timeout = BUSY_TIMEOUT_SECONDS if busy_timeout is None else busy_timeout
        self._prepare()

    def __repr__(self) -> str:
        return f"ProcessConfigStore({str(self.db_path)!r})"

    # -- reading ------------------------------------------------------------------------------

    def get(self, job_id: str) -> ProcessConfig | None:
        """The effective configuration of a process, or None when no such process exists."""
        with self._read() as conn:
            row = conn.execute(SELECT + " WHERE job_id = ?", (job_id,)).fetchone()
        # No row: the process was never declared, or an operator deleted it (it stays deleted).
        return self._effective(self._decode(row)) if row is not None else None

    def list(self) -> list[ProcessConfig]:
        """Every process, ordered by job_id."""
        with self._read() as conn:
            rows = conn.execute(SELECT + " ORDER BY job_id").fetchall()
        return [self._effective(self._decode(row)) for row in rows]

    def deleted(self, job_id: str) -> bool:
        """True when the process was seeded once and its row has since been deleted."""
        with self._read() as conn:
            return self._was_deleted(conn, job_id)

    def history(self, job_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Audit entries of a process, newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigValidationError("limit", f"must be a positive integer, got {limit!r}")
        with self._read() as conn:
            known = conn.execute("SELECT 1 FROM process_configs WHERE job_id = ?", (job_id,)).fetchone()
            entries = conn.execute(
                "SELECT id, job_id, changed_at, via, actor, old_values, new_values "
                "FROM process_config_audit WHERE job_id = ? ORDER BY id DESC LIMIT ?",
                (job_id, limit),
            ).fetchall()
        if known is None and not entries:
            raise UnknownProcessError(job_id)
        return [
            {
                "id": entry["id"],
                "job_id": entry["job_id"],
                "changed_at": entry["changed_at"],
                "via": entry["via"],
                "actor": entry["actor"],
                "old": json.loads(entry["old_values"]),
                "new": json.loads(entry["new_values"]),
            }
            for entry in entries
        ]

    # -- writing ------------------------------------------------------------------------------

    def update(self, job_id: str, changes: Mapping[str, Any], *, via: str, actor: str | None = None) -> ProcessConfig:
        """Apply a partial update; all fields are validated before anything is written.

        Raises UnknownProcessError (field ``job_id``) or ConfigValidationError naming the field.
        An update that changes nothing writes nothing and records no audit entry.
        """
        if not isinstance(via, str) or not via.strip():
            raise ValueError("via must name the face making the change, e.g. 'api', 'cli', 'dagster'")
        with self._write() as conn:
            row = conn.execute(SELECT + " WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise UnknownProcessError(job_id)
            stored = self._decode(row)
            updated, effective = apply_changes(stored, changes)
            if not effective:
                return self._effective(stored)
            now = iso_cdmx()
            # Column names come from validated field names only, never from the caller's raw keys.
            assignments = ", ".join(f"{name} = ?" for name in effective)
            conn.execute(
                f"UPDATE process_configs SET {assignments}, updated_at = ? WHERE job_id = ?",
                (*(encode(name, value) for name, value in effective.items()), now, job_id),
            )
            audit(
                conn,
                job_id,
                now,
                via,
                actor,
                old={name: getattr(stored, name) for name in effective},
                new=effective,
            )
        logger.info("ProcessConfig %s changed via %s by %s: %s", job_id, via, actor or "unknown", ", ".join(effective))
        return self._effective(replace(updated, updated_at=now))

    def ensure_process(self, defaults: ProcessConfig | Mapping[str, Any]) -> ProcessConfig | None:
        """Insert a process row if none was ever seeded for its job_id; an existing row is left as it is.

        Returns None when an operator deleted the process's row: it is not re-created behind their back
        (``restore`` brings it back, paused).
        """
        values = defaults.to_dict() if isinstance(defaults, ProcessConfig) else dict(defaults)
        config = validate_new_process(values)
        with self._write() as conn:
            self._insert_if_absent(conn, config)
        return self.get(config.job_id)

    def restore(
        self, defaults: ProcessConfig | Mapping[str, Any], *, via: str, actor: str | None = None
    ) -> ProcessConfig:
        """Re-create a deleted process from its defaults, paused (``is_active`` false) so nothing runs until
        an operator resumes it. An existing row is left as it is."""
        values = defaults.to_dict() if isinstance(defaults, ProcessConfig) else dict(defaults)
        config = replace(validate_new_process(values), is_active=False)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM process_configs WHERE job_id = ?", (config.job_id,)).fetchone() is None:
                self._insert(conn, config, via=via, actor=actor)
                logger.info("ProcessConfig %s restored (paused) via %s by %s", config.job_id, via, actor or "unknown")
        found = self.get(config.job_id)
        assert found is not None
        return found

    # -- internals ----------------------------------------------------------------------------

    def _prepare(self) -> None:
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unavailable(exc) from exc
        with self._read(create=True) as conn:
            if schema_version(conn) == SCHEMA_VERSION:
                return  # the common case, at every sensor tick: one cheap read
            # WAL is a property of the file; it cannot be switched inside a transaction.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                logger.warning("%s: journal_mode is %s, not WAL; readers may wait on writers", self.db_path, mode)
        defaults = [validate_new_process(values) for values in default_processes(self.env)]
        with self._write(create=True) as conn:
            old_version = migrate(conn, str(self.db_path))
            if old_version == SCHEMA_VERSION:
                return  # another process set the file up meanwhile
            logger.info("%s: ProcessConfig schema migrated %s -> %s", self.db_path, old_version, SCHEMA_VERSION)
            # Seeding happens here only, with the migration: once for a new file, never again after.
            for config in defaults:
                self._insert_if_absent(conn, config)

    @staticmethod
    def _was_deleted(conn: sqlite3.Connection, job_id: str) -> bool:
        seeded = conn.execute("SELECT 1 FROM process_config_seeded WHERE job_id = ?", (job_id,)).fetchone()
        present = conn.execute("SELECT 1 FROM process_configs WHERE job_id = ?", (job_id,)).fetchone()
        return seeded is not None and present is None

    def _insert_if_absent(self, conn: sqlite3.Connection, config: ProcessConfig) -> None:
        if conn.execute("SELECT 1 FROM process_config_seeded WHERE job_id = ?", (config.job_id,)).fetchone():
            return  # seeded before: present, or deleted by an operator and meant to stay deleted
        self._insert(conn, config, via="seed", actor=None)
        logger.info("%s: seeded ProcessConfig %s", self.db_path, config.job_id)

    def _insert(self, conn: sqlite3.Connection, config: ProcessConfig, *, via: str, actor: str | None) -> None:
        now = iso_cdmx()
        cursor = conn.execute(
            f"INSERT OR IGNORE INTO process_configs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
            (config.job_id, *(encode(name, getattr(config, name)) for name in EDITABLE_FIELDS), now, now),
        )
        conn.execute(
            "INSERT OR IGNORE INTO process_config_seeded (job_id, seeded_at) VALUES (?, ?)", (config.job_id, now)
        )
        if cursor.rowcount:
            audit(conn, config.job_id, now, via, actor, old={}, new=config.editable_values())

    def _decode(self, row: sqlite3.Row) -> ProcessConfig:
        """The stored record; a legacy NULL or an unreadable value falls back to the default."""
        job_id = row["job_id"]
        # Missing fields take the process's defaults, except the sheet id: that one is the
        # environment's to supply (see _effective).
        base = next((d for d in default_processes({}) if d["job_id"] == job_id), {})
        base = {k: v for k, v in base.items() if k != "smartsheet_sheet_id"}
        values: dict[str, Any] = {}
        for name in EDITABLE_FIELDS:
            raw = row[name]
            if raw is None:
                continue
            try:
                values[name] = validate_changes({name: decode_value(name, raw)}, stored=True)[name]
            except (ConfigValidationError, ValueError) as exc:
                logger.warning("%s: ignoring stored %s of %s (%s)", self.db_path, name, job_id, exc)
        merged = {**{k: v for k, v in base.items() if k in EDITABLE_FIELDS}, **values}
        if "name" not in merged:
            merged["name"] = job_id
        return ProcessConfig(
            job_id=job_id,
            **merged,
            created_at=normalise_timestamp(row["created_at"]),
            updated_at=normalise_timestamp(row["updated_at"]),
        )

    def _effective(self, stored: ProcessConfig) -> ProcessConfig:
        if stored.smartsheet_sheet_id:
            return stored
        from smartbind_pipelines.core.processes.registry import built_in_process

        process = built_in_process(stored.job_id)
        fallback = process.fallback_sheet_id(self.env) if process else ""
        return replace(stored, smartsheet_sheet_id=fallback) if fallback else stored
