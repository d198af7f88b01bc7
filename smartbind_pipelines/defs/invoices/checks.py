"""Checks on the invoices sheet after a sync, shown on smartsheet_invoices in Dagit.

They read back the rows the run wrote, by row id (UUID, Total and Estado only), so they verify what
Smartsheet holds, not what the sync believes it sent, without re-reading the whole sheet. A run that wrote
nothing reads nothing more: the duplicates check then reports what the write's own read of the sheet found.
A run that wrote more than ``CHECKED_ROWS_BY_ID`` rows (a first sync, a backfill, the nightly reconcile)
reads the whole sheet and compares every invoice it fetched, as before.
"""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

from collections import Counter
from typing import Any, Iterator

import dagster as dg

from smartbind_pipelines.core.invoices import InvoiceBatch
from smartbind_pipelines.core.sheets.mapping import comparable
from smartbind_pipelines.defs.resources import SmartsheetResource
from smartbind_pipelines.defs.sync.metadata import nothing_written, run_materialization_metadata

from .process import INVOICES
from .read import InvoiceRead
from .stored import delete_read

NO_DUPLICATES = "no_duplicate_uuid_in_sheet"
MATCHES_BIND = "fetched_invoices_match_sheet"
COMPARED = ("Total", "Estado")
LISTED = 20
CHECKED_ROWS_BY_ID = 500  # more written rows than this: the checks read the whole sheet (fewer requests)
WRITTEN_ROWS = "written_row_ids"
DUPLICATES_SEEN = "duplicate_uuids_seen"  # by the write's own read of the sheet (first LISTED)


def written_rows_metadata(result) -> dict[str, Any]:
    """The row ids a sync added or updated, for the checks (only up to ``CHECKED_ROWS_BY_ID``)."""
    if result.dry_run:
        return {}
    ids = list(dict.fromkeys([*result.added_row_ids,
                              *(change["row_id"] for change in result.changes
                                if change.get("row_id") is not None and not change.get("deleted"))]))
    if len(ids) > CHECKED_ROWS_BY_ID:
        return {}
    duplicates = sorted(" / ".join(map(str, key)) for key in result.duplicate_sheet_keys)
    return {WRITTEN_ROWS: dg.MetadataValue.json(ids), DUPLICATES_SEEN: dg.MetadataValue.json(duplicates[:LISTED])}


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def duplicate_uuids(sheet_uuids: list[Any]) -> dict[str, int]:
    """UUIDs present more than once, with their row counts (pure)."""
    column = INVOICES.mapping.column("UUID")
    counts = Counter(key for key in (comparable(value, column) for value in sheet_uuids) if key)
    return {str(uuid): n for uuid, n in counts.items() if n > 1}


def mismatches(records: list[dict[str, Any]], sheet_by_uuid: dict[str, dict[str, Any]]) -> dict[str, str]:
    """UUID -> what differs, for fetched invoices missing from the sheet or different in it (pure)."""
    mapping = INVOICES.mapping
    problems: dict[str, str] = {}
    for record in records:
        uuid = comparable(record.get("UUID"), mapping.column("UUID"))
        row = sheet_by_uuid.get(uuid)
        if row is None:
            problems[uuid] = "missing from the sheet"
            continue
        diffs = [
            f"{title} sheet={row.get(title)!r} bind={record.get(title)!r}"
            for title in COMPARED
            if comparable(row.get(title), mapping.column(title)) != comparable(record.get(title), mapping.column(title))
        ]
        if diffs:
            problems[uuid] = "; ".join(diffs)
    return problems


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            NO_DUPLICATES,
            asset=INVOICES.sheet_key,
            description="No UUID appears on more than one row of the invoices sheet.",
        ),
        dg.AssetCheckSpec(
            MATCHES_BIND,
            asset=INVOICES.sheet_key,
            additional_deps=[INVOICES.source_key],
            description="Every invoice fetched from Bind in this run is in the sheet with the same Total and Estado.",
        ),
    ],
    ins={"bind_invoices": dg.AssetIn(INVOICES.source_key)},
)
def invoices_sheet_checks(
    context: dg.AssetCheckExecutionContext, bind_invoices: InvoiceRead, smartsheet: SmartsheetResource
) -> Iterator[dg.AssetCheckResult]:
    yield from _check(context, bind_invoices, smartsheet)
    # The last step that reads the stored Bind read (client RFCs and names): nothing needs it any more.
    delete_read(context.instance, bind_invoices.run_id)


