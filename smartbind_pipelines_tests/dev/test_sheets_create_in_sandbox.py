"""`smartbind sheets create` against `smartbind sandbox`'s emulators, as a person runs it in a terminal (issue 18):
the link it prints is the sandbox's page of the new sheet, and stderr carries neither the SDK's
DeprecationWarning nor its raw JSON error lines."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from smartbind_pipelines.sandbox.runner import Sandbox


def smartbind(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BIND_", "SMARTSHEET_", "SMARTBIND_", "PYTHONWARN"))
    }
    return subprocess.run(
        [sys.executable, "-m", "smartbind_pipelines.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sheets_create_prints_the_sandbox_page_and_nothing_raw(tmp_path):
    with Sandbox(invoices=5) as box:
        env = {**box.env(), "SMARTBIND_DB_PATH": str(tmp_path / "processes.db")}
        created = smartbind(env, "sheets", "create", "sync_invoices", "--force", "--name", "Facturas 2026")
        assert created.returncode == 0, created.stderr
        assert "DeprecationWarning" not in created.stderr and "Warning" not in created.stderr, created.stderr
        [link] = [line.split(": ", 1)[1] for line in created.stdout.splitlines() if line.startswith("Open it: ")]
        assert link.startswith(box.page_urls()["sheets"] + "/"), link  # not app.smartsheet.com
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "<h1>Facturas 2026</h1>" in page.text

        refused = smartbind(env, "sheets", "create", "sync_invoices", "--force", "--folder", "123")
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            "Error: Smartsheet refused to create the sheet (HTTP 404, errorCode 1006): Not Found"
        ]
