"""upsert_sheet: records upserted into a sheet by key, writing only what changed.

Read (columns, then the key index with only the compared columns), plan (pure), check capacity,
then write serially: adds, updates, deletes, each in batches of at most 500 rows. A lost answer to an
add never duplicates rows: nothing is sent again until the sheet has settled (see ``settle``), then the
key index is re-read and only the rows still missing are sent. With a ``WriteJournal``, an add batch an
earlier (killed) run left in flight is waited for the same way before planning.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from smartbind_pipelines.core.sheets.errors import (
    MassRetireError,
    MissingColumnError,
    SheetCapacityError,
    SheetSyncError,
    SheetTransportError,
)
from smartbind_pipelines.core.sheets.gateway import MAX_BATCH, SheetGateway, SheetInfo
from smartbind_pipelines.core.sheets.mapping import SheetMapping, StalePolicy
from smartbind_pipelines.core.sheets.plan import RowUpdate, UpsertPlan, columns_to_read, plan_upsert
from smartbind_pipelines.core.sheets.settle import SettleBounds, WriteJournal, wait_until_settled

log = logging.getLogger(__name__)

MAX_ROWS = 20_000  # Smartsheet scale limit
MAX_CELLS = 500_000  # Smartsheet hard limit: rows x columns
WARN_RATIO = 0.8
MAX_REPLANS = 3  # lost add answers tolerated in one sync before giving up
MAX_RETIRE_SHARE = 0.5  # one run retires at most this share of a sheet's rows unless allowed
COMPATIBLE_TYPES = {
    "text": {"TEXT_NUMBER", "PICKLIST"},
    "number": {"TEXT_NUMBER"},
    "date": {"DATE", "ABSTRACT_DATETIME"},
}


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


def _key_text(key: tuple) -> str:
    return " | ".join(str(part) for part in key)


def _check_capacity(info: SheetInfo, plan: UpsertPlan, warnings: list[str]) -> str | None:
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


def _check_retire_share(
    info: SheetInfo, plan: UpsertPlan, stale: StalePolicy, max_share: float, override_hint: str
) -> MassRetireError | None:
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


def _plan_warnings(plan: UpsertPlan, mapping: SheetMapping) -> list[str]:
    notes = []
    for key, row_ids in plan.duplicate_sheet_keys.items():
        notes.append(
            f"key {_key_text(key)} is on {len(row_ids)} rows {row_ids}; only row {row_ids[0]} is kept up to date"
        )
    if plan.rows_without_key:
        notes.append(
            f"{len(plan.rows_without_key)} sheet row(s) have an empty {'/'.join(mapping.key)}: "
            f"left untouched {plan.rows_without_key[:20]}"
        )
    for key in plan.duplicate_source_keys:
        notes.append(f"key {_key_text(key)} came more than once in this sync; the first record was used")
    return notes


def _update_changes(updates: Sequence[RowUpdate]) -> list[dict]:
    return [
        {
            "key": _key_text(update.key),
            "row_id": update.row_id,
            "column": title,
            "before": update.before.get(title),
            "after": after,
            "stale": update.stale,
        }
        for update in updates
        for title, after in update.changes.items()
    ]


def _delete_changes(row_ids: Sequence[int]) -> list[dict]:
    return [
        {"key": None, "row_id": row_id, "column": None, "before": None, "after": None, "deleted": True}
        for row_id in row_ids
    ]


def upsert_sheet(
    gateway: SheetGateway,
    sheet_id: int,
    records: Sequence[dict[str, Any]],
    mapping: SheetMapping,
    *,
    stale: StalePolicy | None = None,
    dry_run: bool = False,
    batch_size: int = MAX_BATCH,
    settle: SettleBounds | None = None,
    journal: WriteJournal | None = None,
    max_retire_share: float = MAX_RETIRE_SHARE,
    allow_mass_retire: bool = False,
    override_hint: str = "allow_mass_retire=True",
) -> UpsertResult:
    """Upsert ``records`` (cells by column title) into ``sheet_id``, keyed on ``mapping.key``.

    Raises MissingColumnError or SheetCapacityError before writing anything; SheetApiError /
    SheetTransportError when a whole request keeps failing (``partial_result`` tells what was written).
    Per-row refusals do not raise: they are in ``result.failed`` and the other rows are written.

    ``settle`` bounds the wait for the sheet to settle after a lost add answer (default: from the
    environment, ``SettleBounds.from_env``); ``SheetUnsettledError`` when it never does, with nothing
    sent again. ``journal`` records add batches in flight, so that a later run waits for one this run
    could not see answered (killed, or unsettled) before it plans.

    Deletion safety: a sync whose stale policy would retire (zero or delete) more than
    ``max_retire_share`` of the sheet's rows raises ``MassRetireError`` before writing anything, unless
    ``allow_mass_retire``; ``override_hint`` is how the error tells the operator to allow it.
    """
    if not 0 <= max_retire_share <= 1:
        raise ValueError(f"max_retire_share must be between 0 and 1, not {max_retire_share}")
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, not {batch_size}")
    settle = settle if settle is not None else SettleBounds.from_env()
    counts_before = collections.Counter(gateway.request_counts)
    early_warnings = _settle_earlier_batches(gateway, sheet_id, settle, journal, dry_run)
    columns = gateway.sheet_columns(sheet_id)
    wanted = [*mapping.titles, *(stale.titles() if stale else ())]
    missing = [title for title in dict.fromkeys(wanted) if title not in columns]
    if missing:
        raise MissingColumnError(str(sheet_id), missing)
    existing, info = gateway.read_rows(sheet_id, columns_to_read(mapping, records, stale), columns=columns)
    plan = plan_upsert(records, existing, mapping, stale=stale)

    warnings = [*early_warnings, *column_type_problems(mapping, columns), *_plan_warnings(plan, mapping)]
    failed = [RowFailure(key, None, message) for key, message in plan.invalid_records]
    failed += [
        RowFailure((), None, f"record #{position} has an empty key ({'/'.join(mapping.key)})")
        for position in plan.records_without_key
    ]
    refusal = _check_capacity(info, plan, warnings)
    mass_retire = None
    if stale is not None and not allow_mass_retire:
        mass_retire = _check_retire_share(info, plan, stale, max_retire_share, override_hint)
    result = UpsertResult(
        inserted=0,
        updated=0,
        unchanged=plan.unchanged,
        deleted=0,
        failed=failed,
        duplicate_sheet_keys=plan.duplicate_sheet_keys,
        rows_without_key=plan.rows_without_key,
        warnings=warnings,
        changes=[],
        requests=collections.Counter(),
        plan=plan,
        dry_run=dry_run,
        sheet=info,
    )
    if dry_run:
        if refusal:
            warnings.append(refusal)
        if mass_retire:
            warnings.append(str(mass_retire))
        result.changes = _update_changes(plan.updates) + _delete_changes(plan.deletes)
    elif refusal:
        raise SheetCapacityError(refusal)
    elif mass_retire:
        raise mass_retire
    else:
        try:
            _write(gateway, sheet_id, plan, mapping, columns, batch_size, result, _Settling(settle, journal))
        except SheetSyncError as exc:
            result.requests = gateway.request_counts - counts_before
            exc.partial_result = result
            raise
    result.requests = gateway.request_counts - counts_before
    for note in warnings:
        log.warning("sheet %s: %s", sheet_id, note)
    return result


@dataclass
class _Settling:
    bounds: SettleBounds
    journal: WriteJournal | None


def _settle_earlier_batches(
    gateway: SheetGateway, sheet_id: int, bounds: SettleBounds, journal: WriteJournal | None, dry_run: bool
) -> list[str]:
    """Wait for add batches an earlier run left in flight (no answer recorded) before reading the index."""
    if journal is None:
        return []
    pending = journal.open_entries(sheet_id, bounds.journal_horizon_seconds)
    if not pending:
        return []
    rows = sum(entry.rows for entry in pending)
    what = (
        f"{len(pending)} add batch(es) of {rows} row(s) sent by an earlier run "
        f"({', '.join(sorted({entry.owner for entry in pending}))}) with no answer recorded"
    )
    if dry_run:
        return [f"{what}: they may still be landing, so this plan may count them as adds"]
    log.warning("sheet %s: %s; waiting for the sheet to settle before planning", sheet_id, what)
    wait_until_settled(lambda: gateway.sheet_version(sheet_id), str(sheet_id), bounds, reason=what)
    journal.clear(*(entry.entry_id for entry in pending))
    return [f"{what}: waited for the sheet to settle before planning"]


def _write(
    gateway: SheetGateway,
    sheet_id: int,
    plan: UpsertPlan,
    mapping: SheetMapping,
    columns: dict[str, dict],
    batch_size: int,
    result: UpsertResult,
    settling: _Settling,
) -> None:
    _add(gateway, sheet_id, plan.adds, mapping, columns, batch_size, result, settling)

    for start in range(0, len(plan.updates), batch_size):
        batch = plan.updates[start : start + batch_size]
        outcome = gateway.update_rows(sheet_id, [(update.row_id, update.changes) for update in batch], columns)
        failed_at = set()
        for index, code, message in outcome.failures:
            failed_at.add(index)
            result.failed.append(RowFailure(batch[index].key, code, message))
        applied = [update for index, update in enumerate(batch) if index not in failed_at]
        result.updated += len(applied)
        result.changes += _update_changes(applied)

    if plan.deletes:
        result.deleted = gateway.delete_rows(sheet_id, plan.deletes)
        result.changes += _delete_changes(plan.deletes)


def _add(
    gateway: SheetGateway,
    sheet_id: int,
    adds: list[dict[str, Any]],
    mapping: SheetMapping,
    columns: dict[str, dict],
    batch_size: int,
    result: UpsertResult,
    settling: _Settling,
) -> None:
    remaining = list(adds)
    lost_answers = 0
    journal = settling.journal
    while remaining:
        batch = remaining[:batch_size]
        entry = journal.record(sheet_id, len(batch)) if journal else None
        try:
            outcome = gateway.add_rows(sheet_id, batch, columns)
        except SheetTransportError as exc:
            lost_answers += 1
            if lost_answers > MAX_REPLANS:
                raise  # the journal entry stays: the next run waits for this batch before planning
            # The POST may have been applied, or may still be being saved: nothing is sent again until
            # the sheet has settled; only then do absent keys mean "not applied".
            result.warnings.append(
                f"{exc}; waiting for the sheet to settle, then re-reading the key index before adding again"
            )
            wait_until_settled(
                lambda: gateway.sheet_version(sheet_id),
                str(sheet_id),
                settling.bounds,
                reason=f"a lost answer to an add of {len(batch)} row(s)",
            )
            existing, _ = gateway.read_rows(sheet_id, mapping.key, columns=columns)
            if journal:
                journal.clear(entry)
            present = {mapping.key_of(row.cells) for row in existing}
            landed = sum(1 for cells in batch if mapping.key_of(cells) in present)
            sent = {mapping.key_of(cells) for cells in batch}
            result.added_row_ids += [row.row_id for row in existing if mapping.key_of(row.cells) in sent]
            result.inserted += landed
            remaining = [cells for cells in remaining if mapping.key_of(cells) not in present]
            continue
        except SheetSyncError:
            if journal:
                journal.clear(entry)  # Smartsheet answered: the request was not applied
            raise
        if journal:
            journal.clear(entry)
        for index, code, message in outcome.failures:
            result.failed.append(RowFailure(mapping.key_of(batch[index]) or (), code, message))
        result.inserted += len(batch) - len(outcome.failures)
        result.added_row_ids += [outcome.row_ids[index] for index in sorted(outcome.row_ids)]
        remaining = remaining[len(batch) :]
