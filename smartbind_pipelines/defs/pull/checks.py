"""The checks every pull process runs on its sheet after a write: one duplicate-key check and one comparison of
the rows read from Bind with the sheet, shared by every process (the check names stay each process's own).

Both verify what Smartsheet holds, read back after the write. A run that wrote nothing (a dry run) passes
them with a note (``nothing_written``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import dagster as dg

from smartbind_pipelines.core.sheets import SheetMapping, comparable

LISTED = 20


def listed(items: Sequence[str]) -> str:
    """The first ``LISTED`` items, comma-separated, with how many more there are."""
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def key_text(key: Sequence[Any]) -> str:
    return " / ".join(map(str, key))


def duplicate_keys(mapping: SheetMapping, sheet_rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """ "<key>" -> rows, for the keys present on more than one row (pure); rows without a key are left out."""
    counts = Counter(mapping.key_of(cells) for cells in sheet_rows)
    return {key_text(key): n for key, n in counts.items() if key is not None and n > 1}


def mismatches(
    mapping: SheetMapping,
    records: Iterable[Mapping[str, Any]],
    sheet_rows: Iterable[Mapping[str, Any]],
    compared: Sequence[str] | None = None,
) -> dict[str, str]:
    """ "<key>" -> what differs, for records missing from the sheet or different in it (pure).

    ``compared`` names the columns compared (every column of the mapping by default). The first sheet row
    with a key is the one compared, as the upsert updates only that one."""
    by_key: dict[tuple, Mapping[str, Any]] = {}
    for cells in sheet_rows:
        key = mapping.key_of(cells)
        if key is not None:
            by_key.setdefault(key, cells)
    columns = [mapping.column(title) for title in compared] if compared else list(mapping.columns)
    problems: dict[str, str] = {}
    for record in records:
        key = mapping.key_of(record)
        shown = key_text(key) if key is not None else "(no key)"
        row = by_key.get(key) if key is not None else None
        if row is None:
            problems[shown] = "missing from the sheet"
            continue
        diffs = [
            f"{column.title} sheet={row.get(column.title)!r} bind={record.get(column.title)!r}"
            for column in columns
            if comparable(row.get(column.title), column) != comparable(record.get(column.title), column)
        ]
        if diffs:
            problems[shown] = "; ".join(diffs)
    return problems


def duplicates_result(
    check_name: str,
    sheet_id: int,
    duplicates: Mapping[str, int],
    *,
    rows: int,
    key_name: str = "key",
    label: str = "keys",
    **metadata: Any,
) -> dg.AssetCheckResult:
    """The duplicate-key check: a warning (duplicates already in a sheet are reported, never multiplied)."""
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{label} on more than one row: {listed(sorted(duplicates))}" if duplicates else None,
        metadata={"sheet_id": str(sheet_id), "sheet_rows": rows, **metadata, f"duplicate_{key_name}s": len(duplicates)},
    )


def mismatches_result(
    check_name: str,
    sheet_id: int,
    problems: Mapping[str, str],
    *,
    checked: int,
    what: str = "row(s) differ",
    checked_name: str = "rows_checked",
) -> dg.AssetCheckResult:
    """The comparison check: an error, naming each key that is missing or different and why."""
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(problems)} {what}: " + listed([f"{key} ({why})" for key, why in sorted(problems.items())])
            if problems
            else None
        ),
        metadata={"sheet_id": str(sheet_id), checked_name: checked, "mismatched": len(problems)},
    )
