"""The cadence sensor every sync process gets: ProcessConfig read at every tick, the invoices' pure rules.

The due/skip decision is ``defs.invoices.cadence.decide_sync`` and the run lookup is
``defs.invoices.sensors.recent_runs``, reused as they are, so all processes skip and start for the same
reasons with the same words.
"""

# No `from __future__ import annotations`: Dagster reads the sensor's resource annotations at decoration time.

from typing import Callable, Optional

import dagster as dg

from smartbind_pipelines.core.process_config import ProcessConfig, ProcessConfigStore
from smartbind_pipelines.defs.invoices.cadence import decide_sync
from smartbind_pipelines.defs.invoices.process import SyncProcess
from smartbind_pipelines.defs.invoices.sensors import recent_runs
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import ClockResource

# How a sensor reads its process's effective row; a declared process also seeds it and applies its own
# sheet-id fallback (the store only knows the seed's two variables).
ConfigReader = Callable[[ProcessConfigStore], Optional[ProcessConfig]]


def build_sync_sensor(process: SyncProcess, job, *, read_config: Optional[ConfigReader] = None,
                      description: Optional[str] = None) -> dg.SensorDefinition:
    """``<job_id>_sensor``: starts ``job`` every ``interval_minutes`` of ProcessConfig, saying why it skips."""
    read = read_config or (lambda store: store.get(process.job_id))

    @dg.sensor(
        name=process.sensor_name,
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=description or (
            f"Starts {process.job_id} every interval_minutes set in ProcessConfig (read at every tick). Skips, "
            "saying why, while the process is paused, has no sheet, is not yet due, or a run is still queued "
            "or running."
        ),
    )
    def _sync_sensor(context: dg.SensorEvaluationContext, process_config: ProcessConfigResource,
                     clock: ClockResource):
        config = read(process_config.store())
        last, in_flight = recent_runs(context.instance, process)
        decision = decide_sync(
            process.job_id,
            found=config is not None,
            is_active=bool(config and config.is_active),
            sheet_id=config.smartsheet_sheet_id if config else "",
            interval_minutes=config.interval_minutes if config else 0,
            now=clock.now(),
            last_run=last,
            in_flight=in_flight,
        )
        if not decision.should_run:
            if config is not None and not config.is_active and not config.smartsheet_sheet_id:
                return dg.SkipReason(
                    f"{process.job_id} is paused and has no sheet yet: `smartbind sheets create {process.job_id}`, "
                    f"then `smartbind config set {process.job_id} --active`"
                )
            return dg.SkipReason(decision.reason)
        context.log.info(decision.reason)
        return dg.RunRequest(
            tags={
                "smartsheet_sheet_id": config.smartsheet_sheet_id,
                "interval_minutes": str(config.interval_minutes),
                "trigger": "sensor",
            }
        )

    return _sync_sensor
