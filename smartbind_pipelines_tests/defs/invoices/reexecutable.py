"""sync_invoices as a reconstructable job, for tests that re-execute a run as the Dagster UI's "Re-execute" does.

``dg.execute_job`` with ``ReexecutionOptions`` needs a job Dagster can rebuild from a module-level
function, and Dagster caches what that function returns. So the resources read the emulators' addresses,
the ProcessConfig file and the frozen clock from environment variables (``dg.EnvVar``, resolved when each
run starts), which ``aim`` sets before every run.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from smartbind_pipelines.core.cdmx import to_cdmx
from smartbind_pipelines.defs import invoices
from smartbind_pipelines.defs.resources import ClockResource
from smartbind_pipelines_tests.defs.support import RUN_ENV_PREFIX, aim_runs, env_resources

CLOCK_ENV = RUN_ENV_PREFIX + "NOW"


def aim(monkeypatch, sync, now: datetime) -> None:
    """Point the next run at ``sync``'s emulators and ProcessConfig file, with the clock frozen at ``now``."""
    aim_runs(monkeypatch, sync.bind, sync.smartsheet, sync.process_config)
    monkeypatch.setenv(CLOCK_ENV, to_cdmx(now).isoformat())


def sync_invoices_job() -> dg.JobDefinition:
    resources = {**env_resources(), "clock": ClockResource(frozen_at=dg.EnvVar(CLOCK_ENV))}
    definitions = dg.Definitions.merge(
        invoices.defs, dg.Definitions(resources=resources, executor=dg.in_process_executor)
    )
    return definitions.resolve_job_def("sync_invoices")
