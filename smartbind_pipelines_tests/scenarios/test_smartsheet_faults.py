"""A business day while Smartsheet misbehaves or people change the sheet under the sync."""

import threading
from collections import Counter

import pytest
import requests

from smartbind_pipelines.core.cdmx import parse_bind_datetime
from smartbind_pipelines_tests.defs.invoices.harness import failure_text, invoice_columns

from .driver import log_messages, sheet_metadata, source_metadata

ROWS = r"/sheets/\d+/rows$"
WRITES = ("POST", "PUT", "DELETE")


def writes_seen(day) -> dict:
    return {endpoint: n for endpoint, n in day.smartsheet.admin.counts().items() if endpoint.startswith(WRITES)}


def column_id(day, title: str) -> int:
    [column] = [c for c in day.smartsheet.state.list_columns(day.sync.sheet_id) if c["title"] == title]
    return column["id"]


def requests_by_endpoint(result) -> dict:
    return sheet_metadata(result)["smartsheet_requests_by_endpoint"]


class UserEditingNotes(threading.Thread):
    """Someone typing in the sheet's own "Notas" column while the sync writes: their saves collide with ours."""

    def __init__(self, day, row_id: int):
        super().__init__(daemon=True)
        self.url = f"{day.smartsheet.url}/sheets/{day.sync.sheet_id}/rows"
        self.headers = {"Authorization": f"Bearer {day.smartsheet.token}"}
        self.body = [{"id": row_id, "cells": [{"columnId": column_id(day, "Notas"), "value": "llamar al cliente"}]}]
        self.stop = threading.Event()
        self.saves = Counter()

    def run(self):
        with requests.Session() as session:
            while not self.stop.wait(0.04):
                answer = session.put(self.url, json=self.body, headers=self.headers, timeout=5)
                self.saves[answer.status_code] += 1


def test_a_day_of_4003_4004_5xx_and_lost_answers_doubles_nothing(day):
    day.sync.create_sheet(invoice_columns() + [{"title": "Notas", "type": "TEXT_NUMBER"}], name="Facturas 2026")
    day.trade(ticks=1)

    # 09:00 rate limited (429 / errorCode 4003) twice on the add.
    day.sell(3)
    day.inject("smartsheet", "rate_limit", ROWS, method="POST", count=2, retry_after=0)
    limited = day.tick()
    assert limited.success, failure_text(limited)
    assert requests_by_endpoint(limited)["POST /sheets/{id}/rows"] == 3

    # 09:15 a user edits notes in the sheet while the sync writes: real save collisions (500 / 4004)
    # from the emulator's write lock, and two more injected on the key-index read.
    day.smartsheet.state.configure(save_collisions=True, write_delay_ms=15)
    day.smartsheet.admin.reset_requests()
    user = UserEditingNotes(day, day.smartsheet.state.rows_as_dicts(day.sync.sheet_id)[0]["id"])
    user.start()
    try:
        day.sell(40)
        day.inject("smartsheet", "server_error", r"/sheets/\d+$", method="GET", count=2)
        colliding = day.tick()
    finally:
        user.stop.set()
        user.join()
    day.smartsheet.state.configure(save_collisions=False, write_delay_ms=0)
    assert colliding.success, failure_text(colliding)
    assert user.saves[200] > 0
    collisions = [
        entry for entry in day.smartsheet.admin.requests()["log"] if entry["status"] == 500 and entry["fault"] is None
    ]  # 4004 from the write lock, either writer
    day.figures.fault("smartsheet", "save collision (concurrent writer)", len(collisions))

    # 09:20, 09:25: the 5-minute cadence of the afternoon. A payment inside the overlap is an update.
    fresh = day.sell(2)
    day.tick(5)
    day.pay(fresh[0])
    day.inject("smartsheet", "unavailable", r"/sheets/\d+$", method="GET", count=1)  # 503 / 4001
    day.inject(
        "smartsheet",
        "custom",
        ROWS,
        method="PUT",
        count=2,
        status=502,  # a proxy's HTML page
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
    )
    proxied = day.tick(5)
    assert proxied.success, failure_text(proxied)
    assert sheet_metadata(proxied)["updated"] == 1
    assert requests_by_endpoint(proxied)["PUT /sheets/{id}/rows"] == 3

    # 09:30 the connection drops after Smartsheet applied the add: the key index is re-read, nothing doubled.
    day.sell(5)
    day.inject("smartsheet", "drop_after", ROWS, method="POST", count=1)
    day.smartsheet.admin.reset_requests()
    lost_answer = day.tick(5)
    assert lost_answer.success, failure_text(lost_answer)
    assert sheet_metadata(lost_answer)["inserted"] == 5
    served = day.smartsheet.admin.counts()
    assert served["POST /2.0/sheets/{id}/rows"] == 1  # nothing left to re-send after the re-read
    # The run metadata counts what was sent: a request whose answer was cut after its headers, once.
    assert requests_by_endpoint(lost_answer)["POST /sheets/{id}/rows"] == 1
    assert requests_by_endpoint(lost_answer)["GET /sheets/{id}"] == 2  # read, then re-read after the loss

    # 09:35 dropped before it was applied: re-read, then sent again.
    day.sell(5)
    day.inject("smartsheet", "drop", ROWS, method="POST", count=1)
    dropped = day.tick(5)
    assert dropped.success, failure_text(dropped)
    assert requests_by_endpoint(dropped)["POST /sheets/{id}/rows"] == 2

    day.trade(ticks=1)
    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=60)


