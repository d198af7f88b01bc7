"""Faults, retries, the per-sheet write lock, save collisions and speed, all with the real SDK."""

from __future__ import annotations

import threading

import pytest
import requests
from smartsheet.exceptions import (
    ApiError,
    RateLimitExceededError,
    SystemMaintenanceError,
    UnexpectedErrorShouldRetryError,
    UnexpectedRequestError,
)
from smartsheet.models import Cell, Row

from smartbind_pipelines.sandbox.smartsheet import SmartsheetState
from smartbind_pipelines.sandbox.smartsheet.testing import sdk_client

COLUMNS = [
    {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
    {"title": "Total", "type": "TEXT_NUMBER"},
    {"title": "Fecha", "type": "DATE"},
]


@pytest.fixture
def sheet(smartsheet_emulator):
    created = smartsheet_emulator.state.create_sheet("Facturas", COLUMNS)
    created["col"] = {c["title"]: c["id"] for c in created["columns"]}
    return created


@pytest.fixture
def client(smartsheet_emulator):
    return sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)


def rows_for(sheet, start, count):
    col = sheet["col"]
    return [
        Row(
            {
                "to_bottom": True,
                "cells": [
                    Cell({"column_id": col["UUID"], "value": f"U{n}"}),
                    Cell({"column_id": col["Total"], "value": n}),
                ],
            }
        )
        for n in range(start, start + count)
    ]


def post_count(emulator) -> int:
    return emulator.admin.counts().get("POST /2.0/sheets/{id}/rows", 0)


def test_rate_limit_is_retried_by_the_sdk_then_succeeds(client, sheet, smartsheet_emulator):
    smartsheet_emulator.admin.inject("rate_limit", r"/rows$", method="POST", count=2, retry_after=7)
    response = client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 3))
    assert response.message == "SUCCESS"
    assert post_count(smartsheet_emulator) == 3
    assert len(smartsheet_emulator.state.rows_as_dicts(sheet["id"])) == 3

    smartsheet_emulator.admin.inject("rate_limit", r"/rows$", method="POST", retry_after=7)
    raw = requests.post(
        f"{smartsheet_emulator.url}/sheets/{sheet['id']}/rows",
        json=[],
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
        timeout=5,
    )
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "7"
    assert raw.headers["content-type"] == "application/json;charset=UTF-8"
    assert raw.json()["errorCode"] == 4003 and raw.json()["message"] == "Rate limit exceeded."
    assert isinstance(raw.json()["refId"], str)


def test_rate_limit_gives_up_after_the_backoff_budget(smartsheet_emulator, sheet):
    client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=3)
    smartsheet_emulator.admin.inject("rate_limit", r"/rows$", count=10)
    with pytest.raises(RateLimitExceededError):
        client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 1))
    assert post_count(smartsheet_emulator) == 3
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == []


def test_server_error_4004_is_retried_and_names_the_sheet(smartsheet_emulator, client, sheet):
    smartsheet_emulator.admin.inject("server_error", r"/rows$", count=1)
    assert client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 2)).message == "SUCCESS"
    assert post_count(smartsheet_emulator) == 2

    no_retry = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=1)
    smartsheet_emulator.admin.inject("server_error", r"/rows$", count=1)
    with pytest.raises(UnexpectedErrorShouldRetryError) as raised:
        no_retry.Sheets.add_rows(sheet["id"], rows_for(sheet, 2, 1))
    assert raised.value.error.result.status_code == 500
    assert f"sheetId {sheet['id']} is currently being updated" in raised.value.error.result.message


def test_unavailable_4001_is_retried(smartsheet_emulator, client, sheet):
    smartsheet_emulator.admin.inject("unavailable", r"/sheets/\d+$", method="GET", count=1)
    assert client.Sheets.get_sheet(sheet["id"]).id == sheet["id"]
    no_retry = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=1)
    smartsheet_emulator.admin.inject("unavailable", r"/sheets/\d+$", method="GET", count=1)
    with pytest.raises(SystemMaintenanceError) as raised:
        no_retry.Sheets.get_sheet(sheet["id"])
    assert (raised.value.error.result.status_code, raised.value.error.result.code) == (503, 4001)


def test_error_4000_is_not_retried(smartsheet_emulator, client, sheet):
    smartsheet_emulator.admin.inject(
        "custom",
        r"/rows$",
        status=500,
        body={"errorCode": 4000, "message": "An unexpected error has occurred.", "refId": "abc123"},
    )
    with pytest.raises(ApiError) as raised:
        client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 1))
    assert raised.value.error.result.code == 4000
    assert post_count(smartsheet_emulator) == 1


