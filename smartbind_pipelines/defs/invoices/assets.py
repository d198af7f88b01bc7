"""bind_invoices -> smartsheet_invoices: Bind's invoices upserted by UUID into the ProcessConfig sheet."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import time
from datetime import timedelta

import dagster as dg
import pandas as pd

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoices import InvoiceBatch, invoice_batch
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource
from smartbind_pipelines.defs.sync.metadata import run_materialization_metadata
from smartbind_pipelines.defs.sync.report import request_metadata, skipped_table
from smartbind_pipelines.defs.sync.sheet_target import resolve_sheet
from smartbind_pipelines.defs.sync.write import refused_rows_failure, write_metadata, write_sheet

from .config import InvoiceWindowConfig, SheetWriteConfig
from .drafts import drafts_to_follow, followable, unique_by_id
from .process import INVOICES
from .watermark import (
    PENDING_DRAFTS,
    SyncState,
    next_state,
    read_sync_state,
    state_metadata,
)
from .window import SyncWindow


@dg.asset(
    name=INVOICES.source_asset,
    group_name=INVOICES.group,
    kinds={"bind"},
    owners=[INVOICES.owner],
    description=(
        "Invoices read from Bind ERP for this run's window (Mexico City time): the regular sync reads "
        "from the last successful sync (minus a 10-minute overlap) up to now; a backfill reads the dates "
        "given in the launchpad; the nightly reconcile reads the last 35 days. Drafts not yet stamped "
        "(no UUID) are not written; they are re-read by id on later runs until they are stamped."
    ),
)
def bind_invoices(
    context: dg.AssetExecutionContext, config: InvoiceWindowConfig, bind: BindResource, clock: ClockResource
) -> dg.Output[pd.DataFrame]:
    now = clock.now()
    state = read_sync_state(context.instance, INVOICES.sheet_key)
    try:
        window = config.window(now, state.watermark)
        labels = config.labels()
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    context.log.info(
        "reading Bind invoices dated %s to %s (%s)", window.start.isoformat(), window.end.isoformat(), window.mode
    )

    client = bind.client()
    try:
        in_window = client.invoices(window.start, window.end)
        seen = {str(invoice.get("ID")) for invoice in in_window}
        followed = [bind_id for bind_id in followable(state.pending_draft_ids) if bind_id not in seen]
        refreshed = client.invoices_by_ids(followed) if followed else []
    except BindApiError as exc:
        raise dg.Failure(description=f"Bind ERP request failed: {exc}") from exc
    finally:
        client.close()

    invoices = unique_by_id([*in_window, *refreshed])
    batch = invoice_batch(invoices, labels)
    pending = drafts_to_follow(invoices, created_after=now - timedelta(days=config.draft_follow_days))
    stamped = [bind_id for bind_id in followed if bind_id not in pending]
    if stamped:
        context.log.info("%d draft(s) followed since an earlier run are now stamped", len(stamped))

    return dg.Output(
        batch.frame,
        metadata={
            "window_start": to_cdmx(window.start).isoformat(),
            "window_end": to_cdmx(window.end).isoformat(),
            "mode": window.mode,
            "watermark_before": to_cdmx(state.watermark).isoformat() if state.watermark else "",
            "fetched": len(invoices),
            "dagster/row_count": len(batch.frame),
            "skipped": len(batch.skipped),
            "skipped_invoices": skipped_table(batch.skipped),
            "adjusted": len(batch.adjusted),
            "drafts_followed": len(followed),
            "drafts_stamped_since": len(stamped),
            PENDING_DRAFTS: dg.MetadataValue.json(pending),
            **request_metadata("bind", client.request_counts),
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
        "else is touched. Per-row errors fail the run after every other row was written; the watermark "
        "moves only when every write succeeded."
    ),
)
def smartsheet_invoices(
    context: dg.AssetExecutionContext,
    config: SheetWriteConfig,
    bind_invoices: pd.DataFrame,
    smartsheet: SmartsheetResource,
    process_config: ProcessConfigResource,
) -> dg.MaterializeResult:
    started = time.monotonic()
    source = run_materialization_metadata(context.instance, context.run, INVOICES.source_key)
    target = resolve_sheet(process_config, INVOICES)
    records = InvoiceBatch(frame=bind_invoices, skipped=[]).records()

    result = write_sheet(smartsheet.gateway(), target, records, INVOICES.mapping, dry_run=config.dry_run,
                         next_run="The watermark did not move; the next run repeats the window.")
    metadata = {
        **write_metadata(target, result, INVOICES.mapping, started=started, key_name="uuid"),
        "window_start": source.get("window_start", ""),
        "window_end": source.get("window_end", ""),
        "mode": source.get("mode", ""),
        "fetched": source.get("fetched", len(records)),
        "skipped": source.get("skipped", 0),
        "bind_requests": source.get("bind_requests", 0),
    }
    for warning in result.warnings:
        context.log.warning(warning)
    if result.duplicate_sheet_keys:
        context.log.warning(
            "UUIDs present more than once in sheet %s (left as they are, only the first row is updated): %s",
            target.sheet_id,
            ", ".join(" / ".join(map(str, key)) for key in list(result.duplicate_sheet_keys)[:20]),
        )
    if result.failed:
        raise refused_rows_failure("invoice(s)", target, result, metadata, " and the watermark did not move")

    if not config.dry_run:
        # Everything was written: record where the next run starts and which drafts it follows.
        previous = read_sync_state(context.instance, INVOICES.sheet_key)
        metadata.update(state_metadata(_state_after(previous, source)))
    return dg.MaterializeResult(metadata=metadata)


def _state_after(previous: SyncState, source: dict) -> SyncState:
    if not source.get("window_end"):  # upstream metadata not found: keep what we had
        return previous
    window = SyncWindow(
        parse_bind_datetime(source["window_start"]), parse_bind_datetime(source["window_end"]), source["mode"]
    )
    return next_state(previous, window, source.get(PENDING_DRAFTS) or [])
