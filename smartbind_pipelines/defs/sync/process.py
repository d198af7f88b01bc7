"""A registry process (core/processes) as the Dagster side sees it: the names its assets, job, sensor, run tag
and pool are built from, and its asset keys.

Names here are the contract with ProcessConfig (``job_id``), the run queue (the ``process`` tag), the
instance's concurrency pools (``pool``) and the UI (asset, job, sensor and schedule names); they all come
from the process's one definition (``SyncProcess(process)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from smartbind_pipelines.core.processes import Process
from smartbind_pipelines.core.sheets import SheetMapping


@dataclass(frozen=True)
class SyncProcess:
    process: Process  # the one definition; every name below comes from it

    @property
    def job_id(self) -> str:  # ProcessConfig job_id, Dagster job name and the value of the "process" run tag
        return self.process.job_id

    @property
    def group(self) -> str:
        return self.process.group

    @property
    def source_asset(self) -> str:  # what Bind holds
        return self.process.source_asset

    @property
    def sheet_asset(self) -> str:  # the Smartsheet sheet kept in step with it
        return self.process.sheet_asset

    @property
    def sheet_id_env(self) -> str:  # fallback when ProcessConfig names no sheet
        return self.process.sheet_id_env

    @property
    def mapping(self) -> SheetMapping:
        return self.process.mapping

    @property
    def owner(self) -> str:
        return self.process.owner

    @property
    def source_key(self) -> dg.AssetKey:
        return dg.AssetKey(self.source_asset)

    @property
    def sheet_key(self) -> dg.AssetKey:
        return dg.AssetKey(self.sheet_asset)

    @property
    def sensor_name(self) -> str:
        return self.process.sensor_name

    @property
    def pool(self) -> str:
        """The Dagster concurrency pool of the sheet-writing asset: one pool per sheet, one slot each.

        dagster.yaml and dev/dagster.yaml give every pool one slot (``concurrency: pools: default_limit:
        1``), and Dagster claims it on every path that executes the step against the instance: queued and
        launched runs, *Materialize* in the UI (``__ASSET_JOB``, no ``process`` tag), ``dagster job
        execute``, ``dagster asset materialize`` and ``smartbind sync --local``. A second writer waits
        for the slot instead of writing the same sheet at once.
        """
        return self.process.pool

    @property
    def run_tags(self) -> dict[str, str]:
        # dagster.yaml limits runs per unique "process" value to one: two writers on one sheet would
        # collide (Smartsheet 4004) and could both add the same new row. The pool above guards the
        # write itself on every path; this tag keeps a second run of the process queued (not started
        # and holding a run slot while it waits), and it also orders the Bind reads of two runs.
        return self.process.run_tags
