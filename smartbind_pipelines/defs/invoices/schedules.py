"""reconcile_invoices_nightly: 02:00 Mexico City, when nobody is issuing invoices."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import dagster as dg

from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.process_config import ProcessConfigResource

from .jobs import reconcile_invoices


@dg.schedule(
    name="reconcile_invoices_nightly",
    job=reconcile_invoices,
    cron_schedule="0 2 * * *",
    execution_timezone="America/Mexico_City",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Mexico City: re-read the last 35 days of invoices (skipped while paused).",
)
def reconcile_invoices_nightly(context: dg.ScheduleEvaluationContext, process_config: ProcessConfigResource):
    config = process_config.store().get(INVOICES.job_id)
    if config is None or not config.is_active:
        return dg.SkipReason(f"{INVOICES.job_id} is paused in ProcessConfig (is_active = false)")
    return dg.RunRequest(
        run_key=context.scheduled_execution_time.isoformat(),
        tags={"smartsheet_sheet_id": config.smartsheet_sheet_id, "trigger": "nightly-reconcile"},
    )
