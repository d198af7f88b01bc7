"""The smartbind code location: every defs module's Definitions, merged."""

import dagster as dg

from smartbind_pipelines.defs import alerts, declared, inventory, invoices, invoicing, process_config, resources
from smartbind_pipelines.defs import freshness
from smartbind_pipelines.defs import retention
from smartbind_pipelines.defs import run_watchdog

# Every job is a short chain of steps writing one sheet: nothing runs in parallel, so a process per
# step (Dagster's default multiprocess executor) would only add seconds of start-up to each run.
in_process = dg.Definitions(executor=dg.in_process_executor)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(process_config.defs, alerts.defs, resources.defs, invoices.defs,
                                inventory.defs, invoicing.defs, declared.load_defs(), freshness.load_defs(), retention.defs,
                                run_watchdog.defs, in_process)
