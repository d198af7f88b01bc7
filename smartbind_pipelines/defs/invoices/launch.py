"""The run config that starts an invoice run from outside the UI (``smartbind sync``)."""

from __future__ import annotations

from typing import Any

from smartbind_pipelines.core.processes import INVOICES



def invoice_run_config(
    *, window_start: str | None = None, window_end: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Run config for sync_invoices or reconcile_invoices: an optional backfill range and dry_run."""
    window = {name: value for name, value in (("window_start", window_start), ("window_end", window_end)) if value}
    run_config: dict[str, Any] = {"ops": {INVOICES.sheet_asset: {"config": {"dry_run": dry_run}}}}
    if window:
        run_config["ops"][INVOICES.source_asset] = {"config": window}
    return run_config
