"""The Bind emulator's sale creation (``POST /api/Invoices``, contract bind-invoicing.md §9; state/sales.py):
business checks, stamping modes, faults and catalogs, over real HTTP. The POST goes with plain ``requests``
(the Bind client's write method is not assumed here), reads through our real ``BindClient``. How the body
is bound (ModelState) is in test_new_invoice.py."""

from __future__ import annotations

import re

import pytest
import requests

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.sandbox.bind import demo

LOWER_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MATRIZ = next(iter(demo.LOCATIONS))


def new_invoice(**changes) -> dict:
    body = {
        "ClientID": demo.CLIENT_UNICO,
        "CurrencyID": demo.MXN_ID,
        "LocationID": MATRIZ,
        "WarehouseID": demo.WAREHOUSE_GENERAL,
        "PriceListID": demo.DEFAULT_PRICE_LIST,
        "CFDIUse": 2,
        "InvoiceDate": "2026-02-03T10:15:00",
        "ExchangeRate": 1.0,
        "VATRate": 0.16,
        "IsFiscalInvoice": True,
        "CreditDays": 30,
        "Serie": "FAC",
        "Number": 0,
        "PurchaseOrder": "PO-7781",
        "Comments": "Servicio de mantenimiento febrero [ss:1234567890123456:77123]",
        "Services": [
            {
                "ID": demo.SERVICE_MANTENIMIENTO,
                "Title": "Mantenimiento preventivo",
                "Price": 1500.0,
                "Qty": 2,
                "VAT": 0.16,
                "VariableConcept": True,
                "IndexNumber": 0,
            }
        ],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def post(emulator, body, *, raw: bytes | None = None, content_type: str = "application/json") -> requests.Response:
    headers = {"Authorization": f"Bearer {emulator.token}", "Content-Type": content_type}
    data = raw if raw is not None else requests.models.complexjson.dumps(body).encode()
    return requests.post(f"{emulator.url}/Invoices", data=data, headers=headers, timeout=10)


@pytest.fixture
def client(bind_emulator):
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=1) as bind:
        yield bind


def test_a_valid_sale_answers_its_id_as_a_json_string_and_is_listed_and_read_stamped(bind_emulator, client):
    before = bind_emulator.state.summary()["invoices"]
    answer = post(bind_emulator, new_invoice())
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.text.startswith('"') and answer.text.endswith('"')  # a bare JSON string, quotes included
    sale_id = answer.json()
    assert LOWER_GUID.match(sale_id)
    assert bind_emulator.state.summary()["invoices"] == before + 1

    details = client.invoice(sale_id)
    assert LOWER_GUID.match(details["UUID"]) and details["FiscalID"] == details["UUID"]  # sync stamping
    assert details["Series"] == "FAC" and details["Number"] > 1000
    assert (details["PurchaseOrder"], details["Comments"]) == ("PO-7781", new_invoice()["Comments"])
    assert details["RFC"] == demo.RFC_UNICO and details["Subtotal"] == 3000.0 and details["VAT"] == 480.0
    assert details["Products"] == []
    assert [(s["ServiceID"], s["Name"], s["Qty"], s["Price"]) for s in details["Services"]] == [
        (demo.SERVICE_MANTENIMIENTO, "Mantenimiento preventivo", 2.0, 1500.0)
    ]

    [row] = client.get_all("Invoices", {"$filter": f"ID eq guid'{sale_id}'"})
    assert row["UUID"] == details["UUID"] and row["Number"] == details["Number"] and row["Total"] == 3480.0
    assert row["CFDIUse"] == 2 and row["IsFiscalInvoice"] is True and row["Serie"] == "FAC"
    assert row["ExpirationDate"] == "2026-03-05T10:15:00" and row["Date"] == "2026-02-03T10:15:00"
    # the reference fields can be searched (contract §6; the filter is [I] on Bind, supported here)
    assert [r["ID"] for r in client.get_all("Invoices", {"$filter": "PurchaseOrder eq 'PO-7781'"})] == [sale_id]
    found = client.get_all("Invoices", {"$filter": "substringof('ss:1234567890123456:77123', Comments)"})
    assert [r["ID"] for r in found] == [sale_id]
    # Reference is accepted but never returned (contract §2.1)
    assert "Reference" not in row and "Reference" not in details


