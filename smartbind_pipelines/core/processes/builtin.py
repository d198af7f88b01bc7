"""The processes defined in Python (one module each); their job ids cannot be taken by a declaration."""

from __future__ import annotations

from smartbind_pipelines.core.processes.inventory import INVENTORY
from smartbind_pipelines.core.processes.invoices import INVOICES
from smartbind_pipelines.core.processes.invoicing import INVOICE_FROM_SHEET

BUILT_IN = (INVOICES, INVENTORY, INVOICE_FROM_SHEET)
RESERVED_JOB_IDS = tuple(process.job_id for process in BUILT_IN)
