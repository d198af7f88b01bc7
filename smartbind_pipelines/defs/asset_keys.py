"""The Dagster asset keys of a registry process (core/processes): what its run reads (``source_asset``) and what
it writes (``sheet_asset``)."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.core.processes import Process


def source_key(process: Process) -> dg.AssetKey:
    return dg.AssetKey(process.source_asset)


def sheet_key(process: Process) -> dg.AssetKey:
    return dg.AssetKey(process.sheet_asset)
