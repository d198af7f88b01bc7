"""What is checked before an upsert writes: column types, Smartsheet's size limits, mass retirement, and
the plan's warnings (keys on several rows, rows without a key, keys sent twice)."""

from __future__ import annotations

from smartbind_pipelines.core.sheets.errors import MassRetireError
from smartbind_pipelines.core.sheets.gateway import SheetInfo
from smartbind_pipelines.core.sheets.mapping import SheetMapping, StalePolicy
from smartbind_pipelines.core.sheets.plan import UpsertPlan
from smartbind_pipelines.core.sheets.result import key_text

MAX_ROWS = 20_000  # Smartsheet scale limit
MAX_CELLS = 500_000  # Smartsheet hard limit: rows x columns
WARN_RATIO = 0.8
MAX_RETIRE_SHARE = 0.5  # one run retires at most this share of a sheet's rows unless allowed
COMPATIBLE_TYPES = {
    "text": {"TEXT_NUMBER", "PICKLIST"},
    "number": {"TEXT_NUMBER"},
    "date": {"DATE", "ABSTRACT_DATETIME"},
}


def column_type_problems(mapping: SheetMapping, columns: dict[str, dict]) -> list[str]:
    """Mapped columns whose sheet type cannot hold the mapped kind (e.g. a Fecha column that is not DATE)."""
    problems = []
    for column in mapping.columns:
        found = columns.get(column.title)
        if found and found.get("type") and found["type"] not in COMPATIBLE_TYPES[column.kind]:
            problems.append(
                f"column {column.title!r} is {found['type']}, expected "
                f"{' or '.join(sorted(COMPATIBLE_TYPES[column.kind]))}"
            )
    return problems


def check_capacity(info: SheetInfo, plan: UpsertPlan, warnings: list[str]) -> str | None:
    """The refusal when the sheet would go over Smartsheet's limits; a warning appended when it nears them."""
    rows_after = info.total_row_count + len(plan.adds) - len(plan.deletes)
    cells_after = rows_after * max(info.column_count, 1)
    where = f"sheet {info.name!r} ({info.sheet_id})"
    if rows_after > MAX_ROWS or cells_after > MAX_CELLS:
        return (
            f"{where} would hold {rows_after:,} rows / {cells_after:,} cells after adding "
            f"{len(plan.adds):,} rows, over Smartsheet's limit of {MAX_ROWS:,} rows / {MAX_CELLS:,} "
            f"cells; nothing was written. Archive old rows or point the process at a new sheet."
        )
    if rows_after >= WARN_RATIO * MAX_ROWS or cells_after >= WARN_RATIO * MAX_CELLS:
        warnings.append(
            f"{where} is at {rows_after:,} rows / {cells_after:,} cells after this sync, "
            f"over {WARN_RATIO:.0%} of Smartsheet's limit ({MAX_ROWS:,} rows / {MAX_CELLS:,} cells)"
        )
    return None


def retired_rows(plan: UpsertPlan) -> int:
    """Rows the plan retires by its stale policy: zeroed (stale updates) or deleted."""
    return len(plan.deletes) + sum(1 for update in plan.updates if update.stale)


def check_retire_share(
    info: SheetInfo, plan: UpsertPlan, stale: StalePolicy, max_share: float, override_hint: str
) -> MassRetireError | None:
    """The error to raise when the plan would retire more than ``max_share`` of the sheet's rows."""
    retiring, rows = retired_rows(plan), info.total_row_count
    if retiring and rows and retiring > max_share * rows:
        return MassRetireError(
            f"{info.name!r} ({info.sheet_id})" if info.name else str(info.sheet_id),
            retiring,
            rows,
            max_share,
            stale.action,
            override_hint,
        )
    return None


def plan_warnings(plan: UpsertPlan, mapping: SheetMapping) -> list[str]:
    """What the plan leaves alone and why: keys on several rows, rows without a key, keys sent twice."""
    notes = []
    for key, row_ids in plan.duplicate_sheet_keys.items():
        notes.append(
            f"key {key_text(key)} is on {len(row_ids)} rows {row_ids}; only row {row_ids[0]} is kept up to date"
        )
    if plan.rows_without_key:
        notes.append(
            f"{len(plan.rows_without_key)} sheet row(s) have an empty {'/'.join(mapping.key)}: "
            f"left untouched {plan.rows_without_key[:20]}"
        )
    for key in plan.duplicate_source_keys:
        notes.append(f"key {key_text(key)} came more than once in this sync; the first record was used")
    return notes