def test_dropped_connection_is_an_unexpected_request_error(smartsheet_emulator, client, sheet):
    smartsheet_emulator.admin.inject("drop", r"/rows$", method="POST")
    with pytest.raises(UnexpectedRequestError):
        client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 1))
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == []

    # drop_after: the rows were written but the answer was lost, as on a real timeout.
    smartsheet_emulator.admin.inject("drop_after", r"/rows$", method="POST")
    with pytest.raises(UnexpectedRequestError):
        client.Sheets.add_rows(sheet["id"], rows_for(sheet, 0, 1))
    assert len(smartsheet_emulator.state.rows_as_dicts(sheet["id"])) == 1


def test_concurrent_writers_on_one_sheet_never_corrupt_it(smartsheet_emulator, sheet):
    smartsheet_emulator.admin.put("config", {"write_delay_ms": 5})
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def writer(worker: int) -> None:
        client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)
        try:
            start.wait()
            for batch in range(3):
                client.Sheets.add_rows(sheet["id"], rows_for(sheet, worker * 1000 + batch * 50, 50))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures
    client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)
    got = client.Sheets.get_sheet(sheet["id"])
    assert got.version == 18 and got.total_row_count == 900
    assert [r.row_number for r in got.rows] == list(range(1, 901))
    assert len({r.id for r in got.rows}) == 900
    values = sorted(r.cells[0].value for r in got.rows)
    assert values == sorted(f"U{w * 1000 + n}" for w in range(6) for n in range(150))


def test_save_collision_mode_refuses_overlapping_writes_with_4004(smartsheet_emulator, sheet):
    smartsheet_emulator.admin.put("config", {"save_collisions": True, "write_delay_ms": 400})
    start = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def writer(worker: int, client) -> None:
        start.wait()
        try:
            outcomes[worker] = client.Sheets.add_rows(sheet["id"], rows_for(sheet, worker * 10, 5)).message
        except ApiError as exc:
            outcomes[worker] = exc

    clients = [sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=1) for _ in range(2)]
    threads = [threading.Thread(target=writer, args=(w, clients[w])) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    refused = [o for o in outcomes.values() if isinstance(o, UnexpectedErrorShouldRetryError)]
    assert sorted(o for o in outcomes.values() if isinstance(o, str)) == ["SUCCESS"]
    assert len(refused) == 1 and refused[0].error.result.code == 4004
    assert len(smartsheet_emulator.state.rows_as_dicts(sheet["id"])) == 5

    # Clients that wait long enough between retries both get through.
    patient = [
        sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=20, delay=0.1) for _ in range(2)
    ]
    threads = [threading.Thread(target=writer, args=(w, patient[w])) for w in range(2)]
    outcomes.clear()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {0: "SUCCESS", 1: "SUCCESS"}


def test_adding_500_rows_three_times_keeps_all_1500():
    # How long an add takes is measured by `make bench` (bench/micro.py), not asserted here.
    state = SmartsheetState()
    sheet = state.create_sheet("Facturas", COLUMNS + [{"title": f"C{n}", "type": "TEXT_NUMBER"} for n in range(5)])
    ids = [c["id"] for c in sheet["columns"]]
    payload = [
        {
            "toBottom": True,
            "cells": [{"columnId": cid, "value": f"v{n}-{k}"} for k, cid in enumerate(ids) if k != 2]
            + [{"columnId": ids[2], "value": "2024-05-01"}],
        }
        for n in range(500)
    ]
    for _ in range(3):
        state.add_rows(sheet["id"], payload)
    rows = state.rows_as_dicts(sheet["id"])
    assert len(rows) == 1500
    assert [row["cells"]["UUID"] for row in rows[:2]] == [row["cells"]["UUID"] for row in rows[500:502]]


def test_key_column_read_of_20000_rows_pages_every_row_in_order(smartsheet_emulator, client, sheet):
    state = smartsheet_emulator.state
    key = sheet["col"]["UUID"]
    for start in range(0, 20000, 500):
        state.add_rows(
            sheet["id"],
            [
                {"cells": [{"columnId": key, "value": f"K{n}"}, {"columnId": sheet["col"]["Total"], "value": n}]}
                for n in range(start, start + 500)
            ],
        )
    # Raw HTTP, as `make bench` times it (bench/micro.py); the test checks the pages, not the clock.
    auth = {"Authorization": f"Bearer {smartsheet_emulator.token}"}
    keys = []
    for page in range(1, 6):
        body = requests.get(
            f"{smartsheet_emulator.url}/sheets/{sheet['id']}?columnIds={key}&pageSize=4000&page={page}",
            headers=auth,
            timeout=10,
        ).json()
        keys.extend(r["cells"][0]["value"] for r in body["rows"])
    assert keys == [f"K{n}" for n in range(20000)]
    assert body["totalRowCount"] == 20000

    last_page = client.Sheets.get_sheet(sheet["id"], column_ids=[key], page_size=500, page=40)
    assert [r.row_number for r in last_page.rows] == list(range(19501, 20001))
    assert last_page.rows[-1].cells[0].value == "K19999"
