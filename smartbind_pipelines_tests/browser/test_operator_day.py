"""The operator's day, driven through the Dagster UI in headless Chromium against `make dev` (issue 8).

One test, because its steps share one stack and build on each other, and pytest-xdist would otherwise
be free to hand them to different workers. Each step saves screenshots named after it under
test-artifacts/browser/ (see docs/browser-tests.md) and asserts on what the operator sees; GraphQL
only waits for runs and ticks, and cross-checks the numbers the page shows.

The sensor pause (step 3) and the interval change (step 4) overlap on purpose: the paused sensor must
stay quiet for more than its 30 s interval anyway, so the update_process_config run happens inside that
wait, and the first tick after the restart is the one that must honour the new interval.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from smartbind_pipelines.core.process_config import ProcessConfigStore

from .dev_stack import LOCATION, REPOSITORY, DevStack

pytestmark = pytest.mark.slow

SENSOR = "sync_invoices_sensor"
SENSOR_INTERVAL_SECONDS = 30  # minimum_interval_seconds of sync_invoices_sensor
QUIET_SECONDS = SENSOR_INTERVAL_SECONDS + 5
# A run worker imports Dagster and our code in fresh processes: seconds normally, a minute on a busy box.
RUN_SECONDS = 240
TICK_SECONDS = 90
UI_MS = 30_000
BIND_DENIAL = "Authorization has been denied for this request."

expect.set_options(timeout=UI_MS)

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      status
      assetMaterializations {
        assetKey { path }
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}"""

TICKS_QUERY = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status ticks(limit: 20) { id status timestamp skipReason } } }
  }
}"""

JOBS_QUERY = """
query Jobs($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) { __typename ... on Repository { jobs { name } } }
}"""

ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName } }"

RUNS_QUERY = """
query Runs($filter: RunsFilter!) { runsOrError(filter: $filter) { ... on Runs { results { runId } } } }"""

IN_FLIGHT = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


# --- GraphQL: waiting and cross-checking -------------------------------------------------------------


def run_status(stack: DevStack, run_id: str) -> str:
    return stack.graphql(RUN_QUERY, runId=run_id)["runOrError"]["status"]


def wait_for_run(stack: DevStack, run_id: str) -> str:
    return stack.wait_until(
        lambda: (s := run_status(stack, run_id)) in TERMINAL and s, f"run {run_id} to finish", timeout=RUN_SECONDS
    )


def materialization_counts(stack: DevStack, run_id: str, asset: str) -> dict[str, int]:
    run = stack.graphql(RUN_QUERY, runId=run_id)["runOrError"]
    [event] = [m for m in run["assetMaterializations"] if m["assetKey"]["path"] == [asset]]
    return {e["label"]: e["intValue"] for e in event["metadataEntries"] if "intValue" in e}


def runs_in_flight(stack: DevStack, job: str) -> list[str]:
    runs = stack.graphql(RUNS_QUERY, filter={"pipelineName": job, "statuses": IN_FLIGHT})
    return [run["runId"] for run in runs["runsOrError"]["results"]]


def sensor_state(stack: DevStack) -> dict:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": SENSOR}
    return stack.graphql(TICKS_QUERY, selector=selector)["sensorOrError"]["sensorState"]


def finished_ticks(stack: DevStack) -> list[dict]:
    return [tick for tick in sensor_state(stack)["ticks"] if tick["status"] != "STARTED"]


def asset_groups(stack: DevStack) -> dict[str, str]:
    nodes = stack.graphql(ASSETS_QUERY)["assetNodes"]
    return {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}


def job_names(stack: DevStack) -> set[str]:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    return {job["name"] for job in stack.graphql(JOBS_QUERY, selector=selector)["repositoryOrError"]["jobs"]}


# --- UI helpers ----------------------------------------------------------------------------------------


class Screenshots:
    def __init__(self, page: Page, folder: Path):
        self.page, self.folder = page, folder

    def __call__(self, name: str) -> None:
        # Finished animations: a dialog caught mid-fade is half transparent.
        self.page.screenshot(path=self.folder / f"{name}.png", animations="disabled")


def launch_from_toast(page: Page) -> str:
    """After "Materialize all": the "Launched run …" toast's View link names the run."""
    toast = page.get_by_role("listitem").filter(has_text=re.compile(r"Launched run [0-9a-f]{8}"))
    href = toast.get_by_role("link", name="View").get_attribute("href")
    return re.fullmatch(r"/runs/([0-9a-f-]{36})", href).group(1)


