"""Where the invoice sync left off, and how a run moves it (pure; the store is core/sync_state.py).

``watermark`` is the window end of the last incremental run in which every write succeeded: a failed run
records nothing, so the next run starts from the old mark. ``pending_draft_ids`` are the unstamped drafts
followed by id (drafts.py); ``refused_ids`` the invoices the sheet refused, retried every run;
``followed`` the followed set a regular run read (followed.py), which the sensor compares Bind with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from smartbind_pipelines.core.cdmx import parse_bind_datetime
from smartbind_pipelines.core.sync_state import FROM_RUN, StoredState

from .followed import FollowedSet
from .window import SyncWindow

# The metadata names the sheet asset shows the state under (and earlier runs recorded it under).
WATERMARK = "watermark"
PENDING_DRAFTS = "pending_draft_ids"
REFUSED = "refused_invoice_ids"
FOLLOWED = "followed_set"  # the set of invoices that can still change, as the last regular run read it


@dataclass(frozen=True)
class SyncState:
    watermark: datetime | None = None
    pending_draft_ids: tuple[str, ...] = ()
    refused_ids: tuple[str, ...] = ()  # Bind ids of invoices the sheet refused: re-read and retried every run
    followed: FollowedSet | None = None  # followed.py: what the sensor compares Bind with


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)  # a Dagster MetadataValue -> its raw value


def _ids(raw: Any) -> tuple[str, ...]:
    raw = _plain(raw)
    return tuple(json.loads(raw) if isinstance(raw, str) else raw or ())


def state_from_history(newest_first: Iterable[Mapping[str, Any]]) -> SyncState:
    """The sync state from materialization metadata, newest first (migrating a state recorded before the
    store existed)."""
    watermark: datetime | None = None
    pending: tuple[str, ...] | None = None
    refused: tuple[str, ...] | None = None
    followed: FollowedSet | None = None
    for metadata in newest_first:
        if WATERMARK in metadata and _plain(metadata[WATERMARK]):
            mark = parse_bind_datetime(str(_plain(metadata[WATERMARK])))
            watermark = mark if watermark is None else max(watermark, mark)
        if pending is None and PENDING_DRAFTS in metadata:
            pending = _ids(metadata[PENDING_DRAFTS])
            # Recorded together with the drafts; a materialization from before refused ids existed has none.
            refused = _ids(metadata.get(REFUSED))
        if followed is None and FOLLOWED in metadata:
            followed = FollowedSet.from_json(_plain(metadata[FOLLOWED]))
    return SyncState(watermark, pending or (), refused or (), followed)


def next_state(
    previous: SyncState,
    window: SyncWindow,
    pending_draft_ids: Iterable[str],
    looked_at_ids: Iterable[str] = (),
    refused_ids: Iterable[str] = (),
    followed: FollowedSet | None = None,
) -> SyncState:
    """The state after a run that wrote what it read in ``window``, except ``refused_ids`` (Bind ids of the
    invoices the sheet refused: carried forward and retried by every later run).

    ``previous`` is the state when the run writes, which may be newer than when it read Bind (a
    re-execution): ids another run started following since are kept unless this run looked at them.
    The watermark only moves forward, so a late-finishing backfill cannot pull it back.
    """
    watermark = previous.watermark
    if window.advances_watermark:
        watermark = window.end if watermark is None else max(watermark, window.end)
    looked_at = set(looked_at_ids)
    pending = set(pending_draft_ids) | {d for d in previous.pending_draft_ids if d not in looked_at}
    refused = set(refused_ids) | {r for r in previous.refused_ids if r not in looked_at}
    # A regular run's read of the followed set replaces the previous one; other runs keep it.
    return SyncState(watermark, tuple(sorted(pending)), tuple(sorted(refused)), followed or previous.followed)


def to_stored(state: SyncState, *, run_id: str = "", origin: str = FROM_RUN) -> StoredState:
    return StoredState(
        state.watermark,
        state.pending_draft_ids,
        state.refused_ids,
        state.followed.to_json() if state.followed is not None else None,
        run_id=run_id,
        origin=origin,
    )


def from_stored(stored: StoredState) -> SyncState:
    return SyncState(
        stored.watermark,
        tuple(stored.pending_draft_ids),
        tuple(stored.refused_ids),
        FollowedSet.from_json(stored.followed) if stored.followed else None,
    )
