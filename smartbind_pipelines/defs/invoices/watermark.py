"""Where the sync left off: kept in the project's own store (core/sync_state.py, ``sync_state.db`` beside
ProcessConfig), shown on the sheet asset's materializations.

``watermark`` is the window end of the last incremental run in which every write succeeded: a failed
run raises before recording, so it records nothing and the next run starts from the old mark.
``pending_draft_ids`` are Bind invoices seen without a UUID (unstamped drafts). Bind's ``Date`` is the
creation date and never changes, so a draft stamped later would fall behind the window; each run
re-reads these ids until they are stamped or deleted, however long that takes (no age limit: the
reconcile reads 35 days back, so a draft given up on would never reach the sheet).

The store survives a new Dagster instance or a pruned run history. ``bind_invoices`` reads it once per run
(``load_sync_state``); the sheet asset merges the run's result into it in one transaction
(``record_sync_state``: ``next_state`` over the state current at write time, the watermark only moves
forward, so a late-finishing backfill cannot pull it back) and writes the same values as metadata on its
materialization for the UI. A process the store does not know yet (state recorded before the store
existed) is read once from the materialization history (``read_sync_state``) and written to the store.
Dry runs record no state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import dagster as dg

from smartbind_pipelines.core.cdmx import now_cdmx, parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.sync_state import FROM_HISTORY, FROM_RUN, StoredState, SyncStateStore
from smartbind_pipelines.defs.sync.metadata import plain

from .changes import FollowedSet
from .window import SyncWindow

WATERMARK = "watermark"
PENDING_DRAFTS = "pending_draft_ids"
REFUSED = "refused_invoice_ids"
FOLLOWED = "followed_set"  # the set of invoices that can still change, as the last regular run read it
STATE_SCAN = 50  # recent materializations considered when migrating the state from the run history


@dataclass(frozen=True)
class SyncState:
    watermark: datetime | None = None
    pending_draft_ids: tuple[str, ...] = ()
    refused_ids: tuple[str, ...] = ()  # Bind ids of invoices the sheet refused: re-read and retried every run
    followed: FollowedSet | None = None  # changes.py: what the sensor compares Bind with


def _ids(raw: Any) -> tuple[str, ...]:
    raw = plain(raw)
    return tuple(json.loads(raw) if isinstance(raw, str) else raw or ())


def state_from_history(newest_first: Iterable[Mapping[str, Any]]) -> SyncState:
    """The sync state from materialization metadata, newest first."""
    watermark: datetime | None = None
    pending: tuple[str, ...] | None = None
    refused: tuple[str, ...] | None = None
    followed: FollowedSet | None = None
    for metadata in newest_first:
        if WATERMARK in metadata and plain(metadata[WATERMARK]):
            mark = parse_bind_datetime(str(plain(metadata[WATERMARK])))
            watermark = mark if watermark is None else max(watermark, mark)
        if pending is None and PENDING_DRAFTS in metadata:
            pending = _ids(metadata[PENDING_DRAFTS])
            # Recorded together with the drafts; a materialization from before refused ids existed has none.
            refused = _ids(metadata.get(REFUSED))
        if followed is None and FOLLOWED in metadata:
            followed = FollowedSet.from_json(plain(metadata[FOLLOWED]))
    return SyncState(watermark, pending or (), refused or (), followed)


def next_state(previous: SyncState, window: SyncWindow, pending_draft_ids: Iterable[str],
               looked_at_ids: Iterable[str] = (), refused_ids: Iterable[str] = (),
               followed: FollowedSet | None = None) -> SyncState:
    """The state after a run that wrote what it read in ``window``, except ``refused_ids`` (Bind ids of the
    invoices the sheet refused: carried forward and retried by every later run).

    ``previous`` is the state when the run writes, which may be newer than when it read Bind (a
    re-execution): ids another run started following since are kept unless this run looked at them.
    """
    watermark = previous.watermark
    if window.advances_watermark:
        watermark = window.end if watermark is None else max(watermark, window.end)
    looked_at = set(looked_at_ids)
    pending = set(pending_draft_ids) | {d for d in previous.pending_draft_ids if d not in looked_at}
    refused = set(refused_ids) | {r for r in previous.refused_ids if r not in looked_at}
    # A regular run's read of the followed set replaces the previous one; other runs keep it.
    return SyncState(watermark, tuple(sorted(pending)), tuple(sorted(refused)), followed or previous.followed)


def state_metadata(state: SyncState) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        PENDING_DRAFTS: dg.MetadataValue.json(list(state.pending_draft_ids)),
        REFUSED: dg.MetadataValue.json(list(state.refused_ids)),
    }
    if state.followed is not None:
        metadata[FOLLOWED] = dg.MetadataValue.json(state.followed.to_json())
    if state.watermark is not None:
        metadata[WATERMARK] = dg.MetadataValue.text(to_cdmx(state.watermark).isoformat())
    return metadata


def read_sync_state(instance: dg.DagsterInstance, sheet_asset: dg.AssetKey) -> SyncState:
    """The state as the run history recorded it (the newest materializations' metadata)."""
    records = instance.fetch_materializations(sheet_asset, limit=STATE_SCAN).records
    return state_from_history(
        record.asset_materialization.metadata for record in records if record.asset_materialization
    )


def to_stored(state: SyncState, *, run_id: str = "", origin: str = FROM_RUN) -> StoredState:
    return StoredState(state.watermark, state.pending_draft_ids, state.refused_ids,
                       state.followed.to_json() if state.followed is not None else None, run_id, origin)


def from_stored(stored: StoredState) -> SyncState:
    return SyncState(stored.watermark, tuple(stored.pending_draft_ids), tuple(stored.refused_ids),
                     FollowedSet.from_json(stored.followed) if stored.followed else None)


def load_sync_state(instance: dg.DagsterInstance, store: SyncStateStore, job_id: str,
                    sheet_asset: dg.AssetKey) -> tuple[SyncState, str]:
    """The process's state and where it came from: the store, or (once, when the store has no row for the
    process) the run history, which is then written to the store."""
    stored = store.get(job_id)
    if stored is not None:
        return from_stored(stored), "store"
    state = read_sync_state(instance, sheet_asset)
    if state == SyncState():
        return state, "none recorded yet"
    store.put_if_absent(job_id, to_stored(state, origin=FROM_HISTORY), now=now_cdmx())
    stored = store.get(job_id)  # a run may have written first: its row wins
    return (from_stored(stored), FROM_HISTORY) if stored is not None else (state, FROM_HISTORY)


def record_sync_state(instance: dg.DagsterInstance, store: SyncStateStore, job_id: str, sheet_asset: dg.AssetKey,
                      change: Callable[[SyncState], SyncState], *, run_id: str) -> SyncState:
    """Replace the stored state with ``change(current state)`` in one transaction; returns what was written."""
    if store.get(job_id) is None:
        load_sync_state(instance, store, job_id, sheet_asset)  # the state a run history still holds comes first
    written = store.update(
        job_id, lambda current: to_stored(change(from_stored(current) if current else SyncState()), run_id=run_id),
        now=now_cdmx())
    return from_stored(written)
