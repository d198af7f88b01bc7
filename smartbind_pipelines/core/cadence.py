"""When the cadence sensor asks for a run (pure; no Dagster).

The cadence lives in ProcessConfig (``interval_minutes``, ``is_active``, sheet id, ``operating_hours``) and
is read at every tick, so an operator's change applies at the next tick. "Due" is measured from the
creation of the last run of the job, so a manual launch from the UI or the CLI also resets the clock.

Operating hours only gate the sensor: outside the window it skips, naming the window and when the next
one opens. Inside, the first tick is due (the last run is older than the interval) and that run catches
up what happened while the window was closed, because each run reads from its own state (the invoice
watermark; inventory is a snapshot), not from "the last N minutes". A run launched by hand is not gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.core.process_config.hours import OperatingHours

# DagsterRunStatus values of a run that has not finished: another request would only queue behind it.
IN_FLIGHT_STATUSES = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    job_name: str
    status: str  # a DagsterRunStatus value
    created_at: datetime


@dataclass(frozen=True)
class CadenceDecision:
    should_run: bool
    reason: str


def _hhmm(moment: datetime) -> str:
    return to_cdmx(moment).strftime("%Y-%m-%d %H:%M:%S")


def _weekday_hhmm(moment: datetime) -> str:
    local = to_cdmx(moment)
    return f"{local.strftime('%a')} {local.strftime('%H:%M')} ({local.strftime('%Y-%m-%d')})"


def outside_hours_reason(job_id: str, hours: OperatingHours, now: datetime) -> str | None:
    """The skip reason when ``now`` is outside ``hours``; None inside the window."""
    if hours.is_open(now):
        return None
    return (
        f"{job_id}: outside operating hours {hours.describe()} (Mexico City; now {_weekday_hhmm(now)}); "
        f"next window opens {_weekday_hhmm(hours.next_opening(now))}, and its first run catches up "
        "everything that happened meanwhile"
    )


def decide_run(
    job_id: str,
    *,
    found: bool,
    is_active: bool,
    sheet_id: str,
    interval_minutes: int,
    now: datetime,
    last_run: RunSummary | None,
    in_flight: Sequence[RunSummary],
    operating_hours: OperatingHours | None = None,
) -> CadenceDecision:
    """Whether ``job_id`` should start now, and the reason an operator reads in the tick history.

    ``operating_hours`` None means no window (day and night)."""
    if not found:
        return CadenceDecision(
            False,
            f"{job_id}: no ProcessConfig row (it was deleted, and deleted rows are not re-seeded): "
            f"`smartbind config restore {job_id}` re-creates it paused, then `smartbind config set {job_id} --active`",
        )
    if not is_active:
        return CadenceDecision(False, f"{job_id} is paused in ProcessConfig (is_active = false)")
    if not sheet_id:
        return CadenceDecision(
            False, f"{job_id} has no Smartsheet sheet id in ProcessConfig nor in its environment fallback"
        )
    if operating_hours is not None:
        outside = outside_hours_reason(job_id, operating_hours, now)
        if outside is not None:
            return CadenceDecision(False, outside)
    if in_flight:
        busy = in_flight[0]
        if busy.status == "NOT_STARTED":
            # A run that never started (e.g. launched with an empty --run-id) would block the sensor for ever.
            return CadenceDecision(
                False,
                f"{busy.job_name} run {busy.run_id} is still NOT_STARTED (created {_hhmm(busy.created_at)} Mexico "
                "City); waiting for it. If it never starts, run monitoring fails it after its start timeout; to "
                f"clear it now: `dagster run delete --force {busy.run_id}` (with this instance's DAGSTER_HOME)",
            )
        return CadenceDecision(
            False, f"{busy.job_name} run {busy.run_id[:8]} is still {busy.status}; waiting for it to finish"
        )
    if interval_minutes < 1:
        return CadenceDecision(False, f"{job_id}: interval_minutes must be at least 1, not {interval_minutes}")
    if last_run is not None:
        due_at = to_cdmx(last_run.created_at) + timedelta(minutes=interval_minutes)
        if to_cdmx(now) < due_at:
            return CadenceDecision(
                False,
                f"{job_id} not due: last run {last_run.run_id[:8]} started at {_hhmm(last_run.created_at)}, "
                f"every {interval_minutes} min, next at {_hhmm(due_at)} (Mexico City)",
            )
        window = operating_hours.current_window(now) if operating_hours is not None else None
        if window is not None and to_cdmx(last_run.created_at) < window[0]:
            return CadenceDecision(
                True,
                f"{job_id} due: first run of the operating window opened at {_weekday_hhmm(window[0])}; it catches "
                f"up everything since the last run ({_hhmm(last_run.created_at)})",
            )
        return CadenceDecision(
            True, f"{job_id} due: {interval_minutes} min since the run started at {_hhmm(last_run.created_at)}"
        )
    return CadenceDecision(True, f"{job_id}: first run")
