"""reconcile_invoices (the nightly re-read); sync_invoices, the regular sync and backfills, is the shared
builder's job (defs/invoices/__init__.py)."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.asset_keys import sheet_key, source_key

from .config import RECONCILE_DAYS_DEFAULT

reconcile_invoices = dg.define_asset_job(
    INVOICES.reconcile_job,
    selection=dg.AssetSelection.assets(source_key(INVOICES), sheet_key(INVOICES)),  # also runs their checks
    description=(
        f"Re-reads the last {RECONCILE_DAYS_DEFAULT} days of Bind invoices (change reconcile_days in the "
        "launchpad) and applies late status and amount changes: payments and cancellations do not change "
        "an invoice's date, so the regular window never sees them. Never moves the watermark."
    ),
    # Same "process" tag as sync_invoices: the run queue never lets the two write the sheet at once.
    tags=INVOICES.run_tags,
    config={"ops": {INVOICES.source_asset: {"config": {"reconcile_days": RECONCILE_DAYS_DEFAULT}}}},
)
