"""Run config for `smartbind sync invoice_from_sheet [--dry-run]` (commands/sync.py LAUNCHABLE)."""

from __future__ import annotations


def invoicing_run_config(*, window_start=None, window_end=None, dry_run: bool = False) -> dict:
    if window_start or window_end:
        raise ValueError("invoice_from_sheet has no date window: it invoices the rows marked Facturar")
    return {"ops": {"invoice_from_sheet_rows": {"config": {"dry_run": bool(dry_run)}}}}