def _check(context: dg.AssetCheckExecutionContext, read: InvoiceRead, smartsheet: SmartsheetResource
           ) -> Iterator[dg.AssetCheckResult]:
    written = run_materialization_metadata(context.instance, context.run, INVOICES.sheet_key)
    skipped = nothing_written(written, (NO_DUPLICATES, MATCHES_BIND))
    if skipped:
        yield from skipped
        return
    sheet_id = int(written["sheet_id"])
    row_ids = written.get(WRITTEN_ROWS)
    records = InvoiceBatch(frame=read.frame, skipped=[]).records()
    if isinstance(row_ids, list):
        yield from _check_written(sheet_id, [int(row_id) for row_id in row_ids], written, records, smartsheet)
        return
    rows, _ = smartsheet.gateway().read_rows(sheet_id, ("UUID", *COMPARED))

    duplicates = duplicate_uuids([row.cells.get("UUID") for row in rows])
    yield dg.AssetCheckResult(
        check_name=NO_DUPLICATES,
        passed=not duplicates,
        severity=dg.AssetCheckSeverity.WARN,  # pre-existing duplicates are reported, never multiplied
        description=f"UUIDs on more than one row: {_listed(sorted(duplicates))}" if duplicates else None,
        metadata={"sheet_id": str(sheet_id), "sheet_rows": len(rows), "rows_read": len(rows),
                  "duplicate_uuids": len(duplicates)},
    )
    yield _matches(sheet_id, records, rows)


def _matches(sheet_id: int, records: list[dict[str, Any]], rows) -> dg.AssetCheckResult:
    uuid_column = INVOICES.mapping.column("UUID")
    sheet_by_uuid: dict[str, dict[str, Any]] = {}
    for row in rows:
        sheet_by_uuid.setdefault(comparable(row.cells.get("UUID"), uuid_column), row.cells)
    problems = mismatches(records, sheet_by_uuid)
    return dg.AssetCheckResult(
        check_name=MATCHES_BIND,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(problems)} fetched invoice(s) differ in the sheet: "
            + _listed([f"{uuid} ({why})" for uuid, why in sorted(problems.items())])
            if problems
            else None
        ),
        metadata={"sheet_id": str(sheet_id), "invoices_checked": len(records), "mismatched": len(problems)},
    )


def _check_written(sheet_id: int, row_ids: list[int], written: dict[str, Any], records: list[dict[str, Any]],
                   smartsheet: SmartsheetResource) -> Iterator[dg.AssetCheckResult]:
    """The checks on the rows this run wrote, read back by id (nothing read when nothing was written)."""
    rows = smartsheet.gateway().read_rows_by_id(sheet_id, row_ids, ("UUID", *COMPARED)) if row_ids else []
    already = int(written.get("duplicate_uuids_in_sheet") or 0)  # found by the write's own read of the sheet
    duplicates = duplicate_uuids([row.cells.get("UUID") for row in rows])
    description = None
    if already or duplicates:
        seen = list(written.get(DUPLICATES_SEEN) or [])
        more = f" and {already - len(seen)} more" if already > len(seen) else ""
        description = (f"UUIDs on more than one row when the sync read the sheet: {', '.join(seen)}{more}"
                       if already else "")
        if duplicates:
            description += ("; " if description else "") + f"written twice: {_listed(sorted(duplicates))}"
    yield dg.AssetCheckResult(
        check_name=NO_DUPLICATES,
        passed=not (already or duplicates),
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={"sheet_id": str(sheet_id), "rows_read": len(rows), "rows_written": len(row_ids),
                  "duplicate_uuids": already + len(duplicates)},
    )
    uuid_column = INVOICES.mapping.column("UUID")
    wrote = {comparable(row.cells.get("UUID"), uuid_column) for row in rows}
    checked = [record for record in records if comparable(record.get("UUID"), uuid_column) in wrote]
    missing = len(row_ids) - len(rows)
    result = _matches(sheet_id, checked, rows)
    if missing:
        result = dg.AssetCheckResult(
            check_name=MATCHES_BIND, passed=False, severity=dg.AssetCheckSeverity.ERROR,
            description=f"{missing} row(s) this run wrote are no longer in the sheet; {result.description or ''}",
            metadata={"sheet_id": str(sheet_id), "invoices_checked": len(checked), "mismatched": missing},
        )
    yield result
