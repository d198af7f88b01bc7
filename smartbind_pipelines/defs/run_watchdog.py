"""The run-worker watchdog: a run whose worker died is failed within a minute, not after an hour.

With the DefaultRunLauncher (dagster.yaml) every run executes in a worker subprocess of the code server.
Dagster's run monitoring cannot ask that launcher whether a worker is alive (it has no
``check_run_worker_health``), so when the code server dies mid-run (container killed, OOM, host restart)
the run stays STARTED until ``max_runtime_seconds`` (an hour). All that time it holds its process's queue
slot (tag limit ``process``) and its sheet's pool slot: every later run of that process waits.

``run_worker_watchdog`` closes that gap. Every minute, for each STARTED run it reads the pid the worker
wrote into the run's log when it began ("Started process for run (pid: N).", Dagster's engine event) and
looks at /proc/N:

- no such process, or a zombie: the worker is dead;
- a process whose start time is later than that event: the pid was reused by another process (a restarted
  container counts pids from 1 again), so the worker is dead;
- otherwise the process that wrote the event is still running: the run is left alone.

A run found dead, and started more than ``GRACE_SECONDS`` ago, is marked failed with a message naming
the pid and why. That is a run failure, not a step failure, so run_retries (dagster.yaml) retries it, and
the process's next run can start.

The sensor only judges runs whose worker it can see. Sensors execute in the code server (the daemon asks
it over gRPC), which is where the DefaultRunLauncher starts the workers: the ``user_code`` container in
docker-compose, the code server of ``make dev``. So it acts only when the instance uses the
DefaultRunLauncher, /proc exists, the run was launched into a code server (Dagster's ``grpc_info`` tag: a
run of ``dagster job execute`` or ``smartbind sync --local`` runs in whichever container ran the command,
and is left to max_runtime_seconds) and, when the sensor knows its code location, the run belongs to it.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.storage.tags import GRPC_INFO_TAG

SENSOR_NAME = "run_worker_watchdog"
GRACE_SECONDS = 60  # a run younger than this is never failed, whatever /proc says
# The worker writes its pid event seconds after it started (imports, loading the code); a process that
# started later than the event plus this slack cannot be the worker. Errs on the side of "alive".
START_SLACK_SECONDS = 5
PID_EVENT = re.compile(r"Started process for run \(pid: (\d+)\)")
PROC = Path("/proc")


@dataclass(frozen=True)
class Worker:
    pid: int
    started_at: float  # epoch seconds of the worker's "Started process" event


@dataclass
class WatchdogReport:
    failed: dict[str, str] = field(default_factory=dict)  # run id -> why
    alive: dict[str, int] = field(default_factory=dict)  # run id -> pid
    skipped: dict[str, str] = field(default_factory=dict)  # run id -> why it was not judged

    def summary(self) -> str:
        parts = [f"{len(self.alive)} STARTED run(s) with a live worker"]
        if self.failed:
            parts.append("failed: " + "; ".join(f"{run_id}: {why}" for run_id, why in self.failed.items()))
        if self.skipped:
            parts.append("not judged: " + "; ".join(f"{run_id}: {why}" for run_id, why in self.skipped.items()))
        return ". ".join(parts)


def run_worker(instance: dg.DagsterInstance, run_id: str) -> Worker | None:
    """The pid and time of the run's newest "Started process for run (pid: N)" engine event."""
    found = None
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        match = PID_EVENT.search((event.message if event else None) or entry.user_message or "")
        if match:
            found = Worker(int(match.group(1)), entry.timestamp)
    return found


def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise RuntimeError("/proc/stat has no btime line")


def worker_alive(worker: Worker) -> tuple[bool, str]:
    """(alive, why) for the worker's pid, from /proc: the process must exist, not be a zombie, and have
    started no later than the event it wrote (else the pid belongs to a newer process)."""
    try:
        stat = (PROC / str(worker.pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False, f"no process with pid {worker.pid} is running"
    # Fields after the command name (which may hold spaces and parentheses): state is field 3, start time 22.
    fields = stat.rsplit(")", 1)[1].split()
    state, start_ticks = fields[0], int(fields[19])
    if state in ("Z", "X", "x"):
        return False, f"pid {worker.pid} is a dead (zombie) process"
    started = _boot_time() + start_ticks / os.sysconf("SC_CLK_TCK")
    if started > worker.started_at + START_SLACK_SECONDS:
        return False, (
            f"pid {worker.pid} now belongs to another process, started {_when(started)}, after the "
            f"run's worker reported itself at {_when(worker.started_at)}"
        )
    return True, f"pid {worker.pid} is running"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="seconds")


def why_not_here(instance: dg.DagsterInstance) -> str | None:
    """Why this process cannot see the run workers, or None when it can."""
    if not (PROC / "self").exists():
        return "no /proc on this host: run workers cannot be checked"
    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return (
            f"the instance's run launcher is {type(instance.run_launcher).__name__}, not the DefaultRunLauncher: "
            "its run workers do not run beside the code server"
        )
    return None


def check_started_runs(
    instance: dg.DagsterInstance,
    *,
    grace_seconds: float = GRACE_SECONDS,
    location_name: str | None = None,
    now: float | None = None,
) -> WatchdogReport:
    """Fail every STARTED run, launched into a code server (of ``location_name`` when given), whose worker
    is dead and which started more than ``grace_seconds`` ago. Runs with a live worker are left alone."""
    report = WatchdogReport()
    now = time.time() if now is None else now
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        if GRPC_INFO_TAG not in run.tags:
            report.skipped[run.run_id] = "not launched into a code server (its worker may be on another host)"
            continue
        origin = run.remote_job_origin
        if location_name and origin is not None and origin.location_name != location_name:
            report.skipped[run.run_id] = f"belongs to code location {origin.location_name!r}"
            continue
        worker = run_worker(instance, run.run_id)
        if worker is None:
            report.skipped[run.run_id] = "its worker has not reported a pid"
            continue
        alive, why = worker_alive(worker)
        if alive:
            report.alive[run.run_id] = worker.pid
            continue
        record = instance.get_run_record_by_id(run.run_id)
        started = record.start_time if record and record.start_time else worker.started_at
        if now - started < grace_seconds:
            report.skipped[run.run_id] = f"{why}, but it started less than {grace_seconds:g} s ago"
            continue
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != dg.DagsterRunStatus.STARTED:
            continue  # it finished meanwhile
        message = (
            f"Run worker lost: {why} (the worker reported pid {worker.pid} at {_when(worker.started_at)}). "
            f"Its code server likely restarted. Marked failed by the {SENSOR_NAME} sensor so that run "
            "retries and the process's next run can proceed."
        )
        instance.report_run_failed(current, message=message)
        report.failed[run.run_id] = why
    return report


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Fails a STARTED run whose worker process is gone (its code server died), so it stops "
        "blocking its process's queue and sheet slot an hour before max_runtime_seconds would. "
        "Runs with a live worker are never touched."
    ),
)
def run_worker_watchdog(context: dg.SensorEvaluationContext):
    reason = why_not_here(context.instance)
    if reason:
        return dg.SkipReason(f"Watchdog idle: {reason}.")
    origin = context.code_location_origin
    report = check_started_runs(
        context.instance,
        grace_seconds=GRACE_SECONDS,
        location_name=origin.location_name if origin is not None else None,
    )
    for run_id, why in report.failed.items():
        context.log.warning(f"Marked run {run_id} failed: {why}")
    return dg.SkipReason(report.summary())


defs = dg.Definitions(sensors=[run_worker_watchdog])
