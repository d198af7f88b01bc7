"""sync_invoices_sensor: the cadence from ProcessConfig, read at every tick (see cadence.py)."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import dagster as dg

from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import ClockResource

from .cadence import IN_FLIGHT_STATUSES, RunSummary, decide_sync
from .jobs import sync_invoices
from .process import INVOICES, SyncProcess

# Dry runs write nothing, so they do not reset the cadence (smartbind sync --dry-run sets the tag).
DRY_RUN_TAG = "smartbind/dry_run"


def _summary(record: dg.RunRecord) -> RunSummary:
    run = record.dagster_run
    return RunSummary(run.run_id, run.job_name, run.status.value, record.create_timestamp)


def recent_runs(instance: dg.DagsterInstance, process: SyncProcess) -> tuple[RunSummary | None, list[RunSummary]]:
    """The last real run of the process's job, and every unfinished run carrying its "process" tag."""
    in_flight = instance.get_run_records(
        filters=dg.RunsFilter(
            tags={"process": process.job_id},
            statuses=[dg.DagsterRunStatus(status) for status in IN_FLIGHT_STATUSES],
        ),
        limit=5,
    )
    recent = instance.get_run_records(filters=dg.RunsFilter(job_name=process.job_id), limit=10)
    last = next((r for r in recent if r.dagster_run.tags.get(DRY_RUN_TAG) != "true"), None)
    return (_summary(last) if last else None), [_summary(r) for r in in_flight]


@dg.sensor(
    name=INVOICES.sensor_name,
    job=sync_invoices,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts sync_invoices every interval_minutes set in ProcessConfig (read at every tick). Skips, "
        "saying why, while the process is paused, not yet due, or a run is still queued or running."
    ),
)
def sync_invoices_sensor(
    context: dg.SensorEvaluationContext, process_config: ProcessConfigResource, clock: ClockResource
):
    config = process_config.store().get(INVOICES.job_id)
    last, in_flight = recent_runs(context.instance, INVOICES)
    decision = decide_sync(
        INVOICES.job_id,
        found=config is not None,
        is_active=bool(config and config.is_active),
        sheet_id=config.smartsheet_sheet_id if config else "",
        interval_minutes=config.interval_minutes if config else 0,
        now=clock.now(),
        last_run=last,
        in_flight=in_flight,
    )
    if not decision.should_run:
        return dg.SkipReason(decision.reason)
    context.log.info(decision.reason)
    return dg.RunRequest(
        tags={
            "smartsheet_sheet_id": config.smartsheet_sheet_id,
            "interval_minutes": str(config.interval_minutes),
            "trigger": "sensor",
        }
    )
