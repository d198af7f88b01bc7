"""Invoicing from the sheet, seen from the Dagster UI (issue 17), in headless Chromium against `make dev`.

An operator sets Estado "Facturar" on two sandbox rows (one valid, one with Cantidad 0) through the
Smartsheet API with the real SDK; the sensor starts invoice_from_sheet. In the UI: the run (started by the
sensor) succeeded, its materializations say one row invoiced with one POST and no duplicate, one row refused
with its reason naming the column; the asset lineage goes requests -> invoices in Bind -> rows written back.
GraphQL only waits for the run and cross-checks the numbers the page shows. Screenshots under
test-artifacts/browser/ (invoicing-*.png). Reuses the fixtures of browser/conftest.py (its own stack: module scope).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET
from smartbind_pipelines_tests.invoicing.support import SdkSheet

from .dev_stack import DevStack
from .test_operator_day import (
    RUN_SECONDS,
    Screenshots,
    filter_events,
    materialization_counts,
    metadata_value,
    open_run,
    wait_for_run,
)

pytestmark = pytest.mark.slow

UI_MS = 30_000
expect.set_options(timeout=UI_MS)

RUNS_BY_TAG = """
query Runs($filter: RunsFilter!) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status tags { key value } } } }
}"""


def invoicing_runs(stack: DevStack) -> list[dict]:
    runs = stack.graphql(RUNS_BY_TAG, filter={"tags": [{"key": "process", "value": INVOICE_FROM_SHEET.job_id}]})
    return runs["runsOrError"]["results"]


def materialization_dialog(page: Page, asset: str):
    """The full message of the run's materialization of ``asset`` (the step materializes two assets)."""
    filter_events(page, "type:ASSET_MATERIALIZATION step:invoice_from_sheet_rows")
    buttons = page.get_by_role("button", name="View full message")
    expect(buttons.nth(1)).to_be_visible()
    for index in range(buttons.count()):
        buttons.nth(index).click()
        dialog = page.get_by_role("dialog").filter(has_text="Materialized value").last
        expect(dialog).to_be_visible()
        if f"Materialized value {asset}." in dialog.inner_text():
            return dialog
        dialog.get_by_role("button", name="Done").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
    raise AssertionError(f"no materialization of {asset} in the run's events")


def test_an_invoicing_run_started_by_the_sensor_shows_what_it_did_in_the_dagster_ui(
    page: Page, dev_stack: DevStack, artifacts_dir: Path
) -> None:
    shot = Screenshots(page, artifacts_dir)
    sheet = SdkSheet(dev_stack.sandbox_env)
    rows = sheet.rows()
    valid = next(row_id for row_id, cells in rows.items() if cells[C.CANTIDAD] > 0)
    invalid = next(row_id for row_id, cells in rows.items() if cells[C.CANTIDAD] == 0)
    before = {run["runId"] for run in invoicing_runs(dev_stack)}

    sheet.mark(valid, invalid)
    run = dev_stack.wait_until(
        lambda: next((r for r in invoicing_runs(dev_stack) if r["runId"] not in before), None),
        "the invoicing sensor to start a run",
        timeout=RUN_SECONDS,
    )
    run_id = run["runId"]
    assert {tag["key"]: tag["value"] for tag in run["tags"]}.get("trigger") == "sensor"
    assert wait_for_run(dev_stack, run_id) == "SUCCESS", dev_stack.log_tail()

    # The run page: succeeded, launched by the invoicing sensor.
    open_run(page, run_id, "Success")
    expect(page.get_by_text("Launched by").first).to_be_visible()  # the name itself is middle-truncated
    shot("invoicing-1-run")
    page.get_by_role("button", name="View tags and config").click()
    tags = page.get_by_role("dialog")
    expect(tags.get_by_text("invoice_from_sheet_sensor").first).to_be_visible()
    expect(tags.get_by_text("trigger").first).to_be_visible()
    shot("invoicing-1-run-tags")
    tags.get_by_role("button", name="OK").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The invoices created in Bind: one row invoiced, one POST, no duplicate.
    dialog = materialization_dialog(page, "bind_sheet_invoices")
    shot("invoicing-2-bind-invoices-metadata")
    shown = {
        label: int(metadata_value(dialog, label)) for label in ("invoiced", "posts", "failed", "duplicates_in_bind")
    }
    assert shown == {"invoiced": 1, "posts": 1, "failed": 0, "duplicates_in_bind": 0}
    recorded = materialization_counts(dev_stack, run_id, "bind_sheet_invoices")
    assert shown == {label: recorded[label] for label in shown}
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The rows written back: one refused, with its reason naming the column.
    dialog = materialization_dialog(page, "invoice_request_results")
    shown = {
        label: int(metadata_value(dialog, label))
        for label in ("refused", "skipped", "skipped_already_invoiced", "write_failures")
    }
    assert shown == {"refused": 1, "skipped": 0, "skipped_already_invoiced": 0, "write_failures": 0}
    refused_row = dialog.locator("tr").filter(has=page.locator("td", has_text=re.compile("^refused_rows$")))
    refused_row.get_by_text("[Show Markdown]").click()
    table = page.get_by_role("dialog").filter(has=page.locator("th", has_text="detalle")).last
    refused = table.locator("tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.locator("td").nth(0)).to_have_text(str(invalid))
    expect(refused.locator("td").nth(1)).to_have_text(re.compile("^Cantidad: debe ser mayor que 0"))
    shot("invoicing-3-refused-rows")
    table.get_by_role("button", name="Close").click()
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The sheet agrees with what the UI said.
    after = sheet.rows()
    assert after[valid][C.ESTADO] == C.FACTURADO and after[valid][C.UUID]
    assert after[invalid][C.ESTADO] == C.ERROR

    # Lineage: the sheet's requests -> the invoices created in Bind -> the rows written back.
    for upstream, downstream in (
        ("invoice_requests", "bind_sheet_invoices"),
        ("bind_sheet_invoices", "invoice_request_results"),
    ):
        page.goto(f"/assets/{downstream}")
        lineage = page.get_by_text("Upstream assets", exact=True).locator("xpath=..")
        expect(lineage.get_by_role("link", name=upstream)).to_be_visible()
    shot("invoicing-4-lineage")
