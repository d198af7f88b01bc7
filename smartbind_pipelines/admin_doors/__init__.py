"""The old middleware's admin doors, answered by Dagster (issue 18).

The old service (``../shared/notes/old-middleware-api.md`` §2.5) ran its jobs in an in-process scheduler
and served them at ``/api/admin/jobs...``. Here a "job" is a ProcessConfig row; its runs live in the Dagster
instance (``DAGSTER_HOME``), its cadence in its sensor. The old paths keep their shapes, answered so:

GET  /api/admin/jobs                       every process: status, last and next run, interval, sheet
GET  /api/admin/jobs/{job_id}/details      one process, its ProcessConfig and its last 10 history entries
POST /api/admin/jobs/{job_id}/run          launches a run into the instance's run queue (through the Dagster
                                           webserver's GraphQL API, else ``dagster job launch``), answers
                                           its run id and Dagster UI link; it waits in the run queue behind
                                           any run of the same process (one writer per sheet)
POST /api/admin/jobs/{job_id}/pause        ProcessConfig is_active = false
POST /api/admin/jobs/{job_id}/resume       ProcessConfig is_active = true
PUT  /api/admin/jobs/{job_id}/interval     ?minutes=N (1..1440): ProcessConfig interval_minutes
PUT  /api/admin/jobs/{job_id}/operating-hours  ?start_hour=8&end_hour=20 (the old door; 0..24, may cross
                                           midnight) or ?start=08:00&end=20:00, optional &days=mon-fri, or
                                           ?hours=always to remove the window: ProcessConfig operating_hours
GET  /api/admin/history                    ?limit=N (1..1000, default 50): Dagster runs and ProcessConfig
                                           changes, newest first
GET  /api/admin/stats                      run counts from Dagster's run storage, processes, daemon
GET  /admin                                HTML: where each feature of the old dashboard lives now

Every /api route needs the bearer token and answers JSON, errors included (``api.py``'s rules: 401, 404
naming the process, 422 naming the parameter, 502 naming the job when Dagster refuses a run, 503 naming
what is missing when the ProcessConfig file or the Dagster instance cannot be used). ``/admin`` holds
links only, no data, so it needs no token.

Modules: ``instance`` (the Dagster instance read, and UI links), ``launch`` (run now: the webserver's
GraphQL, else `dagster job launch`), ``shapes`` (the old JSON shapes), ``page`` (the /admin HTML),
``routes`` (the Starlette routes).
"""

from smartbind_pipelines.admin_doors.instance import Dagster, DagsterUnavailable
from smartbind_pipelines.admin_doors.launch import LaunchFailed
from smartbind_pipelines.admin_doors.routes import build_routes

__all__ = ["Dagster", "DagsterUnavailable", "LaunchFailed", "build_routes"]
