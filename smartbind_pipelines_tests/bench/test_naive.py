"""The naive reference on 20 rows, over real HTTP against the Smartsheet emulator (no timing)."""

from __future__ import annotations

import pytest

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.sandbox.sheets import INVENTORY_COLUMNS, INVOICE_COLUMNS
from smartbind_pipelines_tests.bench.inventory import inventory_sync_parts
from smartbind_pipelines_tests.bench.naive import NaiveUpserter

ROWS = 20


def _invoice(number: int, estado: str = "Vigente", total: float = 100.0) -> dict:
    return {
        "UUID": f"{number:08x}-1111-4222-8333-444455556666",
        "Folio": str(1000 + number),
        "Fecha": "2026-01-19",
        "RFC Cliente": "XAXX010101000",
        "Nombre Cliente": f"Cliente {number}",
        "Total": total + number,
        "Estado": estado,
    }


@pytest.fixture
def invoice_sheet(smartsheet_emulator):
    sheet_id = smartsheet_emulator.state.create_sheet("Naive facturas", INVOICE_COLUMNS)["id"]
    upserter = NaiveUpserter(smartsheet_emulator.url, smartsheet_emulator.token, sheet_id, INVOICE_MAPPING)
    yield smartsheet_emulator, sheet_id, upserter
    upserter.close()


def test_first_pass_adds_every_record_with_one_lookup_and_one_post_each(invoice_sheet):
    emulator, sheet_id, upserter = invoice_sheet
    emulator.admin.reset_requests()

    result = upserter.upsert([_invoice(i) for i in range(ROWS)])

    assert (result.inserted, result.updated) == (ROWS, 0)
    rows = emulator.state.rows_as_dicts(sheet_id)
    assert sorted(row["cells"]["Folio"] for row in rows) == sorted(str(1000 + i) for i in range(ROWS))
    assert rows[3]["cells"]["Fecha"] == "2026-01-19"
    # what the emulator saw is exactly what the reference says it sent
    assert (
        emulator.admin.counts()
        == dict(result.requests)
        == {"GET /2.0/sheets/{id}/columns": 1, "GET /2.0/sheets/{id}": ROWS, "POST /2.0/sheets/{id}/rows": ROWS}
    )


def test_second_pass_updates_every_row_even_unchanged_ones_and_never_duplicates(invoice_sheet):
    emulator, sheet_id, upserter = invoice_sheet
    upserter.upsert([_invoice(i) for i in range(ROWS)])
    upserter.requests.clear()
    emulator.admin.reset_requests()
    changed = [_invoice(i, estado="Pagada") if i < 2 else _invoice(i) for i in range(ROWS)]

    result = upserter.upsert(changed)

    assert (result.inserted, result.updated) == (0, ROWS)  # naive: no comparison, every record written
    assert emulator.admin.counts() == {"GET /2.0/sheets/{id}": ROWS, "PUT /2.0/sheets/{id}/rows": ROWS}
    rows = emulator.state.rows_as_dicts(sheet_id)
    assert len(rows) == ROWS
    by_uuid = {row["cells"]["UUID"]: row["cells"] for row in rows}
    assert by_uuid[_invoice(0)["UUID"]]["Estado"] == "Pagada"
    assert by_uuid[_invoice(5)["UUID"]]["Estado"] == "Vigente"


def test_two_column_key_tells_warehouses_apart(smartsheet_emulator):
    mapping = inventory_sync_parts().mapping
    sheet_id = smartsheet_emulator.state.create_sheet("Naive inventario", INVENTORY_COLUMNS)["id"]
    upserter = NaiveUpserter(smartsheet_emulator.url, smartsheet_emulator.token, sheet_id, mapping)
    stock = [
        {
            "ID Producto": f"p{i % 10}",
            "Código": f"C-{i % 10}",
            "Nombre": "Cemento",
            "Existencias": float(i),
            "Almacén": "General" if i < 10 else "Monterrey",
        }
        for i in range(ROWS)
    ]
    try:
        assert upserter.upsert(stock).inserted == ROWS
        stock[15]["Existencias"] = 99.0
        second = upserter.upsert(stock)
    finally:
        upserter.close()

    assert (second.inserted, second.updated) == (0, ROWS)
    rows = {
        (r["cells"]["ID Producto"], r["cells"]["Almacén"]): r["cells"]["Existencias"]
        for r in smartsheet_emulator.state.rows_as_dicts(sheet_id)
    }
    assert len(rows) == ROWS
    assert rows[("p5", "Monterrey")] == 99
    assert rows[("p5", "General")] == 5
