"""The inventory's warehouse names in the Dagster layer: read from the project's store (core/sync_state.py,
``sync_state.db`` beside ProcessConfig) when the sheet asset writes, recorded after a writing run, shown on
its materialization (``warehouse_names``) for the UI.

The store survives a new Dagster instance or a pruned run history. Names recorded before the store existed
are read once from the materialization history and written to the store. Dry runs record nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import dagster as dg

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.core.inventory.state import names_from_history
from smartbind_pipelines.core.sync_state import FROM_HISTORY, FROM_RUN, StoredState, SyncStateStore

STATE_SCAN = 20  # recent materializations considered when migrating the names from the run history


def load_warehouse_names(
    instance: dg.DagsterInstance, store: SyncStateStore, job_id: str, sheet_asset: dg.AssetKey
) -> tuple[dict[str, str], str]:
    """Warehouse id -> name as the last writing run left the sheet, and where it came from: the store, or
    (once, when the store has none for the process) the run history, which is then written to the store."""
    stored = store.get(job_id)
    if stored is not None and stored.warehouse_names is not None:
        return dict(stored.warehouse_names), "store"
    records = instance.fetch_materializations(sheet_asset, limit=STATE_SCAN).records
    names = names_from_history(r.asset_materialization.metadata for r in records if r.asset_materialization)
    if names is None:
        return {}, "none recorded yet"
    migrated = store.update(
        job_id, lambda current: _with_names(current, names, origin=FROM_HISTORY, run_id=""), now=now_cdmx()
    )
    return dict(migrated.warehouse_names or {}), FROM_HISTORY


def record_warehouse_names(
    store: SyncStateStore, job_id: str, names: Mapping[str, str], *, run_id: str
) -> dict[str, str]:
    """Merge ``names`` (the warehouses this run wrote) into the stored ones in one transaction; returns the
    names now stored (a warehouse no longer synced keeps its last name)."""
    written = store.update(
        job_id,
        lambda current: _with_names(
            current,
            {**dict((current.warehouse_names if current else None) or {}), **names},
            origin=FROM_RUN,
            run_id=run_id,
        ),
        now=now_cdmx(),
    )
    return dict(written.warehouse_names or {})


def _with_names(current: StoredState | None, names: Mapping[str, str], *, origin: str, run_id: str) -> StoredState:
    if current is not None and current.warehouse_names is not None and origin == FROM_HISTORY:
        return current  # a run wrote first: its names win
    return dataclasses.replace(current or StoredState(), warehouse_names=dict(names), origin=origin, run_id=run_id)
