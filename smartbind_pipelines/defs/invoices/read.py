"""bind_invoices: the invoices of this run's window read from Bind, as the shared builder's read hook.

The regular sync reads the followed set (core/invoices/followed.py: recent invoices in any status, the open
ones of the horizon, every draft) in one query, and writes what is dated in its window plus what changed in
the set; a backfill or the nightly reconcile reads its dates. Drafts, refused invoices and invoices that left
the followed set are re-read by id. The batch carries the window, the state it started from, the drafts to
follow, the ids looked at and the followed set to the sheet asset.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

import dagster as dg

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoices import invoice_batch
from smartbind_pipelines.core.invoices.drafts import bind_ids, drafts_to_follow, follow_drafts, followable, unique_by_id
from smartbind_pipelines.core.invoices.followed import FollowedSet, compare, members_of
from smartbind_pipelines.core.invoices.state import PENDING_DRAFTS
from smartbind_pipelines.core.invoices.window import INCREMENTAL
from smartbind_pipelines.core.sync_state import SyncStateError
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.pull.builder import Step

from .sync_state import load_sync_state, state_store


def read_invoices(step: Step) -> tuple[SourceBatch, dict[str, Any]]:
    context, config, process_config = step.context, step.config, step.resources.process_config
    now = step.resources.clock.now()
    # The sync state (watermark, drafts, refused ids, followed set), read once, from sync_state.db.
    state, state_from = _load_state(context, process_config, step.process)
    try:
        window = config.window(now, state.watermark)
        labels = config.labels()
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    context.log.info(
        "reading Bind invoices dated %s to %s (%s)", window.start.isoformat(), window.end.isoformat(), window.mode
    )

    snapshot, difference, left = None, None, []
    client = step.resources.bind.client()
    try:
        if window.mode == INCREMENTAL:
            # One query for everything that can change (core/invoices/followed.py): recent invoices in any
            # status, the open ones of the horizon, every draft. The window is part of it (recent_since <= start).
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
            # Backfill / reconcile: the drafts in bulk (core/invoices/drafts.py), ceil(drafts / 100) requests.
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
        context.log.info(
            "followed set (open invoices since %s, drafts, recent): %s",
            to_cdmx(snapshot.open_since).date().isoformat(),
            difference.describe(),
        )
    returned = bind_ids(refreshed) | seen
    remembered = followable(state.pending_draft_ids)  # in the followed set's query, or re-read by id
    stamped = [bind_id for bind_id in remembered if bind_id in returned and bind_id not in pending]
    gone = [bind_id for bind_id in remembered if bind_id not in returned]
    if stamped:
        context.log.info("%d draft(s) followed since an earlier run are now stamped", len(stamped))
    if gone:
        context.log.info(
            "%d followed draft(s) are no longer in Bind (deleted), no longer followed: %s",
            len(gone),
            ", ".join(gone[:20]),
        )

    batch = dataclasses.replace(
        batch,
        run_id=context.run.run_id,
        requests=dict(client.request_counts),
        window=window,
        state_before=state,
        drafts_to_follow=tuple(pending),
        looked_at_ids=tuple(sorted({*seen, *by_id})),
        followed=snapshot,
    )
    return batch, {
        "window_start": to_cdmx(window.start).isoformat(),
        "window_end": to_cdmx(window.end).isoformat(),
        "mode": window.mode,
        "watermark_before": to_cdmx(state.watermark).isoformat() if state.watermark else "",
        "sync_state_from": state_from,
        "adjusted": len(batch.adjusted),
        "drafts_followed": len(remembered),
        "drafts_stamped_since": len(stamped),
        "followed_set": len(snapshot.members) if snapshot else 0,
        "followed_new": len(difference.joined) if difference else 0,
        "followed_changed": len(difference.changed) if difference else 0,
        "followed_left": len(difference.left) if difference else 0,
        "refused_retried": len([bind_id for bind_id in state.refused_ids if bind_id in {*seen, *by_id}]),
        PENDING_DRAFTS: dg.MetadataValue.json(pending),
    }


def _load_state(context, process_config, process):
    """The sync state (watermark, drafts, refused ids, followed set), read once per run from sync_state.db."""
    try:
        return load_sync_state(context.instance, state_store(process_config), process.job_id, sheet_key(process))
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