def open_run(page: Page, run_id: str, status: str) -> None:
    page.goto(f"/runs/{run_id}")
    expect(page.get_by_role("link", name="Runs").first).to_be_visible()
    expect(page.get_by_text(status, exact=True).first).to_be_visible()


def filter_events(page: Page, query: str) -> None:
    page.get_by_placeholder("Filter").fill(query)


def metadata_value(container: Locator, label: str) -> str:
    row = container.locator("tr").filter(has=container.page.locator("td", has_text=re.compile(f"^{label}$")))
    return row.locator("td").nth(1).inner_text().strip()


def sensor_switch(page: Page) -> tuple[Locator, Locator]:
    """The sensor page's "Running" row: its checkbox (state) and label (what a click toggles)."""
    row = page.locator("tr").filter(has=page.get_by_text("Running", exact=True))
    return row.get_by_role("checkbox"), row.locator("label")


def tick_rows(page: Page) -> Locator:
    return page.locator("tbody tr").filter(has=page.get_by_role("button", name="View logs"))


def latest_tick_time(page: Page) -> str:
    """The timestamp of the newest tick in the sensor page's tick table, as the operator reads it."""
    return tick_rows(page).first.locator("td").first.inner_text().strip()


# --- the steps -----------------------------------------------------------------------------------------


def step_1_lineage(page: Page, stack: DevStack, shot: Screenshots) -> None:
    pairs = [("bind_invoices", "smartsheet_invoices")]
    if "sync_inventory" in job_names(stack):
        pairs.append(("bind_inventory", "smartsheet_inventory"))
    groups = asset_groups(stack)
    page.goto("/")
    page.get_by_role("link", name="Lineage").click()
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    shot("1-global-lineage")
    for upstream, downstream in pairs:
        # With several groups the global graph starts collapsed to one box per group: the operator
        # right-clicks the group and filters the graph to it, which lays its assets out expanded.
        page.goto("/asset-groups")
        group_box = page.locator("foreignObject").filter(has=page.get_by_text(groups[upstream], exact=True))
        group_box.first.click(button="right")
        page.get_by_role("menuitem", name="Filter to this group").click()
        source = page.locator(f'[data-tooltip="{upstream}"]').first
        target = page.locator(f'[data-tooltip="{downstream}"]').first
        edge = page.locator('path[stroke="var(--color-lineage-edge)"]').first
        expect(source).to_be_visible()
        expect(target).to_be_visible()
        expect(edge).to_be_attached()  # a straight arrow has no height, which Playwright calls "hidden"
        # The arrow leaves the source box and ends at the target box (the graph reads left to right).
        source_box, target_box, edge_box = source.bounding_box(), target.bounding_box(), edge.bounding_box()
        assert source_box["x"] < edge_box["x"] <= edge_box["x"] + edge_box["width"] <= target_box["x"] + 2
        shot(f"1-lineage-{groups[upstream]}")
        # The asset page spells out the same dependency in words.
        page.goto(f"/assets/{downstream}")
        lineage = page.get_by_text("Upstream assets", exact=True).locator("xpath=..")
        expect(lineage.get_by_role("link", name=upstream)).to_be_visible()
        shot(f"1-{downstream}-upstream")


def step_2_launch_sync(page: Page, stack: DevStack, shot: Screenshots) -> str:
    # The change-detecting sensor would write a new invoice itself once its interval is due, and then our
    # launch would find nothing left to insert: push its next run an hour away (it reads ProcessConfig at
    # every tick), then let its first run end; what is new in Bind after that is ours to insert.
    ProcessConfigStore(str(stack.process_config_db)).update(
        "sync_invoices", {"interval_minutes": 60}, via="cli", actor="browser-test"
    )
    stack.wait_until(
        lambda: not runs_in_flight(stack, "sync_invoices"), "the sensor's first sync to end", timeout=RUN_SECONDS
    )
    new_invoice = stack.bind_admin.post("invoices", {})  # dated now, so inside the next window
    stack.bind_admin.post(f"invoices/{new_invoice['ID']}/stamp")  # a UUID: only stamped invoices are written
    page.goto(f"/locations/{LOCATION}/jobs/sync_invoices")
    page.get_by_role("button", name="Materialize all").click()
    run_id = launch_from_toast(page)
    shot("2-sync-launched")
    assert wait_for_run(stack, run_id) == "SUCCESS", stack.log_tail()
    open_run(page, run_id, "Success")
    filter_events(page, "type:ASSET_MATERIALIZATION step:smartsheet_invoices")
    page.get_by_role("button", name="View full message").click()
    event = page.get_by_role("dialog")
    expect(event.get_by_text("Materialized value smartsheet_invoices.")).to_be_visible()
    shot("2-sync-run-metadata")
    shown = {label: int(metadata_value(event, label)) for label in ("inserted", "updated", "failed")}
    recorded = materialization_counts(stack, run_id, "smartsheet_invoices")
    assert shown == {label: recorded[label] for label in shown}
    assert shown["failed"] == 0
    assert shown["inserted"] >= 1, "the invoice stamped before the launch was not inserted"
    # The sheet's link (sheet_url): in the sandbox, the Smartsheet emulator's page of the sheet.
    sheet_link = event.locator('a[href*="/_sandbox/view/sheets/"]').first
    expect(sheet_link).to_be_visible()
    href = sheet_link.get_attribute("href")
    event.get_by_role("button", name="Done").click()
    return run_id, href


