"""The invoices process (core/processes/invoices.py) as the Dagster side sees it, and its reconcile job."""

from __future__ import annotations

from smartbind_pipelines.core.processes import INVOICES as PROCESS
from smartbind_pipelines.defs.sync.process import SyncProcess

INVOICES = SyncProcess(PROCESS)

RECONCILE_INVOICES_JOB = PROCESS.reconcile_job
