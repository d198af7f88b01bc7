"""sync_clients as a reconstructable job, for tests that re-execute a run as Dagit's "Re-execute" does.

The resources come from environment variables (``support.env_resources``) that ``support.aim_runs`` sets;
the declared process's own Definitions supply everything else (the stored-read I/O manager included).
"""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines.defs.declared import build_all
from smartbind_pipelines_tests.defs.support import env_resources

CLIENTS = get_process("sync_clients", {}).declaration


def sync_clients_job() -> dg.JobDefinition:
    definitions = dg.Definitions.merge(
        build_all([CLIENTS]), dg.Definitions(resources=env_resources(), executor=dg.in_process_executor)
    )
    return definitions.resolve_job_def(CLIENTS.job_id)
