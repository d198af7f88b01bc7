"""invoice_from_sheet's names (core/processes/invoicing.py) as its assets, job and sensor use them."""

from __future__ import annotations

import os
from typing import Mapping

import dagster as dg

from smartbind_pipelines.core.process_config import ProcessConfig, ProcessConfigStore
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET

JOB_ID = INVOICE_FROM_SHEET.job_id
GROUP = INVOICE_FROM_SHEET.group
OWNER = INVOICE_FROM_SHEET.owner
REQUESTS_ASSET = INVOICE_FROM_SHEET.source_asset  # the sheet's rows marked "Facturar"
INVOICES_ASSET = INVOICE_FROM_SHEET.bind_asset  # the invoices created in Bind
RESULTS_ASSET = INVOICE_FROM_SHEET.sheet_asset  # the rows written back
WRITE_STEP = INVOICE_FROM_SHEET.write_step  # the step that creates the invoices and writes the rows back
SENSOR_NAME = INVOICE_FROM_SHEET.sensor_name
POOL = INVOICE_FROM_SHEET.pool  # one slot (dagster.yaml pools.default_limit): one writer of the sheet
RUN_TAGS = INVOICE_FROM_SHEET.run_tags
REQUESTS_KEY, INVOICES_KEY, RESULTS_KEY = (dg.AssetKey(name) for name in (REQUESTS_ASSET, INVOICES_ASSET, RESULTS_ASSET))


def effective_config(store: ProcessConfigStore, env: Mapping[str, str] | None = None) -> ProcessConfig | None:
    """The process's row, seeded once if never seeded (a deleted row stays deleted), with the sheet-id fallback."""
    return INVOICE_FROM_SHEET.effective_config(store, os.environ if env is None else env)
