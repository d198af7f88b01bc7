"""Sheets and columns through the real smartsheet SDK: creation and its validation, listing, columns,
rename/delete by a user, auth and request-parsing errors."""

from __future__ import annotations

import pytest
import requests
import smartsheet
from smartsheet.exceptions import ApiError
from smartsheet.models import Column, Sheet

from smartbind_pipelines.sandbox.smartsheet.testing import sdk_client

INVOICE_COLUMNS = [
    {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
    {"title": "Folio", "type": "TEXT_NUMBER"},
    {"title": "Fecha", "type": "DATE"},
    {"title": "Total", "type": "TEXT_NUMBER"},
    {"title": "Estado", "type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]},
]


@pytest.fixture
def client(smartsheet_emulator):
    return sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)


@pytest.fixture
def workspace_id(smartsheet_emulator):
    return smartsheet_emulator.admin.post("workspaces", {"name": "Operaciones"})["id"]


def _sheet(name, columns):
    return Sheet({"name": name, "columns": [Column(spec) for spec in columns]})


def test_create_sheet_in_workspace_returns_result_with_columns(client, workspace_id, smartsheet_emulator):
    response = client.Workspaces.create_sheet_in_workspace(workspace_id, _sheet("Facturas", INVOICE_COLUMNS))

    assert response.message == "SUCCESS" and response.result_code == 0
    created = response.result
    assert created.name == "Facturas" and created.access_level == "OWNER"
    assert [c.title for c in created.columns] == [c["title"] for c in INVOICE_COLUMNS]
    assert [c.index for c in created.columns] == [0, 1, 2, 3, 4]
    assert created.columns[0].primary is True and created.columns[1].primary is None
    assert str(created.columns[4].type) == "PICKLIST" and list(created.columns[4].options) == [
        "Vigente",
        "Pagada",
        "Cancelada",
    ]
    ids = [created.id] + [c.id for c in created.columns]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, int) and 0 < i < 2**53 for i in ids)
    assert sorted(ids) != [ids[0] + k for k in range(len(ids))]  # not a sequence
    assert client.Sheets.get_sheet(created.id).version == 0


def test_create_sheet_in_folder_and_home(client, smartsheet_emulator):
    folder_id = smartsheet_emulator.admin.post("folders", {"name": "Ventas"})["id"]
    in_folder = client.Folders.create_sheet_in_folder(folder_id, _sheet("Inventario", INVOICE_COLUMNS[:2]))
    with pytest.warns(DeprecationWarning):
        at_home = client.Home.create_sheet(_sheet("Otra", INVOICE_COLUMNS[:2]))
    assert in_folder.result.id != at_home.result.id
    listed = client.Sheets.list_sheets(include_all=True)
    assert [s.name for s in listed.data] == ["Inventario", "Otra"]
    assert listed.total_count == 2


def test_create_sheet_in_unknown_container_is_404(client):
    with pytest.raises(ApiError) as raised:
        client.Folders.create_sheet_in_folder(1234567890123456, _sheet("X", INVOICE_COLUMNS[:1]))
    assert raised.value.error.result.code == 1006
    assert raised.value.error.result.status_code == 404


@pytest.mark.parametrize(
    ("columns", "code"),
    [
        ([], 1054),
        ([{"title": "A", "type": "TEXT_NUMBER"}], 1055),
        (
            [
                {"title": "A", "type": "TEXT_NUMBER", "primary": True},
                {"title": "B", "type": "TEXT_NUMBER", "primary": True},
            ],
            1055,
        ),
        ([{"title": "A", "type": "DATE", "primary": True}], 1057),
        ([{"title": "A", "type": "TEXT_NUMBER", "primary": True}, {"title": "A", "type": "DATE"}], 1133),
        (
            [{"title": "A", "type": "TEXT_NUMBER", "primary": True}, {"title": "B", "type": "DATE", "options": ["x"]}],
            1060,
        ),
    ],
)
def test_create_sheet_column_validation(smartsheet_emulator, workspace_id, columns, code):
    # Raw HTTP: the SDK drops empty lists and unknown enum values before they reach the wire.
    response = requests.post(
        f"{smartsheet_emulator.url}/workspaces/{workspace_id}/sheets",
        json={"name": "Mala", "columns": columns},
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert body["errorCode"] == code and isinstance(body["refId"], str) and body["message"]
    assert smartsheet_emulator.state.list_sheets() == []


def test_unknown_column_type_is_refused(smartsheet_emulator, workspace_id):
    response = requests.post(
        f"{smartsheet_emulator.url}/workspaces/{workspace_id}/sheets",
        json={
            "name": "Mala",
            "columns": [{"title": "A", "type": "TEXT_NUMBER", "primary": True}, {"title": "B", "type": "MONEY"}],
        },
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
        timeout=5,
    )
    assert (response.status_code, response.json()["errorCode"]) == (400, 1031)


def test_sdk_sees_validation_error_as_api_error(client, workspace_id):
    with pytest.raises(ApiError) as raised:
        client.Workspaces.create_sheet_in_workspace(
            workspace_id, _sheet("Mala", [{"title": "A", "type": "TEXT_NUMBER"}])
        )
    assert raised.value.error.result.code == 1055
    assert raised.value.message.startswith("1055: ")


def test_default_mode_returns_error_objects(smartsheet_emulator):
    client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, raise_errors=False)
    result = client.Sheets.get_sheet(1234567890123456)
    assert isinstance(result, smartsheet.models.Error)
    assert (result.result.status_code, result.result.code) == (404, 1006)


