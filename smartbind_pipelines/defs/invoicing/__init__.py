"""Invoicing from the sheet (issue 17): rows marked Facturar become one Bind invoice each, exactly once."""

import dagster as dg

from .assets import invoice_from_sheet_rows, invoice_requests
from .jobs import invoice_from_sheet
from .sensors import invoice_from_sheet_sensor

defs = dg.Definitions(
    assets=[invoice_requests, invoice_from_sheet_rows],
    jobs=[invoice_from_sheet],
    sensors=[invoice_from_sheet_sensor],
)