def test_a_refused_row_fails_the_run_after_the_rest_is_written_then_catches_up(day):
    # An operator made Estado a dropdown without "Cancelada": Smartsheet refuses those rows (1042).
    day.sync.create_sheet(invoice_columns(Estado={"type": "PICKLIST", "options": ["Vigente", "Pagada"]}))
    day.trade(ticks=1)
    sold = day.sell(6)
    day.cancel(sold[2])
    day.cancel(sold[4])
    partial = day.tick()
    assert not partial.success
    message = failure_text(partial)
    assert "2 invoice(s) could not be written" in message
    assert sold[2]["UUID"] in message and sold[4]["UUID"] in message and sold[0]["UUID"] not in message
    in_sheet = {row["UUID"] for row in day.sheet_rows()}
    assert {sold[i]["UUID"] for i in (0, 1, 3, 5)} <= in_sheet and not {sold[2]["UUID"], sold[4]["UUID"]} & in_sheet
    day.figures.incident("rows refused by the sheet", 2)

    # The two are carried forward by Bind id and the watermark moves on: for the next two hours every
    # interval writes the new sales, retries the two, and fails naming them.
    assert sheet_metadata(partial)["refused_invoice_ids"] == sorted([sold[2]["ID"], sold[4]["ID"]])
    for _ in range(8):
        later = day.sell(3)
        again = day.tick()
        assert not again.success and sold[2]["UUID"] in failure_text(again)
        assert {invoice["UUID"] for invoice in later} <= {row["UUID"] for row in day.sheet_rows()}
        assert sheet_metadata(again)["watermark"] == day.now.isoformat()  # not pinned at the refusal
    # The window has long left the two behind: only the retry by id reads them.
    assert parse_bind_datetime(source_metadata(again)["window_start"]) > parse_bind_datetime(sold[4]["Date"])

    # The operator adds the option; the next run writes the two, without doubling anything else.
    estado = column_id(day, "Estado")
    day.smartsheet.state.update_column(
        day.sync.sheet_id, estado, {"type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]}
    )
    fixed = day.tick()
    assert fixed.success, failure_text(fixed)
    assert sheet_metadata(fixed)["inserted"] == 2 and sheet_metadata(fixed)["refused_invoice_ids"] == []
    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=33)


