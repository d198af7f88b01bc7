"""Each run's Bind read, stored under that run's own id, and pruned once nothing can use it.

Every pull process (invoices, inventory, the declared processes) hands its Bind read to the sheet step
through this I/O manager. Dagster's default I/O manager keeps an asset's output at one path per asset
(``storage/bind_invoices``, ``storage/bind_inventory``...) that every later run overwrites, so "Re-execute →
From failure" of a failed run loaded whatever the last run had read (issue 14, defect 5). Here the read of
run ``R`` lives at ``<instance storage>/smartbind_reads/R/<step>/<output>`` and a re-execution loads the file
of the run that produced it (Dagster resolves that run through the re-execution's parent chain).

A re-execution writes that older read only if no other run has read the same Bind source since
(``superseded_by``): writing an older read over a newer run's writes could undo them (an old stock
snapshot over newer stock). The I/O manager refuses it when the read is loaded, saying what the next run
does (``next_run``; the invoices: the watermark did not move).

A stored read holds client data (RFCs, names, products, stock), so it is kept only while something may
still use it:

- the run's own checks delete it once they have compared the sheet with it (the last step to read it);
- every later read of the same source deletes that source's reads of finished runs: a re-execution of
  such a run is refused anyway (``superseded_by``);
- a read older than ``RETENTION_SECONDS`` is deleted whatever its run's status (a run stuck for a week is dead).

A read of a run still in progress, or of the parent or root of one (a re-execution under way), is kept.
Pruning is per source (the step's folder): an inventory read never deletes a failed invoice run's read.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.processes import Process

READS_DIR = "smartbind_reads"
RETENTION_SECONDS = 7 * 24 * 3600
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
NEXT_RUN = "the next run reads Bind again."


def reads_root(instance: dg.DagsterInstance) -> Path:
    return Path(instance.storage_directory()) / READS_DIR


def reads_io_manager_key(process: Process) -> str:
    """The resource key a process's source asset stores its read with (invoices keep their own, older key)."""
    return f"{process.job_id}_reads_io_manager"


class RunScopedPickleIOManager(dg.IOManager):
    """Pickles a step output under its run id; loads it from the run that produced it."""

    def __init__(self, root: Path, *, job_id: str = "", next_run: str = NEXT_RUN):
        self.root = root
        self.job_id = job_id
        self.next_run = next_run

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
            job = f"the job ({self.job_id})" if self.job_id else "the process's job"
            raise dg.Failure(
                description=(
                    f"{context.asset_key.to_user_string() if context.has_asset_key else 'this input'} has no "
                    f"Bind read in this run: select the Bind asset with it, or launch {job}, so "
                    "the sheet is written from a read made for it"
                ),
                allow_retries=False,
            )
        this_run = context.step_context.run_id
        if upstream.run_id != this_run and context.has_asset_key:
            newer = superseded_by(context.instance, context.asset_key, upstream.run_id)
            if newer:
                raise dg.Failure(
                    description=(
                        f"not using the Bind read of run {upstream.run_id} ({upstream.step_key}): run {newer} has "
                        "read Bind since, and writing the older data could undo what it wrote. Nothing was "
                        f"written. Launch a new run instead: {self.next_run}"
                    ),
                    allow_retries=False,
                )
        path = self._path(upstream.run_id, upstream.step_key, upstream.name)
        if not path.exists():
            raise dg.Failure(
                description=(
                    f"the Bind read of run {upstream.run_id} ({upstream.step_key}) is no longer stored: it is "
                    "deleted once a later run has read Bind (re-executing this run would write older data over "
                    f"that run's) or after 7 days. Launch a new run instead: {self.next_run}"
                ),
                allow_retries=False,
            )
        try:
            with open(path, "rb") as file:
                return pickle.load(file)
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as exc:
            # Stored by an earlier version of the pipeline, whose batch class no longer loads.
            raise dg.Failure(
                description=(
                    f"the Bind read of run {upstream.run_id} ({upstream.step_key}) was stored by an earlier version "
                    f"of the pipeline and cannot be loaded ({type(exc).__name__}). Nothing was written. Launch a "
                    f"new run instead: {self.next_run}"
                ),
                allow_retries=False,
            ) from exc