def step_2_sheet_page(page: Page, stack: DevStack, shot: Screenshots, href: str) -> None:
    """The asset's link opens the sandbox sheet: Spanish titles, the rows just written, reloading itself."""
    smartsheet_root = stack.sandbox_env["SMARTSHEET_API_BASE"].removesuffix("/2.0")
    assert href.startswith(f"{smartsheet_root}/_sandbox/view/sheets/"), href
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    table = page.locator("table#sheet")
    assert table.get_attribute("data-sheet-id") == stack.sandbox_env["SMARTSHEET_INVOICES_SHEET_ID"]
    for title in ("UUID", "Folio", "Fecha", "RFC Cliente", "Nombre Cliente", "Total", "Estado"):
        expect(table.locator("th", has_text=title).first).to_be_visible()
    rows = int(table.get_attribute("data-rows"))
    assert rows >= 1 and table.locator("tbody tr").count() == rows
    shot("2-sandbox-sheet-page")
    # It fills while you watch: this page, left open, shows a newly stamped invoice after the next sync.
    new_invoice = stack.bind_admin.post("invoices", {})
    stamped = stack.bind_admin.post(f"invoices/{new_invoice['ID']}/stamp")
    launcher = page.context.new_page()
    launcher.goto(f"/locations/{LOCATION}/jobs/sync_invoices")
    launcher.get_by_role("button", name="Materialize all").click()
    run_id = launch_from_toast(launcher)
    assert wait_for_run(stack, run_id) == "SUCCESS", stack.log_tail()
    launcher.close()
    expect(page.get_by_text(stamped["UUID"])).to_be_visible()  # no click: the page reloaded itself
    assert int(page.locator("table#sheet").get_attribute("data-rows")) > rows
    shot("2-sandbox-sheet-page-after-sync")
    # The index lists every sandbox sheet and links this one.
    page.goto(f"{smartsheet_root}/_sandbox/view/sheets")
    expect(page.get_by_role("link", name="Facturas Bind")).to_be_visible()
    expect(page.get_by_role("link", name="Inventario Bind")).to_be_visible()
    shot("2-sandbox-sheets-index")


def step_3_stop_sensor(page: Page, stack: DevStack, shot: Screenshots) -> tuple[float, str]:
    page.goto("/automation")
    page.get_by_role("link", name=SENSOR).first.click()
    expect(tick_rows(page).first).to_be_visible()  # it has ticked since the stack started
    checkbox, toggle = sensor_switch(page)
    expect(checkbox).to_be_checked()
    toggle.click()
    expect(checkbox).not_to_be_checked()
    stopped_at = time.time()
    stack.wait_until(lambda: sensor_state(stack)["status"] == "STOPPED", "the sensor to stop", timeout=30)
    time.sleep(2)  # a tick already evaluating when the switch flipped may still land
    page.reload()
    expect(checkbox).not_to_be_checked()
    last_tick = latest_tick_time(page)
    shot("3-sensor-stopped")
    return stopped_at, last_tick


