"""Run history retention (issue 16, point 7): a daily job that deletes finished runs older than N days.

At a 2-minute cadence the instance gathers hundreds of runs a day; each brings its run row, its event
log (dozens of events), its captured stdout/stderr and, for the syncs, a stored Bind read
(defs/pull/stored.py's ``smartbind_reads/<run id>``). ``prune_run_history`` deletes, for every run that
finished (success, failure, canceled) before the cutoff: the run and its event log
(``DagsterInstance.delete_run``), its captured logs and its stored outputs.

It never deletes the sync state the pipeline needs. The invoices' watermark, followed drafts, refused ids
and followed set, and the inventory's warehouse names, live in sync_state.db beside ProcessConfig
(core/sync_state.py), outside the run history; the runs also show them as metadata on the sheet assets'
materializations, from which a deployment without that file migrates them once (defs/invoices/sync_state.py,
defs/inventory/sync_state.py), and another process may keep state the same way.
So, for every asset, the runs holding its newest materialization, and for every metadata key the newest
materialization that carries it (a dry run after a quiet month carries no watermark: the one before it
does), are still kept whatever their age, and are named in the report. Runs still queued or in progress
are never touched.

Configuration: ``SMARTBIND_RUN_RETENTION_DAYS`` (default 30) sets the default; the launchpad's
``older_than_days`` and ``dry_run`` (report what would go, delete nothing) override it per run. SQLite
reuses the freed pages, so the database file stops growing once the history is N days deep (it does not
shrink without a VACUUM, which this job does not run: it would lock the instance).
"""

# No `from __future__ import annotations`: Dagster reads config annotations at decoration time.

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.processes.model import OWNER
from smartbind_pipelines.defs.pull.stored import FINISHED, reads_root

DEFAULT_RETENTION_DAYS = 30
RETENTION_DAYS_ENV = "SMARTBIND_RUN_RETENTION_DAYS"
STATE_SCAN = 1_000  # newest materializations looked at per asset to find the newest carrier of each key
BATCH = 500  # runs fetched per query
JOB_NAME = "prune_run_history"


def default_retention_days() -> int:
    raw = (os.environ.get(RETENTION_DAYS_ENV) or "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{RETENTION_DAYS_ENV} must be a whole number of days, at least 1, not {raw[:20]!r}")
    return int(raw)


@dataclass
class PruneReport:
    cutoff: datetime
    deleted_runs: list[str] = field(default_factory=list)
    deleted_by_job: dict[str, int] = field(default_factory=dict)
    kept_for_state: dict[str, str] = field(default_factory=dict)  # run id -> why (asset and metadata keys)
    stored_dirs_removed: int = 0
    stored_bytes_removed: int = 0
    dry_run: bool = False

    def metadata(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "runs_deleted": len(self.deleted_runs),
            "runs_deleted_by_job": dg.MetadataValue.json(dict(sorted(self.deleted_by_job.items()))),
            "runs_kept_for_sync_state": dg.MetadataValue.json(self.kept_for_state),
            "stored_outputs_removed": self.stored_dirs_removed,
            "stored_bytes_removed": self.stored_bytes_removed,
            "deleted_run_ids_sample": dg.MetadataValue.json(self.deleted_runs[:50]),
        }


def state_runs(instance: dg.DagsterInstance) -> dict[str, str]:
    """Run id -> why it is kept: the runs holding each asset's newest materialization and, per metadata
    key, the newest materialization carrying that key."""
    keep: dict[str, list[str]] = {}
    for key in instance.get_asset_keys():
        records = instance.fetch_materializations(key, limit=STATE_SCAN).records
        seen_keys: set[str] = set()
        for index, record in enumerate(records):  # newest first
            materialization = record.asset_materialization
            names = set(materialization.metadata) if materialization else set()
            fresh = names - seen_keys
            if index == 0 or fresh:
                reason = "newest materialization" if index == 0 else "newest with " + ", ".join(sorted(fresh))
                keep.setdefault(record.run_id, []).append(f"{key.to_user_string()}: {reason}")
            seen_keys |= names
    return {run_id: "; ".join(reasons) for run_id, reasons in keep.items()}