class RunScopedIOManager(dg.ConfigurableIOManagerFactory):
    """Stores each run's output under the instance's storage directory, in a folder named after the run."""

    job_id: str = Field(default="", description="The process's job, named when a step has no read to load.")
    next_run: str = Field(default=NEXT_RUN, description="What the next run does when a re-execution is refused.")

    def create_io_manager(self, context: dg.InitResourceContext) -> RunScopedPickleIOManager:
        return RunScopedPickleIOManager(reads_root(context.instance), job_id=self.job_id, next_run=self.next_run)


def process_reads(process: Process) -> dict[str, RunScopedIOManager]:
    """The resource a process's Definitions bind: ``{reads_io_manager_key(process): its I/O manager}``."""
    return {reads_io_manager_key(process): RunScopedIOManager(job_id=process.job_id)}


def _remove(folder: Path, step_key: str | None) -> None:
    shutil.rmtree(folder / step_key if step_key else folder, ignore_errors=True)
    if step_key and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def delete_read(instance: dg.DagsterInstance, run_id: str, step_key: str | None = None) -> None:
    """Delete run ``run_id``'s stored read of ``step_key`` (every read of the run without one)."""
    _remove(reads_root(instance) / run_id, step_key)


def lineage(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """``run`` and the runs it re-executes, parent by parent up to the root."""
    ids, current = [run.run_id], run
    while current and current.parent_run_id and current.parent_run_id not in ids:
        ids.append(current.parent_run_id)
        current = instance.get_run_by_id(current.parent_run_id)
    return ids


def delete_used_read(instance: dg.DagsterInstance, run: dg.DagsterRun, step_key: str) -> None:
    """After a run's checks: its read of ``step_key`` (its own, or the re-executed run's) is no longer needed."""
    for run_id in lineage(instance, run):
        delete_read(instance, run_id, step_key)


def prune_reads(
    instance: dg.DagsterInstance, *, step_key: str, keep_run_id: str, legacy_paths: tuple[str, ...] = ()
) -> list[str]:
    """Delete the stored reads of ``step_key`` no run can use any more (see the module docstring), and every
    read past the retention; the run ids whose reads were deleted."""
    root = reads_root(instance)
    for legacy in legacy_paths:  # what the default I/O manager left at its per-asset path
        path = Path(instance.storage_directory()) / legacy
        if path.is_file():
            path.unlink(missing_ok=True)
    if not root.is_dir():
        return []
    in_flight = instance.get_runs(filters=dg.RunsFilter(statuses=[s for s in dg.DagsterRunStatus if s not in FINISHED]))
    needed = {keep_run_id}
    for run in in_flight:
        needed |= {run.run_id, run.parent_run_id, run.root_run_id} - {None}
    deleted = []
    for folder in root.iterdir():
        if folder.name == keep_run_id:
            continue
        run = instance.get_run_by_id(folder.name)
        if run is None or time.time() - folder.stat().st_mtime > RETENTION_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder.name)
        elif folder.name not in needed and run.status in FINISHED and (folder / step_key).exists():
            _remove(folder, step_key)
            deleted.append(folder.name)
    return deleted


def superseded_by(instance: dg.DagsterInstance, source_key: dg.AssetKey, read_run_id: str) -> str | None:
    """The id of a run that read ``source_key`` from Bind after ``read_run_id`` did, if any (its data is newer).

    The asset's newest materialization decides, not storage ids: with the SQLite event log (``make dev``,
    tests) a run's own events are numbered in that run's file, apart from the asset index, so comparing the
    run's storage id with the index's could miss a newer read.
    """
    records = instance.get_records_for_run(read_run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    if not any(
        r.event_log_entry.asset_materialization and r.event_log_entry.asset_materialization.asset_key == source_key
        for r in records
    ):
        return None
    [newest] = instance.fetch_materializations(source_key, limit=1).records or [None]
    return newest.run_id if newest is not None and newest.run_id != read_run_id else None
