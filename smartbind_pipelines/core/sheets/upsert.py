"""upsert_sheet: records upserted into a sheet by key, writing only what changed.

Read (columns, then the key index with only the compared columns), plan (pure, ``plan``), check types,
capacity and mass retirement (``guards``), then write serially: adds, updates, deletes, each in batches
of at most 500 rows (``write``, which also handles lost add answers and batches an earlier run left in
flight). The result types are in ``result``.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Sequence
from typing import Any

from smartbind_pipelines.core.sheets.errors import MissingColumnError, SheetCapacityError, SheetUpsertError
from smartbind_pipelines.core.sheets.gateway import MAX_BATCH, SheetGateway
from smartbind_pipelines.core.sheets.guards import (
    MAX_RETIRE_SHARE,
    check_capacity,
    check_retire_share,
    column_type_problems,
    plan_warnings,
)
from smartbind_pipelines.core.sheets.mapping import SheetMapping, StalePolicy
from smartbind_pipelines.core.sheets.plan import columns_to_read, plan_upsert
from smartbind_pipelines.core.sheets.result import RowFailure, UpsertResult, delete_changes, update_changes
from smartbind_pipelines.core.sheets.settle import SettleBounds, WriteJournal
from smartbind_pipelines.core.sheets.write import PlanWriter, settle_earlier_batches

log = logging.getLogger(__name__)


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
    early_warnings = settle_earlier_batches(gateway, sheet_id, settle, journal, dry_run)
    columns = gateway.sheet_columns(sheet_id)
    wanted = [*mapping.titles, *(stale.titles() if stale else ())]
    missing = [title for title in dict.fromkeys(wanted) if title not in columns]
    if missing:
        raise MissingColumnError(str(sheet_id), missing)
    existing, info = gateway.read_rows(sheet_id, columns_to_read(mapping, records, stale), columns=columns)
    plan = plan_upsert(records, existing, mapping, stale=stale)

    warnings = [*early_warnings, *column_type_problems(mapping, columns), *plan_warnings(plan, mapping)]
    failed = [RowFailure(key, None, message) for key, message in plan.invalid_records]
    failed += [
        RowFailure((), None, f"record #{position} has an empty key ({'/'.join(mapping.key)})")
        for position in plan.records_without_key
    ]
    refusal = check_capacity(info, plan, warnings)
    mass_retire = None
    if stale is not None and not allow_mass_retire:
        mass_retire = check_retire_share(info, plan, stale, max_retire_share, override_hint)
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
        result.changes = update_changes(plan.updates) + delete_changes(plan.deletes)
    elif refusal:
        raise SheetCapacityError(refusal)
    elif mass_retire:
        raise mass_retire
    else:
        try:
            PlanWriter(gateway, sheet_id, mapping, columns, batch_size, result, settle, journal).write(plan)
        except SheetUpsertError as exc:
            result.requests = gateway.request_counts - counts_before
            exc.partial_result = result
            raise
    result.requests = gateway.request_counts - counts_before
    for note in warnings:
        log.warning("sheet %s: %s", sheet_id, note)
    return result
