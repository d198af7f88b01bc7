"""A slow save never makes duplicates (issue 14, defect 1): real emulator, real SDK, real HTTP.

The emulator's one-shot slow save (``write_delay_ms`` + ``write_delay_count``) applies an add AFTER the
client gave up waiting for it, as Smartsheet does when a request times out while it is still saving.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway, upsert_sheet

ROWS = "POST /sheets/{id}/rows"
SERVED_ROWS = "POST /2.0/sheets/{id}/rows"
SLOW_SAVE_MS = 2000
CLIENT_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _quiet_sdk():
    logging.getLogger("smartsheet").setLevel(logging.CRITICAL)


@pytest.fixture(autouse=True)
def _settle_longer_than_a_slow_save(monkeypatch):
    # the quiet period must outlast what is left of a slow save once the client gave up (2 s - 0.5 s)
    monkeypatch.setenv("SMARTBIND_SHEET_SETTLE_QUIET_SECONDS", "3.5")
    monkeypatch.setenv("SMARTBIND_SHEET_SETTLE_MAX_SECONDS", "30")
    monkeypatch.setenv("SMARTBIND_SHEET_SETTLE_POLL_SECONDS", "0.1")


def invoice(n: int) -> dict:
    return {
        "UUID": f"65491c47-0000-4000-8000-{n:012d}",
        "Folio": f"A-{n}",
        "Fecha": "2026-01-19",
        "RFC Cliente": "XAXX010101000",
        "Nombre Cliente": f"Cliente {n}",
        "Total": 100 + n,
        "Estado": "Vigente",
    }


def connect(emulator, timeout: float = CLIENT_TIMEOUT) -> SheetGateway:
    return SheetGateway.connect(
        emulator.token, emulator.url, timeout=timeout, max_retry_time=FixedBackoff(0.01, 5), retry_delay=0.01
    )


def uuids(emulator, sheet_id) -> list[str]:
    return [row["cells"]["UUID"] for row in emulator.admin.get(f"sheets/{sheet_id}/rows")]


def wait_until_served(emulator, sheet_id, posts_sent: int) -> None:
    """Every add request sent has been handled by the emulator (a slow one lands after its client left)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        served = emulator.admin.counts().get(SERVED_ROWS, 0)
        if served >= posts_sent and not emulator.state.sheet(sheet_id).write_lock.locked():
            return
        time.sleep(0.05)
    raise AssertionError(f"the emulator served {served} of {posts_sent} add requests")


def slow_next_save(emulator) -> None:
    emulator.admin.put("config", {"write_delay_ms": SLOW_SAVE_MS, "write_delay_count": 1})


def test_an_add_that_times_out_while_being_saved_is_not_sent_again(smartsheet_emulator):
    gateway = connect(smartsheet_emulator)
    sheet = gateway.create_sheet("Facturas", INVOICE_MAPPING)["id"]
    smartsheet_emulator.admin.reset_requests()
    records = [invoice(n) for n in range(20)]
    slow_next_save(smartsheet_emulator)

    result = upsert_sheet(gateway, sheet, records, INVOICE_MAPPING)

    wait_until_served(smartsheet_emulator, sheet, gateway.request_counts[ROWS])
    stored = uuids(smartsheet_emulator, sheet)
    assert len(stored) == 20 and len(set(stored)) == 20  # old code: 40 rows, every invoice twice
    assert result.inserted == 20 and result.failed == []
    assert gateway.request_counts[ROWS] == 1  # waited for the sheet to settle: nothing re-sent
    assert any("waiting for the sheet to settle" in note for note in result.warnings)


