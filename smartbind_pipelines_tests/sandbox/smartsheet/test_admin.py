"""The Smartsheet emulator's /_sandbox admin routes and Python state methods."""

from __future__ import annotations

import pytest
import requests
from smartsheet.models import Cell, Row

from smartbind_pipelines.sandbox.smartsheet import SmartsheetState
from smartbind_pipelines.sandbox.smartsheet.testing import sdk_client

SEED_INVOICES_SHEET = 4956740131966852
COLUMNS = [{"title": "UUID", "type": "TEXT_NUMBER", "primary": True}, {"title": "Total", "type": "TEXT_NUMBER"}]


def test_create_sheet_with_chosen_id_and_dump_rows(smartsheet_emulator):
    admin = smartsheet_emulator.admin
    created = admin.post("sheets", {"id": SEED_INVOICES_SHEET, "name": "Facturas", "columns": COLUMNS})
    assert created["id"] == SEED_INVOICES_SHEET
    client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)
    total_id = created["columns"][1]["id"]
    client.Sheets.add_rows(
        SEED_INVOICES_SHEET,
        [
            Row(
                {
                    "cells": [
                        Cell({"column_id": created["columns"][0]["id"], "value": "A"}),
                        Cell({"column_id": total_id, "value": 116}),
                    ]
                }
            )
        ],
    )
    admin.reset_requests()
    rows = admin.get(f"sheets/{SEED_INVOICES_SHEET}/rows")
    assert [r["cells"] for r in rows] == [{"UUID": "A", "Total": 116}] and isinstance(rows[0]["id"], int)
    assert admin.requests()["total"] == 0  # admin reads stay out of the API request log

    with pytest.raises(requests.HTTPError) as duplicate:
        admin.post("sheets", {"id": SEED_INVOICES_SHEET, "name": "Otra", "columns": COLUMNS})
    assert duplicate.value.response.status_code == 400
    with pytest.raises(requests.HTTPError) as invalid:
        admin.post("sheets", {"name": "Mala", "columns": [{"title": "A", "type": "DATE", "primary": True}]})
    assert "1057" in invalid.value.response.json()["error"]


def test_config_containers_and_reset(smartsheet_emulator):
    admin = smartsheet_emulator.admin
    config = admin.put("config", {"max_rows_per_request": 100, "save_collisions": True})
    assert config["max_rows_per_request"] == 100 and config["save_collisions"] is True and config["max_rows"] == 20000
    with pytest.raises(requests.HTTPError):
        admin.put("config", {"max_rowz": 1})
    with pytest.raises(requests.HTTPError):
        admin.put("config", {"save_collisions": "yes"})

    workspace = admin.post("workspaces", {"name": "Operaciones"})
    folder = admin.post("folders", {"name": "Ventas"})
    assert workspace["id"] != folder["id"]
    in_folder = admin.post("sheets", {"name": "F", "columns": COLUMNS, "folderId": folder["id"]})
    admin.inject("rate_limit", "/rows")
    admin.put(f"sheets/{in_folder['id']}/columns/{in_folder['columns'][1]['id']}", {"title": "Importe"})
    assert [c["title"] for c in smartsheet_emulator.state.list_columns(in_folder["id"])] == ["UUID", "Importe"]

    assert admin.post("reset") == {"reset": True}
    assert admin.get("sheets") == [] and admin.pending_faults() == []
    assert admin.get("config")["max_rows_per_request"] == 500


def test_state_methods_for_tests():
    state = SmartsheetState(seed=3)
    sheet = state.create_sheet("Facturas", COLUMNS + [{"title": "Nota", "type": "TEXT_NUMBER"}], sheet_id=123456)
    key, total, note = (c["id"] for c in sheet["columns"])
    state.add_rows(123456, [{"cells": [{"columnId": key, "value": "A"}, {"columnId": note, "value": "x"}]}])
    state.rename_column(123456, total, "Importe")
    state.delete_column(123456, note)
    assert state.rows_as_dicts(123456)[0]["cells"] == {"UUID": "A", "Importe": None}
    assert state.sheet_version(123456) == 3
    state.delete_sheet(123456)
    assert state.list_sheets() == []
    assert (
        SmartsheetState(seed=3).create_sheet("X", COLUMNS)["id"]
        == SmartsheetState(seed=3).create_sheet("X", COLUMNS)["id"]
    )


def test_short_sheet_reads_keep_the_true_total(smartsheet_emulator):
    admin = smartsheet_emulator.admin
    created = admin.post("sheets", {"name": "Larga", "columns": COLUMNS})
    sheet, uuid = created["id"], created["columns"][0]["id"]
    smartsheet_emulator.state.add_rows(
        sheet, [{"toBottom": True, "cells": [{"columnId": uuid, "value": f"u{n}"}]} for n in range(250)]
    )
    client = sdk_client(smartsheet_emulator.url, smartsheet_emulator.token)
    admin.put("config", {"unpaged_read_rows": 100})
    unpaged = client.Passthrough.get(f"/sheets/{sheet}", {}).data
    assert (len(unpaged["rows"]), unpaged["totalRowCount"]) == (100, 250)
    paged = client.Passthrough.get(f"/sheets/{sheet}", {"pageSize": 200, "page": 2}).data
    assert [row["cells"][0]["value"] for row in paged["rows"]] == [f"u{n}" for n in range(200, 250)]
    admin.put("config", {"unpaged_read_rows": 0, "read_rows_cap": 30})
    capped = client.Passthrough.get(f"/sheets/{sheet}", {"pageSize": 200, "page": 1}).data
    assert (len(capped["rows"]), capped["totalRowCount"]) == (30, 250)


def test_a_slow_save_lands_after_the_client_gave_up(smartsheet_emulator):
    import time

    admin = smartsheet_emulator.admin
    created = admin.post("sheets", {"name": "Lenta", "columns": COLUMNS})
    sheet, uuid = created["id"], created["columns"][0]["id"]
    admin.put("config", {"write_delay_ms": 2000, "write_delay_count": 1})
    body = [{"toBottom": True, "cells": [{"columnId": uuid, "value": "slow"}]}]
    with pytest.raises(requests.exceptions.Timeout):
        requests.post(
            f"{smartsheet_emulator.url}/sheets/{sheet}/rows",
            json=body,
            timeout=0.2,
            headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
        )
    assert admin.get(f"sheets/{sheet}/rows") == []  # still being saved
    deadline = time.monotonic() + 10
    while not admin.get(f"sheets/{sheet}/rows") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [row["cells"]["UUID"] for row in admin.get(f"sheets/{sheet}/rows")] == ["slow"]
    config = admin.get("config")
    assert (config["write_delay_ms"], config["write_delay_count"]) == (0, 0)  # one slow write, then normal
