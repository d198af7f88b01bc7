"""sync_invoices_sensor (``build_invoices_sensor``): the shared cadence rules (defs/pull/sensor.py), then a look
at Bind before a run.

When the cadence says a run is due, the sensor reads the followed set (core/invoices/followed.py) with the
filter the last regular run recorded, and compares each member's signature with what that run read. A run is requested
only when something changed (or when there is nothing to compare with: first run, a state from before
change detection, refused rows to retry). A quiet interval costs ``ceil(followed / 100)`` Bind requests,
no Smartsheet request and no run; the skip reason says what was looked at. The sensor then records an
observation on ``smartsheet_invoices`` (``dagster/last_updated_timestamp``: the sheet was confirmed in step
with Bind), so the sheet's freshness check stays green through quiet hours.

The last quiet look at Bind is kept in the sensor's cursor (a requested run resets the cadence itself), so
Bind is asked once per interval, not every tick.
"""

# No `from __future__ import annotations`: Dagster reads the sensor's resource annotations at decoration time.

import json
import time
from datetime import datetime, timedelta

import dagster as dg

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoices.followed import compare
from smartbind_pipelines.core.processes import Process
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.pull.report import request_metadata
from smartbind_pipelines.defs.pull.sensor import cadence_run_request, evaluate_cadence
from smartbind_pipelines.defs.resources import BindResource, ClockResource

from .sync_state import load_sync_state, state_store


def _hhmm(moment: datetime) -> str:
    return to_cdmx(moment).strftime("%Y-%m-%d %H:%M:%S")


def _last_look(cursor: str | None) -> datetime | None:
    try:
        return parse_bind_datetime(json.loads(cursor)["looked_at"]) if cursor else None
    except (ValueError, KeyError, TypeError):
        return None


def build_invoices_sensor(process: Process, job) -> dg.SensorDefinition:
    """``sync_invoices_sensor``: the cadence, then a look at the followed set before asking for a run."""

    @dg.sensor(
        name=process.sensor_name,
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Every interval_minutes set in ProcessConfig (read at every tick) looks at Bind's invoices that can "
            f"still change (new, open, drafts) and starts {process.job_id} only when one changed. Skips, saying "
            "what it looked at, when nothing changed; and while the process is paused, outside its operating "
            "hours, not yet due, or a run is still queued or running."
        ),
    )
    def sync_invoices_sensor(
        context: dg.SensorEvaluationContext,
        process_config: ProcessConfigResource,
        clock: ClockResource,
        bind: BindResource,
    ):
        return _look(context, process, process_config, clock, bind)

    return sync_invoices_sensor


def _look(
    context: dg.SensorEvaluationContext,
    process: Process,
    process_config: ProcessConfigResource,
    clock: ClockResource,
    bind: BindResource,
):
    outcome = evaluate_cadence(context, process, lambda store: store.get(process.job_id), process_config, clock)
    if isinstance(outcome, dg.SkipReason):
        return outcome
    config, decision = outcome
    now = clock.now()
    interval = timedelta(minutes=config.interval_minutes)
    looked = _last_look(context.cursor)
    if looked is not None and to_cdmx(now) < to_cdmx(looked) + interval:
        return dg.SkipReason(
            f"{process.job_id} not due: Bind last looked at {_hhmm(looked)} (nothing had changed), every "
            f"{config.interval_minutes} min, next look at {_hhmm(looked + interval)} (Mexico City)"
        )

    state, _ = load_sync_state(context.instance, state_store(process_config), process.job_id, sheet_key(process))
    cursor = json.dumps({"looked_at": to_cdmx(now).isoformat()})
    if state.followed is None:
        context.log.info(
            "%s; nothing to compare Bind with yet (no regular run recorded its followed set)", decision.reason
        )
        return cadence_run_request(config, change="no followed set yet")
    if state.refused_ids:
        context.log.info("%s; %d refused invoice(s) to retry", decision.reason, len(state.refused_ids))
        return cadence_run_request(config, change="refused rows to retry")

    followed = state.followed
    started = time.monotonic()
    client = bind.client()
    try:
        rows = client.get_all("Invoices", {"$filter": followed.filter, "$orderby": "Date asc"})
    except BindApiError as exc:
        # The run would meet the same error: it runs, fails, and the failure is where operators look for it.
        context.log.warning("looking at Bind failed (%s); requesting the run so the failure is recorded", exc)
        return cadence_run_request(config, change="Bind could not be checked")
    finally:
        client.close()
    requests = request_metadata("bind", client.request_counts)["bind_requests"]
    difference = compare(followed, rows)
    since = _hhmm(followed.read_at)
    looked_at = (
        f"{len(rows)} invoices followed (dated from {_hhmm(followed.recent_since)}, open since "
        f"{to_cdmx(followed.open_since).date().isoformat()}, drafts); {requests} Bind request(s)"
    )
    if not difference.quiet:
        reason = f"Bind changed since the run that read it at {since}: {difference.describe()}; {looked_at}"
        context.log.info(reason)
        return cadence_run_request(config, change=difference.describe()[:200])
    observation = dg.AssetObservation(
        asset_key=sheet_key(process),
        description="Bind unchanged since the last write: the sheet is up to date",
        metadata={
            "dagster/last_updated_timestamp": dg.MetadataValue.timestamp(now.timestamp()),
            "followed_set": len(rows),
            "bind_requests": requests,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return dg.SensorResult(
        skip_reason=f"Bind: nothing changed since {since}: {looked_at}; no run",
        cursor=cursor,
        asset_events=[observation],
    )
