"""The upsert plan: a pure function of the records to sync and the rows already in the sheet.

Deciding what to add, update, leave alone or retire is kept apart from sending it, so that the
decision can be tested row by row, shown as a dry run, and recomputed after a lost answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from smartbind_pipelines.core.sheets.mapping import (
    ColumnSpec,
    SheetMapping,
    StalePolicy,
    cell_value,
    comparable,
)


@dataclass
class ExistingRow:
    """A sheet row as read: its id and the cells of the columns read, by column title."""

    row_id: int
    cells: dict[str, Any]


@dataclass
class RowUpdate:
    """The changed cells of one existing row: ``changes`` holds SDK-typed new values, ``before`` the old."""

    row_id: int
    key: tuple
    changes: dict[str, Any]
    before: dict[str, Any]
    stale: bool = False  # written because the key left the source (StalePolicy "zero")


@dataclass
class UpsertPlan:
    adds: list[dict[str, Any]]  # whole rows, SDK-typed, by column title
    updates: list[RowUpdate]
    unchanged: int
    duplicate_sheet_keys: dict[tuple, list[int]]  # key -> all its row ids; the first is the one kept
    duplicate_source_keys: list[tuple]  # keys given more than once; the first record wins
    rows_without_key: list[int]  # sheet rows with an empty key cell: reported, never touched
    deletes: list[int] = field(default_factory=list)  # stale rows to delete (StalePolicy "delete")
    records_without_key: list[int] = field(default_factory=list)  # positions in ``records``
    invalid_records: list[tuple[tuple, str]] = field(default_factory=list)  # (key, why) not writable

    @property
    def writes(self) -> int:
        return len(self.adds) + len(self.updates) + len(self.deletes)


def _spec(mapping: SheetMapping, title: str) -> ColumnSpec:
    try:
        return mapping.column(title)
    except KeyError:
        return ColumnSpec(title)


def _typed_row(record: dict[str, Any], mapping: SheetMapping) -> dict[str, Any]:
    """The record's mapped cells as SDK values; raises ValueError naming a value that cannot be typed."""
    return {
        column.title: cell_value(record[column.title], column) for column in mapping.columns if column.title in record
    }


def _index(existing: Sequence[ExistingRow], mapping: SheetMapping):
    first: dict[tuple, ExistingRow] = {}
    all_rows: dict[tuple, list[ExistingRow]] = {}
    without_key: list[int] = []
    for row in existing:
        key = mapping.key_of(row.cells)
        if key is None:
            without_key.append(row.row_id)
            continue
        all_rows.setdefault(key, []).append(row)
        first.setdefault(key, row)
    duplicates = {key: [row.row_id for row in rows] for key, rows in all_rows.items() if len(rows) > 1}
    return first, all_rows, duplicates, without_key


def _diff(record: dict[str, Any], row: ExistingRow, mapping: SheetMapping) -> tuple[dict, dict]:
    changes, before = {}, {}
    key_titles = set(mapping.key)
    for column in mapping.columns:
        if column.title in key_titles or column.title not in record:
            continue  # key cells already match; a column the record does not carry is left alone
        new = record[column.title]
        old = row.cells.get(column.title)
        if comparable(new, column) != comparable(old, column):
            changes[column.title] = cell_value(new, column)
            before[column.title] = old
    return changes, before


def _in_scope(row: ExistingRow, stale: StalePolicy, mapping: SheetMapping) -> bool:
    for title, allowed in (stale.scope or {}).items():
        spec = _spec(mapping, title)
        if comparable(row.cells.get(title), spec) not in {comparable(value, spec) for value in allowed}:
            return False
    return True


def _retire(rows: list[ExistingRow], key: tuple, stale: StalePolicy, mapping: SheetMapping, plan: UpsertPlan) -> None:
    for row in rows:  # every copy of a stale key: none may keep showing stale figures
        if stale.action == "delete":
            plan.deletes.append(row.row_id)
            continue
        changes, before = {}, {}
        for title, target in stale.zero_values.items():
            spec = _spec(mapping, title)
            if comparable(target, spec) != comparable(row.cells.get(title), spec):
                changes[title] = cell_value(target, spec)
                before[title] = row.cells.get(title)
        if changes:
            plan.updates.append(RowUpdate(row.row_id, key, changes, before, stale=True))


def plan_upsert(
    records: Sequence[dict[str, Any]],
    existing: Sequence[ExistingRow],
    mapping: SheetMapping,
    *,
    stale: StalePolicy | None = None,
) -> UpsertPlan:
    """Decide adds, updates (changed cells only), unchanged rows and, with ``stale``, retirements.

    Pure: no I/O. Values are normalised before comparing (see ``mapping.comparable``), so a record
    equal to its row up to Smartsheet's storage produces no write at all.
    """
    first, all_rows, duplicates, without_key = _index(existing, mapping)
    plan = UpsertPlan(
        adds=[],
        updates=[],
        unchanged=0,
        duplicate_sheet_keys=duplicates,
        duplicate_source_keys=[],
        rows_without_key=without_key,
    )
    seen: set[tuple] = set()
    for position, record in enumerate(records):
        key = mapping.key_of(record)
        if key is None:
            plan.records_without_key.append(position)
            continue
        if key in seen:
            if key not in plan.duplicate_source_keys:
                plan.duplicate_source_keys.append(key)
            continue
        seen.add(key)
        row = first.get(key)
        try:
            if row is None:
                plan.adds.append(_typed_row(record, mapping))
                continue
            changes, before = _diff(record, row, mapping)
        except ValueError as exc:
            plan.invalid_records.append((key, str(exc)))
            continue
        if changes:
            plan.updates.append(RowUpdate(row.row_id, key, changes, before))
        else:
            plan.unchanged += 1

    if stale is not None:
        for key, rows in all_rows.items():
            if key in seen:
                continue
            in_scope = [row for row in rows if _in_scope(row, stale, mapping)]
            if in_scope:
                _retire(in_scope, key, stale, mapping, plan)
    return plan


def columns_to_read(
    mapping: SheetMapping, records: Sequence[dict[str, Any]], stale: StalePolicy | None = None
) -> tuple[str, ...]:
    """The key columns plus the columns the plan compares: only these are read from the sheet."""
    carried = {title for record in records for title, value in record.items() if title in mapping.titles}
    compared = [column.title for column in mapping.columns if column.title in carried]
    extra = stale.titles() if stale is not None else ()
    return tuple(dict.fromkeys([*mapping.key, *compared, *extra]))
