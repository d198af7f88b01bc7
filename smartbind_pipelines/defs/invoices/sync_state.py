"""The invoices' sync state in the Dagster layer: read from the project's store (core/sync_state.py,
``sync_state.db`` beside ProcessConfig), recorded after a write, shown on the sheet asset's materializations.

The store survives a new Dagster instance or a pruned run history. ``bind_invoices`` reads it once per run
(``load_sync_state``) and hands it on in its batch; the sheet asset merges the run's result into the state
current at write time in one transaction (``record_sync_state`` with ``core.invoices.state.next_state``)
and writes the same values as metadata on its materialization for the UI. A process the store does not
know yet (state recorded before the store existed) is read once from the materialization history
(``read_sync_state``) and written to the store. Dry runs record no state.
"""

from __future__ import annotations

from typing import Any, Callable

import dagster as dg

from smartbind_pipelines.core.cdmx import now_cdmx, to_cdmx
from smartbind_pipelines.core.invoices.state import (
    FOLLOWED,
    PENDING_DRAFTS,
    REFUSED,
    WATERMARK,
    SyncState,
    from_stored,
    state_from_history,
    to_stored,
)
from smartbind_pipelines.core.sync_state import FROM_HISTORY, SyncStateStore

STATE_SCAN = 50  # recent materializations considered when migrating the state from the run history


def state_store(process_config) -> SyncStateStore:
    """The store beside the ProcessConfig file (``process_config`` is the ProcessConfigResource)."""
    return SyncStateStore.beside(process_config.db_path)


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


def load_sync_state(
    instance: dg.DagsterInstance, store: SyncStateStore, job_id: str, sheet_asset: dg.AssetKey
) -> tuple[SyncState, str]:
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


def record_sync_state(
    instance: dg.DagsterInstance,
    store: SyncStateStore,
    job_id: str,
    sheet_asset: dg.AssetKey,
    change: Callable[[SyncState], SyncState],
    *,
    run_id: str,
) -> SyncState:
    """Replace the stored state with ``change(current state)`` in one transaction; returns what was written."""
    if store.get(job_id) is None:
        load_sync_state(instance, store, job_id, sheet_asset)  # the state a run history still holds comes first
    written = store.update(
        job_id,
        lambda current: to_stored(change(from_stored(current) if current else SyncState()), run_id=run_id),
        now=now_cdmx(),
    )
    return from_stored(written)
