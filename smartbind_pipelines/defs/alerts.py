"""Run-failure alerts: every failed run is recorded, announced on a webhook where one is configured, and
called out loudly when one process keeps failing.

The sensor evaluates in the user-code server (it holds the data volume and the secrets); the pieces it
wires live in smartbind_pipelines/core/failure_alerts.py.
"""

# No `from __future__ import annotations`: Dagster reads the sensor's resource annotation at decoration time.

import logging
import os
from datetime import datetime
from typing import Mapping, Optional

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.cdmx import CDMX, now_cdmx
from smartbind_pipelines.core.failure_alerts import (
    ALERT_AFTER_ENV,
    ALERTS_DB_NAME,
    DEFAULT_ALERT_AFTER_FAILURES,
    AlertDeliveryError,
    FailureLog,
    RunFailure,
    alert_message,
    consecutive_failures,
    failure_log_path,
    is_repeated,
    parse_alert_after_failures,
    post_alert,
    run_url,
    short_error,
)
from smartbind_pipelines.core.process_config import default_db_path

logger = logging.getLogger(__name__)

RESOURCE_KEY = "failure_alerts"
WEBHOOK_ENV = "SMARTBIND_ALERT_WEBHOOK_URL"
DAGSTER_URL_ENV = "SMARTBIND_DAGSTER_URL"
# Run tags the sensor adds to a failed run, so the streak shows in the Dagster UI (not only in the daemon log).
CONSECUTIVE_FAILURES_TAG = "smartbind/consecutive_failures"
ALERT_TAG = "smartbind/alert"
# Enough history to see a streak well past the threshold without reading every run ever made.
HISTORY_LIMIT = 50


class FailureAlertsResource(dg.ConfigurableResource):
    """Where failed runs are recorded and announced."""

    log_path: str = Field(
        description=f"SQLite file recording every failed run ({ALERTS_DB_NAME} next to ProcessConfig)."
    )
    webhook_url: Optional[str] = Field(
        default=None, repr=False, description=f"Alert webhook; set it with {WEBHOOK_ENV}. Empty: record and log only."
    )
    dagster_url: Optional[str] = Field(
        default=None, description=f"Dagster UI address for run links ({DAGSTER_URL_ENV})."
    )
    alert_after_failures: int = Field(
        default=DEFAULT_ALERT_AFTER_FAILURES,
        ge=1,
        description="Consecutive failures of one process that raise the alarm.",
    )


def failure_alerts_resource_from_env(env: Mapping[str, str] = os.environ) -> FailureAlertsResource:
    # The webhook URL is a credential: as an EnvVar the UI shows only the variable's name.
    webhook = dg.EnvVar(WEBHOOK_ENV) if env.get(WEBHOOK_ENV) else None
    threshold, problem = parse_alert_after_failures(env.get(ALERT_AFTER_ENV))
    if problem:
        # A typo here must not take the whole code location down: warn, use the default (the doctor says so too).
        logger.warning("%s", problem)
    return FailureAlertsResource(
        log_path=str(failure_log_path(default_db_path(env))),
        webhook_url=webhook,
        dagster_url=env.get(DAGSTER_URL_ENV) or None,
        alert_after_failures=threshold,
    )


def _consecutive_failures(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int:
    """Failed runs of this job in a row, counted back from `run` through the finished runs before it."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=run.job_name, statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]),
        limit=HISTORY_LIMIT,
    )
    run_ids = [record.dagster_run.run_id for record in records]
    statuses = [record.dagster_run.status.value for record in records]
    # Runs that finished after this one do not count; if storage has not listed this run yet, it is first.
    statuses = statuses[run_ids.index(run.run_id) :] if run.run_id in run_ids else ["FAILURE", *statuses]
    return max(1, consecutive_failures(statuses))


def _error_of(context: dg.RunFailureSensorContext) -> str:
    """The failing step and its own exception; the run-level message only says which steps failed."""
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        if error is None:
            continue
        # Dagster wraps user code errors ("Error occurred while executing op ..."); the cause is the news.
        while error.cause is not None and (error.cls_name or "").startswith("DagsterExecution"):
            error = error.cause
        # "dagster._core.definitions.events.Failure: ..." reads better as "Failure: ...".
        head, sep, rest = error.message.partition(": ")
        message = f"{head.rsplit('.', 1)[-1]}{sep}{rest}" if sep and " " not in head else error.message
        return f"{event.step_key}: {message}"
    return context.failure_event.message or ""


def _failed_at(instance: dg.DagsterInstance, run_id: str) -> datetime:
    record = instance.get_run_record_by_id(run_id)
    if record is not None and record.end_time:
        return datetime.fromtimestamp(record.end_time, CDMX)
    return now_cdmx()


def _tag_failed_run(context: dg.RunFailureSensorContext, failure: RunFailure, repeated: bool) -> None:
    """Puts the streak on the failed run itself, where the UI shows it: the Runs list and the run page show
    the tags, and Runs → filter "tag:smartbind/alert" lists every run that raised the alarm."""
    tags = {CONSECUTIVE_FAILURES_TAG: str(failure.consecutive)}
    if repeated:
        tags[ALERT_TAG] = f"{failure.process} failed {failure.consecutive} times in a row"
    try:
        context.instance.add_run_tags(failure.run_id, tags)
    except Exception as exc:  # the record and the webhook matter more than the tag
        context.log.warning(f"could not tag run {failure.run_id}: {type(exc).__name__}: {exc}")


@dg.run_failure_sensor(
    name="run_failure_alerts",
    description=(
        "Records every failed run, posts it to the alert webhook (SMARTBIND_ALERT_WEBHOOK_URL) and flags a "
        "process that failed several times in a row."
    ),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def run_failure_alerts(context: dg.RunFailureSensorContext, failure_alerts: FailureAlertsResource) -> None:
    run = context.dagster_run
    failure = RunFailure(
        process=run.job_name,
        run_id=run.run_id,
        error=short_error(_error_of(context)),
        failed_at=_failed_at(context.instance, run.run_id),
        consecutive=_consecutive_failures(context.instance, run),
    )
    repeated = is_repeated(failure, failure_alerts.alert_after_failures)
    link = run_url(failure_alerts.dagster_url, run.run_id)

    alert_status = "not_configured"
    if failure_alerts.webhook_url:
        message = alert_message(failure, link=link, alert_after_failures=failure_alerts.alert_after_failures)
        try:
            post_alert(failure_alerts.webhook_url, message)
            alert_status = "sent"
        except AlertDeliveryError as exc:
            # Never raise: the failure is still recorded, and a retrying sensor would re-post every tick.
            alert_status = f"failed: {exc}"
            context.log.error(f"Alert for run {run.run_id} of {failure.process} not delivered: {exc}")
    FailureLog(failure_alerts.log_path).record(failure, repeated=repeated, alert_status=alert_status)

    _tag_failed_run(context, failure, repeated)

    summary = f"{failure.process} run {run.run_id} failed: {failure.error}" + (f" ({link})" if link else "")
    if repeated:
        context.log.error(f"{failure.process} has failed {failure.consecutive} times in a row. {summary}")
    else:
        context.log.warning(summary)


failure_alerts_resource = failure_alerts_resource_from_env()

defs = dg.Definitions(sensors=[run_failure_alerts], resources={RESOURCE_KEY: failure_alerts_resource})
