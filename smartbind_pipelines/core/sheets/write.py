"""Writing a plan to a sheet: adds, updates and deletes in batches, per-row refusals kept in the result,
and the add batches whose answer is lost or was never recorded.

A lost answer to an add never duplicates rows: nothing is sent again until the sheet has settled (see
``settle``), then the key index is re-read and only the rows still missing are sent. With a
``WriteJournal``, an add batch an earlier (killed) run left in flight is waited for the same way before
planning (``settle_earlier_batches``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from smartbind_pipelines.core.sheets.errors import SheetTransportError, SheetUpsertError
from smartbind_pipelines.core.sheets.gateway import SheetGateway
from smartbind_pipelines.core.sheets.mapping import SheetMapping
from smartbind_pipelines.core.sheets.plan import UpsertPlan
from smartbind_pipelines.core.sheets.result import RowFailure, UpsertResult, delete_changes, update_changes
from smartbind_pipelines.core.sheets.settle import SettleBounds, WriteJournal, wait_until_settled

log = logging.getLogger(__name__)

MAX_REPLANS = 3  # lost add answers tolerated in one sync before giving up


def settle_earlier_batches(
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


@dataclass
class PlanWriter:
    """Writes one plan into one sheet serially (adds, updates, deletes), counting into ``result``."""

    gateway: SheetGateway
    sheet_id: int
    mapping: SheetMapping
    columns: dict[str, dict]
    batch_size: int
    result: UpsertResult
    bounds: SettleBounds
    journal: WriteJournal | None

    def write(self, plan: UpsertPlan) -> None:
        self._add(plan.adds)
        for start in range(0, len(plan.updates), self.batch_size):
            batch = plan.updates[start : start + self.batch_size]
            outcome = self.gateway.update_rows(
                self.sheet_id, [(update.row_id, update.changes) for update in batch], self.columns
            )
            failed_at = set()
            for index, code, message in outcome.failures:
                failed_at.add(index)
                self.result.failed.append(RowFailure(batch[index].key, code, message))
            applied = [update for index, update in enumerate(batch) if index not in failed_at]
            self.result.updated += len(applied)
            self.result.changes += update_changes(applied)
        if plan.deletes:
            self.result.deleted = self.gateway.delete_rows(self.sheet_id, plan.deletes)
            self.result.changes += delete_changes(plan.deletes)

    def _add(self, adds: list[dict[str, Any]]) -> None:
        remaining = list(adds)
        lost_answers = 0
        journal, key_of = self.journal, self.mapping.key_of
        while remaining:
            batch = remaining[: self.batch_size]
            entry = journal.record(self.sheet_id, len(batch)) if journal else None
            try:
                outcome = self.gateway.add_rows(self.sheet_id, batch, self.columns)
            except SheetTransportError as exc:
                lost_answers += 1
                if lost_answers > MAX_REPLANS:
                    raise  # the journal entry stays: the next run waits for this batch before planning
                present = self._settle_after_lost_answer(exc, batch, entry)
                remaining = [cells for cells in remaining if key_of(cells) not in present]
                continue
            except SheetUpsertError:
                if journal:
                    journal.clear(entry)  # Smartsheet answered: the request was not applied
                raise
            if journal:
                journal.clear(entry)
            for index, code, message in outcome.failures:
                self.result.failed.append(RowFailure(key_of(batch[index]) or (), code, message))
            self.result.inserted += len(batch) - len(outcome.failures)
            self.result.added_row_ids += [outcome.row_ids[index] for index in sorted(outcome.row_ids)]
            remaining = remaining[len(batch) :]

    def _settle_after_lost_answer(self, exc: SheetTransportError, batch: list[dict[str, Any]], entry) -> set:
        """The keys on the sheet once it has settled after ``batch``'s answer was lost; counts what landed.

        The POST may have been applied, or may still be being saved: nothing is sent again until the sheet
        has settled; only then do absent keys mean "not applied"."""
        self.result.warnings.append(
            f"{exc}; waiting for the sheet to settle, then re-reading the key index before adding again"
        )
        wait_until_settled(
            lambda: self.gateway.sheet_version(self.sheet_id),
            str(self.sheet_id),
            self.bounds,
            reason=f"a lost answer to an add of {len(batch)} row(s)",
        )
        existing, _ = self.gateway.read_rows(self.sheet_id, self.mapping.key, columns=self.columns)
        if self.journal:
            self.journal.clear(entry)
        key_of = self.mapping.key_of
        present = {key_of(row.cells) for row in existing}
        sent = {key_of(cells) for cells in batch}
        self.result.inserted += sum(1 for cells in batch if key_of(cells) in present)
        self.result.added_row_ids += [row.row_id for row in existing if key_of(row.cells) in sent]
        return present
