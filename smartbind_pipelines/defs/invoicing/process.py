"""The invoicing process's names and its ProcessConfig row (push: Smartsheet -> Bind, inactive by default)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Mapping

import dagster as dg

from smartbind_pipelines.core.invoicing.columns import JOB_ID
from smartbind_pipelines.core.invoicing.defaults import process_defaults  # noqa: F401 - re-exported
from smartbind_pipelines.core.process_config import ProcessConfig, ProcessConfigStore
from smartbind_pipelines.core.process_config.defaults import fallback_sheet_id

GROUP = "invoicing"
OWNER = "team:operaciones"
REQUESTS_ASSET = "invoice_requests"  # the sheet's rows marked "Facturar"
INVOICES_ASSET = "bind_sheet_invoices"  # the invoices created in Bind
RESULTS_ASSET = "invoice_request_results"  # the rows written back
SENSOR_NAME = f"{JOB_ID}_sensor"
POOL = f"smartsheet_{JOB_ID}"  # one slot (dagster.yaml pools.default_limit): one writer of the sheet
RUN_TAGS = {"process": JOB_ID, "owner": OWNER}
REQUESTS_KEY, INVOICES_KEY, RESULTS_KEY = (dg.AssetKey(name) for name in (REQUESTS_ASSET, INVOICES_ASSET, RESULTS_ASSET))


def effective_config(store: ProcessConfigStore, env: Mapping[str, str] | None = None) -> ProcessConfig | None:
    """The process's row, seeded once if never seeded (a deleted row stays deleted), with the sheet-id fallback."""
    env = os.environ if env is None else env
    config = store.get(JOB_ID)
    if config is None:
        config = store.ensure_process(process_defaults(env))
    if config is not None and not config.smartsheet_sheet_id:
        fallback = fallback_sheet_id(JOB_ID, env)
        if fallback:
            config = replace(config, smartsheet_sheet_id=fallback)
    return config
