"""SQLite schema of the ProcessConfig file and its migrations.

The schema version lives in ``PRAGMA user_version``. Version 0 is either a brand-new file or one
written by the FastAPI middleware this project replaces (its ``process_configs`` table, no version, no
audit); both go through the same migrations, which only ever add, so an existing file keeps its data.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

from smartbind_pipelines.core.cdmx import iso_cdmx
from smartbind_pipelines.core.process_config.model import ProcessConfigUnavailable


def _v1_process_configs(conn: sqlite3.Connection) -> None:
    # The seed's table, as its SQLAlchemy model created it; IF NOT EXISTS keeps a legacy file's table.
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS process_configs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id VARCHAR(100) NOT NULL UNIQUE,
            name VARCHAR(200) NOT NULL,
            description TEXT,
            smartsheet_sheet_id VARCHAR(50),
            smartsheet_sheet_name VARCHAR(200),
            interval_minutes INTEGER,
            is_active BOOLEAN,
            source_system VARCHAR(50),
            target_system VARCHAR(50),
            sync_direction VARCHAR(20),
            fields_mapping TEXT
        )
        """
    )


def _v2_timestamps_and_audit(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(process_configs)")}
    now = iso_cdmx()
    for column in ("created_at", "updated_at"):
        if column not in columns:  # the seed's later releases already had them
            conn.execute(f"ALTER TABLE process_configs ADD COLUMN {column} TEXT")
        conn.execute(f"UPDATE process_configs SET {column} = ? WHERE {column} IS NULL", (now,))
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS process_config_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id VARCHAR(100) NOT NULL,
            changed_at TEXT NOT NULL,
            via VARCHAR(50) NOT NULL,
            actor VARCHAR(200),
            old_values TEXT NOT NULL,
            new_values TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX IF NOT EXISTS process_config_audit_job ON process_config_audit (job_id, id)")


def _v3_seeded_processes(conn: sqlite3.Connection) -> None:
    # Which processes were ever seeded: a row an operator deletes stays deleted instead of coming back
    # from the defaults (active) at the next open. A file written before this table existed was seeded
    # at every open, so every process it has a row or an audit entry for counts as seeded.
    conn.execute(
        "CREATE TABLE IF NOT EXISTS process_config_seeded (job_id VARCHAR(100) PRIMARY KEY, seeded_at TEXT NOT NULL)"
    )
    now = iso_cdmx()
    conn.execute("INSERT OR IGNORE INTO process_config_seeded SELECT job_id, ? FROM process_configs", (now,))
    conn.execute(
        "INSERT OR IGNORE INTO process_config_seeded SELECT DISTINCT job_id, ? FROM process_config_audit", (now,)
    )


def _v4_operating_hours(conn: sqlite3.Connection) -> None:
    # NULL = no window (runs day and night), which is how every process ran before this column existed.
    # The old middleware's operating_start_hour/operating_end_hour columns, if a legacy file has them, are
    # left where they are and not adopted: its save routine reset them to 07-20 on every edit, so they do
    # not record an operator's choice, and adopting them would silently stop night syncs after an upgrade.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(process_configs)")}
    if "operating_hours" not in columns:
        conn.execute("ALTER TABLE process_configs ADD COLUMN operating_hours TEXT")


# Append only: position + 1 is the version a migration brings the file to.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_process_configs,
    _v2_timestamps_and_audit,
    _v3_seeded_processes,
    _v4_operating_hours,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, db_path: str) -> int:
    """Bring the file up to SCHEMA_VERSION; call inside a write transaction. Returns the old version."""
    found = schema_version(conn)
    if found > SCHEMA_VERSION:
        raise ProcessConfigUnavailable(
            db_path,
            f"has schema version {found}, newer than this smartbind understands ({SCHEMA_VERSION}): "
            "upgrade smartbind instead of downgrading the file",
        )
    for migration in MIGRATIONS[found:]:
        migration(conn)
    if found != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found