def test_the_same_body_twice_makes_two_sales(bind_emulator, client):
    first, second = (post(bind_emulator, new_invoice()).json() for _ in range(2))
    assert first != second
    rows = client.get_all("Invoices", {"$filter": "PurchaseOrder eq 'PO-7781'"})
    assert sorted(r["ID"] for r in rows) == sorted([first, second])
    assert len({r["Number"] for r in rows}) == 2


def test_product_lines_and_json_net_binding(bind_emulator, client):
    product = next(iter(bind_emulator.state.products.records.values()))
    body = new_invoice(
        Services=...,
        Products=[{"id": product["ID"].upper(), "price": "100.5", "QTY": 3}],
        clientid=demo.CLIENT_UNICO,
        Unknown="ignored",
        Items=[{"Description": "AW's key"}],
    )
    del body["ClientID"]  # the lower-case key binds instead
    answer = post(bind_emulator, body)
    assert answer.status_code == 200, answer.text
    details = client.invoice(answer.json())
    [line] = details["Products"]
    assert (line["ProductID"], line["Qty"], line["Price"], line["Code"]) == (product["ID"], 3.0, 100.5, product["Code"])
    assert details["Subtotal"] == 301.5 and details["Services"] == []


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"ClientID": "11111111-2222-4333-8444-555555555555"},
            "ClientID 11111111-2222-4333-8444-555555555555 not found",
        ),
        ({"CurrencyID": demo.WAREHOUSE_GENERAL}, f"CurrencyID {demo.WAREHOUSE_GENERAL} not found"),
        (
            {"WarehouseID": demo.WAREHOUSE_MONTERREY},
            f"WarehouseID {demo.WAREHOUSE_MONTERREY} does not belong to LocationID {MATRIZ}",
        ),
        ({"CFDIUse": 25}, "CFDIUse 25 is not valid"),
        ({"Services": []}, "The sale has no products or services."),
        (
            {"Services": [{"ID": demo.CLIENT_UNICO, "Title": "x", "Price": 1, "Qty": 1}]},
            f"Services[0].ID {demo.CLIENT_UNICO} not found",
        ),
        (
            {"Services": [{"ID": demo.SERVICE_FLETE, "Title": "x", "Price": 1, "Qty": 0}]},
            "Services[0].Qty must be greater than 0, not 0.0",
        ),
        ({"Serie": "ZZZ"}, "Serie ZZZ not found"),
    ],
)
def test_business_refusals_are_400_with_a_message_and_create_nothing(bind_emulator, changes, message):
    before = bind_emulator.state.summary()["invoices"]
    answer = post(bind_emulator, new_invoice(**changes))
    assert answer.status_code == 400 and answer.json() == {"Message": message}
    assert bind_emulator.state.summary()["invoices"] == before


def test_unauthorized_and_wrong_methods(bind_emulator):
    answer = requests.post(f"{bind_emulator.url}/Invoices", json=new_invoice(), timeout=10)
    assert answer.status_code == 401
    headers = {"Authorization": f"Bearer {bind_emulator.token}"}
    assert requests.put(f"{bind_emulator.url}/Invoices", json={}, headers=headers, timeout=10).status_code == 405
    assert requests.post(f"{bind_emulator.url}/Products", json={}, headers=headers, timeout=10).status_code == 405


# --- stamping modes ----------------------------------------------------------------------------


def test_default_settings_follow_the_contract(bind_emulator):
    settings = bind_emulator.admin.get("invoicing")
    assert settings["stamping"] == "sync" and settings["strict_required"] is True
    assert settings["cfdi_uses"][2] == "G03" and len(settings["cfdi_uses"]) == 25


