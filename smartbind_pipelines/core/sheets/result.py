"""What an upsert did: ``UpsertResult`` (counts, per-row failures, warnings, changed cells) and its parts."""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import dataclass, field

from smartbind_pipelines.core.sheets.gateway import SheetInfo
from smartbind_pipelines.core.sheets.plan import RowUpdate, UpsertPlan


@dataclass
class RowFailure:
    key: tuple
    error_code: int | None
    message: str


@dataclass
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    deleted: int
    failed: list[RowFailure]
    duplicate_sheet_keys: dict
    rows_without_key: list[int]
    warnings: list[str]
    changes: list[dict]  # one entry per changed cell or deleted row: key, row_id, column, before, after
    requests: collections.Counter
    plan: UpsertPlan
    dry_run: bool = False
    sheet: SheetInfo | None = None
    added_row_ids: list[int] = field(default_factory=list)  # rows this sync added (checks read them back)

    @property
    def writes(self) -> int:
        return sum(count for endpoint, count in self.requests.items() if not endpoint.startswith("GET "))


def key_text(key: tuple) -> str:
    """A key as people read it: its parts joined by `` | ``."""
    return " | ".join(str(part) for part in key)


def update_changes(updates: Sequence[RowUpdate]) -> list[dict]:
    """One ``UpsertResult.changes`` entry per changed cell of ``updates``."""
    return [
        {
            "key": key_text(update.key),
            "row_id": update.row_id,
            "column": title,
            "before": update.before.get(title),
            "after": after,
            "stale": update.stale,
        }
        for update in updates
        for title, after in update.changes.items()
    ]


def delete_changes(row_ids: Sequence[int]) -> list[dict]:
    """One ``UpsertResult.changes`` entry per deleted row."""
    return [
        {"key": None, "row_id": row_id, "column": None, "before": None, "after": None, "deleted": True}
        for row_id in row_ids
    ]
