"""A ProcessConfig as a row of ``process_configs``: its columns, its values encoded and decoded, its
timestamps, and the audit entry written in the same transaction as each change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.core.process_config.model import EDITABLE_FIELDS

COLUMNS = ("job_id", *EDITABLE_FIELDS, "created_at", "updated_at")

SELECT = f"SELECT {', '.join(COLUMNS)} FROM process_configs"


def audit(conn, job_id, when, via, actor, *, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """One entry of process_config_audit: what changed, from what to what, through which face and by whom."""
    conn.execute(
        "INSERT INTO process_config_audit (job_id, changed_at, via, actor, old_values, new_values) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (job_id, when, via, actor, json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)),
    )


def encode(name: str, value: Any) -> Any:
    if name == "fields_mapping":
        return json.dumps(value, ensure_ascii=False)
    if name == "operating_hours":
        return None if value is None else json.dumps(value, ensure_ascii=False)
    if name == "is_active":
        return 1 if value else 0
    return value


def decode_value(name: str, raw: Any) -> Any:
    if name in ("fields_mapping", "operating_hours"):
        return json.loads(raw) if isinstance(raw, str) else raw
    if name == "is_active":
        return bool(raw) if isinstance(raw, int) else raw
    if name == "smartsheet_sheet_id" and isinstance(raw, int):
        return str(raw)
    return raw


def normalise_timestamp(raw: Any) -> str:
    """ISO-8601 with the Mexico City offset; the seed stored naive Mexico City wall times."""
    if not raw:
        return ""
    try:
        return to_cdmx(datetime.fromisoformat(str(raw))).isoformat()
    except ValueError:
        return str(raw)
