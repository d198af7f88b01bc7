"""invoice_from_sheet: the three invoicing assets, tagged like every process (one run per process at a time)."""

import dagster as dg

from .process import INVOICES_KEY, JOB_ID, REQUESTS_KEY, RESULTS_KEY, RUN_TAGS, SENSOR_NAME, WRITE_STEP

invoice_from_sheet = dg.define_asset_job(
    JOB_ID,
    selection=dg.AssetSelection.assets(REQUESTS_KEY, INVOICES_KEY, RESULTS_KEY),
    description=("Creates one Bind invoice (CFDI) per sheet row marked Facturar, exactly once, and writes the UUID, "
                 f"folio and date (or the error) back on the row. Started by {SENSOR_NAME} when rows wait; "
                 f"set dry_run under {WRITE_STEP} to only validate and report."),
    tags=RUN_TAGS,
)
