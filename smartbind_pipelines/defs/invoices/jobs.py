"""sync_invoices (the regular sync and backfills) and reconcile_invoices (the nightly re-read)."""

from __future__ import annotations

import dagster as dg

from .config import RECONCILE_DAYS_DEFAULT
from .process import INVOICES, RECONCILE_INVOICES_JOB

# The two assets; a job over assets also runs their checks.
invoice_assets = dg.AssetSelection.assets(INVOICES.source_key, INVOICES.sheet_key)

sync_invoices = dg.define_asset_job(
    INVOICES.job_id,
    selection=invoice_assets,
    description=(
        "Reads Bind invoices since the last successful sync (minus a 10-minute overlap) and upserts them "
        "by UUID into the invoices sheet. Started by sync_invoices_sensor every interval_minutes; to "
        "backfill a date range, launch it with window_start / window_end under bind_invoices."
    ),
    tags=INVOICES.run_tags,
)

reconcile_invoices = dg.define_asset_job(
    RECONCILE_INVOICES_JOB,
    selection=invoice_assets,
    description=(
        f"Re-reads the last {RECONCILE_DAYS_DEFAULT} days of Bind invoices (change reconcile_days in the "
        "launchpad) and applies late status and amount changes: payments and cancellations do not change "
        "an invoice's date, so the regular window never sees them. Never moves the watermark."
    ),
    # Same "process" tag as sync_invoices: the run queue never lets the two write the sheet at once.
    tags=INVOICES.run_tags,
    config={"ops": {INVOICES.source_asset: {"config": {"reconcile_days": RECONCILE_DAYS_DEFAULT}}}},
)
