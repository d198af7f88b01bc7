"""smartsheet_invoices: the batch upserted by UUID, then the sync state recorded, as the shared builder's write
hook.

Rows the sheet refuses fail the run, naming them, after every other row was written; their Bind ids are
carried in the sync state and retried by every later run while the watermark moves on. A re-execution writes
its parent run's read only if no run has read Bind since (the stored reads' I/O manager refuses it otherwise).
"""

from __future__ import annotations

import sqlite3
from typing import Iterator

import dagster as dg

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.core.invoices.state import next_state
from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.sync_state import SyncStateError
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.pull.builder import Step
from smartbind_pipelines.defs.pull.sheet_target import resolve_sheet
from smartbind_pipelines.defs.pull.write import refused_rows_failure, write_metadata, write_sheet

from .checks import written_rows_metadata
from .sync_state import record_sync_state, state_metadata, state_store


def write_invoices(step: Step) -> Iterator[dg.MaterializeResult]:
    context, config, read, process = step.context, step.config, step.batch, step.process
    process_config = step.resources.process_config
    if read.run_id != context.run.run_id:  # the I/O manager refused it if another run had read Bind since
        context.log.info(
            "re-execution: writing the Bind read of run %s (window %s to %s)",
            read.run_id,
            to_cdmx(read.window.start).isoformat(),
            to_cdmx(read.window.end).isoformat(),
        )
    target = resolve_sheet(process_config, process)

    result = write_sheet(
        step.resources.smartsheet.gateway(),
        target,
        read.records,
        process.mapping,
        dry_run=config.dry_run,
        next_run="The watermark did not move; the next run repeats the window.",
    )
    refused_ids = _refused_bind_ids(read, result.failed)
    metadata = {
        **write_metadata(target, result, process.mapping, started=step.started, key_name="uuid"),
        "window_start": to_cdmx(read.window.start).isoformat(),
        "window_end": to_cdmx(read.window.end).isoformat(),
        "mode": read.window.mode,
        "fetched": read.fetched,
        "skipped": len(read.skipped),
        "bind_requests": sum(read.requests.values()),
        "bind_read_run_id": read.run_id,
        # where the read started; the state this run leaves follows below (state_metadata)
        "watermark_before": (
            to_cdmx(read.state_before.watermark).isoformat()
            if read.state_before and read.state_before.watermark
            else ""
        ),
        **written_rows_metadata(result),
    }
    for warning in result.warnings:
        context.log.warning(warning)
    if result.duplicate_sheet_keys:
        context.log.warning(
            "UUIDs present more than once in sheet %s (left as they are, only the first row is updated): %s",
            target.sheet_id,
            ", ".join(" / ".join(map(str, key)) for key in list(result.duplicate_sheet_keys)[:20]),
        )
    if result.failed and refused_ids is None:
        # A refused row without a Bind id could not be retried by id: keep the window instead.
        raise refused_rows_failure("invoice(s)", target, result, metadata, " and the watermark did not move")

    if not config.dry_run:
        # Record where the next run starts, which drafts it follows and which refused invoices it retries.
        # Merged with the state current at write time (a re-execution keeps what later runs recorded), in one
        # transaction of sync_state.db; the same values go on the materialization for the UI.
        def after_this_run(previous):
            return next_state(
                previous, read.window, read.drafts_to_follow, read.looked_at_ids, refused_ids or (), read.followed
            )

        try:
            state = record_sync_state(
                context.instance,
                state_store(process_config),
                process.job_id,
                sheet_key(process),
                after_this_run,
                run_id=context.run.run_id,
            )
        except (SyncStateError, OSError, sqlite3.Error) as exc:
            raise dg.Failure(
                description=f"the rows were written but the sync state could not be recorded: {exc}. The next run "
                "reads this window again (the writes are idempotent)."
            ) from exc
        metadata.update(state_metadata(state))
    yield dg.MaterializeResult(metadata=metadata)
    if result.failed:
        raise refused_rows_failure(
            "invoice(s)",
            target,
            result,
            metadata,
            "; the watermark moved on and every later run re-reads and retries the refused ones until the "
            "sheet accepts them",
        )


def _refused_bind_ids(read: SourceBatch, failures) -> list[str] | None:
    """The Bind ids of the refused rows, or None when one of them cannot be traced to a Bind id."""
    uuids = set()
    for failure in failures:
        if len(failure.key) != 1 or not str(failure.key[0]).strip():
            return None
        uuids.add(str(failure.key[0]).strip().lower())
    ids = read.bind_ids_of(uuids)
    traced = {record["UUID"] for record in read.records if record["UUID"] in uuids}
    if len(traced) != len(uuids) or not all(is_guid(bind_id) for bind_id in ids):
        return None
    return ids
