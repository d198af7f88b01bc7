"""upsert_sheet against the Smartsheet emulator, through the real smartsheet SDK over HTTP."""

from __future__ import annotations

import logging

import pytest

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.sheets import (
    ColumnSpec,
    FixedBackoff,
    MissingColumnError,
    SheetApiError,
    SheetCapacityError,
    SheetGateway,
    SheetMapping,
    StalePolicy,
    upsert_sheet,
)

ROWS_PATH = r"/sheets/\d+/rows$"


@pytest.fixture(autouse=True)
def _quiet_sdk():
    # the SDK logs every non-2xx at ERROR; the faults below are deliberate
    logging.getLogger("smartsheet").setLevel(logging.CRITICAL)


@pytest.fixture
def gateway(smartsheet_emulator):
    return SheetGateway.connect(
        smartsheet_emulator.token,
        smartsheet_emulator.url,
        timeout=10,
        max_retry_time=FixedBackoff(0.01, 5),
        retry_delay=0.01,
    )


@pytest.fixture
def sheet_id(gateway, smartsheet_emulator):
    created = gateway.create_sheet("Facturas", INVOICE_MAPPING)
    smartsheet_emulator.admin.reset_requests()
    return created["id"]


def invoice(n: int, **cells) -> dict:
    base = {
        "UUID": f"65491c47-0000-4000-8000-{n:012d}",
        "Folio": f"A-{n}",
        "Fecha": "2026-01-19",
        "RFC Cliente": "XAXX010101000",
        "Nombre Cliente": f"Cliente {n}",
        "Total": round(100 + n * 1.1, 2),
        "Estado": "Vigente",
    }
    return {**base, **cells}


def sheet_rows(emulator, sheet_id) -> list[dict]:
    return emulator.admin.get(f"sheets/{sheet_id}/rows")


def by_uuid(emulator, sheet_id) -> dict[str, dict]:
    rows = sheet_rows(emulator, sheet_id)
    cells = [row.get("cells", row) for row in rows]
    return {c["UUID"]: c for c in cells}


def writes(counts: dict) -> dict:
    return {endpoint: n for endpoint, n in counts.items() if not endpoint.startswith("GET ")}


def test_emulator_row_dump_shape(smartsheet_emulator, gateway, sheet_id):
    upsert_sheet(gateway, sheet_id, [invoice(1)], INVOICE_MAPPING)
    found = by_uuid(smartsheet_emulator, sheet_id)
    assert found[invoice(1)["UUID"]]["Total"] == invoice(1)["Total"]


def test_first_sync_then_a_rerun_sends_zero_writes(smartsheet_emulator, gateway, sheet_id):
    records = [invoice(n) for n in range(250)]
    first = upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    assert (first.inserted, first.updated, first.unchanged, first.failed) == (250, 0, 0, [])
    counts = smartsheet_emulator.admin.counts()
    assert counts.get("POST /2.0/sheets/{id}/rows") == 1  # 250 rows fit one batch
    assert counts.get("GET /2.0/sheets/{id}") == 1  # the key index: one request
    stored = by_uuid(smartsheet_emulator, sheet_id)
    assert len(stored) == 250
    assert stored[invoice(7)["UUID"]]["Fecha"] == "2026-01-19"
    assert stored[invoice(7)["UUID"]]["Total"] == invoice(7)["Total"]

    smartsheet_emulator.admin.reset_requests()
    again = upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 250)
    assert writes(smartsheet_emulator.admin.counts()) == {}
    assert again.writes == 0 and again.requests["GET /sheets/{id}"] == 1


def test_one_status_change_and_one_new_invoice(smartsheet_emulator, gateway, sheet_id):
    records = [invoice(n) for n in range(30)]
    upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    smartsheet_emulator.admin.reset_requests()
    records[4] = invoice(4, Estado="Pagada")
    records.append(invoice(99))
    result = upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 29)
    assert [(c["column"], c["before"], c["after"]) for c in result.changes] == [("Estado", "Vigente", "Pagada")]
    assert writes(smartsheet_emulator.admin.counts()) == {
        "PUT /2.0/sheets/{id}/rows": 1,
        "POST /2.0/sheets/{id}/rows": 1,
    }
    update = result.plan.updates[0]
    assert update.changes == {"Estado": "Pagada"}  # only the changed cell travels
    stored = by_uuid(smartsheet_emulator, sheet_id)
    assert stored[invoice(4)["UUID"]]["Estado"] == "Pagada" and invoice(99)["UUID"] in stored


