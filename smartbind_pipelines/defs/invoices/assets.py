"""bind_invoices -> smartsheet_invoices: Bind's invoices upserted by UUID into the ProcessConfig sheet."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import sqlite3
import time
from typing import Iterator

import dagster as dg

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoice_drafts import follow_drafts
from smartbind_pipelines.core.invoices import InvoiceBatch, invoice_batch
from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.sync_state import SyncStateError, SyncStateStore
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource
from smartbind_pipelines.defs.sync.report import request_metadata, skipped_table
from smartbind_pipelines.defs.sync.sheet_target import resolve_sheet
from smartbind_pipelines.defs.sync.stored import superseded_by
from smartbind_pipelines.defs.sync.write import refused_rows_failure, write_metadata, write_sheet

from .changes import FollowedSet, compare, members_of
from .checks import written_rows_metadata
from .config import InvoiceWindowConfig, SheetWriteConfig
from .drafts import bind_ids, drafts_to_follow, followable, unique_by_id
from .process import INVOICES
from .read import InvoiceRead
from .stored import READS_IO_MANAGER, prune_reads
from .watermark import PENDING_DRAFTS, load_sync_state, next_state, record_sync_state, state_metadata
from .window import INCREMENTAL


@dg.asset(
    name=INVOICES.source_asset,
    group_name=INVOICES.group,
    kinds={"bind"},
    owners=[INVOICES.owner],
    io_manager_key=READS_IO_MANAGER,  # stored per run: a re-execution writes its own run's read
    description=(
        "Invoices read from Bind ERP for this run's window (Mexico City time): the regular sync reads "
        "from the last successful sync (minus a 10-minute overlap) up to now; a backfill reads the dates "
        "given in the launchpad; the nightly reconcile reads the last 35 days. Drafts not yet stamped "
        "(no UUID) are not written; they are re-read by id on later runs until they are stamped."
    ),
)
def bind_invoices(
    context: dg.AssetExecutionContext, config: InvoiceWindowConfig, bind: BindResource, clock: ClockResource,
    process_config: ProcessConfigResource,
) -> dg.Output[InvoiceRead]:
    now = clock.now()
    # The sync state (watermark, drafts, refused ids, followed set), read once, from sync_state.db.
    state, state_from = _load_state(context, process_config)
    try:
        window = config.window(now, state.watermark)
        labels = config.labels()
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    context.log.info(
        "reading Bind invoices dated %s to %s (%s)", window.start.isoformat(), window.end.isoformat(), window.mode
    )

    snapshot, difference, left = None, None, []
    client = bind.client()
    try:
        if window.mode == INCREMENTAL:
            # One query for everything that can change (changes.py): recent invoices in any status, the open
            # ones of the horizon, every draft. The window is part of it (recent_since <= window start).
            try:
                query, recent_since, open_since = config.followed_query(now, window)
            except ValueError as exc:
                raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
            followed_rows = client.get_all("Invoices", {"$filter": query, "$orderby": "Date asc"})
            snapshot = FollowedSet(query, recent_since, open_since, now, members_of(followed_rows))
            if state.followed is not None:
                difference = compare(state.followed, followed_rows)
                left = [bind_id for bind_id in followable(difference.left)]
            # written besides the window: what changed in the set, and the refused invoices to retry
            touched = set(difference.joined + difference.changed) if difference else set()
            touched |= set(state.refused_ids)
            in_window = [row for row in followed_rows if _dated_from(row, window.start) or row_id(row) in touched]
            seen = bind_ids(followed_rows)
        else:
            in_window = client.invoices(window.start, window.end)
            seen = bind_ids(in_window)
        followed = [bind_id for bind_id in followable(state.pending_draft_ids) if bind_id not in seen]
        retried = [bind_id for bind_id in followable(state.refused_ids) if bind_id not in seen]
        by_id = sorted({*followed, *retried, *left})
        if snapshot is not None:
            # Every draft is in the followed set: what is left was stamped, paid, cancelled or deleted.
            refreshed = client.invoices_by_ids(by_id) if by_id else []
        else:
            # Backfill / reconcile: the drafts in bulk (core/invoice_drafts.py), ceil(drafts / 100) requests.
            refreshed = follow_drafts(client, followed, extra_ids=sorted({*retried, *left})).rows
    except BindApiError as exc:
        raise dg.Failure(description=f"Bind ERP request failed: {exc}") from exc
    finally:
        client.close()

    invoices = unique_by_id([*in_window, *refreshed])
    batch = invoice_batch(invoices, labels)
    # followed until stamped or deleted, however old (drafts outside what is written are still followed)
    pending = drafts_to_follow([*invoices, *(followed_rows if snapshot else [])])
    if difference is not None and not difference.quiet:
        context.log.info("followed set (open invoices since %s, drafts, recent): %s", to_cdmx(snapshot.open_since)
                         .date().isoformat(), difference.describe())
    returned = bind_ids(refreshed) | seen
    remembered = followable(state.pending_draft_ids)  # in the followed set's query, or re-read by id
    stamped = [bind_id for bind_id in remembered if bind_id in returned and bind_id not in pending]
    gone = [bind_id for bind_id in remembered if bind_id not in returned]
    if stamped:
        context.log.info("%d draft(s) followed since an earlier run are now stamped", len(stamped))
    if gone:
        context.log.info("%d followed draft(s) are no longer in Bind (deleted), no longer followed: %s",
                         len(gone), ", ".join(gone[:20]))

    pruned = prune_reads(context.instance, keep_run_id=context.run.run_id, legacy_paths=(INVOICES.source_asset,))
    if pruned:
        context.log.info("deleted the stored Bind reads of %d earlier run(s): %s", len(pruned), ", ".join(pruned))
    requests = request_metadata("bind", client.request_counts)
    read = InvoiceRead(
        run_id=context.run.run_id,
        frame=batch.frame,
        window=window,
        pending_draft_ids=tuple(pending),
        looked_at_ids=tuple(sorted({*seen, *by_id})),
        source={"fetched": len(invoices), "skipped": len(batch.skipped), "bind_requests": requests["bind_requests"]},
        followed=snapshot,
    )
    return dg.Output(
        read,
        metadata={
            "window_start": to_cdmx(window.start).isoformat(),
            "window_end": to_cdmx(window.end).isoformat(),
            "mode": window.mode,
            "watermark_before": to_cdmx(state.watermark).isoformat() if state.watermark else "",
            "sync_state_from": state_from,
            "fetched": len(invoices),
            "dagster/row_count": len(batch.frame),
            "skipped": len(batch.skipped),
            "skipped_invoices": skipped_table(batch.skipped),
            "adjusted": len(batch.adjusted),
            "drafts_followed": len(remembered),
            "drafts_stamped_since": len(stamped),
            "followed_set": len(snapshot.members) if snapshot else 0,
            "followed_new": len(difference.joined) if difference else 0,
            "followed_changed": len(difference.changed) if difference else 0,
            "followed_left": len(difference.left) if difference else 0,
            "refused_retried": len([bind_id for bind_id in state.refused_ids if bind_id in {*seen, *by_id}]),
            PENDING_DRAFTS: dg.MetadataValue.json(pending),
            **requests,
        },
    )


@dg.asset(
    name=INVOICES.sheet_asset,
    group_name=INVOICES.group,
    kinds={"smartsheet"},
    pool=INVOICES.pool,  # one writer per sheet on every path (dagster.yaml: one slot per pool)
    owners=[INVOICES.owner],
    description=(
        "The invoices sheet in Smartsheet (the sheet id set in ProcessConfig for sync_invoices), kept in "
        "step with bind_invoices by UUID: new invoices are added, changed cells are updated, nothing "
        "else is touched. Rows the sheet refuses fail the run, naming them, after every other row was "
        "written; they are re-read and retried on every later run while the watermark moves on."
    ),
)
def smartsheet_invoices(
    context: dg.AssetExecutionContext,
    config: SheetWriteConfig,
    bind_invoices: InvoiceRead,
    smartsheet: SmartsheetResource,
    process_config: ProcessConfigResource,
) -> Iterator[dg.MaterializeResult]:
    started = time.monotonic()
    read = bind_invoices
    _refuse_if_superseded(context, read)
    target = resolve_sheet(process_config, INVOICES)
    records = InvoiceBatch(frame=read.frame, skipped=[]).records()

    result = write_sheet(smartsheet.gateway(), target, records, INVOICES.mapping, dry_run=config.dry_run,
                         next_run="The watermark did not move; the next run repeats the window.")
    refused_ids = _refused_bind_ids(read, result.failed)
    metadata = {
        **write_metadata(target, result, INVOICES.mapping, started=started, key_name="uuid"),
        "window_start": to_cdmx(read.window.start).isoformat(),
        "window_end": to_cdmx(read.window.end).isoformat(),
        "mode": read.window.mode,
        "fetched": read.source.get("fetched", len(records)),
        "skipped": read.source.get("skipped", 0),
        "bind_requests": read.source.get("bind_requests", 0),
        "bind_read_run_id": read.run_id,
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
            return next_state(previous, read.window, read.pending_draft_ids, read.looked_at_ids, refused_ids or (),
                              read.followed)

        try:
            state = record_sync_state(context.instance, _state_store(process_config), INVOICES.job_id,
                                      INVOICES.sheet_key, after_this_run, run_id=context.run.run_id)
        except (SyncStateError, OSError, sqlite3.Error) as exc:
            raise dg.Failure(
                description=f"the rows were written but the sync state could not be recorded: {exc}. The next run "
                "reads this window again (the writes are idempotent).") from exc
        metadata.update(state_metadata(state))
    yield dg.MaterializeResult(metadata=metadata)
    if result.failed:
        raise refused_rows_failure(
            "invoice(s)", target, result, metadata,
            "; the watermark moved on and every later run re-reads and retries the refused ones until the "
            "sheet accepts them",
        )


def _state_store(process_config: ProcessConfigResource) -> SyncStateStore:
    return SyncStateStore.beside(process_config.db_path)


def _load_state(context: dg.AssetExecutionContext, process_config: ProcessConfigResource):
    try:
        return load_sync_state(context.instance, _state_store(process_config), INVOICES.job_id, INVOICES.sheet_key)
    except (SyncStateError, OSError, sqlite3.Error) as exc:
        raise dg.Failure(description=f"cannot read the sync state: {exc}", allow_retries=False) from exc


def row_id(row) -> str | None:
    return str(row["ID"]) if isinstance(row, dict) and row.get("ID") else None


def _dated_from(row, start) -> bool:
    """In the run's window by Date; a row whose Date cannot be read is kept for invoice_batch to report."""
    try:
        return parse_bind_datetime(str(row.get("Date"))) >= start
    except (ValueError, TypeError, AttributeError):
        return True


