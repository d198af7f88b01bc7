"""Bad values shared by the API and CLI tests: each must be refused, naming its field, writing nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

# Two Bind warehouse GUIDs (the format GET /api/Warehouses answers).
WH_A = "a860b1f4-2c9e-4d47-9c55-0f6a1b2c3d4e"
WH_B = "0b9e37c1-7d2a-4f0e-8a61-5c4d3e2f1a0b"


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"x": value}
    return value


# (field named in the error, JSON body of a PUT)
BAD_API_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("interval_minutes", {"interval_minutes": 0}),
    ("interval_minutes", {"interval_minutes": 1441}),
    ("interval_minutes", {"interval_minutes": -5}),
    ("interval_minutes", {"interval_minutes": 2.5}),
    ("interval_minutes", {"interval_minutes": 5.0}),
    ("interval_minutes", {"interval_minutes": "5"}),
    ("interval_minutes", {"interval_minutes": True}),
    ("interval_minutes", {"interval_minutes": None}),
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": "12a4"}),
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": "-123"}),
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": "1.5"}),
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": "٣٤٥"}),  # Unicode digits are not sheet ids
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": "99999999999999999999"}),  # beyond int64
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": True}),
    ("smartsheet_sheet_id", {"smartsheet_sheet_id": 12.5}),
    ("source_system", {"source_system": "ftp"}),
    ("source_system", {"source_system": "Bind"}),
    ("target_system", {"target_system": "bind"}),  # same as the source
    ("source_system", {"source_system": "smartsheet"}),  # same as the target
    ("target_system", {"target_system": 3}),
    ("sync_direction", {"sync_direction": "sideways"}),
    ("sync_direction", {"sync_direction": None}),
    ("fields_mapping", {"fields_mapping": [1, 2]}),
    ("fields_mapping", {"fields_mapping": "{}"}),
    ("fields_mapping", {"fields_mapping": None}),
    # warehouse_ids are checked when set, not at the next inventory run (issue 14)
    ("fields_mapping", {"fields_mapping": {"warehouse_ids": ["almacen-1"]}}),
    ("fields_mapping", {"fields_mapping": {"warehouse_ids": "centro"}}),
    ("fields_mapping", {"fields_mapping": {"warehouse_ids": {"a": 1}}}),
    ("fields_mapping", {"fields_mapping": {"warehouse_ids": [WH_A, 7]}}),
    ("fields_mapping", {"fields_mapping": {"warehouse_ids": [WH_A + "' or 1 eq 1"]}}),
    ("fields_mapping", {"fields_mapping": _nested(40)}),
    ("is_active", {"is_active": "true"}),
    ("is_active", {"is_active": 1}),
    ("is_active", {"is_active": None}),
    ("name", {"name": ""}),
    ("name", {"name": "   "}),
    ("name", {"name": 42}),
    ("description", {"description": ["x"]}),
    ("smartsheet_sheet_name", {"smartsheet_sheet_name": {"a": 1}}),
    ("colour", {"colour": "blue"}),  # unknown field
    ("job_id", {"job_id": "sync_other"}),  # read-only
    ("created_at", {"created_at": "2026-01-01T00:00:00-06:00"}),
    ("updated_at", {"updated_at": "2026-01-01T00:00:00-06:00"}),
    # One bad field spoils the whole update: the valid interval must not be written either.
    ("sync_direction", {"interval_minutes": 5, "sync_direction": "sideways"}),
    ("smartsheet_sheet_id", {"is_active": False, "smartsheet_sheet_id": "abc"}),
    # operating hours (issue 16): a bad window, weekday or shape; with a valid field beside it, nothing is written
    ("operating_hours", {"operating_hours": "25:00-06:00"}),
    ("operating_hours", {"operating_hours": "08:00-08:00"}),
    ("operating_hours", {"operating_hours": {"start": "08:00", "end": "20:00", "days": ["mon", "funday"]}}),
    ("operating_hours", {"operating_hours": {"start": "08:00"}}),
    ("operating_hours", {"operating_hours": {"start": "08:00", "end": "20:00", "days": []}}),
    ("operating_hours", {"operating_hours": [8, 20]}),
    ("operating_hours", {"operating_hours": 8}),
    ("operating_hours", {"interval_minutes": 5, "operating_hours": "8-20"}),
]

# (field named in the error, `smartbind config set sync_invoices ...` arguments)
BAD_CLI_ARGS: list[tuple[str, list[str]]] = [
    ("interval_minutes", ["--interval-minutes", "0"]),
    ("interval_minutes", ["--interval-minutes", "1441"]),
    ("interval_minutes", ["--interval-minutes", "-3"]),
    ("interval_minutes", ["--interval-minutes", "2.5"]),
    ("interval_minutes", ["--interval-minutes", "five"]),
    ("smartsheet_sheet_id", ["--sheet-id", "12a4"]),
    ("smartsheet_sheet_id", ["--sheet-id", "-123"]),
    ("smartsheet_sheet_id", ["--sheet-id", "99999999999999999999"]),
    ("source_system", ["--source-system", "ftp"]),
    ("target_system", ["--target-system", "bind"]),
    ("sync_direction", ["--sync-direction", "sideways"]),
    ("fields_mapping", ["--fields-mapping", "[1, 2]"]),
    ("fields_mapping", ["--fields-mapping", "not json"]),
    ("name", ["--name", ""]),
    ("sync_direction", ["--interval-minutes", "5", "--inactive", "--sync-direction", "sideways"]),
    ("operating_hours", ["--hours", "25:00-06:00"]),
    ("operating_hours", ["--hours", "08:00-08:00", "--days", "mon-fri"]),
    ("operating_hours", ["--hours", "08:00-20:00", "--days", "mon-funday"]),
    ("operating_hours", ["--hours", "8-20"]),
    ("operating_hours", ["--interval-minutes", "5", "--hours", "08:00-20:00", "--days", ""]),
]


def snapshot(db_path: Path | str, job_id: str = "sync_invoices") -> tuple[tuple, int]:
    """The stored row exactly as SQLite holds it, and the number of audit entries."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT * FROM process_configs WHERE job_id = ?", (job_id,)).fetchone()
    conn.close()
    return row, audit_count(db_path)


def audit_count(db_path: Path | str, job_id: str | None = None) -> int:
    """How many audit entries the file holds (for one process, or in all)."""
    with sqlite3.connect(db_path) as conn:
        if job_id is None:
            count = conn.execute("SELECT COUNT(*) FROM process_config_audit").fetchone()[0]
        else:
            count = conn.execute("SELECT COUNT(*) FROM process_config_audit WHERE job_id = ?", (job_id,)).fetchone()[0]
    conn.close()
    return count
