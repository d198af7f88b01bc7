"""Rows through the real smartsheet SDK: batched adds, paged and column-restricted reads, updates, deletes,
partial success, strict typing, truncation, versions and the request/sheet limits."""

from __future__ import annotations

import pytest
import requests
from smartsheet.exceptions import ApiError
from smartsheet.models import Cell, Row

from smartbind_pipelines.sandbox.smartsheet.testing import sdk_client

COLUMNS = [
    {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
    {"title": "Folio", "type": "TEXT_NUMBER"},
    {"title": "Fecha", "type": "DATE"},
    {"title": "Total", "type": "TEXT_NUMBER"},
    {"title": "Estado", "type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]},
    {"title": "Timbrada", "type": "CHECKBOX"},
    {"title": "Contacto", "type": "CONTACT_LIST"},
]


@pytest.fixture
def client(smartsheet_emulator):
    return sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)


@pytest.fixture
def sheet(smartsheet_emulator):
    created = smartsheet_emulator.state.create_sheet("Facturas", COLUMNS)
    created["col"] = {c["title"]: c["id"] for c in created["columns"]}
    return created


def invoice_row(col, n, **overrides):
    values = {
        "UUID": f"UUID-{n:05d}",
        "Folio": n,
        "Fecha": "2024-05-01",
        "Total": round(n * 1.16, 2),
        "Estado": "Vigente",
        **overrides,
    }
    return Row({"to_bottom": True, "cells": [Cell({"column_id": col[t], "value": v}) for t, v in values.items()]})


def add_in_batches(client, sheet, count, batch=500):
    versions = []
    for start in range(0, count, batch):
        response = client.Sheets.add_rows(
            sheet["id"], [invoice_row(sheet["col"], n) for n in range(start, min(count, start + batch))]
        )
        versions.append(response.version)
    return versions


def error_of(call):
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value.error.result


def test_add_1203_rows_in_batches_and_read_back_by_page_and_column(client, sheet, smartsheet_emulator):
    versions = add_in_batches(client, sheet, 1203)
    assert versions == [1, 2, 3]

    uuid_col = sheet["col"]["UUID"]
    seen, page = [], 1
    while True:
        got = client.Sheets.get_sheet(sheet["id"], column_ids=[uuid_col], page_size=500, page=page)
        assert got.total_row_count == 1203 and got.version == 3
        assert [c.id for c in got.columns] == [uuid_col]
        if not got.rows:
            break
        for row in got.rows:
            assert [c.column_id for c in row.cells] == [uuid_col]
            seen.append((row.row_number, row.cells[0].value, row.cells[0].display_value))
        page += 1
    assert page == 4
    assert [number for number, _, _ in seen] == list(range(1, 1204))
    assert [value for _, value, _ in seen] == [f"UUID-{n:05d}" for n in range(1203)]
    assert all(value == shown for _, value, shown in seen)

    full = client.Sheets.get_sheet(sheet["id"], row_numbers=[2, 1203, 5000])
    assert [r.row_number for r in full.rows] == [2, 1203]
    cells = {c.column_id: c for c in full.rows[0].cells}
    assert cells[sheet["col"]["Folio"]].value == 1 and cells[sheet["col"]["Folio"]].display_value == "1"
    assert cells[sheet["col"]["Fecha"]].value == "2024-05-01" and cells[sheet["col"]["Fecha"]].display_value is None
    assert cells[sheet["col"]["Timbrada"]].value is None  # never set: present but empty
    dumped = smartsheet_emulator.state.rows_as_dicts(sheet["id"])
    assert len(dumped) == 1203 and dumped[-1]["cells"]["Folio"] == 1202


def test_row_ids_filter_and_exclude_nonexistent_cells(client, sheet):
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], n) for n in range(3)]).result
    picked = client.Sheets.get_sheet(sheet["id"], row_ids=[added[2].id], exclude="nonexistentCells")
    assert [r.id for r in picked.rows] == [added[2].id] and picked.rows[0].row_number == 3
    assert {c.column_id for c in picked.rows[0].cells} == {
        sheet["col"][t] for t in ("UUID", "Folio", "Fecha", "Total", "Estado")
    }
    assert picked.rows[0].sibling_id == added[1].id
    one = client.Sheets.get_row(sheet["id"], added[0].id)
    assert one.id == added[0].id and one.row_number == 1


