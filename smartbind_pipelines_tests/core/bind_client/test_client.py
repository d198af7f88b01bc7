"""BindClient's typed routes against the Bind emulator over real HTTP: invoices, windows, filters, catalogs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from smartbind_pipelines.core.bind_client import GUID_CHUNK, BindClient
from smartbind_pipelines.core.cdmx import CDMX, parse_bind_datetime
from smartbind_pipelines.core.odata import string_literal


def test_250_invoices_over_three_pages(bind_emulator, client):
    invoices = client.invoices()
    assert len(invoices) == 250 == len({invoice["ID"] for invoice in invoices})
    assert client.request_counts == {"GET /Invoices": 3}
    assert bind_emulator.admin.counts() == {"GET /api/Invoices": 3}
    dates = [parse_bind_datetime(invoice["Date"]) for invoice in invoices]
    assert dates == sorted(dates)  # $orderby Date asc


def test_window_is_half_open_in_mexico_city_time(bind_emulator, client):
    before = bind_emulator.state.add_invoice(Date="2031-03-09T23:59:59")
    after = bind_emulator.state.add_invoice(Date="2031-03-10T00:00:00")
    midnight = datetime(2031, 3, 10, tzinfo=CDMX)
    assert [i["ID"] for i in client.invoices(midnight - timedelta(days=1), midnight)] == [before["ID"]]
    assert [i["ID"] for i in client.invoices(midnight)] == [after["ID"]]
    # the same instant given in UTC selects the same invoices
    assert [i["ID"] for i in client.invoices(midnight.astimezone(timezone.utc))] == [after["ID"]]


def test_quotes_in_values_are_escaped_not_injected(bind_emulator, client):
    bind_emulator.state.add_invoice(ClientName="Comercial O'Brien")
    found = client.invoices(extra_filter=f"ClientName eq {string_literal('Comercial O' + chr(39) + 'Brien')}")
    assert [invoice["ClientName"] for invoice in found] == ["Comercial O'Brien"]
    injected = client.invoices(
        extra_filter=f"ClientName eq {string_literal('x' + chr(39) + ' or 1 eq 1 or ClientName eq ' + chr(39) + 'y')}"
    )
    assert injected == []


def test_invoices_by_ids_in_chunks(bind_emulator, client):
    wanted = [invoice["ID"] for invoice in client.invoices()[: GUID_CHUNK + 5]]
    client.request_counts.clear()
    found = client.invoices_by_ids([value.upper() for value in wanted])
    assert sorted(invoice["ID"] for invoice in found) == sorted(wanted)
    assert client.request_counts["GET /Invoices"] == 2


def test_a_bad_guid_is_refused_before_any_request(bind_emulator, client):
    with pytest.raises(ValueError, match="not a GUID"):
        client.invoices_by_ids(["5f1d3b2a-0000-4000-8000-000000000001') or (1 eq 1"])
    with pytest.raises(ValueError):
        client.inventory("../Invoices")
    with pytest.raises(ValueError):
        client.invoice("1 or 1")
    assert bind_emulator.admin.counts() == {}


def test_invoice_by_id_or_number_and_unknown_is_none(client):
    first = client.invoices()[0]
    assert client.invoice(first["ID"])["ID"] == first["ID"]
    assert client.invoice(str(first["Number"]))["ID"] == first["ID"]
    assert client.invoice("00000000-0000-4000-8000-00000000dead") is None
    assert client.request_counts["GET /Invoices/{id}"] == 3


def test_catalogs(bind_emulator, client):
    warehouses = client.warehouses()
    assert warehouses and all("Name" in warehouse for warehouse in warehouses)
    stock = client.inventory(warehouses[0]["ID"])
    assert all("ProductID" in row for row in stock)
    assert len(client.products()) == 120
    assert {currency["Code"] for currency in client.currencies()} >= {"MXN"}
    assert isinstance(client.user_profile(), dict)
    assert client.request_counts["GET /Inventory"] >= 1


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError, match="BIND_API_KEY"):
        BindClient("https://api.bind.com.mx/api", "")
