"""`smartbind sandbox`: both emulators, the target sheets, and export lines that really point at them."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
import requests
import smartsheet

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.processes import all_processes
from smartbind_pipelines.core.sheets import SheetGateway, upsert_sheet
from smartbind_pipelines.sandbox.runner import Sandbox, export_lines
from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines.sandbox.sheets import INVOICES_SHEET_ID
from smartbind_pipelines.sandbox.snapshot import SandboxSnapshotError, load_snapshot


def _parse_exports(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


def test_the_sandbox_env_reaches_both_emulators_with_every_process_sheet():
    with Sandbox(invoices=40) as box:
        env = _parse_exports(export_lines(box.env()))

        with BindClient(env["BIND_API_BASE_URL"], env["BIND_API_KEY"]) as bind:
            assert len(bind.invoices()) == 40
            assert env["BIND_WAREHOUSE_ID"] in {w["ID"] for w in bind.warehouses()}

        client = smartsheet.Smartsheet(access_token=env["SMARTSHEET_ACCESS_TOKEN"], api_base=env["SMARTSHEET_API_BASE"])
        client.errors_as_exceptions(True)
        assert env["SMARTSHEET_INVOICES_SHEET_ID"] == str(INVOICES_SHEET_ID)
        invoices = client.Sheets.get_sheet(int(env["SMARTSHEET_INVOICES_SHEET_ID"]))
        assert [c.title for c in invoices.columns] == list(INVOICE_MAPPING.titles)
        assert invoices.columns[0].primary
        for process in all_processes({}):  # every shipped process gets its sheet: clients and products too
            sheet = client.Sheets.get_sheet(int(env[process.sheet_id_env]))
            assert [c.title for c in sheet.columns] == list(process.mapping.titles)
        inventory = client.Sheets.get_sheet(int(env["SMARTSHEET_INVENTORY_SHEET_ID"]))
        assert inventory.name == "Inventario Bind"


def test_smartbind_sandbox_writes_the_env_file_and_stops_on_sigterm(tmp_path):
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartbind_pipelines.cli",
            "sandbox",
            "--bind-port",
            "0",
            "--smartsheet-port",
            "0",
            "--invoices",
            "30",
            "--env-file",
            str(env_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while not env_file.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the sandbox did not write its env file"
            time.sleep(0.1)
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"  # it holds the sandbox tokens
        env = _parse_exports(env_file.read_text())
        with BindClient(env["BIND_API_BASE_URL"], env["BIND_API_KEY"]) as bind:
            assert len(bind.invoices()) == 30
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert _parse_exports(out) == env  # the same lines on stdout


# --- a sandbox that survives restarts, and pages to watch it (issue 18) ---------------------------------


def _invoice_records(bind_env: dict[str, str], limit: int = 12) -> list[dict]:
    """The first stamped invoices of the emulated Bind, as sheet rows (cells by Spanish title)."""
    with BindClient(bind_env["BIND_API_BASE_URL"], bind_env["BIND_API_KEY"]) as bind:
        invoices = [i for i in bind.invoices() if i.get("UUID")][:limit]
    return [
        {
            "UUID": i["UUID"],
            "Folio": f"{i['Serie']}-{i['Number']}",
            "Fecha": i["Date"][:10],
            "RFC Cliente": i["RFC"],
            "Nombre Cliente": i["ClientName"],
            "Total": i["Total"],
            "Estado": "Vigente",
        }
        for i in invoices
    ]


def _sheet_rows(env: dict[str, str], variable: str) -> list[tuple[int, dict]]:
    client = smartsheet.Smartsheet(access_token=env["SMARTSHEET_ACCESS_TOKEN"], api_base=env["SMARTSHEET_API_BASE"])
    client.errors_as_exceptions(True)
    sheet = client.Sheets.get_sheet(int(env[variable]))
    titles = {c.id: c.title for c in sheet.columns}
    return [(r.id, {titles[c.column_id]: c.value for c in r.cells}) for r in sheet.rows]


def test_a_restarted_sandbox_resumes_its_sheets_ids_rows_tokens_and_bind_data(tmp_path):
    state_file = tmp_path / "sandbox-state.pickle"
    with Sandbox(invoices=40, state_file=state_file) as box:
        env = box.env()
        gateway = SheetGateway.connect(env["SMARTSHEET_ACCESS_TOKEN"], env["SMARTSHEET_API_BASE"])
        records = _invoice_records(env)
        result = upsert_sheet(gateway, int(env["SMARTSHEET_INVOICES_SHEET_ID"]), records, INVOICE_MAPPING)
        assert result.inserted == len(records) > 0
        added = box.bind_admin.post("invoices", {"Subtotal": 1000})
        rows_before = _sheet_rows(env, "SMARTSHEET_INVOICES_SHEET_ID")
        version_before = box.smartsheet_state.sheet_version(int(env["SMARTSHEET_INVOICES_SHEET_ID"]))
    assert state_file.exists() and oct(state_file.stat().st_mode & 0o777) == "0o600"

    with Sandbox(invoices=40, state_file=state_file) as again:
        assert again.resumed
        resumed = again.env()
        # Same tokens and sheet ids: the env file of a second terminal and ProcessConfig stay valid.
        for name, value in env.items():
            if not name.endswith(("_BASE_URL", "_API_BASE")):  # port 0 picks new ports here
                assert resumed[name] == value, name
        assert _sheet_rows(resumed, "SMARTSHEET_INVOICES_SHEET_ID") == rows_before  # row ids and values
        assert again.smartsheet_state.sheet_version(int(env["SMARTSHEET_INVOICES_SHEET_ID"])) == version_before
        with BindClient(resumed["BIND_API_BASE_URL"], resumed["BIND_API_KEY"]) as bind:
            assert len(bind.invoices()) == 41
            assert added["ID"] in {i["ID"] for i in bind.invoices()}
        # A second sync of the same records finds them all: nothing is added twice after the restart.
        gateway = SheetGateway.connect(resumed["SMARTSHEET_ACCESS_TOKEN"], resumed["SMARTSHEET_API_BASE"])
        again_result = upsert_sheet(gateway, int(resumed["SMARTSHEET_INVOICES_SHEET_ID"]), records, INVOICE_MAPPING)
        assert (again_result.inserted, again_result.unchanged) == (0, len(records))
        # Permalinks of the first run's port were moved to this run's page.
        permalink = again.smartsheet_state.sheets[int(env["SMARTSHEET_INVOICES_SHEET_ID"])].permalink
        assert permalink.startswith(again.page_urls()["sheets"] + "/")
        assert requests.get(permalink, timeout=10).status_code == 200


def test_the_state_file_follows_changes_while_running(tmp_path):
    """A killed sandbox (no clean stop) loses at most the last few seconds: the file follows changes."""
    state_file = tmp_path / "sandbox-state.pickle"
    with Sandbox(invoices=10, state_file=state_file, snapshot_seconds=0.2) as box:
        added = box.bind_admin.post("invoices", {"Subtotal": 500})
        deadline = time.monotonic() + 30
        while True:
            snapshot = load_snapshot(state_file)
            if added["ID"] in {i["ID"] for i in snapshot["bind"].list_invoices()}:
                break
            assert time.monotonic() < deadline, "the state file never showed the new invoice"
            time.sleep(0.2)
        assert snapshot["sheet_ids"] == box.sheet_ids


def test_an_unreadable_state_file_refuses_to_start_and_says_how_to_start_over(tmp_path):
    state_file = tmp_path / "sandbox-state.pickle"
    state_file.write_bytes(b"not a pickle")
    with pytest.raises(SandboxSnapshotError, match="make reset") as failure:
        Sandbox(state_file=state_file)
    assert str(state_file) in str(failure.value)


def test_a_port_in_use_is_named():
    with BackgroundServer(lambda *a: None) as taken:
        with pytest.raises(OSError, match=f"127.0.0.1:{taken.port}"):
            BackgroundServer(lambda *a: None, port=taken.port)


def test_the_sheet_page_shows_spanish_titles_and_typed_cells_and_the_index_links_it(tmp_path):
    with Sandbox(invoices=20) as box:
        env = box.env()
        gateway = SheetGateway.connect(env["SMARTSHEET_ACCESS_TOKEN"], env["SMARTSHEET_API_BASE"])
        records = _invoice_records(env, limit=5)
        upsert_sheet(gateway, int(env["SMARTSHEET_INVOICES_SHEET_ID"]), records, INVOICE_MAPPING)
        index = requests.get(box.page_urls()["sheets"], timeout=10)
        assert index.status_code == 200 and "text/html" in index.headers["content-type"]
        assert "Facturas Bind" in index.text and "Inventario Bind" in index.text
        sheet_id = env["SMARTSHEET_INVOICES_SHEET_ID"]
        assert f'href="/_sandbox/view/sheets/{sheet_id}"' in index.text
        page = requests.get(f"{box.page_urls()['sheets']}/{sheet_id}", timeout=10)
        assert page.status_code == 200
        assert 'http-equiv="refresh"' in page.text  # it reloads while you watch
        for title in ("UUID", "Folio", "Fecha", "RFC Cliente", "Nombre Cliente", "Total", "Estado"):
            assert f">{title}<br>" in page.text
        assert f'data-rows="{len(records)}"' in page.text
        first = records[0]
        assert first["UUID"] in page.text and first["Nombre Cliente"] in page.text
        assert f'<td class="date">{first["Fecha"]}</td>' in page.text
        assert '<td class="num">' in page.text  # Total: a number, right-aligned
        # The permalink the API answers is this page.
        client = smartsheet.Smartsheet(access_token=env["SMARTSHEET_ACCESS_TOKEN"], api_base=env["SMARTSHEET_API_BASE"])
        permalink = client.Sheets.get_sheet(int(sheet_id)).permalink
        assert requests.get(permalink, timeout=10).text == page.text
        missing = requests.get(f"{box.page_urls()['sheets']}/123", timeout=10)
        assert missing.status_code == 404


def test_the_bind_page_lists_invoices_and_the_business_events_played():
    with Sandbox(invoices=15) as box:
        box.start_business_activity(0.05)
        deadline = time.monotonic() + 30
        while len(box.events) < 3:
            assert time.monotonic() < deadline, "no business events were played"
            time.sleep(0.05)
        page = requests.get(box.page_urls()["bind"], timeout=10)
        assert page.status_code == 200
        shown = int(re.search(r'<span id="invoice-count">(\d+)</span>', page.text).group(1))
        assert shown >= 15  # the demo's, and those the events added
        assert all(f'data-invoice-id="{i["ID"]}"' in page.text for i in box.bind_state.list_invoices()[:15])
        at, text = box.events[0]
        assert text in page.text and at in page.text
