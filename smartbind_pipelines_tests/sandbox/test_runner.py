"""`smartbind sandbox`: both emulators, the target sheets, and export lines that really point at them."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import smartsheet

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.declarations import SHIPPED
from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.sandbox.runner import INVOICES_SHEET_ID, Sandbox, export_lines


def _parse_exports(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


def test_the_sandbox_env_reaches_both_emulators_with_every_process_sheet():
    with Sandbox(invoices=40) as box:
        env = _parse_exports(export_lines(box.env()))

        with BindClient(env["BIND_API_BASE_URL"], env["BIND_API_KEY"]) as bind:
            assert len(bind.invoices()) == 40
            assert env["BIND_WAREHOUSE_ID"] in {w["ID"] for w in bind.warehouses()}

        client = smartsheet.Smartsheet(access_token=env["SMARTSHEET_ACCESS_TOKEN"],
                                       api_base=env["SMARTSHEET_API_BASE"])
        client.errors_as_exceptions(True)
        assert env["SMARTSHEET_INVOICES_SHEET_ID"] == str(INVOICES_SHEET_ID)
        invoices = client.Sheets.get_sheet(int(env["SMARTSHEET_INVOICES_SHEET_ID"]))
        assert [c.title for c in invoices.columns] == list(INVOICE_MAPPING.titles)
        assert invoices.columns[0].primary
        for declaration in SHIPPED:  # clients and products get their sheets too
            sheet = client.Sheets.get_sheet(int(env[declaration.sheet_id_env]))
            assert [c.title for c in sheet.columns] == list(declaration.mapping.titles)
        inventory = client.Sheets.get_sheet(int(env["SMARTSHEET_INVENTORY_SHEET_ID"]))
        assert inventory.name == "Inventario Bind"


def test_smartbind_sandbox_writes_the_env_file_and_stops_on_sigterm(tmp_path):
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "smartbind_pipelines.cli", "sandbox", "--bind-port", "0",
         "--smartsheet-port", "0", "--invoices", "30", "--env-file", str(env_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
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
