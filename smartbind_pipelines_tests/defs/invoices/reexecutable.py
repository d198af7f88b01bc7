"""sync_invoices as a reconstructable job, for tests that re-execute a run as Dagit's "Re-execute" does.

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
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, ClockResource, SmartsheetResource

PREFIX = "SMARTBIND_TEST_REEXEC_"
NAMES = ("BIND_URL", "BIND_TOKEN", "SMARTSHEET_URL", "SMARTSHEET_TOKEN", "DB_PATH", "NOW")


def aim(monkeypatch, sync, now: datetime) -> None:
    """Point the next run at ``sync``'s emulators and ProcessConfig file, with the clock frozen at ``now``."""
    values = (
        sync.bind.url,
        sync.bind.token,
        sync.smartsheet.url,
        sync.smartsheet.token,
        sync.process_config.db_path,
        to_cdmx(now).isoformat(),
    )
    for name, value in zip(NAMES, values):
        monkeypatch.setenv(PREFIX + name, value)


def sync_invoices_job() -> dg.JobDefinition:
    def env(name: str) -> dg.EnvVar:
        return dg.EnvVar(PREFIX + name)

    resources = {
        "bind": BindResource(
            api_key=env("BIND_TOKEN"),
            base_url=env("BIND_URL"),
            max_attempts=6,
            backoff_base_seconds=0.001,
            backoff_max_seconds=0.01,
        ),
        "smartsheet": SmartsheetResource(
            access_token=env("SMARTSHEET_TOKEN"), api_base=env("SMARTSHEET_URL"), fixed_retry_delay_seconds=0.01
        ),
        "process_config": ProcessConfigResource(db_path=env("DB_PATH")),
        "clock": ClockResource(frozen_at=env("NOW")),
    }
    definitions = dg.Definitions.merge(
        invoices.defs, dg.Definitions(resources=resources, executor=dg.in_process_executor)
    )
    return definitions.resolve_job_def("sync_invoices")