def _refused_bind_ids(read: InvoiceRead, failures) -> list[str] | None:
    """The Bind ids of the refused rows, or None when one of them cannot be traced to a Bind id."""
    uuids = set()
    for failure in failures:
        if len(failure.key) != 1 or not str(failure.key[0]).strip():
            return None
        uuids.add(str(failure.key[0]).strip().lower())
    ids = read.bind_ids_of(uuids)
    traced = read.frame[read.frame["UUID"].isin(uuids)]
    if len(set(traced["UUID"])) != len(uuids) or not all(is_guid(bind_id) for bind_id in ids):
        return None
    return ids


def _refuse_if_superseded(context: dg.AssetExecutionContext, read: InvoiceRead) -> None:
    """A re-execution writes its parent run's read only if no run has read Bind since (its data is newer)."""
    if read.run_id == context.run.run_id:
        return
    newer = superseded_by(context.instance, INVOICES.source_key, read.run_id)
    if newer:
        raise dg.Failure(
            description=(
                f"not writing the Bind read of run {read.run_id}: run {newer} has read Bind since, and writing "
                "the older data could undo what it wrote. Nothing was written. Launch a new run instead: the "
                "watermark did not move, so the regular sync reads this window again."
            ),
            allow_retries=False,
        )
    context.log.info("re-execution: writing the Bind read of run %s (window %s to %s)", read.run_id,
                     to_cdmx(read.window.start).isoformat(), to_cdmx(read.window.end).isoformat())
