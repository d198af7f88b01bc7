"""Invoicing from the sheet (issue 17): a row marked "Facturar" becomes exactly one CFDI in Bind.

Pure engine, no Dagster: columns and states (``columns``), settings from ProcessConfig (``settings``),
row validation (``validation``), the plan (``plan``), the ledger (``ledger``), the sheet adapter
(``sheet``) and one invoicing pass (``engine``). Wiring: smartbind_pipelines/defs/invoicing/.
"""

from smartbind_pipelines.core.invoicing.columns import JOB_ID, REQUEST_MAPPING

__all__ = ["JOB_ID", "REQUEST_MAPPING"]
