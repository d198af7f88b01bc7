"""Each run's Bind read, stored under that run's own id, and pruned once nothing can use it.

Dagster's default I/O manager keeps an asset's output at one path per asset (``storage/bind_invoices``)
that every later run overwrites, so "Re-execute → From failure" of a failed run loaded whatever the last
run had read (issue 14, defect 5). Here the read of run ``R`` lives at
``<instance storage>/smartbind_reads/R/<step>/<output>`` and a re-execution loads the file of the run
that produced it (Dagster resolves that run through the re-execution's parent chain).

A stored read holds client RFCs and names, so it is kept only while something may still use it:

- the run's own checks delete it once they have compared the sheet with it (the last step to read it);
- every later Bind read deletes the reads of finished runs: a re-execution of such a run is refused
  anyway (``superseded_by``), because writing older data over a newer run's writes could undo them;
- a read older than ``RETENTION`` is deleted whatever its run's status (a run stuck for a week is dead).

A read of a run still in progress, or of the parent of one (a re-execution under way), is kept.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

import dagster as dg

READS_DIR = "smartbind_reads"
READS_IO_MANAGER = "invoice_reads_io_manager"  # the resource key bind_invoices stores its output with
RETENTION_SECONDS = 7 * 24 * 3600
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def reads_root(instance: dg.DagsterInstance) -> Path:
    return Path(instance.storage_directory()) / READS_DIR


class RunScopedPickleIOManager(dg.IOManager):
    """Pickles a step output under its run id; loads it from the run that produced it."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, run_id: str, step_key: str, name: str) -> Path:
        return self.root / run_id / step_key / name

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        path = self._path(context.run_id, context.step_key, context.name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(path.name + ".partial")
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
            pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # a killed write never leaves half a pickle under the final name

    def load_input(self, context: dg.InputContext) -> Any:
        upstream = context.upstream_output
        if not upstream.step_key or not context.instance.get_run_by_id(upstream.run_id):
            # The source asset is not part of this run (e.g. only the sheet asset was selected).
            raise dg.Failure(
                description=(
                    f"{context.asset_key.to_user_string() if context.has_asset_key else 'this input'} has no "
                    "Bind read in this run: select the Bind asset with it, or launch the job (sync_invoices), so "
                    "the sheet is written from a read made for it"
                ),
                allow_retries=False,
            )
        path = self._path(upstream.run_id, upstream.step_key, upstream.name)
        if not path.exists():
            raise dg.Failure(
                description=(
                    f"the Bind read of run {upstream.run_id} ({upstream.step_key}) is no longer stored: it is "
                    "deleted once a later run has read Bind (re-executing this run would write older data over "
                    "that run's) or after 7 days. Launch a new run instead: the watermark did not move, so the "
                    "regular sync reads this window again."
                ),
                allow_retries=False,
            )
        with open(path, "rb") as file:
            return pickle.load(file)


class RunScopedIOManager(dg.ConfigurableIOManagerFactory):
    """Stores each run's output under the instance's storage directory, in a folder named after the run."""

    def create_io_manager(self, context: dg.InitResourceContext) -> RunScopedPickleIOManager:
        return RunScopedPickleIOManager(reads_root(context.instance))


def delete_read(instance: dg.DagsterInstance, run_id: str) -> None:
    shutil.rmtree(reads_root(instance) / run_id, ignore_errors=True)


def prune_reads(instance: dg.DagsterInstance, *, keep_run_id: str, legacy_paths: tuple[str, ...] = ()) -> list[str]:
    """Delete the stored reads no run can use any more (see the module docstring); the run ids deleted."""
    root = reads_root(instance)
    for legacy in legacy_paths:  # what the default I/O manager left at its per-asset path
        path = Path(instance.storage_directory()) / legacy
        if path.is_file():
            path.unlink(missing_ok=True)
    if not root.is_dir():
        return []
    in_flight = instance.get_runs(
        filters=dg.RunsFilter(statuses=[s for s in dg.DagsterRunStatus if s not in FINISHED])
    )
    needed = {keep_run_id}
    for run in in_flight:
        needed |= {run.run_id, run.parent_run_id, run.root_run_id} - {None}
    deleted = []
    for folder in root.iterdir():
        if folder.name == keep_run_id:
            continue
        run = instance.get_run_by_id(folder.name)
        expired = time.time() - folder.stat().st_mtime > RETENTION_SECONDS
        if run is None or expired or (folder.name not in needed and run.status in FINISHED):
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder.name)
    return deleted


def superseded_by(instance: dg.DagsterInstance, source_key: dg.AssetKey, read_run_id: str) -> str | None:
    """The id of a run that read Bind after ``read_run_id`` did, if any (its data is newer)."""
    records = instance.get_records_for_run(read_run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    mine = [r.storage_id for r in records
            if r.event_log_entry.asset_materialization and r.event_log_entry.asset_materialization.asset_key == source_key]
    if not mine:
        return None
    later = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=source_key, after_storage_id=max(mine)), limit=20
    ).records
    return next((record.run_id for record in later if record.run_id != read_run_id), None)
