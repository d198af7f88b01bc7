"""The smartbind code location: every defs module's Definitions, merged."""

import dagster as dg

from smartbind_pipelines.defs import alerts, process_config
from smartbind_pipelines.defs import invoices, resources
from smartbind_pipelines.defs import declared, inventory


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(process_config.defs, alerts.defs, resources.defs, invoices.defs,
                                 inventory.defs, declared.load_defs())
