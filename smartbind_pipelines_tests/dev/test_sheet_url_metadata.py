"""The sheet asset's metadata links the sheet (issue 18): Smartsheet's permalink, as GET /sheets/{id} answers it
(the plain emulator answers an app.smartsheet.com link; the sandbox's, its own HTML page)."""

from __future__ import annotations

import dagster as dg

from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync, failure_text

MONTH_HOURS = 31 * 24


def test_smartsheet_invoices_metadata_carries_the_sheet_permalink(
    bind_emulator, smartsheet_emulator, process_config, instance
):
    sync = InvoiceSync(bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    result = sync.run(lookback_hours=MONTH_HOURS)
    assert result.success, failure_text(result)
    [materialization] = result.asset_materializations_for_node("smartsheet_invoices")
    link = materialization.metadata["sheet_url"]
    assert isinstance(link, dg.UrlMetadataValue)  # the UI shows it as a link
    assert link.url == smartsheet_emulator.state.sheet(sync.sheet_id).permalink
