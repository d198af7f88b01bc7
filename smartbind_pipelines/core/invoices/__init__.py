"""The invoice pull process's pure rules: Bind invoices -> sheet rows (mapping.py), the window a run reads
(window.py), the drafts it follows (drafts.py), the set of invoices that can still change (followed.py)
and the sync state a run leaves (state.py). No Dagster; defs/invoices wires them."""

from .mapping import (
    DEFAULT_STATUS_LABELS,
    INVOICE_MAPPING,
    SHEET_COLUMNS,
    UNKNOWN_STATUS,
    SkipInvoice,
    invoice_batch,
    parse_invoice_date,
)

__all__ = [
    "DEFAULT_STATUS_LABELS",
    "INVOICE_MAPPING",
    "SHEET_COLUMNS",
    "UNKNOWN_STATUS",
    "SkipInvoice",
    "invoice_batch",
    "parse_invoice_date",
]
