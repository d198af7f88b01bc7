"""The name each warehouse's rows carry in the sheet (warehouse id -> name), as the last writing run left it
(pure; the store is core/sync_state.py). A warehouse whose Bind name differs from it was renamed, and its
rows move to the new name (rekey.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

# The metadata name the sheet asset shows the names under (and earlier runs recorded them under).
WAREHOUSE_NAMES = "warehouse_names"


def names_from_history(newest_first: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """The names the newest materialization recorded (migrating names recorded before the store existed);
    None when no materialization recorded any."""
    for metadata in newest_first:
        value = metadata.get(WAREHOUSE_NAMES)
        if value is not None:
            raw = getattr(value, "value", value)  # a Dagster MetadataValue -> its raw value
            return {str(k): str(v) for k, v in dict(json.loads(raw) if isinstance(raw, str) else raw or {}).items()}
    return None