def test_deferred_stamping_after_reads(bind_emulator, client):
    bind_emulator.admin.put("invoicing", {"stamping": "deferred", "stamp_after_reads": 2})
    sale_id = post(bind_emulator, new_invoice()).json()
    assert bind_emulator.admin.get("invoicing/pending") == {"pending": [sale_id]}
    [row] = client.invoices_by_ids([sale_id])
    assert row["UUID"] is None  # list reads do not count
    assert client.invoice(sale_id)["UUID"] is None
    assert client.invoice(sale_id)["UUID"] is None
    stamped = client.invoice(sale_id)["UUID"]
    assert LOWER_GUID.match(stamped)
    assert client.invoices_by_ids([sale_id])[0]["UUID"] == stamped
    assert client.invoice(sale_id)["UUID"] == stamped
    assert bind_emulator.admin.get("invoicing/pending") == {"pending": []}


def test_deferred_without_a_condition_waits_for_the_admin_stamp(bind_emulator, client):
    bind_emulator.admin.put("invoicing", {"stamping": "deferred"})
    sale_id = post(bind_emulator, new_invoice()).json()
    for _ in range(3):
        assert client.invoice(sale_id)["UUID"] is None
    bind_emulator.admin.post(f"invoices/{sale_id}/stamp")
    assert LOWER_GUID.match(client.invoice(sale_id)["UUID"])


def test_a_remision_is_never_stamped(bind_emulator, client):
    sale_id = post(bind_emulator, new_invoice(IsFiscalInvoice=...)).json()  # omitted = false = remisión
    details = client.invoice(sale_id)
    assert details["UUID"] is None
    assert client.invoices_by_ids([sale_id])[0]["IsFiscalInvoice"] is False


def test_stamping_failure_as_error_or_as_an_unstamped_sale(bind_emulator, client):
    bind_emulator.admin.put("invoicing", {"stamping": "fail", "fail_message": "CFDI40147: régimen no válido"})
    before = bind_emulator.state.summary()["invoices"]
    answer = post(bind_emulator, new_invoice())
    assert answer.status_code == 400 and answer.json() == {"Message": "CFDI40147: régimen no válido"}
    assert bind_emulator.state.summary()["invoices"] == before
    bind_emulator.admin.put("invoicing", {"fail_as": "unstamped"})
    sale_id = post(bind_emulator, new_invoice()).json()
    assert client.invoice(sale_id)["UUID"] is None and client.invoice(sale_id)["UUID"] is None


