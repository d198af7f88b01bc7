"""invoice_from_sheet: the three invoicing assets, tagged like every process (one run per process at a time)."""

import dagster as dg

from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET as PROCESS
from smartbind_pipelines.defs.asset_keys import sheet_key, source_key

invoice_from_sheet = dg.define_asset_job(
    PROCESS.job_id,
    selection=dg.AssetSelection.assets(source_key(PROCESS), dg.AssetKey(PROCESS.bind_asset), sheet_key(PROCESS)),
    description=(
        "Creates one Bind invoice (CFDI) per sheet row marked Facturar, exactly once, and writes the UUID, "
        f"folio and date (or the error) back on the row. Started by {PROCESS.sensor_name} when rows wait; "
        f"set dry_run under {PROCESS.write_step} to only validate and report."
    ),
    tags=PROCESS.run_tags,
)