def test_a_sheet_that_never_settles_fails_the_sync_without_re_sending(smartsheet_emulator, tmp_path, monkeypatch):
    from smartbind_pipelines.core.sheets import SheetUnsettledError, WriteJournal

    monkeypatch.setenv("SMARTBIND_SHEET_SETTLE_QUIET_SECONDS", "2.5")  # still longer than the slow save's rest
    monkeypatch.setenv("SMARTBIND_SHEET_SETTLE_MAX_SECONDS", "6")
    gateway = connect(smartsheet_emulator)
    sheet = gateway.create_sheet("Facturas", INVOICE_MAPPING)["id"]
    columns = gateway.sheet_columns(sheet)
    note = gateway.add_rows(sheet, [{"UUID": "nota", "Folio": "0"}], columns).row_ids[0]  # a user's row
    smartsheet_emulator.admin.reset_requests()
    gateway.request_counts.clear()
    journal = WriteJournal(tmp_path / "sheet_writes.db")

    # someone keeps editing the sheet: its version never stays still for the quiet period
    stop = threading.Event()

    def user_edits():
        lock = smartsheet_emulator.state.sheet(sheet).write_lock
        while not lock.locked() and not stop.is_set():  # from when the slow save has begun
            time.sleep(0.01)
        n = 0
        while not stop.is_set():
            n += 1
            smartsheet_emulator.state.update_rows(
                sheet, [{"id": note, "cells": [{"columnId": columns["Folio"]["id"], "value": f"edit {n}"}]}]
            )
            time.sleep(0.1)

    editor = threading.Thread(target=user_edits, daemon=True)
    records = [invoice(n) for n in range(20)]
    slow_next_save(smartsheet_emulator)
    editor.start()
    try:
        with pytest.raises(SheetUnsettledError) as caught:
            upsert_sheet(gateway, sheet, records, INVOICE_MAPPING, journal=journal)
    finally:
        stop.set()
        editor.join()
    wait_until_served(smartsheet_emulator, sheet, gateway.request_counts[ROWS])
    assert gateway.request_counts[ROWS] == 1  # never re-sent
    stored = [uuid for uuid in uuids(smartsheet_emulator, sheet) if uuid != "nota"]
    assert sorted(stored) == sorted(record["UUID"] for record in records)  # the slow batch landed, once
    assert f"sheet {sheet} did not settle" in str(caught.value) and "nothing was sent again" in str(caught.value)
    assert caught.value.partial_result is not None and caught.value.partial_result.inserted == 0
    assert len(journal.open_entries(sheet, 3600)) == 1  # the batch's answer is still unknown

    # the next run waits for the sheet to settle, then adds only what is missing: nothing
    again = upsert_sheet(gateway, sheet, records + [invoice(20)], INVOICE_MAPPING, journal=journal)
    assert (again.inserted, again.unchanged) == (1, 20)
    assert any("earlier run" in warning for warning in again.warnings)
    assert journal.open_entries(sheet, 3600) == []
    stored = uuids(smartsheet_emulator, sheet)
    assert len(stored) == 22 and len(set(stored)) == 22


_KILLED_RUN = """
import json, sys
from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.pull.sheet_target import resolve_sheet
from smartbind_pipelines.defs.pull.write import write_sheet

args = json.loads(sys.argv[1])
gateway = SheetGateway.connect(args["token"], args["url"], timeout=60, max_retry_time=FixedBackoff(0.01, 5))
target = resolve_sheet(ProcessConfigResource(db_path=args["db"]), INVOICES)
write_sheet(gateway, target, args["records"], INVOICE_MAPPING, next_run="")
"""


def test_a_run_started_after_a_killed_one_waits_for_its_batch_in_flight(smartsheet_emulator, tmp_path):
    from smartbind_pipelines.core.processes import INVOICES
    from smartbind_pipelines.defs.process_config import ProcessConfigResource
    from smartbind_pipelines.defs.pull.sheet_target import resolve_sheet
    from smartbind_pipelines.defs.pull.write import write_sheet

    gateway = connect(smartsheet_emulator, timeout=10)
    sheet = gateway.create_sheet("Facturas", INVOICE_MAPPING)["id"]
    process_config = ProcessConfigResource(db_path=str(tmp_path / "processes.db"))
    process_config.store().update(INVOICES.job_id, {"smartsheet_sheet_id": str(sheet)}, via="test", actor="test")
    smartsheet_emulator.admin.reset_requests()
    records = [invoice(n) for n in range(20)]
    slow_next_save(smartsheet_emulator)

    # run A sends its add batch and is killed while Smartsheet is still saving it
    args = {
        "token": smartsheet_emulator.token,
        "url": smartsheet_emulator.url,
        "db": process_config.db_path,
        "records": records,
    }
    run_a = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, json.dumps(args)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lock = smartsheet_emulator.state.sheet(sheet).write_lock
    deadline = time.monotonic() + 30
    while not lock.locked() and run_a.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lock.locked(), (
        f"run A never reached its add: {run_a.stderr.read().decode()[-2000:] if run_a.poll() is not None else ''}"
    )
    run_a.kill()
    run_a.wait()
    run_a.stderr.close()

    # run B starts at once, on the same ProcessConfig file
    target = resolve_sheet(process_config, INVOICES)
    result = write_sheet(gateway, target, records + [invoice(20)], INVOICE_MAPPING, next_run="")

    wait_until_served(smartsheet_emulator, sheet, 1 + gateway.request_counts[ROWS])
    stored = uuids(smartsheet_emulator, sheet)
    assert len(stored) == 21 and len(set(stored)) == 21  # old code: 41 rows, 20 invoices twice
    assert (result.inserted, result.unchanged) == (1, 20)
