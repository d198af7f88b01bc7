"""Writing a process's records to its sheet from an asset: one translation of engine errors into run
failures, and one set of metadata names, for every pull process."""

from __future__ import annotations

import time
from typing import Any, Sequence

import dagster as dg

from smartbind_pipelines.core.sheets import (
    MassRetireError,
    MissingColumnError,
    SettleBounds,
    SheetCapacityError,
    SheetIndexError,
    SheetMapping,
    SheetUnsettledError,
    SheetUpsertError,
    StalePolicy,
    UpsertResult,
    WriteJournal,
    upsert_sheet,
)
from smartbind_pipelines.defs.pull.report import change_table, failure_summary, request_metadata, write_requests
from smartbind_pipelines.defs.pull.sheet_target import SheetTarget


def write_sheet(
    gateway,
    target: SheetTarget,
    records: Sequence[dict[str, Any]],
    mapping: SheetMapping,
    *,
    stale: StalePolicy | None = None,
    dry_run: bool = False,
    next_run: str,
    allow_mass_retire: bool = False,
    override_hint: str = "allow_mass_retire: true",
) -> UpsertResult:
    """``upsert_sheet``, with its refusals turned into run failures an operator can act on.

    ``next_run`` says what the next run does about a request Smartsheet kept refusing. Add batches in
    flight are journaled beside the ProcessConfig file (``target.journal_path``), so a run started after
    a killed one waits for the killed run's batch to land before it plans; the settle bounds come from
    SMARTBIND_SHEET_SETTLE_* (core/sheets/settle.py).

    A run whose stale policy would retire more than half the sheet's rows fails, writing nothing,
    unless ``allow_mass_retire`` (the operator's run-config override, named by ``override_hint``).
    """
    try:
        settle = SettleBounds.from_env()
    except ValueError as exc:
        raise dg.Failure(description=f"invalid settle bounds: {exc}", allow_retries=False) from exc
    journal = WriteJournal(target.journal_path) if target.journal_path else None
    try:
        return upsert_sheet(
            gateway,
            target.sheet_id,
            records,
            mapping,
            stale=stale,
            dry_run=dry_run,
            settle=settle,
            journal=journal,
            allow_mass_retire=allow_mass_retire,
            override_hint=override_hint,
        )
    except (MissingColumnError, SheetCapacityError) as exc:
        # Nothing was written; retrying cannot help until someone fixes the sheet.
        raise dg.Failure(
            description=f"sheet {target.label}: {exc}", metadata=target.metadata(), allow_retries=False
        ) from exc
    except MassRetireError as exc:
        # Nothing was written; the same source answer would fail the same way, so no automatic retry.
        raise dg.Failure(
            description=str(exc),
            metadata={
                **target.metadata(),
                "would_retire": exc.would_retire,
                "sheet_rows": exc.sheet_rows,
                "max_retire_share": exc.max_share,
            },
            allow_retries=False,
        ) from exc
    except (SheetUnsettledError, SheetIndexError) as exc:
        # Nothing was sent again / nothing was written: the next run reads and plans afresh.
        raise dg.Failure(
            description=f"sheet {target.label}: {exc} Written before that: {_written(exc.partial_result)}.",
            metadata={**target.metadata(), **request_metadata("smartsheet", gateway.request_counts)},
        ) from exc
    except SheetUpsertError as exc:
        raise dg.Failure(
            description=(
                f"Smartsheet kept refusing a request to sheet {target.label}: {exc}. Written before that: "
                f"{_written(exc.partial_result)}. {next_run}"
            ),
            metadata={**target.metadata(), **request_metadata("smartsheet", gateway.request_counts)},
        ) from exc


def _written(partial: UpsertResult | None) -> str:
    if not partial:
        return "nothing"
    written = f"inserted {partial.inserted}, updated {partial.updated}"
    if partial.deleted:
        written += f", deleted {partial.deleted}"
    return written


def write_metadata(
    target: SheetTarget, result: UpsertResult, mapping: SheetMapping, *, started: float, key_name: str = "key"
) -> dict[str, Any]:
    """The counts every sheet asset shows; ``key_name`` names the key in two of them (e.g. "uuid")."""
    return {
        **target.metadata(),
        "sheet_name": result.sheet.name if result.sheet and result.sheet.name else target.sheet_name,
        **(
            {"sheet_url": dg.MetadataValue.url(result.sheet.permalink)}
            if result.sheet and result.sheet.permalink
            else {}
        ),  # Smartsheet's permalink; the sandbox's page
        "dry_run": result.dry_run,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "failed": len(result.failed),
        "planned_inserts": len(result.plan.adds),
        "planned_updates": len(result.plan.updates),
        f"duplicate_{key_name}s_in_sheet": len(result.duplicate_sheet_keys),
        f"rows_without_{key_name}_in_sheet": len(result.rows_without_key),
        **request_metadata("smartsheet", result.requests),
        "smartsheet_writes": write_requests(result.requests),
        "changes": change_table(result.plan, mapping.key),
        "duration_seconds": round(time.monotonic() - started, 3),
    }


def refused_rows_failure(
    what: str,
    target: SheetTarget,
    result: UpsertResult,
    metadata: dict[str, Any],
    note: str = "",
    also_refused: Sequence[str] = (),
) -> dg.Failure:
    """The failure of a run in which Smartsheet refused some rows after every other row was written;
    ``also_refused`` names refusals of a step before the upsert (the inventory's renamed-warehouse moves)."""
    refused = len(result.failed) + len(also_refused)
    named = failure_summary(result.failed) if result.failed else "; ".join(also_refused[:20])
    return dg.Failure(
        description=(
            f"{refused} {what} could not be written to sheet {target.label}; every other row was written{note}: {named}"
        ),
        metadata=metadata,
    )