def test_if_version_after_returns_only_the_version(client, sheet):
    client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], 1)])
    unchanged = client.Sheets.get_sheet(sheet["id"], if_version_after=1)
    assert unchanged.version == 1 and not unchanged.rows and unchanged.name is None
    changed = client.Sheets.get_sheet(sheet["id"], if_version_after=0)
    assert len(changed.rows) == 1


def test_update_merges_cells_and_clears_with_empty_string(client, sheet, smartsheet_emulator):
    col = sheet["col"]
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(col, n) for n in range(2)]).result
    response = client.Sheets.update_rows(
        sheet["id"],
        [
            Row(
                {
                    "id": added[0].id,
                    "cells": [
                        Cell({"column_id": col["Estado"], "value": "Pagada"}),
                        Cell({"column_id": col["Total"], "value": ""}),
                        Cell({"column_id": col["Timbrada"], "value": True}),
                    ],
                }
            )
        ],
    )
    assert response.message == "SUCCESS" and response.version == 2
    assert [r.id for r in response.result] == [added[0].id]
    after = smartsheet_emulator.state.rows_as_dicts(sheet["id"])
    assert after[0]["cells"] | {} == {
        "UUID": "UUID-00000",
        "Folio": 0,
        "Fecha": "2024-05-01",
        "Total": None,
        "Estado": "Pagada",
        "Timbrada": True,
        "Contacto": None,
    }
    assert after[1]["cells"]["Estado"] == "Vigente"

    client.Sheets.update_rows(
        sheet["id"], [Row({"id": added[0].id, "cells": [Cell({"column_id": col["Timbrada"], "value": ""})]})]
    )
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"])[0]["cells"]["Timbrada"] is False


def test_update_unknown_row_is_404_with_index_and_row_id(client, sheet, smartsheet_emulator):
    col = sheet["col"]
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(col, 1)]).result
    # Raw HTTP: the SDK's Error drops both ``detail`` and the response (4.4.0 resets request_response).
    response = requests.put(
        f"{smartsheet_emulator.url}/sheets/{sheet['id']}/rows",
        json=[
            {"id": added[0].id, "cells": [{"columnId": col["Folio"], "value": 99}]},
            {"id": 1234567890123456, "cells": [{"columnId": col["Folio"], "value": 5}]},
        ],
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
        timeout=5,
    )
    body = response.json()
    assert (response.status_code, body["errorCode"], body["message"]) == (404, 1006, "Not Found")
    assert body["detail"] == {"index": 1, "rowId": 1234567890123456}
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"])[0]["cells"]["Folio"] == 1  # nothing applied
    assert client.Sheets.get_sheet_version(sheet["id"]).version == 1


def test_refetched_rows_cannot_be_sent_back(client, sheet):
    client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], 1)])
    fetched = client.Sheets.get_sheet(sheet["id"]).rows[0]
    error = error_of(lambda: client.Sheets.update_rows(sheet["id"], [fetched]))
    assert error.code == 1032
    for attribute in ("row.rowNumber", "row.createdAt", "row.modifiedAt", "row.sheetId"):
        assert attribute in error.message

    shown = Row(
        {"id": fetched.id, "cells": [Cell({"column_id": sheet["col"]["Folio"], "value": 3, "display_value": "3"})]}
    )
    error = error_of(lambda: client.Sheets.update_rows(sheet["id"], [shown]))
    assert error.code == 1032 and "cell.displayValue" in error.message


def test_update_requires_row_id(client, sheet):
    error = error_of(
        lambda: client.Sheets.update_rows(
            sheet["id"], [Row({"cells": [Cell({"column_id": sheet["col"]["Folio"], "value": 3})]})]
        )
    )
    assert (error.code, error.message) == (1012, "Required object attribute(s) are missing from your request: row.id.")


@pytest.mark.parametrize(
    ("title", "value", "code"),
    [
        ("Timbrada", "yes", 1042),
        ("Timbrada", 1, 1042),
        ("Fecha", "01/05/2024", 1042),
        ("Fecha", "2024-02-30", 1042),
        ("Estado", "Perdida", 1042),
        ("Contacto", "no es correo", 1042),
        ("Total", 2**53 + 2, 1148),
    ],
)
def test_strict_typing_errors(client, sheet, smartsheet_emulator, title, value, code):
    rows = [invoice_row(sheet["col"], 0), invoice_row(sheet["col"], 1, **{title: value})]
    error = error_of(lambda: client.Sheets.add_rows(sheet["id"], rows))
    assert (error.status_code, error.code) == (400, code)
    if code == 1042:
        assert str(sheet["col"][title]) in error.message and "strict requirements" in error.message
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == []


def test_lenient_cells_parse_text(client, sheet, smartsheet_emulator):
    col = sheet["col"]
    client.Sheets.add_rows(
        sheet["id"],
        [
            Row(
                {
                    "cells": [
                        Cell({"column_id": col["UUID"], "value": "00123", "strict": False}),
                        Cell({"column_id": col["Timbrada"], "value": "true", "strict": False}),
                        Cell({"column_id": col["Estado"], "value": "Perdida", "strict": False}),
                    ]
                }
            )
        ],
    )
    stored = smartsheet_emulator.state.rows_as_dicts(sheet["id"])[0]["cells"]
    assert stored["UUID"] == 123 and stored["Timbrada"] is True and stored["Estado"] == "Perdida"


def test_structural_cell_errors(sheet, smartsheet_emulator):
    col = sheet["col"]
    url = f"{smartsheet_emulator.url}/sheets/{sheet['id']}/rows"
    auth = {"Authorization": f"Bearer {smartsheet_emulator.token}"}

    def post(cells):
        return requests.post(
            url, json=[{"cells": [{"columnId": col["UUID"], "value": "ok"}]}, {"cells": cells}], headers=auth, timeout=5
        ).json()

    unknown = post([{"columnId": 42, "value": "x"}])
    assert (unknown["errorCode"], unknown["message"], unknown["detail"]) == (
        1036,
        "The columnId 42 is invalid.",
        {"index": 1},
    )
    assert post([{"columnId": col["Folio"], "value": 1}, {"columnId": col["Folio"], "value": 2}])["errorCode"] == 1037
    missing = post([{"columnId": col["Folio"]}])  # what the SDK sends for value=None or a date object
    assert (missing["errorCode"], missing["message"]) == (
        1012,
        "Required object attribute(s) are missing from your request: cell.value.",
    )
    assert post([{"columnId": col["Folio"], "value": [1, 2]}])["errorCode"] == 1038
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == []


def test_partial_success_reports_failed_items(client, sheet, smartsheet_emulator):
    col = sheet["col"]
    rows = [invoice_row(col, 0), invoice_row(col, 1, Timbrada="si"), invoice_row(col, 2)]
    response = client.Sheets.add_rows_with_partial_success(sheet["id"], rows)
    assert (response.message, response.result_code, response.version) == ("PARTIAL_SUCCESS", 3, 1)
    assert [r.cells[0].value for r in response.result] == ["UUID-00000", "UUID-00002"]
    assert [(f.index, f.error.code) for f in response.failed_items] == [(1, 1042)]
    assert isinstance(response.failed_items[0].error.ref_id, str)

    ids = [r.id for r in response.result]
    updated = client.Sheets.update_rows_with_partial_success(
        sheet["id"],
        [
            Row({"id": 1234567890123456, "cells": [Cell({"column_id": col["Folio"], "value": 1})]}),
            Row({"id": ids[1], "cells": [Cell({"column_id": col["Estado"], "value": "Pagada"})]}),
        ],
    )
    assert updated.message == "PARTIAL_SUCCESS" and updated.version == 2
    assert [(f.index, f.row_id, f.error.code) for f in updated.failed_items] == [(0, 1234567890123456, 1006)]

    nothing = client.Sheets.add_rows_with_partial_success(sheet["id"], [invoice_row(col, 9, Fecha="ayer")])
    assert nothing.message == "PARTIAL_SUCCESS" and not nothing.result and nothing.version == 2
    all_good = client.Sheets.add_rows_with_partial_success(sheet["id"], [invoice_row(col, 9)])
    assert (all_good.message, all_good.result_code, all_good.version) == ("SUCCESS", 0, 3)
    assert not all_good.failed_items


def test_long_text_is_truncated_at_4000_characters(client, sheet, smartsheet_emulator):
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], 1, UUID="x" * 4001)]).result
    assert added[0].cells[0].value == "x" * 4000
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"])[0]["cells"]["UUID"] == "x" * 4000