def step_4_change_interval(page: Page, stack: DevStack, shot: Screenshots) -> int:
    before = ProcessConfigStore(str(stack.process_config_db)).get("sync_invoices").interval_minutes
    interval = 45 if before != 45 else 50
    page.goto(f"/locations/{LOCATION}/jobs/update_process_config")
    page.get_by_role("tab", name="Launchpad").click()
    editor = page.locator(".CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # insert_text behaves like a paste: the editor does not re-indent the YAML as it would while typing.
    page.keyboard.insert_text(
        "ops:\n"
        "  apply_process_config_change:\n"
        "    config:\n"
        "      job_id: sync_invoices\n"
        f"      interval_minutes: {interval}\n"
    )
    expect(page.get_by_text("No errors")).to_be_visible()
    shot("4-launchpad-config")
    page.get_by_role("button", name="Launch Run").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = page.url.rsplit("/", 1)[1].split("?")[0]
    assert wait_for_run(stack, run_id) == "SUCCESS", stack.log_tail()
    open_run(page, run_id, "Success")
    filter_events(page, "interval_minutes")
    expect(page.get_by_text(f"sync_invoices.interval_minutes: {before} -> {interval}")).to_be_visible()
    shot("4-update-process-config-run")
    return interval


def step_3_sensor_quiet_then_restart(
    page: Page, stack: DevStack, shot: Screenshots, stopped_at: float, last_tick: str
) -> float:
    time.sleep(max(0.0, stopped_at + QUIET_SECONDS - time.time()))
    page.goto(f"/locations/{LOCATION}/sensors/{SENSOR}")
    checkbox, toggle = sensor_switch(page)
    expect(checkbox).not_to_be_checked()
    assert latest_tick_time(page) == last_tick, "the stopped sensor ticked"
    late = [tick for tick in sensor_state(stack)["ticks"] if tick["timestamp"] > stopped_at + 2]
    assert not late, f"ticks while stopped: {late}"
    shot("3-sensor-quiet-while-stopped")
    toggle.click()
    expect(checkbox).to_be_checked()
    started_at = time.time()
    stack.wait_until(
        lambda: any(tick["timestamp"] >= started_at - 1 for tick in finished_ticks(stack)),
        "a tick after the sensor was started again",
        timeout=TICK_SECONDS,
    )
    page.reload()
    expect(tick_rows(page).first).not_to_contain_text(last_tick)
    shot("3-sensor-ticking-again")
    return started_at


def step_4_sensor_honours_interval(
    page: Page, stack: DevStack, shot: Screenshots, started_at: float, interval: int
) -> None:
    [tick] = [t for t in finished_ticks(stack) if t["timestamp"] >= started_at - 1][-1:]
    assert tick["status"] == "SKIPPED", tick
    newest = tick_rows(page).first
    newest.get_by_role("button", name="0 runs requested").click()
    dialog = page.get_by_role("dialog")
    reason = dialog.get_by_text("Skip reason:", exact=True).locator("xpath=..")
    expect(reason).to_contain_text(f"every {interval} min")
    expect(reason).to_contain_text("not due")
    shot("4-sensor-honours-interval")
    assert f"every {interval} min" in tick["skipReason"]
    dialog.get_by_role("button", name="Close").click()


def step_5_failed_run(page: Page, stack: DevStack, shot: Screenshots) -> None:
    # A revoked key: Bind answers 401, which the client does not retry, so the run fails at once.
    stack.bind_admin.inject("custom", "/api/Invoices", count=50, status=401, body={"Message": BIND_DENIAL})
    try:
        page.goto(f"/locations/{LOCATION}/jobs/sync_invoices")
        page.get_by_role("button", name="Materialize all").click()
        run_id = launch_from_toast(page)
        assert wait_for_run(stack, run_id) == "FAILURE", stack.log_tail()
    finally:
        stack.bind_admin.clear_faults()
    open_run(page, run_id, "Failure")
    filter_events(page, "type:STEP_FAILURE")
    failure = page.get_by_text(re.compile("Bind ERP request failed")).first
    expect(failure).to_be_visible()
    expect(failure).to_contain_text("/Invoices")
    expect(failure).to_contain_text("HTTP 401")
    expect(failure).to_contain_text(BIND_DENIAL)
    shot("5-failed-run-error")


def test_operator_day(page: Page, dev_stack: DevStack, artifacts_dir: Path) -> None:
    shot = Screenshots(page, artifacts_dir)
    step = "setup"
    try:
        step = "1-lineage"
        step_1_lineage(page, dev_stack, shot)
        step = "2-launch-sync"
        _, sheet_href = step_2_launch_sync(page, dev_stack, shot)
        step = "2-sheet-page"
        step_2_sheet_page(page, dev_stack, shot, sheet_href)
        step = "3-stop-sensor"
        stopped_at, last_tick = step_3_stop_sensor(page, dev_stack, shot)
        step = "4-change-interval"
        interval = step_4_change_interval(page, dev_stack, shot)
        step = "3-sensor-restart"
        started_at = step_3_sensor_quiet_then_restart(page, dev_stack, shot, stopped_at, last_tick)
        step = "4-sensor-honours-interval"
        step_4_sensor_honours_interval(page, dev_stack, shot, started_at, interval)
        step = "5-failed-run"
        step_5_failed_run(page, dev_stack, shot)
    except BaseException:
        shot(f"{step}-FAILED")
        raise
