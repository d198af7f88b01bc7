"""Checks on the invoices sheet after a sync, shown on smartsheet_invoices in the Dagster UI.

They read back the rows the run wrote, by row id (UUID, Total and Estado only), so they verify what
Smartsheet holds, not what the sync believes it sent, without re-reading the whole sheet. A run that wrote
nothing reads nothing more: the duplicates check then reports what the write's own read of the sheet found.
A run that wrote more than ``CHECKED_ROWS_BY_ID`` rows (a first sync, a backfill, the nightly reconcile)
reads the whole sheet and compares every invoice it fetched, as before.
"""

from __future__ import annotations

from typing import Any, Iterator

import dagster as dg

from smartbind_pipelines.defs.pull.builder import CheckSpec, Step
from smartbind_pipelines.defs.pull.checks import (
    LISTED,
    duplicate_keys,
    duplicates_result,
    listed,
    mismatches,
    mismatches_result,
)

NO_DUPLICATES = "no_duplicate_uuid_in_sheet"
MATCHES_BIND = "fetched_invoices_match_sheet"
CHECKS = (
    CheckSpec(NO_DUPLICATES, "No UUID appears on more than one row of the invoices sheet."),
    CheckSpec(
        MATCHES_BIND,
        "Every invoice fetched from Bind in this run is in the sheet with the same Total and Estado.",
        compares_source=True,
    ),
)
COMPARED = ("Total", "Estado")
CHECKED_ROWS_BY_ID = 500  # more written rows than this: the checks read the whole sheet (fewer requests)
WRITTEN_ROWS = "written_row_ids"
DUPLICATES_SEEN = "duplicate_uuids_seen"  # by the write's own read of the sheet (first LISTED)


def written_rows_metadata(result) -> dict[str, Any]:
    """The row ids a sync added or updated, for the checks (only up to ``CHECKED_ROWS_BY_ID``)."""
    if result.dry_run:
        return {}
    ids = list(
        dict.fromkeys(
            [
                *result.added_row_ids,
                *(
                    change["row_id"]
                    for change in result.changes
                    if change.get("row_id") is not None and not change.get("deleted")
                ),
            ]
        )
    )
    if len(ids) > CHECKED_ROWS_BY_ID:
        return {}
    duplicates = sorted(" / ".join(map(str, key)) for key in result.duplicate_sheet_keys)
    return {WRITTEN_ROWS: dg.MetadataValue.json(ids), DUPLICATES_SEEN: dg.MetadataValue.json(duplicates[:LISTED])}


def check_invoices(step: Step, written: dict[str, Any]) -> Iterator[dg.AssetCheckResult]:
    """The rows this run wrote, read back by id; or, past ``CHECKED_ROWS_BY_ID``, the whole sheet."""
    sheet_id = int(written["sheet_id"])
    row_ids = written.get(WRITTEN_ROWS)
    records = step.batch.records
    gateway = step.resources.smartsheet.gateway()
    if isinstance(row_ids, list):
        yield from _check_written(step, sheet_id, [int(row_id) for row_id in row_ids], written, gateway)
        return
    rows, _ = gateway.read_rows(sheet_id, ("UUID", *COMPARED))
    cells = [row.cells for row in rows]
    yield duplicates_result(
        NO_DUPLICATES,
        sheet_id,
        duplicate_keys(step.process.mapping, cells),
        rows=len(rows),
        key_name="uuid",
        label="UUIDs",
        rows_read=len(rows),
    )
    yield _matches(step, sheet_id, records, cells)


def _matches(step: Step, sheet_id: int, records: list[dict[str, Any]], cells: list) -> dg.AssetCheckResult:
    problems = mismatches(step.process.mapping, records, cells, COMPARED)
    return mismatches_result(
        MATCHES_BIND,
        sheet_id,
        problems,
        checked=len(records),
        what="fetched invoice(s) differ in the sheet",
        checked_name="invoices_checked",
    )


def _check_written(
    step: Step, sheet_id: int, row_ids: list[int], written: dict[str, Any], gateway
) -> Iterator[dg.AssetCheckResult]:
    """The checks on the rows this run wrote, read back by id (nothing read when nothing was written)."""
    mapping = step.process.mapping
    rows = gateway.read_rows_by_id(sheet_id, row_ids, ("UUID", *COMPARED)) if row_ids else []
    cells = [row.cells for row in rows]
    already = int(written.get("duplicate_uuids_in_sheet") or 0)  # found by the write's own read of the sheet
    duplicates = duplicate_keys(mapping, cells)
    description = None
    if already or duplicates:
        seen = list(written.get(DUPLICATES_SEEN) or [])
        more = f" and {already - len(seen)} more" if already > len(seen) else ""
        description = (
            f"UUIDs on more than one row when the sync read the sheet: {', '.join(seen)}{more}" if already else ""
        )
        if duplicates:
            description += ("; " if description else "") + f"written twice: {listed(sorted(duplicates))}"
    yield dg.AssetCheckResult(
        check_name=NO_DUPLICATES,
        passed=not (already or duplicates),
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "sheet_id": str(sheet_id),
            "rows_read": len(rows),
            "rows_written": len(row_ids),
            "duplicate_uuids": already + len(duplicates),
        },
    )
    wrote = {mapping.key_of(row) for row in cells}
    checked = [record for record in step.batch.records if mapping.key_of(record) in wrote]
    missing = len(row_ids) - len(rows)
    result = _matches(step, sheet_id, checked, cells)
    if missing:
        result = dg.AssetCheckResult(
            check_name=MATCHES_BIND,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{missing} row(s) this run wrote are no longer in the sheet; {result.description or ''}",
            metadata={"sheet_id": str(sheet_id), "invoices_checked": len(checked), "mismatched": missing},
        )
    yield result
