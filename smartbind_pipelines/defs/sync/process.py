"""What makes a sync process: the names every process's assets, job, sensor, run tag and pool are built from.

Names here are the contract with ProcessConfig (``job_id``), the run queue (the ``process`` tag), the
instance's concurrency pools (``pool``) and the UI (asset, job, sensor and schedule names).
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
    def pool(self) -> str:
        """The Dagster concurrency pool of the sheet-writing asset: one pool per sheet, one slot each.

        dagster.yaml and dev/dagster.yaml give every pool one slot (``concurrency: pools: default_limit:
        1``), and Dagster claims it on every path that executes the step against the instance: queued and
        launched runs, *Materialize* in the UI (``__ASSET_JOB``, no ``process`` tag), ``dagster job
        execute``, ``dagster asset materialize`` and ``smartbind sync --local``. A second writer waits
        for the slot instead of writing the same sheet at once.
        """
        return f"smartsheet_{self.job_id}"

    @property
    def run_tags(self) -> dict[str, str]:
        # dagster.yaml limits runs per unique "process" value to one: two writers on one sheet would
        # collide (Smartsheet 4004) and could both add the same new row. The pool above guards the
        # write itself on every path; this tag keeps a second run of the process queued (not started
        # and holding a run slot while it waits), and it also orders the Bind reads of two runs.
        return {"process": self.job_id, "owner": self.owner}