def test_delete_rows_with_and_without_ignore(client, sheet, smartsheet_emulator):
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], n) for n in range(4)]).result
    ids = [r.id for r in added]
    error = error_of(lambda: client.Sheets.delete_rows(sheet["id"], [ids[0], 1234567890123456]))
    assert (error.status_code, error.code) == (404, 1006)
    assert len(smartsheet_emulator.state.rows_as_dicts(sheet["id"])) == 4

    response = client.Sheets.delete_rows(sheet["id"], [ids[0], 1234567890123456, ids[2]], ignore_rows_not_found=True)
    assert sorted(v.value for v in response.result) == sorted([ids[0], ids[2]]) and response.version == 2
    left = client.Sheets.get_sheet(sheet["id"])
    assert [(r.id, r.row_number) for r in left.rows] == [(ids[1], 1), (ids[3], 2)]
    assert left.total_row_count == 2

    nothing = client.Sheets.delete_rows(sheet["id"], [1234567890123456], ignore_rows_not_found=True)
    assert list(nothing.result) == [] and nothing.version == 2


def test_version_bumps_once_per_successful_mutation(client, sheet):
    col = sheet["col"]
    version = lambda: client.Sheets.get_sheet_version(sheet["id"]).version  # noqa: E731
    assert version() == 0
    added = client.Sheets.add_rows(sheet["id"], [invoice_row(col, n) for n in range(10)]).result
    assert version() == 1
    client.Sheets.update_rows(
        sheet["id"], [Row({"id": r.id, "cells": [Cell({"column_id": col["Folio"], "value": 5})]}) for r in added]
    )
    assert version() == 2
    error_of(lambda: client.Sheets.add_rows(sheet["id"], [invoice_row(col, 1, Fecha="mañana")]))
    assert version() == 2
    client.Sheets.get_sheet(sheet["id"])
    assert version() == 2


def test_501_rows_in_one_request_are_refused(client, sheet, smartsheet_emulator):
    error = error_of(lambda: client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], n) for n in range(501)]))
    assert (error.status_code, error.code) == (400, 1160)
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == []

    smartsheet_emulator.admin.put("config", {"reject_oversized_batches": False})
    assert len(client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], n) for n in range(501)]).result) == 501


def test_capacity_refusal_leaves_sheet_unchanged(client, sheet, smartsheet_emulator):
    smartsheet_emulator.admin.put("config", {"max_rows": 12})
    add_in_batches(client, sheet, 10)
    before = smartsheet_emulator.state.rows_as_dicts(sheet["id"])
    error = error_of(lambda: client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], n) for n in range(3)]))
    assert (error.status_code, error.code) == (400, 1061)
    partial = error_of(
        lambda: client.Sheets.add_rows_with_partial_success(
            sheet["id"], [invoice_row(sheet["col"], n) for n in range(3)]
        )
    )
    assert partial.code == 1061
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"]) == before
    assert client.Sheets.get_sheet_version(sheet["id"]).version == 1

    smartsheet_emulator.admin.put("config", {"max_rows": 20000, "max_cells": 7 * 11})
    assert error_of(lambda: client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], 1)] * 2)).code == 1061
    assert len(client.Sheets.add_rows(sheet["id"], [invoice_row(sheet["col"], 1)]).result) == 1


def test_row_locations(client, sheet):
    col = sheet["col"]
    first = client.Sheets.add_rows(sheet["id"], [invoice_row(col, n) for n in range(2)]).result
    top = client.Sheets.add_rows(
        sheet["id"],
        [Row({"to_top": True, "cells": [Cell({"column_id": col["UUID"], "value": f"T{n}"})]}) for n in range(2)],
    ).result
    assert [r.row_number for r in top] == [1, 2]
    mixed = [
        Row({"to_top": True, "cells": [Cell({"column_id": col["UUID"], "value": "a"})]}),
        Row({"to_bottom": True, "cells": [Cell({"column_id": col["UUID"], "value": "b"})]}),
    ]
    assert error_of(lambda: client.Sheets.add_rows(sheet["id"], mixed)).code == 1123
    child = client.Sheets.add_rows(
        sheet["id"], [Row({"parent_id": first[0].id, "cells": [Cell({"column_id": col["UUID"], "value": "hijo"})]})]
    ).result[0]
    assert child.parent_id == first[0].id and child.row_number == 4
    deleted = client.Sheets.delete_rows(sheet["id"], [first[0].id])
    assert {v.value for v in deleted.result} == {first[0].id, child.id}
