"""The smartbind code location: the shared defs modules' Definitions and every process's, merged.

The processes come from the registry (core/processes): each process defined in Python names the defs module
that builds it (``Process.defs_module``), and defs/declared builds every declared one. Adding a Python-defined
process is its defs module plus its registry entry (core/processes/builtin.py); nothing here changes.
"""

import importlib

import dagster as dg

from smartbind_pipelines.core.processes import builtin
from smartbind_pipelines.defs import alerts, declared, freshness, process_config, resources, retention, run_watchdog

# Every job is a short chain of steps writing one sheet: nothing runs in parallel, so a process per
# step (Dagster's default multiprocess executor) would only add seconds of start-up to each run.
in_process = dg.Definitions(executor=dg.in_process_executor)


def process_defs() -> list[dg.Definitions]:
    """Each built-in process's Definitions (the ``defs`` of the module it names), then the declared ones."""
    return [*(importlib.import_module(process.defs_module).defs for process in builtin.BUILT_IN), declared.load_defs()]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        process_config.defs,
        alerts.defs,
        resources.defs,
        *process_defs(),
        freshness.load_defs(),
        retention.defs,
        run_watchdog.defs,
        in_process,
    )
