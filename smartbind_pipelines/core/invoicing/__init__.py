"""Invoicing from the sheet (issue 17): a row marked "Facturar" becomes exactly one CFDI in Bind.

Pure engine, no Dagster: columns and states (``columns``), settings from ProcessConfig (``settings``),
row validation (``validation``), the plan (``plan``), the ledger (``ledger``), the sheet adapter
(``sheet``) and one invoicing pass (``engine``; the invoice body in ``body``, the outcomes written back
in ``outcomes``). The process is defined in core/processes/invoicing.py;
wiring: smartbind_pipelines/defs/invoicing/.
"""

from smartbind_pipelines.core.invoicing.columns import REQUEST_MAPPING

__all__ = ["REQUEST_MAPPING"]
