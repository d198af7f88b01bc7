"""A dry run computes adds, updates and unchanged rows against the real sheet, and writes nothing.

Once through the engine (``upsert_sheet(dry_run=True)``), once through the command
an operator types: ``smartbind sync sync_invoices --dry-run --local`` with a crafted environment.
"""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.invoices import INVOICE_MAPPING, invoice_batch
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway, upsert_sheet
from smartbind_pipelines.sandbox.sheets import INVOICE_COLUMNS
from smartbind_pipelines_tests.commands.support import DESIGN_VARIABLES

WRITE_METHODS = ("POST", "PUT", "DELETE")


@pytest.fixture(autouse=True)
def quiet_sdk():
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)


class KnownSheet:
    """A sheet holding part of Bind's invoices: some exactly current, some stale; the rest are missing."""

    def __init__(self, state, records: list[dict], *, current: int = 6, stale: int = 4):
        self.state = state
        created = state.create_sheet("Facturas Bind", INVOICE_COLUMNS)
        self.id = created["id"]
        column_ids = {c["title"]: c["id"] for c in created["columns"]}
        self.current = records[:current]
        self.stale = records[current : current + stale]
        rows = [dict(r) for r in self.current]
        rows += [
            {**r, "Estado": "Cancelada" if r["Estado"] != "Cancelada" else "Pagada", "Total": round(r["Total"] + 1, 2)}
            for r in self.stale
        ]
        rows.append({"Folio": "sin UUID", "Total": 5})
        state.add_rows(
            self.id,
            [
                {"toBottom": True, "cells": [{"columnId": column_ids[t], "value": v} for t, v in row.items()]}
                for row in rows
            ],
        )
        self.expected_adds = len(records) - current - stale
        self.version = state.sheet_version(self.id)
        self.rows = state.rows_as_dicts(self.id)

    def untouched(self) -> bool:
        return self.state.sheet_version(self.id) == self.version and self.state.rows_as_dicts(self.id) == self.rows


def bind_records(bind) -> list[dict]:
    with BindClient(bind.url, bind.token, max_attempts=2, sleep=lambda _: None) as client:
        return invoice_batch(client.invoices()).records


def writes_seen(admin) -> dict[str, int]:
    return {endpoint: n for endpoint, n in admin.counts().items() if endpoint.split(" ")[0] in WRITE_METHODS}


def test_engine_dry_run_plans_against_the_sheet_and_leaves_its_version(bind_emulator, smartsheet_emulator):
    records = bind_records(bind_emulator)
    sheet = KnownSheet(smartsheet_emulator.state, records)
    gateway = SheetGateway.connect(
        smartsheet_emulator.token, smartsheet_emulator.url, timeout=10, max_retry_time=FixedBackoff(), retry_delay=0.01
    )
    smartsheet_emulator.admin.reset_requests()

    result = upsert_sheet(gateway, sheet.id, records, INVOICE_MAPPING, dry_run=True)

    assert result.dry_run
    assert (len(result.plan.adds), len(result.plan.updates), result.plan.unchanged) == (
        sheet.expected_adds,
        len(sheet.stale),
        len(sheet.current),
    )
    assert (result.inserted, result.updated) == (0, 0)
    assert sheet.untouched()
    assert writes_seen(smartsheet_emulator.admin) == {}
    # every stale row is planned with its changed cells, new values as Bind has them
    changes = {update.key: update.changes for update in result.plan.updates}
    for record in sheet.stale:
        assert changes[(record["UUID"],)]["Estado"] == record["Estado"]
        assert changes[(record["UUID"],)]["Total"] == record["Total"]
    assert len(result.plan.rows_without_key) == 1


def crafted_env(bind, smartsheet, db_path: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in DESIGN_VARIABLES}
    env.update(
        {
            "BIND_API_BASE_URL": bind.url,
            "BIND_API_KEY": bind.token,
            "SMARTSHEET_API_BASE": smartsheet.url,
            "SMARTSHEET_ACCESS_TOKEN": smartsheet.token,
            "SMARTBIND_DB_PATH": db_path,
            "DAGSTER_HOME": None,
        }
    )
    return env


def test_cli_dry_run_reports_the_plan_and_leaves_the_sheet_version(bind_emulator, smartsheet_emulator, tmp_path):
    records = bind_records(bind_emulator)
    sheet = KnownSheet(smartsheet_emulator.state, records)
    db_path = str(tmp_path / "processes.db")
    ProcessConfigStore(db_path, env={}).update("sync_invoices", {"smartsheet_sheet_id": str(sheet.id)}, via="test")
    smartsheet_emulator.admin.reset_requests()

    result = CliRunner().invoke(
        main,
        ["sync", "sync_invoices", "--dry-run", "--local", "--from", "2000-01-01"],
        env=crafted_env(bind_emulator, smartsheet_emulator, db_path),
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["success"] is True
    assert summary["fetched"] >= len(records)
    assert (summary["planned_inserts"], summary["planned_updates"], summary["unchanged"]) == (
        sheet.expected_adds,
        len(sheet.stale),
        len(sheet.current),
    )
    assert summary.get("inserted", 0) == 0 and summary.get("updated", 0) == 0
    assert sheet.untouched()
    assert writes_seen(smartsheet_emulator.admin) == {}
    assert bind_emulator.token not in result.output and smartsheet_emulator.token not in result.output


def test_the_same_command_without_dry_run_writes_what_the_dry_run_planned(bind_emulator, smartsheet_emulator, tmp_path):
    """Control: the dry-run assertions above can fail, because the real run does change the sheet."""
    records = bind_records(bind_emulator)
    sheet = KnownSheet(smartsheet_emulator.state, records)
    db_path = str(tmp_path / "processes.db")
    ProcessConfigStore(db_path, env={}).update("sync_invoices", {"smartsheet_sheet_id": str(sheet.id)}, via="test")

    home = tmp_path / "dagster_home"
    home.mkdir()
    result = CliRunner().invoke(
        main,
        ["sync", "sync_invoices", "--local", "--from", "2000-01-01"],
        env={**crafted_env(bind_emulator, smartsheet_emulator, db_path), "DAGSTER_HOME": str(home)},
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert (summary["inserted"], summary["updated"]) == (sheet.expected_adds, len(sheet.stale))
    assert not sheet.untouched()
    assert smartsheet_emulator.state.sheet_version(sheet.id) > sheet.version