def test_batches_of_at_most_500_serially(smartsheet_emulator, gateway, sheet_id):
    result = upsert_sheet(gateway, sheet_id, [invoice(n) for n in range(1203)], INVOICE_MAPPING)
    assert result.inserted == 1203
    assert smartsheet_emulator.admin.counts()["POST /2.0/sheets/{id}/rows"] == 3
    assert len(sheet_rows(smartsheet_emulator, sheet_id)) == 1203


def test_partial_failure_is_reported_by_key_and_the_rest_written(smartsheet_emulator, gateway):
    mapping = SheetMapping(key=("UUID",), columns=(ColumnSpec("UUID"), ColumnSpec("Estado")))
    created = smartsheet_emulator.admin.post(
        "sheets",
        {
            "name": "Picklist",
            "columns": [
                {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
                {"title": "Estado", "type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]},
            ],
        },
    )
    records = [{"UUID": f"u{n}", "Estado": "Vigente"} for n in range(5)]
    records[2]["Estado"] = "Desconocido (7)"  # not an option: the strict PICKLIST check refuses this row
    result = upsert_sheet(gateway, created["id"], records, mapping)
    assert result.inserted == 4
    assert [(f.key, f.error_code) for f in result.failed] == [(("u2",), 1042)]
    stored = {row.get("cells", row)["UUID"] for row in sheet_rows(smartsheet_emulator, created["id"])}
    assert stored == {"u0", "u1", "u3", "u4"}


def test_a_missing_column_is_named_and_nothing_is_written(smartsheet_emulator, gateway, sheet_id):
    columns = gateway.sheet_columns(sheet_id)
    smartsheet_emulator.admin.delete(f"sheets/{sheet_id}/columns/{columns['Estado']['id']}")
    smartsheet_emulator.admin.reset_requests()
    with pytest.raises(MissingColumnError) as caught:
        upsert_sheet(gateway, sheet_id, [invoice(1)], INVOICE_MAPPING)
    assert "'Estado'" in str(caught.value) and str(sheet_id) in str(caught.value)
    assert caught.value.missing == ["Estado"]
    assert writes(smartsheet_emulator.admin.counts()) == {}


def test_rate_limit_4003_and_save_collision_4004_are_retried(smartsheet_emulator, gateway, sheet_id):
    smartsheet_emulator.admin.inject("rate_limit", ROWS_PATH, method="POST", count=2)
    smartsheet_emulator.admin.inject("server_error", r"/sheets/\d+$", method="GET", count=2)  # 500 + 4004
    result = upsert_sheet(gateway, sheet_id, [invoice(n) for n in range(10)], INVOICE_MAPPING)
    assert result.inserted == 10 and result.failed == []
    counts = smartsheet_emulator.admin.counts()
    assert counts["POST /2.0/sheets/{id}/rows"] == 3 and counts["GET /2.0/sheets/{id}"] == 3
    assert len(sheet_rows(smartsheet_emulator, sheet_id)) == 10


def test_a_non_retried_5xx_on_an_update_is_retried_by_the_gateway(smartsheet_emulator, gateway, sheet_id):
    upsert_sheet(gateway, sheet_id, [invoice(1)], INVOICE_MAPPING)
    smartsheet_emulator.admin.inject("custom", ROWS_PATH, method="PUT", status=502, body="<html>Bad gateway</html>")
    result = upsert_sheet(gateway, sheet_id, [invoice(1, Estado="Cancelada")], INVOICE_MAPPING)
    assert result.updated == 1
    assert by_uuid(smartsheet_emulator, sheet_id)[invoice(1)["UUID"]]["Estado"] == "Cancelada"


def test_lost_answer_after_an_applied_add_never_duplicates(smartsheet_emulator, gateway, sheet_id):
    records = [invoice(n) for n in range(700)]  # two add batches: 500 then 200
    smartsheet_emulator.admin.inject("drop_after", ROWS_PATH, method="POST", count=1)
    result = upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    assert result.inserted == 700 and result.failed == []
    assert any("re-reading the key index" in note for note in result.warnings)
    uuids = [row.get("cells", row)["UUID"] for row in sheet_rows(smartsheet_emulator, sheet_id)]
    assert len(uuids) == 700 and len(set(uuids)) == 700
    # the first batch was applied: the retry sent only the second one
    assert smartsheet_emulator.admin.counts()["POST /2.0/sheets/{id}/rows"] == 2


def test_lost_connection_before_an_add_is_applied_is_resent(smartsheet_emulator, gateway, sheet_id):
    smartsheet_emulator.admin.inject("drop", ROWS_PATH, method="POST", count=1)
    result = upsert_sheet(gateway, sheet_id, [invoice(n) for n in range(20)], INVOICE_MAPPING)
    assert result.inserted == 20
    assert len(sheet_rows(smartsheet_emulator, sheet_id)) == 20


def test_duplicates_already_in_the_sheet_are_reported_not_multiplied(smartsheet_emulator, gateway, sheet_id):
    upsert_sheet(gateway, sheet_id, [invoice(1), invoice(2)], INVOICE_MAPPING)
    gateway.add_rows(sheet_id, [invoice(1)], gateway.sheet_columns(sheet_id))  # a user pasted a copy
    result = upsert_sheet(gateway, sheet_id, [invoice(1, Estado="Pagada"), invoice(2)], INVOICE_MAPPING)
    assert list(result.duplicate_sheet_keys) == [(invoice(1)["UUID"],)]
    assert result.updated == 1 and result.inserted == 0
    assert len(sheet_rows(smartsheet_emulator, sheet_id)) == 3


def _seed(emulator, sheet_id, column_id, count, prefix):
    # straight into the emulator's state: the SDK would spend seconds building 20,000 row objects
    for start in range(0, count, 500):
        emulator.state.add_rows(
            sheet_id,
            [
                {"toBottom": True, "cells": [{"columnId": column_id, "value": f"{prefix}{n}"}]}
                for n in range(start, min(count, start + 500))
            ],
        )


def test_capacity_warning_at_80_percent_and_refusal_before_the_row_limit(smartsheet_emulator, gateway):
    key_only = SheetMapping(key=("UUID",), columns=(ColumnSpec("UUID"),))
    sheet = gateway.create_sheet("Llena", key_only)["id"]
    _seed(smartsheet_emulator, sheet, gateway.sheet_columns(sheet)["UUID"]["id"], 19_900, "u")
    near = upsert_sheet(gateway, sheet, [{"UUID": f"u{n}"} for n in range(50)] + [{"UUID": "new"}], key_only)
    assert near.inserted == 1 and any("80%" in note and "19,901 rows" in note for note in near.warnings)

    smartsheet_emulator.admin.reset_requests()
    version = gateway.sheet_version(sheet)
    with pytest.raises(SheetCapacityError, match="nothing was written") as caught:
        upsert_sheet(gateway, sheet, [{"UUID": f"v{n}"} for n in range(100)], key_only)
    assert "20,001 rows" in str(caught.value)
    assert writes(smartsheet_emulator.admin.counts()) == {}
    assert gateway.sheet_version(sheet) == version
    assert len(sheet_rows(smartsheet_emulator, sheet)) == 19_901


def test_capacity_refusal_before_the_cell_limit(smartsheet_emulator, gateway):
    # 300 columns: 500,000 cells are reached at 1,666 rows, long before 20,000 rows
    wide = SheetMapping(key=("UUID",), columns=(ColumnSpec("UUID"), *(ColumnSpec(f"C{i}") for i in range(299))))
    sheet = gateway.create_sheet("Ancha", wide)["id"]
    _seed(smartsheet_emulator, sheet, gateway.sheet_columns(sheet)["UUID"]["id"], 1_600, "u")
    smartsheet_emulator.admin.reset_requests()
    key_only = SheetMapping(key=("UUID",), columns=(ColumnSpec("UUID"),))
    with pytest.raises(SheetCapacityError, match="500,000 cells"):
        upsert_sheet(gateway, sheet, [{"UUID": f"v{n}"} for n in range(100)], key_only)
    assert writes(smartsheet_emulator.admin.counts()) == {}
    assert len(sheet_rows(smartsheet_emulator, sheet)) == 1_600


def test_dry_run_plans_everything_and_writes_nothing(smartsheet_emulator, gateway, sheet_id):
    upsert_sheet(gateway, sheet_id, [invoice(1), invoice(2)], INVOICE_MAPPING)
    version = gateway.sheet_version(sheet_id)
    smartsheet_emulator.admin.reset_requests()
    result = upsert_sheet(
        gateway, sheet_id, [invoice(1, Total=5), invoice(2), invoice(3)], INVOICE_MAPPING, dry_run=True
    )
    assert result.dry_run and (result.inserted, result.updated) == (0, 0)
    assert len(result.plan.adds) == 1 and result.plan.unchanged == 1
    assert [(c["column"], c["after"]) for c in result.changes] == [("Total", 5)]
    assert writes(smartsheet_emulator.admin.counts()) == {}
    assert gateway.sheet_version(sheet_id) == version


def test_stale_rows_zeroed_then_deleted(smartsheet_emulator, gateway):
    mapping = SheetMapping(
        key=("ID Producto", "Almacén"),
        columns=(ColumnSpec("ID Producto"), ColumnSpec("Almacén"), ColumnSpec("Existencias", "number")),
    )
    sheet = gateway.create_sheet("Inventario", mapping)["id"]
    stock = [
        {"ID Producto": f"p{n}", "Almacén": w, "Existencias": n + 1} for n in range(3) for w in ("Central", "Norte")
    ]
    upsert_sheet(gateway, sheet, stock, mapping)
    central_now = [r for r in stock if r["Almacén"] == "Central" and r["ID Producto"] != "p1"]
    zero = StalePolicy("zero", {"Existencias": 0}, scope={"Almacén": {"Central"}})
    result = upsert_sheet(gateway, sheet, central_now, mapping, stale=zero)
    assert result.updated == 1 and result.unchanged == 2
    cells = [row.get("cells", row) for row in sheet_rows(smartsheet_emulator, sheet)]
    assert {(c["ID Producto"], c["Almacén"]): c["Existencias"] for c in cells}[("p1", "Central")] == 0
    assert {(c["ID Producto"], c["Almacén"]): c["Existencias"] for c in cells}[("p1", "Norte")] == 2
    delete = StalePolicy("delete", scope={"Almacén": {"Central"}})
    result = upsert_sheet(gateway, sheet, central_now, mapping, stale=delete)
    assert result.deleted == 1 and len(sheet_rows(smartsheet_emulator, sheet)) == 5


def test_an_unknown_sheet_is_a_clear_api_error(gateway, smartsheet_emulator):
    with pytest.raises(SheetApiError) as caught:
        upsert_sheet(gateway, 123456789, [invoice(1)], INVOICE_MAPPING)
    assert caught.value.status == 404 and caught.value.error_code == 1006
    assert smartsheet_emulator.token not in str(caught.value)


def test_bind_to_sheet_end_to_end(bind_emulator, smartsheet_emulator, gateway, sheet_id):
    from smartbind_pipelines.core.bind_client import BindClient
    from smartbind_pipelines.core.invoices import invoice_batch

    with BindClient(bind_emulator.url, bind_emulator.token) as bind:
        batch = invoice_batch(bind.invoices())
        first = upsert_sheet(gateway, sheet_id, batch.records, INVOICE_MAPPING)
        assert first.inserted == len(batch.records) and first.inserted + len(batch.skipped) == 250

        stamped = next(record for record in batch.records if record["Estado"] == "Vigente")
        bind_emulator.state.pay_invoice(batch.bind_ids[stamped["UUID"]])
        new = bind_emulator.state.stamp_invoice(bind_emulator.state.add_invoice()["ID"])
        smartsheet_emulator.admin.reset_requests()
        again = upsert_sheet(gateway, sheet_id, invoice_batch(bind.invoices()).records, INVOICE_MAPPING)
    assert (again.inserted, again.updated) == (1, 1)
    assert [(c["key"], c["column"], c["after"]) for c in again.changes] == [(stamped["UUID"], "Estado", "Pagada")]
    stored = by_uuid(smartsheet_emulator, sheet_id)
    assert stored[new["UUID"]]["Estado"] == "Vigente" and len(stored) == first.inserted + 1


def test_every_sdk_request_has_a_timeout(smartsheet_emulator, sheet_id):
    gateway = SheetGateway.connect(
        smartsheet_emulator.token,
        smartsheet_emulator.url,
        timeout=0.5,
        max_retry_time=FixedBackoff(0.01, 5),
        retry_delay=0.01,
    )
    smartsheet_emulator.admin.inject("latency", r"/sheets/\d+$", method="GET", count=1, latency_ms=2000)
    result = upsert_sheet(gateway, sheet_id, [invoice(1)], INVOICE_MAPPING)  # the hung read is abandoned and retried
    assert result.inserted == 1
    assert result.requests["GET /sheets/{id}"] == 2


def test_a_paged_key_index_is_read_whole_and_adds_only_the_new_rows(smartsheet_emulator, gateway, sheet_id):
    # issue 14, defect 9: the service answers an unpaged read with its first 100 rows only
    records = [invoice(n) for n in range(250)]
    upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    smartsheet_emulator.admin.put("config", {"unpaged_read_rows": 100})
    smartsheet_emulator.admin.reset_requests()
    result = upsert_sheet(gateway, sheet_id, records + [invoice(n) for n in range(250, 255)], INVOICE_MAPPING)
    assert (result.inserted, result.unchanged) == (5, 250)
    uuids = [row["cells"]["UUID"] for row in sheet_rows(smartsheet_emulator, sheet_id)]
    assert len(uuids) == 255 and len(set(uuids)) == 255


def test_a_key_index_that_stays_partial_fails_before_writing(smartsheet_emulator, gateway, sheet_id):
    from smartbind_pipelines.core.sheets import SheetIndexError

    records = [invoice(n) for n in range(250)]
    upsert_sheet(gateway, sheet_id, records, INVOICE_MAPPING)
    smartsheet_emulator.admin.put("config", {"read_rows_cap": 100})  # no read ever answers more than 100 rows
    version = gateway.sheet_version(sheet_id)
    smartsheet_emulator.admin.reset_requests()
    with pytest.raises(SheetIndexError) as caught:
        upsert_sheet(gateway, sheet_id, records + [invoice(999)], INVOICE_MAPPING)
    assert str(sheet_id) in str(caught.value) and "100 of its 250 rows" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert writes(smartsheet_emulator.admin.counts()) == {}
    assert gateway.sheet_version(sheet_id) == version and len(sheet_rows(smartsheet_emulator, sheet_id)) == 250


def test_retiring_more_than_half_the_sheet_writes_nothing_unless_allowed(smartsheet_emulator, gateway):
    from smartbind_pipelines.core.sheets import MassRetireError

    mapping = SheetMapping(
        key=("ID Producto", "Almacén"),
        columns=(ColumnSpec("ID Producto"), ColumnSpec("Almacén"), ColumnSpec("Existencias", "number")),
    )
    sheet = gateway.create_sheet("Inventario", mapping)["id"]
    stock = [{"ID Producto": f"p{n}", "Almacén": "Central", "Existencias": n + 1} for n in range(10)]
    upsert_sheet(gateway, sheet, stock, mapping)
    zero = StalePolicy("zero", {"Existencias": 0}, scope={"Almacén": {"Central"}})
    version = gateway.sheet_version(sheet)
    smartsheet_emulator.admin.reset_requests()
    with pytest.raises(MassRetireError) as caught:
        upsert_sheet(
            gateway,
            sheet,
            stock[:4] + [{"ID Producto": "new", "Almacén": "Central", "Existencias": 1}],
            mapping,
            stale=zero,
        )
    assert caught.value.would_retire == 6 and "6 of its 10 rows" in str(caught.value)
    assert writes(smartsheet_emulator.admin.counts()) == {} and gateway.sheet_version(sheet) == version
    planned = upsert_sheet(gateway, sheet, stock[:4], mapping, stale=zero, dry_run=True)
    assert any("6 of its 10 rows" in note for note in planned.warnings)
    allowed = upsert_sheet(gateway, sheet, stock[:4], mapping, stale=zero, allow_mass_retire=True)
    assert allowed.updated == 6