def test_columns_index_result_and_paging(client, smartsheet_emulator):
    sheet = smartsheet_emulator.state.create_sheet("Facturas", INVOICE_COLUMNS)
    everything = client.Sheets.get_columns(sheet["id"], include_all=True)
    assert everything.total_count == 5 and everything.page_size is None and len(everything.data) == 5
    second_page = client.Sheets.get_columns(sheet["id"], page_size=2, page=2)
    assert (second_page.page_number, second_page.page_size, second_page.total_pages) == (2, 2, 3)
    assert [c.title for c in second_page.data] == ["Fecha", "Total"]


def test_user_renames_and_deletes_columns(client, smartsheet_emulator):
    sheet = smartsheet_emulator.state.create_sheet("Facturas", INVOICE_COLUMNS)
    ids = {c["title"]: c["id"] for c in sheet["columns"]}
    client.Sheets.add_rows(
        sheet["id"],
        [
            smartsheet.models.Row(
                {"cells": [{"column_id": ids["UUID"], "value": "A-1"}, {"column_id": ids["Folio"], "value": 7}]}
            )
        ],
    )

    renamed = client.Sheets.update_column(sheet["id"], ids["Folio"], Column({"title": "Número"}))
    assert renamed.result.title == "Número" and renamed.version == 2
    assert client.Sheets.get_column(sheet["id"], ids["Folio"]).title == "Número"
    assert smartsheet_emulator.state.rows_as_dicts(sheet["id"])[0]["cells"]["Número"] == 7

    with pytest.raises(ApiError) as clash:
        client.Sheets.update_column(sheet["id"], ids["Total"], Column({"title": "uuid"}))
    assert clash.value.error.result.code == 1056

    deleted = client.Sheets.delete_column(sheet["id"], ids["Total"])
    assert deleted.message == "SUCCESS"
    columns = client.Sheets.get_columns(sheet["id"], include_all=True).data
    assert [c.title for c in columns] == ["UUID", "Número", "Fecha", "Estado"]
    assert [c.index for c in columns] == [0, 1, 2, 3]
    assert client.Sheets.get_sheet_version(sheet["id"]).version == 3

    with pytest.raises(ApiError) as primary:
        client.Sheets.delete_column(sheet["id"], ids["UUID"])
    assert primary.value.error.result.status_code == 400


def test_delete_sheet(client, smartsheet_emulator):
    sheet = smartsheet_emulator.state.create_sheet("Facturas", INVOICE_COLUMNS)
    assert client.Sheets.delete_sheet(sheet["id"]).message == "SUCCESS"
    with pytest.raises(ApiError) as raised:
        client.Sheets.get_sheet(sheet["id"])
    assert raised.value.error.result.code == 1006


def test_missing_and_unknown_tokens(smartsheet_emulator):
    url = f"{smartsheet_emulator.url}/sheets"
    missing = requests.get(url, timeout=5)
    wrong = requests.get(url, headers={"Authorization": "Bearer not-the-token"}, timeout=5)
    assert (missing.status_code, missing.json()["errorCode"]) == (401, 1001)
    assert (wrong.status_code, wrong.json()["errorCode"]) == (401, 1002)
    assert "not-the-token" not in wrong.text
    client = sdk_client(smartsheet_emulator.url, "not-the-token")
    with pytest.raises(ApiError) as raised:
        client.Sheets.list_sheets()
    assert raised.value.error.result.code == 1002


def test_request_parsing_errors(smartsheet_emulator):
    sheet = smartsheet_emulator.state.create_sheet("Facturas", INVOICE_COLUMNS)
    url = f"{smartsheet_emulator.url}/sheets/{sheet['id']}/rows"
    auth = {"Authorization": f"Bearer {smartsheet_emulator.token}", "Content-Type": "application/json"}
    broken = requests.post(url, data="[{", headers=auth, timeout=5)
    empty = requests.post(url, data="", headers=auth, timeout=5)
    no_ids = requests.delete(url, headers=auth, timeout=5)
    bad_flag = requests.post(f"{url}?allowPartialSuccess=maybe", json=[{}], headers=auth, timeout=5)
    wrong_method = requests.patch(url, json=[], headers=auth, timeout=5)
    assert (broken.status_code, broken.json()["errorCode"]) == (400, 1008)
    assert broken.json()["message"].startswith("Unable to parse request. The following error occurred: ")
    assert (empty.status_code, empty.json()["errorCode"]) == (400, 1024)
    assert (no_ids.status_code, no_ids.json()["errorCode"]) == (400, 1009)
    assert (bad_flag.status_code, bad_flag.json()["errorCode"]) == (400, 1018)
    assert (wrong_method.status_code, wrong_method.json()["errorCode"]) == (405, 1010)


def test_query_booleans_are_case_insensitive(smartsheet_emulator):
    smartsheet_emulator.state.create_sheet("Facturas", INVOICE_COLUMNS)
    auth = {"Authorization": f"Bearer {smartsheet_emulator.token}"}
    for spelling in ("True", "true", "TRUE"):
        body = requests.get(f"{smartsheet_emulator.url}/sheets?includeAll={spelling}", headers=auth, timeout=5).json()
        assert "pageSize" not in body and body["totalCount"] == 1
    paged = requests.get(f"{smartsheet_emulator.url}/sheets?includeAll=False", headers=auth, timeout=5).json()
    assert paged["pageSize"] == 100
