"""The cadence sensor every pull process gets: ProcessConfig read at every tick, one set of rules.

The due/skip decision is the pure ``core.cadence.decide_run``; this module only reads the row and the
run records and turns the decision into a RunRequest or a SkipReason an operator reads in the UI.
"""

# No `from __future__ import annotations`: Dagster reads the sensor's resource annotations at decoration time.

from typing import Callable, Optional

import dagster as dg

from smartbind_pipelines.core.cadence import IN_FLIGHT_STATUSES, RunSummary, decide_run
from smartbind_pipelines.core.process_config import ProcessConfig, ProcessConfigStore, ProcessConfigUnavailable
from smartbind_pipelines.core.processes import Process

# Dry runs write nothing, so they do not reset the cadence (smartbind sync --dry-run sets the tag).
from smartbind_pipelines.core.run_tags import DRY_RUN_TAG
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import ClockResource


def _summary(record: dg.RunRecord) -> RunSummary:
    run = record.dagster_run
    return RunSummary(run.run_id, run.job_name, run.status.value, record.create_timestamp)


def recent_runs(instance: dg.DagsterInstance, process: Process) -> tuple[RunSummary | None, list[RunSummary]]:
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


# How a sensor reads its process's effective row; a declared process also seeds it and applies its own
# sheet-id fallback (the store only knows the seed's two variables).
ConfigReader = Callable[[ProcessConfigStore], Optional[ProcessConfig]]


def evaluate_cadence(
    context: dg.SensorEvaluationContext,
    process: Process,
    read: ConfigReader,
    process_config: ProcessConfigResource,
    clock: ClockResource,
):
    """The cadence rules of every cadence sensor: a SkipReason, or ``(config, decision)`` when a run is due.

    Shared by ``build_cadence_sensor`` and sensors that look at the source before asking for a run (the
    invoices sensor, defs/invoices/sensors.py)."""
    try:
        config = read(process_config.store())
    except ProcessConfigUnavailable as exc:
        # Skipped, not failed: the tick history says what is wrong, and the next tick tries again.
        return dg.SkipReason(f"{process.job_id}: {exc}")
    last, in_flight = recent_runs(context.instance, process)
    decision = decide_run(
        process.job_id,
        found=config is not None,
        is_active=bool(config and config.is_active),
        sheet_id=config.smartsheet_sheet_id if config else "",
        interval_minutes=config.interval_minutes if config else 0,
        now=clock.now(),
        last_run=last,
        in_flight=in_flight,
        operating_hours=config.hours if config else None,
    )
    if not decision.should_run:
        if config is not None and not config.is_active and not config.smartsheet_sheet_id:
            return dg.SkipReason(
                f"{process.job_id} is paused and has no sheet yet: `smartbind sheets create {process.job_id}`, "
                f"then `smartbind config set {process.job_id} --active`"
            )
        return dg.SkipReason(decision.reason)
    return config, decision


def cadence_run_request(config: ProcessConfig, **tags: str) -> dg.RunRequest:
    return dg.RunRequest(
        tags={
            "smartsheet_sheet_id": config.smartsheet_sheet_id,
            "interval_minutes": str(config.interval_minutes),
            "trigger": "sensor",
            **tags,
        }
    )


def build_cadence_sensor(
    process: Process, job, *, read_config: Optional[ConfigReader] = None, description: Optional[str] = None
) -> dg.SensorDefinition:
    """``<job_id>_sensor``: starts ``job`` every ``interval_minutes`` of ProcessConfig, saying why it skips."""
    read = read_config or (lambda store: store.get(process.job_id))

    @dg.sensor(
        name=process.sensor_name,
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=description
        or (
            f"Starts {process.job_id} every interval_minutes set in ProcessConfig (read at every tick). Skips, "
            "saying why, while the process is paused, has no sheet, is outside its operating hours, is not yet "
            "due, a run is still queued or running, or the ProcessConfig file cannot be read."
        ),
    )
    def _cadence_sensor(
        context: dg.SensorEvaluationContext, process_config: ProcessConfigResource, clock: ClockResource
    ):
        outcome = evaluate_cadence(context, process, read, process_config, clock)
        if isinstance(outcome, dg.SkipReason):
            return outcome
        config, decision = outcome
        context.log.info(decision.reason)
        return cadence_run_request(config)

    return _cadence_sensor
