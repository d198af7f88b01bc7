"""Where the sync left off, kept as metadata on the sheet asset's materializations.

``watermark`` is the window end of the last incremental run in which every write succeeded: a failed
run raises before materializing, so it records nothing and the next run starts from the old mark.
``pending_draft_ids`` are Bind invoices seen without a UUID (unstamped drafts). Bind's ``Date`` is the
creation date and never changes, so a draft stamped later would fall behind the window; each run
re-reads these ids until they are stamped or deleted, however long that takes (no age limit: the
reconcile reads 35 days back, so a draft given up on would never reach the sheet).

Every writing run carries both forward, so the newest materialization holds the current state; the
watermark is still taken as the maximum over recent ones so a late-finishing backfill cannot pull it
back. Dry runs record no state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

import dagster as dg

from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.defs.sync.metadata import plain

from .changes import FollowedSet
from .window import SyncWindow

WATERMARK = "watermark"
PENDING_DRAFTS = "pending_draft_ids"
REFUSED = "refused_invoice_ids"
FOLLOWED = "followed_set"  # the set of invoices that can still change, as the last regular run read it
STATE_SCAN = 50  # recent materializations considered when reading the watermark


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
    records = instance.fetch_materializations(sheet_asset, limit=STATE_SCAN).records
    return state_from_history(
        record.asset_materialization.metadata for record in records if record.asset_materialization
    )