def test_invoicing_settings_are_validated(bind_emulator):
    for bad in ({"stamping": "later"}, {"stamp_after_reads": -1}, {"nonsense": 1}, {"fail_as": "maybe"}):
        answer = requests.put(f"{bind_emulator.admin.root}/_sandbox/invoicing", json=bad, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"]


def test_lenient_required_lets_value_types_through_to_the_business_checks(bind_emulator):
    bind_emulator.admin.put("invoicing", {"strict_required": False})
    answer = post(bind_emulator, new_invoice(ClientID=...))
    assert answer.status_code == 400
    assert answer.json() == {"Message": "ClientID 00000000-0000-0000-0000-000000000000 not found"}


# --- faults on the POST ------------------------------------------------------------------------


def test_drop_after_creates_the_sale_and_loses_the_answer(bind_emulator, client):
    bind_emulator.admin.inject("drop_after", "/api/Invoices$", method="POST")
    with pytest.raises(requests.RequestException):
        post(bind_emulator, new_invoice(PurchaseOrder="lost-answer"))
    [row] = client.get_all("Invoices", {"$filter": "PurchaseOrder eq 'lost-answer'"})
    assert LOWER_GUID.match(row["UUID"])
    assert bind_emulator.admin.counts()["POST /api/Invoices"] == 1


@pytest.mark.parametrize("kind, status", [("server_error", 500), ("rate_limit", 429), ("drop", None)])
def test_faults_before_the_post_create_nothing(bind_emulator, client, kind, status):
    bind_emulator.admin.inject(kind, "/api/Invoices$", method="POST")
    if status is None:
        with pytest.raises(requests.RequestException):
            post(bind_emulator, new_invoice(PurchaseOrder="faulted"))
    else:
        assert post(bind_emulator, new_invoice(PurchaseOrder="faulted")).status_code == status
    assert client.get_all("Invoices", {"$filter": "PurchaseOrder eq 'faulted'"}) == []
    # the fault was on the POST only: a GET of the list was not affected, and the next POST goes through
    assert post(bind_emulator, new_invoice(PurchaseOrder="faulted")).status_code == 200


def test_a_custom_answer_after_nothing_was_stored(bind_emulator):
    bind_emulator.admin.inject(
        "custom", "/api/Invoices$", method="POST", status=502, raw="<html>Bad gateway</html>", content_type="text/html"
    )
    answer = post(bind_emulator, new_invoice())
    assert answer.status_code == 502 and "Bad gateway" in answer.text


# --- client lookup and catalogs ----------------------------------------------------------------


def test_clients_by_rfc_zero_one_or_many(client):
    assert [c["ID"] for c in client.get_all("Clients", {"$filter": f"RFC eq '{demo.RFC_UNICO}'"})] == [
        demo.CLIENT_UNICO
    ]
    shared = client.get_all("Clients", {"$filter": f"RFC eq '{demo.RFC_DUPLICADO}'"})
    assert sorted(c["ID"] for c in shared) == sorted([demo.CLIENT_DUPLICADO_NORTE, demo.CLIENT_DUPLICADO_SUR])
    assert len(client.get_all("Clients", {"$filter": "RFC eq 'XAXX010101000'"})) >= 3
    assert client.get_all("Clients", {"$filter": "RFC eq 'ZZZ010101ZZ9'"}) == []
    [no_regime] = client.get_all("Clients", {"$filter": f"RFC eq '{demo.RFC_SIN_REGIMEN}'"})
    assert no_regime["RegimenFiscal"] is None


def test_client_details_keep_binds_misspelt_location_keys(bind_emulator, client):
    answer = requests.get(
        f"{bind_emulator.url}/Clients/{demo.CLIENT_UNICO}",
        timeout=10,
        headers={"Authorization": f"Bearer {bind_emulator.token}"},
    )
    details = answer.json()
    assert details["RFC"] == demo.RFC_UNICO and details["LoctaionID"] == MATRIZ and "Loctaion" in details
    assert details["PriceListID"] == demo.DEFAULT_PRICE_LIST
    missing = requests.get(
        f"{bind_emulator.url}/Clients/11111111-2222-4333-8444-555555555555",
        timeout=10,
        headers={"Authorization": f"Bearer {bind_emulator.token}"},
    )
    assert missing.status_code == 404


def test_catalogs_needed_for_a_new_invoice(client):
    assert {location["ID"] for location in client.get_all("Locations")} == set(demo.LOCATIONS)
    assert {p["ID"] for p in client.get_all("PriceLists")} == set(demo.PRICE_LISTS)
    services = {s["ID"]: s for s in client.get_all("Services")}
    assert services[demo.SERVICE_GENERICO]["SATCode"] == 1010101  # an integer: the leading zero is lost
    assert services[demo.SERVICE_MANTENIMIENTO]["VariableConcept"] is True
    series = client.get_all("Series", {"docType": demo.SALES_DOC_TYPE})
    assert {s["Serie"] for s in series} == {"FAC", "AWAFAC"}
    assert {c["Code"] for c in client.currencies()} == {"MXN", "USD"}


def test_admin_adds_a_service_that_a_sale_can_use(bind_emulator, client):
    service = bind_emulator.admin.post(
        "services",
        {"Code": "SRV-ASE", "Title": "Asesoría", "SATCode": "80101500", "SATUnit": "E48", "VariableConcept": False},
    )
    sale_id = post(
        bind_emulator, new_invoice(Services=[{"ID": service["ID"], "Title": "ignored", "Price": 10, "Qty": 1}])
    ).json()
    assert client.invoice(sale_id)["Services"][0]["Name"] == "Asesoría"  # not a variable concept