@pytest.mark.parametrize("change", ["renamed", "deleted"])
def test_a_column_changed_by_a_user_stops_the_sync_naming_it_and_nothing_is_half_written(day, change):
    day.trade(ticks=2)
    total = column_id(day, "Total")
    if change == "renamed":
        day.smartsheet.state.rename_column(day.sync.sheet_id, total, "Importe")
    else:
        day.smartsheet.state.delete_column(day.sync.sheet_id, total)
    day.figures.incident(f"column {change} by a user")
    version = day.smartsheet.state.sheet_version(day.sync.sheet_id)

    for _ in range(2):  # sales go on; every interval fails the same clear way
        day.sell(3)
        day.smartsheet.admin.reset_requests()
        stopped = day.tick()
        assert not stopped.success
        message = failure_text(stopped)
        assert "has no column 'Total'" in message and str(day.sync.sheet_id) in message
        assert writes_seen(day) == {}
        assert day.smartsheet.state.sheet_version(day.sync.sheet_id) == version

    if change == "renamed":  # the user puts the title back
        day.smartsheet.state.rename_column(day.sync.sheet_id, total, "Total")
        recovered = day.tick()
    else:  # a deleted column's cells are gone: a new sheet, then a backfill of the day
        day.sync.create_sheet(name="Facturas (nueva)")
        recovered = day.run(window={"window_start": day.now.date().isoformat()})
    assert recovered.success, failure_text(recovered)
    day.trade(ticks=1)
    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=15)


def test_the_sheet_deleted_is_a_clear_error_then_a_new_sheet_and_a_backfill_catch_up(day):
    day.trade(ticks=2)
    gone = day.sync.sheet_id
    day.smartsheet.state.delete_sheet(gone)
    day.figures.incident("sheet deleted by a user")
    day.sell(3)
    failed = day.tick()
    assert not failed.success
    message = failure_text(failed)
    assert str(gone) in message and "404" in message and "errorCode 1006" in message
    assert day.smartsheet.state.list_sheets() == []  # nothing recreated behind the operator's back

    day.sync.create_sheet(name="Facturas (nueva)")
    backfill = day.run(window={"window_start": day.now.date().isoformat()})
    assert backfill.success, failure_text(backfill)
    day.trade(ticks=1)
    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=12)


def archive_rows(day, count: int, start: int = 0) -> set[str]:
    """Old invoices already in the sheet (archived from Bind long ago): only their UUID and Folio."""
    uuid_column, folio = column_id(day, "UUID"), column_id(day, "Folio")
    uuids = [f"0a0a0a0a-0000-4000-8000-{n:012d}" for n in range(start, start + count)]
    for first in range(0, count, 500):
        day.smartsheet.state.add_rows(
            day.sync.sheet_id,
            [
                {
                    "toBottom": True,
                    "cells": [
                        {"columnId": uuid_column, "value": uuid},
                        {"columnId": folio, "value": f"HIST-{start + first + i}"},
                    ],
                }
                for i, uuid in enumerate(uuids[first : first + 500])
            ],
        )
    return set(uuids)


@pytest.mark.slow
def test_capacity_warns_at_80_percent_refuses_before_the_limit_and_writes_nothing_half(day):
    archived = archive_rows(day, 15_990)
    day.sell(12)
    near = day.tick()
    assert near.success, failure_text(near)
    warnings = [line for line in log_messages(day.instance, near) if "80%" in line]
    assert warnings and "16,002 rows" in warnings[0], warnings

    archived |= archive_rows(day, 3_995, start=15_990)  # someone pastes more history: 19,997 rows
    day.figures.incident("sheet filled to 19,997 rows")
    day.sell(5)
    version = day.smartsheet.state.sheet_version(day.sync.sheet_id)
    day.smartsheet.admin.reset_requests()
    refused = day.tick()
    assert not refused.success
    message = failure_text(refused)
    assert "20,002 rows" in message and "nothing was written" in message and "limit" in message
    assert writes_seen(day) == {} and day.smartsheet.state.sheet_version(day.sync.sheet_id) == version

    # The operator archives 5,000 old rows; the next interval writes what was refused.
    old = [row["id"] for row in day.smartsheet.state.rows_as_dicts(day.sync.sheet_id)[:5_000]]
    for first in range(0, len(old), 500):
        day.smartsheet.state.delete_rows(day.sync.sheet_id, old[first : first + 500])
    caught_up = day.tick()
    assert caught_up.success, failure_text(caught_up)
    assert sheet_metadata(caught_up)["inserted"] == 5
    day.archived_uuids = archived  # history Bind no longer lists: left out of the check
    day.assert_sheet_equals_bind(minimum=17)
