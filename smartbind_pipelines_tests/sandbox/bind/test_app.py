"""The Bind ERP emulator over real HTTP with plain ``requests``: paging, filters, ordering and errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from smartbind_pipelines.sandbox.bind.schema import (
    CLIENT_LIST_ITEM,
    CURRENCY,
    INVENTORY,
    INVOICE_DETAILS,
    INVOICE_LIST_ITEM,
    PRODUCT,
    WAREHOUSE,
    sqlguid_key,
)

NAIVE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
LOWER_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UNAUTHORIZED = {"Message": "Authorization has been denied for this request."}


def call(emulator, path: str, params=None, token: str | None = "default") -> requests.Response:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {emulator.token if token == 'default' else token}"
    url = path if path.startswith("http") else f"{emulator.url}/{path}"
    return requests.get(url, params=params, headers=headers, timeout=10)


def ok(emulator, path: str, params=None) -> dict:
    response = call(emulator, path, params)
    assert response.status_code == 200, response.text
    return response.json()


def follow(emulator, path: str, params=None) -> list[dict]:
    """Every page through nextLink; returns the pages."""
    pages = [ok(emulator, path, params)]
    while pages[-1]["nextLink"]:
        pages.append(ok(emulator, pages[-1]["nextLink"]))
        assert len(pages) < 100
    return pages


def bind_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- paging -------------------------------------------------------------------------------------


def test_250_invoices_through_next_link(bind_emulator):
    pages = follow(bind_emulator, "Invoices")
    assert [len(p["value"]) for p in pages] == [100, 100, 50]
    assert [p["count"] for p in pages] == [250, 250, 250]
    assert pages[0]["nextLink"] == f"{bind_emulator.url}/Invoices?$skip=100"
    assert pages[1]["nextLink"] == f"{bind_emulator.url}/Invoices?$skip=200"
    ids = [row["ID"] for page in pages for row in page["value"]]
    assert len(set(ids)) == 250
    assert ids == sorted(ids, key=sqlguid_key)  # default order: ID in SQL Server uniqueidentifier order
    assert ids != sorted(ids)  # … which is not text order


def test_250_invoices_through_skip_match_next_link_paging(bind_emulator):
    rows, skip = [], 0
    while True:
        page = ok(bind_emulator, "Invoices", {"$top": 100, "$skip": skip})
        assert page["nextLink"] is None  # $top <= 100 never yields a nextLink
        rows += page["value"]
        if len(page["value"]) < 100:
            break
        skip += 100
    assert len(rows) == page["count"] == 250
    by_link = [row for p in follow(bind_emulator, "Invoices") for row in p["value"]]
    assert [r["ID"] for r in rows] == [r["ID"] for r in by_link]


def test_top_semantics(bind_emulator):
    page = ok(bind_emulator, "Invoices", {"$top": 5})
    assert len(page["value"]) == 5 and page["nextLink"] is None and page["count"] == 250
    assert ok(bind_emulator, "Invoices", {"$top": 0})["value"] == []
    pages = follow(bind_emulator, "Invoices", {"$top": 150, "$skip": 20})
    assert [len(p["value"]) for p in pages] == [100, 50]
    assert pages[0]["nextLink"] == f"{bind_emulator.url}/Invoices?$top=50&$skip=120"
    everything = [r["ID"] for p in follow(bind_emulator, "Invoices") for r in p["value"]]
    assert [r["ID"] for p in pages for r in p["value"]] == everything[20:170]


def test_next_link_keeps_the_filter_and_order(bind_emulator):
    params = {"$filter": "Status ne 2", "$orderby": "Date desc"}
    pages = follow(bind_emulator, "Invoices", params)
    link = urlsplit(pages[0]["nextLink"])
    assert parse_qsl(link.query) == [("$filter", "Status ne 2"), ("$orderby", "Date desc"), ("$skip", "100")]
    rows = [r for p in pages for r in p["value"]]
    assert len(rows) == pages[0]["count"] == sum(1 for i in bind_emulator.state.list_invoices() if i["Status"] != 2)
    dates = [bind_datetime(r["Date"]) for r in rows]
    assert dates == sorted(dates, reverse=True)


# --- filters and ordering -----------------------------------------------------------------------


def test_filter_by_date_range_with_datetime_literals(bind_emulator):
    invoices = bind_emulator.state.list_invoices()
    dates = sorted(bind_datetime(i["Date"]) for i in invoices)
    start = dates[40].replace(microsecond=0)
    end = start + timedelta(days=3)
    expected = {i["ID"] for i in invoices if start <= bind_datetime(i["Date"]) < end}
    text = f"Date ge datetime'{start:%Y-%m-%dT%H:%M:%S}' and Date lt DateTime'{end:%Y-%m-%dT%H:%M:%S}'"
    pages = follow(bind_emulator, "Invoices", {"$filter": text, "$orderby": "Date asc"})
    got = [r for p in pages for r in p["value"]]
    assert 0 < len(expected) < 250
    assert {r["ID"] for r in got} == expected and pages[0]["count"] == len(expected)
    assert all(start <= bind_datetime(r["Date"]) < end for r in got)


@pytest.mark.parametrize("status", [0, 1, 2])
def test_filter_by_status(bind_emulator, status):
    expected = {i["ID"] for i in bind_emulator.state.list_invoices() if i["Status"] == status}
    got = [r for p in follow(bind_emulator, "Invoices", {"$filter": f"Status eq {status}"}) for r in p["value"]]
    assert expected and {r["ID"] for r in got} == expected
    assert len(got) == len(expected)


def test_filter_by_guid_and_by_open_balance(bind_emulator):
    invoices = bind_emulator.state.list_invoices()
    stamped = next(i for i in invoices if i["UUID"])
    page = ok(bind_emulator, "Invoices", {"$filter": f"UUID eq guid'{stamped['UUID'].upper()}'"})
    assert [r["ID"] for r in page["value"]] == [stamped["ID"]]
    warehouse = invoices[0]["WarehouseID"]
    page = ok(bind_emulator, "Invoices", {"$filter": f"WarehouseID eq guid'{warehouse}'", "$top": 1})
    assert page["count"] == sum(1 for i in invoices if i["WarehouseID"] == warehouse)
    drafts = ok(bind_emulator, "Invoices", {"$filter": "UUID eq null and Status eq 0"})
    assert drafts["count"] == sum(1 for i in invoices if i["UUID"] is None) > 0
    open_balance = ok(bind_emulator, "Invoices", {"$filter": "Total gt Payments and Status ne 2", "$top": 1})
    assert open_balance["count"] == sum(1 for i in invoices if i["Total"] > i["Payments"] and i["Status"] != 2)


def test_orderby_several_fields_with_id_tie_breaker(bind_emulator):
    rows = [r for p in follow(bind_emulator, "Invoices", {"$orderby": "Status desc,Total asc"}) for r in p["value"]]
    keys = [(-r["Status"], r["Total"], sqlguid_key(r["ID"])) for r in rows]
    assert keys == sorted(keys) and len(rows) == 250


def test_products_filter_and_paging(bind_emulator):
    pages = follow(bind_emulator, "Products")
    assert [len(p["value"]) for p in pages] == [100, 20]
    in_stock = ok(bind_emulator, "Products", {"$filter": "CurrentInventory gt 0", "$orderby": "Title"})
    expected = [p for page in pages for p in page["value"] if p["CurrentInventory"] > 0]
    assert in_stock["count"] == len(expected)
    titles = [p["Title"] for p in in_stock["value"]]
    assert titles == sorted(titles)


# --- shapes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route, entity",
    [
        ("Invoices", INVOICE_LIST_ITEM),
        ("Products", PRODUCT),
        ("Warehouses", WAREHOUSE),
        ("Currencies", CURRENCY),
        ("Clients", CLIENT_LIST_ITEM),
    ],
)
def test_every_field_in_contract_order_with_wire_types(bind_emulator, route, entity):
    response = call(bind_emulator, route)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["value", "nextLink", "count"]
    for row in body["value"]:
        assert list(row) == [name for name, _ in entity.fields]
        for name, edm in entity.fields:
            value = row[name]
            if value is None:
                continue
            if edm == "Edm.Guid":
                assert LOWER_GUID.match(value), (name, value)
            elif edm == "Edm.DateTime":
                assert NAIVE_DATETIME.match(value), value
                assert "." not in value or not value.endswith("0"), value  # trailing zeros trimmed
            elif edm == "Edm.Double":
                assert isinstance(value, float), (name, value)
    if route != "Warehouses" and route != "Clients":
        assert re.search(r'":-?\d+\.0[,}]', response.text)  # whole doubles are written as 1.0, like Json.NET


def test_explicit_nulls_are_sent(bind_emulator):
    text = call(bind_emulator, "Invoices", {"$filter": "UUID eq null", "$top": 1}).text
    assert '"UUID":null' in text


def test_invoice_by_id_and_by_number_matches_the_list(bind_emulator):
    item = next(i for i in bind_emulator.state.list_invoices() if i["Status"] == 1)
    by_id = ok(bind_emulator, f"Invoices/{item['ID'].upper()}")
    by_number = ok(bind_emulator, f"Invoices/{item['Number']}")
    assert by_id == by_number
    assert list(by_id) == [name for name, _ in INVOICE_DETAILS.fields] + ["Products", "Services"]
    assert (by_id["ID"], by_id["Number"], by_id["Series"], by_id["UUID"]) == (
        item["ID"],
        item["Number"],
        item["Serie"],
        item["UUID"],
    )
    assert by_id["StatusCode"] == 1 and by_id["Status"] == "Pagada"
    assert by_id["CreationDate"] == item["Date"]
    for amount in ("Subtotal", "Discount", "VAT", "IEPS", "VATRet", "ISRRet", "Payments", "CreditNotes"):
        assert by_id[amount] == item[amount]
    lines = sum(line["Qty"] * line["Price"] for line in by_id["Products"] + by_id["Services"])
    assert round(lines, 2) == item["Subtotal"]
    assert "Total" not in by_id and "Date" not in by_id


def test_product_details_and_inventory_rows_agree(bind_emulator):
    product = ok(bind_emulator, "Products", {"$top": 1})["value"][0]
    details = ok(bind_emulator, f"Products/{product['ID']}")
    assert details["ID"] == product["ID"] and "CostTypeText" not in details
    assert set(details) >= {"Category1", "Prices", "Inventories", "AlternativeUnits"}
    assert sum(i["Inventory"] for i in details["Inventories"]) == product["CurrentInventory"]
    for warehouse in ok(bind_emulator, "Warehouses")["value"]:
        rows = [r for p in follow(bind_emulator, "Inventory", {"warehouseID": warehouse["ID"]}) for r in p["value"]]
        assert list(rows[0]) == [name for name, _ in INVENTORY.fields]
        row = next(r for r in rows if r["ProductID"] == product["ID"])
        shown = next(i for i in details["Inventories"] if i["WarehouseName"] == warehouse["Name"])
        assert row["CurrentInventory"] == shown["Inventory"]
        assert row["Balance"] == row["CurrentInventory"] - row["ClientOrdered"]


def test_inventory_parameter_is_case_insensitive_and_kept_in_next_link(bind_emulator):
    warehouse = bind_emulator.state.warehouse_ids()[0]
    page = ok(bind_emulator, "Inventory", {"warehouseId": warehouse})
    assert page["count"] == 120 and len(page["value"]) == 100
    assert page["nextLink"] == f"{bind_emulator.url}/Inventory?warehouseId={warehouse}&$skip=100"
    quantities = [
        r["CurrentInventory"]
        for p in follow(bind_emulator, "Inventory", {"warehouseid": warehouse})
        for r in p["value"]
    ]
    assert 0 in quantities and len(quantities) == 120
    unknown = ok(bind_emulator, "Inventory", {"warehouseID": "11111111-2222-4333-8444-555555555555"})
    assert unknown == {"value": [], "nextLink": None, "count": 0}


def test_routes_are_case_insensitive_and_catalogs_answer(bind_emulator):
    assert ok(bind_emulator, f"{bind_emulator.url.replace('/api', '/API')}/iNvOiCeS", {"$top": 1})["count"] == 250
    currencies = {c["Code"]: c for c in ok(bind_emulator, "Currencies")["value"]}
    assert currencies["MXN"]["ID"] == "b7e2c065-bd52-40ca-b508-3accdd538860" and "USD" in currencies
    names = [w["Name"] for w in ok(bind_emulator, "Warehouses")["value"]]
    assert {"Almacén General", "Almacén Monterrey", "Almacén Guadalajara"} <= set(names)
    profile = ok(bind_emulator, "UserProfile")
    assert list(profile)[:3] == ["CompanyID", "CompanyName", "CompanyNumber"]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_401_without_a_valid_bearer_token(bind_emulator, token):
    response = call(bind_emulator, "Invoices", token=token)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_401_for_another_scheme(bind_emulator):
    response = requests.get(
        f"{bind_emulator.url}/Invoices", headers={"Authorization": f"Basic {bind_emulator.token}"}, timeout=10
    )
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_404_bodies(bind_emulator):
    unknown = call(bind_emulator, "Facturas")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "Message": f"No HTTP resource was found that matches the request URI '{bind_emulator.url}/Facturas'.",
        "MessageDetail": "No type was found that matches the controller named 'Facturas'.",
    }
    no_warehouse = call(bind_emulator, "Inventory", {"$top": 5})
    assert no_warehouse.status_code == 404
    assert no_warehouse.json()["Message"].startswith("No HTTP resource was found that matches the request URI")
    assert (
        no_warehouse.json()["MessageDetail"]
        == "No action was found on the controller 'Inventory' that matches the request."
    )
    for missing in ("Invoices/99999999", "Invoices/11111111-2222-4333-8444-555555555555", "Invoices/abc"):
        response = call(bind_emulator, missing)
        assert response.status_code == 404 and "Message" in response.json()
    assert call(bind_emulator, "Products/11111111-2222-4333-8444-555555555555").status_code == 404


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"$filter": "Foo eq 1"},
            "The query specified in the URI is not valid. Could not find a property named 'Foo' "
            "on type 'BindERP.API.Models.InvoiceListItem'.",
        ),
        (
            {"$orderby": "Fecha desc"},
            "The query specified in the URI is not valid. Could not find a property named "
            "'Fecha' on type 'BindERP.API.Models.InvoiceListItem'.",
        ),
        (
            {"$top": "ten"},
            "The query specified in the URI is not valid. Invalid value 'ten' for $top query option "
            "found. The $top query option requires a non-negative integer value.",
        ),
        (
            {"$skip": "-100"},
            "The query specified in the URI is not valid. Invalid value '-100' for $skip query option "
            "found. The $skip query option requires a non-negative integer value.",
        ),
        (
            {"$select": "ID"},
            "The query specified in the URI is not valid. The query parameter '$select' is not supported.",
        ),
        (
            {"$filter": "WarehouseID eq '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a01'"},
            "The query specified in the URI is not valid. A binary operator with incompatible types was detected. Found "
            "operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'.",
        ),
        ({"$filter": "Date gt datetime'2026-02-30T00:00:00'"}, None),
        ({"$filter": "Status eq (1"}, None),
    ],
)
def test_400_bodies(bind_emulator, params, message):
    response = call(bind_emulator, "Invoices", params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["Message"]
    if message:
        assert body["Message"] == message
    else:
        assert body["Message"].startswith("The query specified in the URI is not valid. ")


def test_non_guid_ids_fail_binding_with_400(bind_emulator):
    assert call(bind_emulator, "Products/ABC").status_code == 400
    response = call(bind_emulator, "Inventory", {"warehouseID": "almacen-general"})
    assert response.status_code == 400 and response.json()["Message"] == "The request is invalid."


def test_non_dollar_parameters_are_ignored(bind_emulator):
    assert ok(bind_emulator, "Invoices", {"page": 3, "per_page": 5})["count"] == 250


def test_429_from_an_injected_fault_then_recovery(bind_emulator):
    bind_emulator.admin.inject("rate_limit", "/api/invoices", count=2, retry_after=7)
    for _ in range(2):
        response = call(bind_emulator, "Invoices")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json() == {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}
    assert call(bind_emulator, "Invoices").status_code == 200
    assert bind_emulator.admin.counts()["GET /api/Invoices"] == 3


def test_500_and_503_bodies(bind_emulator):
    bind_emulator.admin.inject("server_error", "Invoices")
    bind_emulator.admin.inject("unavailable", "Products")
    server_error = call(bind_emulator, "Invoices")
    assert server_error.status_code == 500 and server_error.json() == {"Message": "An error has occurred."}
    unavailable = call(bind_emulator, "Products")
    assert unavailable.status_code == 503 and unavailable.json()["statusCode"] == 503


def test_token_bucket_rate_limit(bind_emulator):
    bind_emulator.admin.set_rate_limit(0.5, burst=2)
    statuses = [call(bind_emulator, "Currencies").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    bind_emulator.admin.set_rate_limit(None)
    assert call(bind_emulator, "Currencies").status_code == 200


def test_configurable_guesses_count_with_top_and_api_key_header():
    from smartbind_pipelines.sandbox.bind import BindState, create_bind_app
    from smartbind_pipelines.sandbox.server import BackgroundServer

    app = create_bind_app(
        BindState.demo(seed=3, invoices=120, products=2), tokens={"k"}, count_with_top=True, accept_api_key_header=True
    )
    with BackgroundServer(app) as server:
        page = requests.get(f"{server.url}/api/Invoices", params={"$top": 5}, headers={"apiKey": "k"}, timeout=10)
        assert page.status_code == 200 and page.json()["count"] == 5
        full = requests.get(f"{server.url}/api/Invoices", headers={"Authorization": "Bearer k"}, timeout=10)
        assert full.json()["count"] == 120
        assert requests.get(f"{server.url}/api/Invoices", headers={"apiKey": "nope"}, timeout=10).status_code == 401
