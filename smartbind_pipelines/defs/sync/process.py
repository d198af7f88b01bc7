"""What makes a sync process: the names every process's assets, job, sensor and run tag are built from.

Names here are the contract with ProcessConfig (``job_id``), the run queue (the ``process`` tag) and
the UI (asset, job, sensor and schedule names).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from smartbind_pipelines.core.sheets import SheetMapping


@dataclass(frozen=True)
class SyncProcess:
    job_id: str  # ProcessConfig job_id, Dagster job name and the value of the "process" run tag
    group: str
    source_asset: str  # what Bind holds, as a frame
    sheet_asset: str  # the Smartsheet sheet kept in step with it
    sheet_id_env: str  # fallback when ProcessConfig names no sheet
    mapping: SheetMapping
    owner: str = "team:operaciones"

    @property
    def source_key(self) -> dg.AssetKey:
        return dg.AssetKey(self.source_asset)

    @property
    def sheet_key(self) -> dg.AssetKey:
        return dg.AssetKey(self.sheet_asset)

    @property
    def sensor_name(self) -> str:
        return f"{self.job_id}_sensor"

    @property
    def run_tags(self) -> dict[str, str]:
        # dagster.yaml limits runs per unique "process" value to one: two writers on one sheet would
        # collide (Smartsheet 4004) and could both add the same new row.
        return {"process": self.job_id, "owner": self.owner}
