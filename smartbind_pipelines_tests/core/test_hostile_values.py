"""Every value Bind can send for a mapped field has a rule (issue 14, defect 3): the record is mapped to a
value a sheet can hold, or skipped with its reason and id; one bad record never stops the others.

Property style: each hostile value goes into each mapped field of an otherwise good record, next to a good
record, through the invoice, inventory and declared-process mappings, then through ``cell_value`` (what the
sheet gateway sends) and a strict JSON encoder (what goes over the wire and into run metadata).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from smartbind_pipelines.core.bind_values import MAX_SHEET_NUMBER
from smartbind_pipelines.core.inventory import INVENTORY_MAPPING, Warehouse, batch_totals, inventory_batch
from smartbind_pipelines.core.invoices import INVOICE_MAPPING, invoice_batch
from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines.core.sheets import MAX_CELL_CHARS, cell_value

HOSTILE = {
    "1e26 int": 10**26,
    "1e26 float": 1e26,
    "'1E+26'": "1E+26",
    "'-1E+26'": "-1E+26",
    "1e308": 1e308,
    "'1e400'": "1e400",
    "10**400": 10**400,
    "Decimal 1E+5000": Decimal("1E+5000"),
    "'1E+999999999'": "1E+999999999",
    "'1E-999999999'": "1E-999999999",
    "NaN": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "'NaN'": "NaN",
    "'sNaN'": "sNaN",
    "'Infinity'": "Infinity",
    "'-Infinity'": "-Infinity",
    "''": "",
    "'   '": "   ",
    "5000 chars": "x" * 5000,
    "5000 digits": "9" * 5000,
    "'12,500.00 MXN'": "12,500.00 MXN",
    "object": {"amount": 1},
    "empty object": {},
    "list": [1, 2],
    "empty list": [],
    "true": True,
    "false": False,
    "null": None,
    "0": 0,
    "-1": -1,
    "1.005": 1.005,
    "arabic digits": "١٢٣",
    "controls": "\x00\u202e\x1b[2J",
    "'0x10'": "0x10",
    "'1_000'": "1_000",
}

CLIENTS, PRODUCTS = (get_process(job_id, {}).declaration for job_id in ("sync_clients", "sync_products"))
INVOICE_FIELDS = ("ID", "UUID", "Serie", "Number", "Date", "RFC", "ClientName", "Total", "Status")
INVENTORY_FIELDS = ("ProductID", "ID", "Code", "Title", "CurrentInventory")
WAREHOUSE = Warehouse("0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a01", "Almacén General")


def good_invoice(n: int) -> dict:
    return {
        "ID": f"00000000-0000-4000-8000-{n:012d}",
        "Serie": "FAC",
        "Number": 1000 + n,
        "Date": "2026-01-19T19:34:15.903",
        "UUID": f"65491c47-0000-4000-8000-{n:012d}",
        "ClientName": "CLIENTE DEMO",
        "RFC": "XAXX010101000",
        "Total": 1160.0,
        "Status": 0,
    }


def good_stock(n: int) -> dict:
    product = f"11111111-0000-4000-8000-{n:012d}"
    return {"ProductID": product, "ID": product, "Code": f"C-{n}", "Title": "Tornillo", "CurrentInventory": 5}


def assert_sheet_ready(records: list[dict], mapping) -> None:
    """What the gateway would send: typed cells, bounded text, finite numbers, strict JSON."""
    for record in records:
        for column in mapping.columns:
            value = record[column.title]
            sent = cell_value(value, column)
            if column.kind == "number" and sent != "":  # "" is an empty cell
                assert isinstance(sent, (int, float)) and not isinstance(sent, bool)
                assert math.isfinite(sent) and abs(sent) <= MAX_SHEET_NUMBER, (column.title, value)
            else:
                assert isinstance(value, str) and len(value) <= MAX_CELL_CHARS, (column.title, value)
                assert not value.startswith(("{'", "[")) and value not in ("True", "False", "inf"), (
                    column.title,
                    value,
                )
    json.dumps(records, allow_nan=False)


@pytest.mark.parametrize("field", INVOICE_FIELDS)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_hostile_value_in_each_invoice_field_is_mapped_or_skipped_never_fatal(field, value):
    hostile = {**good_invoice(1), field: value}
    good = good_invoice(2)
    batch = invoice_batch([good_invoice(0), hostile, good])
    written = {record["UUID"] for record in batch.records}
    assert {good_invoice(0)["UUID"], good["UUID"]} <= written  # the others are synced
    hostile_written = good_invoice(1)["UUID"] in written or (
        isinstance(value, str) and value.strip().lower() == good_invoice(1)["UUID"]
    )
    if not hostile_written and field != "UUID":
        [skip] = batch.skipped
        assert skip["reason"]
        if field != "ID":
            assert skip["bind_id"] == hostile["ID"]  # the record is named
    assert_sheet_ready(batch.records, INVOICE_MAPPING)
    json.dumps([batch.skipped, batch.adjusted], allow_nan=False)  # run metadata can hold them
    for skip in batch.skipped:
        assert len(str(skip)) < 1_000


@pytest.mark.parametrize("field", INVENTORY_FIELDS)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_hostile_value_in_each_inventory_field_is_mapped_or_skipped_never_fatal(field, value):
    hostile = {**good_stock(1), field: value}
    if field == "ProductID":
        hostile["ID"] = None  # no fallback: the hostile value is the product id
    batch = inventory_batch([WAREHOUSE], {WAREHOUSE.id: [good_stock(0), hostile, good_stock(2)]}, only_in_stock=False)
    products = [record["ID Producto"] for record in batch.records]
    assert good_stock(0)["ProductID"] in products and good_stock(2)["ProductID"] in products
    assert len(batch.records) + len(batch.skipped) == 3
    for skip in batch.skipped:
        assert skip["reason"] and len(str(skip)) < 1_000
    assert_sheet_ready(batch.records, INVENTORY_MAPPING)
    json.dumps(batch.skipped, allow_nan=False)
    batch_totals(batch.records)


@pytest.mark.parametrize("declaration", [CLIENTS, PRODUCTS], ids=lambda d: d.job_id)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_hostile_value_in_each_declared_column_is_mapped_or_skipped_never_fatal(declaration, value):
    def good(n: int) -> dict:
        return {
            column.source: (
                f"22222222-0000-4000-8000-{n:012d}"
                if column.source == "ID"
                else 7
                if column.kind == "number"
                else f"texto {n}"
            )
            for column in declaration.columns
        }

    for column in declaration.columns:
        batch = declaration.batch([good(0), {**good(1), column.source: value}, good(2)])
        keys = [record["ID"] for record in batch.records]
        assert good(0)["ID"] in keys and good(2)["ID"] in keys, column.source
        assert len(batch.records) + len(batch.skipped) == 3
        assert_sheet_ready(batch.records, declaration.mapping)
        json.dumps(batch.skipped, allow_nan=False)
