"""The Bind emulator's demo data (sandbox/bind/demo/): deterministic for seed and now, realistic Mexican
invoices, clients and stock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.sandbox.bind import BindState

RFC = re.compile(r"^[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}$")
NOW = datetime(2026, 4, 15, 13, 30, tzinfo=CDMX)


def test_demo_data_is_deterministic_for_seed_and_now():
    first, second = BindState.demo(seed=11, now=NOW), BindState.demo(seed=11, now=NOW)
    assert first.list_invoices() == second.list_invoices()
    assert [p for p, _ in first.rows("products")] == [p for p, _ in second.rows("products")]
    assert first.inventory(first.warehouse_ids()[2]) == second.inventory(second.warehouse_ids()[2])
    other = BindState.demo(seed=12, now=NOW)
    assert other.list_invoices() != first.list_invoices()


def test_demo_invoices_look_like_mexican_invoices():
    state = BindState.demo(seed=7, now=NOW)
    invoices = state.list_invoices()
    assert len(invoices) == 250
    assert {i["Status"] for i in invoices} == {0, 1, 2}
    assert any(i["UUID"] is None and i["Status"] == 0 for i in invoices)  # unstamped drafts
    assert all(i["UUID"] for i in invoices if i["Status"] in (1, 2))
    assert {"FAC", "AWAFAC -"} <= {i["Serie"] for i in invoices}
    numbers = [i["Number"] for i in sorted(invoices, key=lambda i: i["Date"])]
    assert numbers == sorted(numbers) and len(set(numbers)) == 250  # folios grow with the date
    now = NOW.replace(tzinfo=None)
    for item in invoices:
        assert RFC.match(item["RFC"]), item["RFC"]
        assert item["VAT"] == round((item["Subtotal"] - item["Discount"]) * 0.16 + 1e-9, 2)
        assert item["Total"] == round(item["Subtotal"] + item["VAT"], 2)
        date = datetime.fromisoformat(item["Date"])
        assert now - timedelta(days=30) <= date < now
        assert date.microsecond // 1000 % 10 in (0, 3, 7)  # SQL Server datetime grid
        if item["Status"] == 1:
            assert item["Payments"] == item["Total"]
    names = " ".join(i["ClientName"] for i in invoices)
    assert "XAXX010101000" in {i["RFC"] for i in invoices}
    assert re.search(r"[ÁÉÍÓÚÑáéíóúñ]", names)
    assert "Ñandú" in names or "Peñoles" in names


def test_demo_stock_has_zero_and_negative_quantities():
    state = BindState.demo(seed=7, now=NOW)
    quantities = [row["CurrentInventory"] for wid in state.warehouse_ids() for row in state.inventory(wid)]
    assert len(quantities) == 3 * 120
    assert 0.0 in quantities and min(quantities) < 0 and max(quantities) > 0
