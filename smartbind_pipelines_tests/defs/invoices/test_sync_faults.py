"""sync_invoices when Bind or Smartsheet misbehave: retries, per-row refusals, a broken sheet."""

import uuid
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime

from .harness import failure_text, invoice_columns, metadata

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)


def add(sync, minutes_before: float, **fields) -> dict:
    fields.setdefault("UUID", str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(T0 - timedelta(minutes=minutes_before)), **fields)


def every_event_text(result) -> str:
    return "\n".join(str(event) for event in result.all_events)


def test_a_bind_429_storm_and_5xx_are_retried_and_the_sync_completes(empty_sync):
    invoices = [add(empty_sync, m) for m in (50, 40, 30)]
    admin = empty_sync.bind.admin
    admin.inject("rate_limit", path="/api/Invoices", count=3, retry_after=0)
    admin.inject("server_error", path="/api/Invoices", count=1)
    admin.inject("unavailable", path="/api/Invoices", count=1)

    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in invoices)
    # Every attempt is counted: 5 refused + 1 answered.
    assert metadata(result, "bind_invoices")["bind_requests_by_endpoint"]["GET /Invoices"] == 6
    assert metadata(result)["bind_requests"] == 6


def test_bind_failing_past_the_retries_fails_the_run_naming_the_endpoint_and_no_token(empty_sync):
    add(empty_sync, 5)
    empty_sync.bind.admin.inject("server_error", path="/api/Invoices", count=20)
    result = empty_sync.run(T0)
    assert not result.success
    message = failure_text(result)
    assert "Invoices" in message and "500" in message
    text = every_event_text(result)
    assert empty_sync.bind.token not in text and empty_sync.smartsheet.token not in text
    assert result.asset_materializations_for_node("smartsheet_invoices") == []


def test_smartsheet_4003_and_4004_are_retried_and_nothing_is_doubled(empty_sync):
    invoices = [add(empty_sync, m) for m in (9, 8, 7)]
    admin = empty_sync.smartsheet.admin
    admin.inject("rate_limit", path="/rows", method="POST", count=2, retry_after=0)  # 429 / errorCode 4003
    admin.inject(
        "custom",
        path="/sheets/",
        method="GET",
        count=1,
        status=500,
        body={"errorCode": 4004, "message": "Request failed because sheetId is currently being updated"},
    )
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in invoices)
    assert metadata(result)["smartsheet_requests_by_endpoint"]["POST /sheets/{id}/rows"] == 3


def test_a_refused_row_fails_the_run_naming_it_is_retried_every_run_and_does_not_hold_back_new_invoices(
    empty_sync, smartsheet_emulator
):
    # An operator turned Estado into a dropdown without "Cancelada": Smartsheet refuses that one row.
    empty_sync.create_sheet(
        invoice_columns(Estado={"type": "PICKLIST", "options": ["Vigente", "Pagada"]}), name="Facturas (lista)"
    )
    good = [add(empty_sync, 9), add(empty_sync, 8, Status=1)]
    cancelled = add(empty_sync, 7, Status=2)

    result = empty_sync.run(T0)
    assert not result.success
    message = failure_text(result)
    assert cancelled["UUID"] in message and "1 invoice(s) could not be written" in message
    assert all(invoice["UUID"] not in message for invoice in good)
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in good)
    # The refused invoice is carried in the sync state; the watermark moves on.
    written = metadata(result)
    assert written["refused_invoice_ids"] == [cancelled["ID"]] and written["watermark"] == T0.isoformat()
    text = every_event_text(result)
    assert empty_sync.bind.token not in text and empty_sync.smartsheet.token not in text

    # Hours later (the refused invoice is far behind the window) a new invoice is written; the refused one
    # is re-read by id, refused again, and named again.
    later = T0 + timedelta(hours=3)
    new = empty_sync.bind.state.add_invoice(
        Date=format_bind_datetime(later - timedelta(minutes=1)), UUID=str(uuid.uuid4())
    )
    again = empty_sync.run(later)
    assert not again.success and cancelled["UUID"] in failure_text(again)
    assert metadata(again, "bind_invoices")["window_start"] == (T0 - timedelta(minutes=10)).isoformat()
    assert metadata(again, "bind_invoices")["refused_retried"] == 1
    assert new["UUID"] in empty_sync.uuids()
    assert metadata(again)["watermark"] == later.isoformat()
    assert metadata(again)["refused_invoice_ids"] == [cancelled["ID"]]

    # The operator adds the option: the next run writes it and succeeds, with nothing left to retry.
    estado = [c for c in smartsheet_emulator.state.list_columns(empty_sync.sheet_id) if c["title"] == "Estado"][0]
    smartsheet_emulator.state.update_column(
        empty_sync.sheet_id, estado["id"], {"type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]}
    )
    fixed = empty_sync.run(later + timedelta(hours=3))
    assert fixed.success, failure_text(fixed)
    assert metadata(fixed)["inserted"] == 1 and metadata(fixed)["refused_invoice_ids"] == []
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in [*good, cancelled, new])


def test_a_missing_column_fails_with_its_name_and_writes_nothing(empty_sync):
    columns = [column for column in invoice_columns() if column["title"] != "Estado"]
    empty_sync.create_sheet(columns, name="Facturas sin Estado")
    add(empty_sync, 5)
    empty_sync.smartsheet.admin.reset_requests()

    result = empty_sync.run(T0)
    assert not result.success
    message = failure_text(result)
    assert "Estado" in message and str(empty_sync.sheet_id) in message
    assert empty_sync.rows() == []
    counts = empty_sync.smartsheet.admin.counts()
    assert not any(endpoint.startswith(("POST", "PUT")) for endpoint in counts)


def test_no_sheet_configured_fails_with_what_to_set(empty_sync, monkeypatch):
    monkeypatch.delenv("SMARTSHEET_INVOICES_SHEET_ID", raising=False)
    empty_sync.process_config.store().update("sync_invoices", {"smartsheet_sheet_id": ""}, via="test")
    result = empty_sync.run(T0)
    assert not result.success and "SMARTSHEET_INVOICES_SHEET_ID" in failure_text(result)


def test_a_duplicate_uuid_already_in_the_sheet_is_reported_not_multiplied(empty_sync):
    invoice = add(empty_sync, 5)
    for _ in range(2):  # someone pasted the row twice
        empty_sync.smartsheet.state.add_rows(
            empty_sync.sheet_id,
            [
                {"cells": [{"columnId": column["id"], "value": invoice["UUID"]}]}
                for column in empty_sync.smartsheet.state.list_columns(empty_sync.sheet_id)
                if column["title"] == "UUID"
            ],
        )
    result = empty_sync.run(T0)
    assert result.success
    assert empty_sync.uuids().count(invoice["UUID"]) == 2
    assert metadata(result)["duplicate_uuids_in_sheet"] == 1
    [duplicates] = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_duplicate_uuid_in_sheet"]
    assert not duplicates.passed and invoice["UUID"] in duplicates.description
