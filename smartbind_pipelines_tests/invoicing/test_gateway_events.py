"""SheetGateway's public calls for the invoicing process: rowsModifiedSince and row comments.

Real HTTP against the Smartsheet emulator with the real SDK. A row comment is a new discussion each
time (not idempotent): it is never re-sent after an answer that may have been applied."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.sheets import FixedBackoff, SheetApiError, SheetGateway, SheetTransportError
from smartbind_pipelines_tests.invoicing.support import valid_row


@pytest.fixture
def sheet(smartsheet_emulator):
    gateway = SheetGateway.connect(
        smartsheet_emulator.token,
        smartsheet_emulator.url,
        max_retry_time=FixedBackoff(0.01),
        retry_delay=0.01,
        timeout=10,
    )
    created = gateway.create_sheet("Facturación", C.REQUEST_MAPPING)
    sheet_id = int(created["id"])
    columns = gateway.sheet_columns(sheet_id)
    outcome = gateway.add_rows(sheet_id, [valid_row(), valid_row(**{C.ESTADO: C.PENDIENTE})], columns)
    return gateway, sheet_id, [outcome.row_ids[0], outcome.row_ids[1]]


def test_rows_modified_since_returns_the_changed_rows_with_the_asked_cells_and_counts_the_request(
    sheet, smartsheet_emulator
):
    gateway, sheet_id, (first, second) = sheet
    smartsheet_emulator.state.set_row_modified_at(sheet_id, second, "2020-01-01T00:00:00Z")
    before = gateway.request_counts["GET /sheets/{id}"]
    rows = gateway.rows_modified_since(sheet_id, datetime.now(timezone.utc) - timedelta(hours=1), [C.ESTADO, C.RFC])
    assert [(row.row_id, row.cells) for row in rows] == [(first, {C.ESTADO: C.FACTURAR, C.RFC: "FLU990101AB1"})]
    assert gateway.request_counts["GET /sheets/{id}"] == before + 1
    every = gateway.rows_modified_since(sheet_id, datetime(2019, 1, 1, tzinfo=timezone.utc), [C.ESTADO])
    assert sorted(row.row_id for row in every) == sorted([first, second])


def test_rows_modified_since_names_a_missing_column(sheet):
    gateway, sheet_id, _ = sheet
    with pytest.raises(Exception, match="No existe"):
        gateway.rows_modified_since(sheet_id, datetime.now(timezone.utc), ["No existe"])


def test_add_row_comment_posts_one_discussion_and_counts_it(sheet, smartsheet_emulator):
    gateway, sheet_id, (first, _) = sheet
    gateway.add_row_comment(sheet_id, first, "Cantidad: debe ser mayor que 0")
    assert smartsheet_emulator.state.row_comments(sheet_id, first) == ["Cantidad: debe ser mayor que 0"]
    assert gateway.request_counts["POST /sheets/{id}/rows/{id}/discussions"] == 1


def test_add_row_comment_is_never_resent_after_a_lost_answer(sheet, smartsheet_emulator):
    gateway, sheet_id, (first, _) = sheet
    smartsheet_emulator.admin.inject("drop_after", r"/discussions$", method="POST")
    with pytest.raises(SheetTransportError):
        gateway.add_row_comment(sheet_id, first, "Estado: error")
    # applied once by the emulator, never a second time by us
    assert smartsheet_emulator.state.row_comments(sheet_id, first) == ["Estado: error"]
    assert gateway.request_counts["POST /sheets/{id}/rows/{id}/discussions"] == 1


def test_add_row_comment_errors_never_show_the_token(sheet, smartsheet_emulator):
    gateway, sheet_id, (first, _) = sheet
    smartsheet_emulator.admin.inject(
        "custom",
        r"/discussions$",
        method="POST",
        status=400,
        body={"errorCode": 1012, "message": f"bad request from {smartsheet_emulator.token}"},
    )
    with pytest.raises(SheetApiError) as raised:
        gateway.add_row_comment(sheet_id, first, "x")
    assert smartsheet_emulator.token not in str(raised.value)
    assert "[redacted]" in str(raised.value)


def test_a_long_comment_is_cut_to_the_services_limit(sheet, smartsheet_emulator):
    gateway, sheet_id, (first, _) = sheet
    gateway.add_row_comment(sheet_id, first, "x" * 5000)
    assert [len(text) for text in smartsheet_emulator.state.row_comments(sheet_id, first)] == [4000]