def prune_run_history(
    instance: dg.DagsterInstance,
    older_than_days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    exclude_run_id: str | None = None,
) -> PruneReport:
    if older_than_days < 1:
        raise ValueError(f"older_than_days must be at least 1, not {older_than_days}")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    report = PruneReport(cutoff=cutoff, dry_run=dry_run)
    protected = state_runs(instance)
    candidates: list[dg.RunRecord] = []
    cursor = None
    while True:
        batch = instance.get_run_records(
            filters=dg.RunsFilter(statuses=list(FINISHED), updated_before=cutoff), limit=BATCH, cursor=cursor
        )
        candidates += batch
        if len(batch) < BATCH:
            break
        cursor = batch[-1].dagster_run.run_id
    storage = Path(instance.storage_directory())
    for record in candidates:
        run = record.dagster_run
        if run.run_id in protected:
            report.kept_for_state[run.run_id] = protected[run.run_id]
            continue
        if run.run_id == exclude_run_id:
            continue
        report.deleted_runs.append(run.run_id)
        report.deleted_by_job[run.job_name] = report.deleted_by_job.get(run.job_name, 0) + 1
        for folder in (reads_root(instance) / run.run_id, storage / run.run_id):
            if folder.is_dir():
                report.stored_dirs_removed += 1
                report.stored_bytes_removed += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                if not dry_run:
                    shutil.rmtree(folder, ignore_errors=True)
        if not dry_run:
            try:
                instance.compute_log_manager.delete_logs(prefix=[run.run_id])
            except Exception:  # noqa: BLE001 - captured logs are best effort; the run itself still goes
                pass
            instance.delete_run(run.run_id)
            _remove_run_shard(instance, run.run_id)
    return report


def _remove_run_shard(instance: dg.DagsterInstance, run_id: str) -> None:
    """SQLite event storage keeps one database file per run; ``delete_run`` empties it but leaves the file."""
    shard_path = getattr(instance.event_log_storage, "path_for_shard", None)
    if shard_path is None:  # Postgres and friends: the rows are gone, there is no file
        return
    base = Path(shard_path(run_id))
    for path in (base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


class RetentionConfig(dg.Config):
    older_than_days: int = Field(
        default=default_retention_days(),
        description=f"Delete finished runs older than this many days ({RETENTION_DAYS_ENV}, default 30).",
    )
    dry_run: bool = Field(default=False, description="Report what would be deleted; delete nothing.")


# The op's definition is named apart from the job (Dagster refuses an op and a graph of one name: the code
# location would not load); its node keeps the job's name, so run config stays {"ops": {"prune_run_history": …}}.
@dg.op(
    name=f"{JOB_NAME}_op",
    out=dg.Out(dg.Nothing),
    description="Deletes finished runs older than N days, their event logs and stored outputs; keeps the "
    "runs whose materializations hold the sync state.",
)
def prune_run_history_op(context: dg.OpExecutionContext, config: RetentionConfig):
    try:
        report = prune_run_history(
            context.instance, config.older_than_days, dry_run=config.dry_run, exclude_run_id=context.run_id
        )
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    verb = "would delete" if config.dry_run else "deleted"
    context.log.info(
        "%s %d run(s) finished before %s; kept %d for the sync state",
        verb,
        len(report.deleted_runs),
        report.cutoff.isoformat(),
        len(report.kept_for_state),
    )
    yield dg.Output(None, metadata=report.metadata())  # what was removed, on the run's output event


@dg.job(
    name=JOB_NAME,
    tags={"owner": OWNER},  # the same owner tag as every job
    description="Run history retention: deletes finished runs older than N days (default 30).",
)
def prune_run_history_job():
    prune_run_history_op.alias(JOB_NAME)()


prune_run_history_schedule = dg.ScheduleDefinition(
    name="prune_run_history_daily",
    job=prune_run_history_job,
    cron_schedule="30 3 * * *",
    execution_timezone="America/Mexico_City",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 03:30 Mexico City time, after the 02:00 reconcile.",
)

defs = dg.Definitions(jobs=[prune_run_history_job], schedules=[prune_run_history_schedule])
