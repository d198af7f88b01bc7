"""The old API's JSON shapes, read from Dagster and ProcessConfig: a job, a run, a history entry, the stats.

A "job" of the old API is a ProcessConfig row (one sync process); its runs come from the Dagster instance,
its cadence from ProcessConfig and its sensor. The old words are kept: "completed"/"failed" for a run's
status, "paused"/"resumed"/"interval_changed"/"hours_changed" for a ProcessConfig change, "scheduler" for
the sensor daemon.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from smartbind_pipelines.admin_doors.instance import REPO_PATH, Dagster
from smartbind_pipelines.core.cadence import IN_FLIGHT_STATUSES
from smartbind_pipelines.core.cdmx import CDMX, now_cdmx, to_cdmx
from smartbind_pipelines.core.process_config import ProcessConfig, ProcessConfigStore, UnknownProcessError
from smartbind_pipelines.core.process_config.hours import describe as describe_hours
from smartbind_pipelines.core.run_tags import DRY_RUN_TAG

# Dagster run status -> the old history's words (completed / failed), others lower-cased.
RUN_STATUS_WORDS = {
    "SUCCESS": "completed",
    "FAILURE": "failed",
    "CANCELED": "canceled",
    "QUEUED": "queued",
    "NOT_STARTED": "starting",
    "STARTING": "starting",
    "STARTED": "running",
    "CANCELING": "canceling",
}


def _iso(timestamp: float | datetime | None) -> str | None:
    if timestamp is None:
        return None
    moment = timestamp if isinstance(timestamp, datetime) else datetime.fromtimestamp(timestamp, CDMX)
    return to_cdmx(moment).isoformat()


def run_summary(dagster: Dagster, record) -> dict[str, Any]:
    """One Dagster run record: its status in the old words and Dagster's, trigger, times, UI link."""
    run = record.dagster_run
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": RUN_STATUS_WORDS.get(run.status.value, run.status.value.lower()),
        "dagster_status": run.status.value,
        "trigger": run.tags.get("trigger") or ("sensor" if run.tags.get("dagster/sensor_name") else "manual"),
        "created_at": _iso(record.create_timestamp),
        "started_at": _iso(record.start_time),
        "ended_at": _iso(record.end_time),
        "url": dagster.link(f"/runs/{run.run_id}"),
    }


def job_shape(dagster: Dagster, config: ProcessConfig, stopped_sensors: set[str]) -> dict[str, Any]:
    """One process in the old job shape, plus what the old one never knew (status, last run)."""
    job_id = config.job_id
    sensor = f"{job_id}_sensor"
    records = dagster.runs(job_id, limit=10)
    real = [r for r in records if r.dagster_run.tags.get(DRY_RUN_TAG) != "true"]
    last = real[0] if real else None
    in_flight = dagster.in_flight(job_id)
    sensor_stopped = sensor in stopped_sensors
    if not config.is_active:
        status = "paused"
    elif not config.smartsheet_sheet_id:
        status = "no_sheet"
    elif sensor_stopped:
        status = "sensor_stopped"
    elif in_flight:
        status = RUN_STATUS_WORDS.get(in_flight[0].dagster_run.status.value, "running")
    else:
        status = "scheduled"
    next_run = None  # null = paused, as in the old API
    if status not in ("paused", "no_sheet", "sensor_stopped"):
        due = now_cdmx()
        if last is not None:
            due = max(due, to_cdmx(last.create_timestamp) + timedelta(minutes=config.interval_minutes))
        hours = config.hours
        if hours is not None and not hours.is_open(due):
            due = hours.next_opening(due)  # the sensor skips until the operating window opens
        next_run = due.isoformat()
    return {
        "id": job_id,
        "name": config.name,
        "company_id": None,
        "base_type": job_id,
        "description": config.description,
        "source": config.source_system,
        "sheet_id": config.smartsheet_sheet_id or None,
        "sheet_name": config.smartsheet_sheet_name or None,
        "status": status,
        "is_active": config.is_active,
        "paused": not config.is_active,
        "next_run": next_run,
        "interval_minutes": config.interval_minutes,
        "operating_hours": config.to_dict()["operating_hours"],
        "hours": describe_hours(config.operating_hours),
        "trigger": {
            "type": "interval",
            "interval_seconds": float(config.interval_minutes * 60),
            "interval_minutes": float(config.interval_minutes),
        },
        "pending": bool(in_flight),
        "last_run": run_summary(dagster, last) if last else {},
        "sensor": sensor,
        "sensor_stopped": sensor_stopped,
        "links": {
            "job": dagster.link(f"/locations/{REPO_PATH}/jobs/{job_id}"),
            "runs": dagster.link(f"/runs?q[]=job:{job_id}"),
            "sensor": dagster.link(f"/locations/{REPO_PATH}/sensors/{sensor}"),
        },
    }


def audit_status(entry: dict[str, Any]) -> str:
    """A ProcessConfig audit entry in the old history's words."""
    new = entry.get("new") or {}
    if not entry.get("old"):
        return "created"  # seeded, restored or declared
    if "is_active" in new:
        return "resumed" if new["is_active"] else "paused"
    if set(new) == {"interval_minutes"}:
        return "interval_changed"
    if set(new) == {"operating_hours"}:
        return "hours_changed"
    return "config_changed"


def history_entries(
    dagster: Dagster, store: ProcessConfigStore, limit: int, job_id: str | None = None
) -> list[dict[str, Any]]:
    """Runs from Dagster's run storage and ProcessConfig changes from its audit table, newest first."""
    entries: list[tuple[datetime, dict[str, Any]]] = []
    for record in dagster.runs(job_id, limit=limit):
        summary = run_summary(dagster, record)
        run = record.dagster_run
        entries.append(
            (
                to_cdmx(record.create_timestamp),
                {
                    "timestamp": summary["created_at"],
                    "job_id": run.tags.get("process") or run.job_name,
                    "job_name": run.job_name,
                    "status": summary["status"],
                    "details": {
                        key: summary[key]
                        for key in ("run_id", "dagster_status", "trigger", "started_at", "ended_at", "url")
                    },
                },
            )
        )
    job_ids = [job_id] if job_id else [config.job_id for config in store.list()]
    for one in job_ids:
        try:
            audit = store.history(one, limit)
        except UnknownProcessError:
            continue
        for entry in audit:
            entries.append(
                (
                    datetime.fromisoformat(entry["changed_at"]),
                    {
                        "timestamp": entry["changed_at"],
                        "job_id": entry["job_id"],
                        "job_name": entry["job_id"],
                        "status": audit_status(entry),
                        "details": {
                            "via": entry["via"],
                            "actor": entry["actor"],
                            "old": entry["old"],
                            "new": entry["new"],
                        },
                    },
                )
            )
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in entries[:limit]]


def stats(dagster: Dagster, configs: list[ProcessConfig]) -> dict[str, Any]:
    """The old stats: run counts from Dagster's run storage, active and paused processes, the daemon."""
    return {
        "connections": {
            "smartsheet": None,
            "bind": None,
            "note": "not probed on every request: `smartbind doctor` checks both",
        },
        "scheduler": {
            "running": dagster.daemon_running(),
            "job_count": sum(1 for config in configs if config.is_active),
            "jobs": len(configs),
            "paused": sorted(config.job_id for config in configs if not config.is_active),
        },
        "history": {
            "total": dagster.count(),
            "successful": dagster.count(("SUCCESS",)),
            "failed": dagster.count(("FAILURE",)),
            "in_flight": dagster.count(IN_FLIGHT_STATUSES),
        },
    }
