"""The Dagster asset keys of a registry process (core/processes): what Bind holds and the sheet kept in step."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.core.processes import Process


def source_key(process: Process) -> dg.AssetKey:
    return dg.AssetKey(process.source_asset)


def sheet_key(process: Process) -> dg.AssetKey:
    return dg.AssetKey(process.sheet_asset)
