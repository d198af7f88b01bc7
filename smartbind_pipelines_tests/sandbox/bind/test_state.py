"""The Bind emulator's state (sandbox/bind/state/): admin routes over HTTP, the Python mutators, the names a
sandbox snapshot holds, 20,000 rows."""

from __future__ import annotations

import io
import pickle
import re
from datetime import datetime, timedelta

import pytest
import requests

from smartbind_pipelines.core.cdmx import CDMX, now_cdmx
from smartbind_pipelines.sandbox.bind import MXN_ID, BindState, demo, schema
from smartbind_pipelines.sandbox.bind.query import PAGE_SIZE, page_body, parse_options, select_rows
from smartbind_pipelines.sandbox.bind.schema import INVOICE_LIST_ITEM
from smartbind_pipelines.sandbox.snapshot import dump_snapshot

RFC = re.compile(r"^[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}$")


def admin(emulator, method: str, path: str, payload=None) -> requests.Response:
    """Admin routes live on the same port, outside auth: no token is sent."""
    return requests.request(method, f"{emulator.admin.root}/_sandbox/{path}", json=payload, timeout=30)


def api(emulator, path: str, params=None) -> dict:
    response = requests.get(
        f"{emulator.url}/{path}", params=params, timeout=10, headers={"Authorization": f"Bearer {emulator.token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def invoice(emulator, id_or_number) -> dict:
    return api(emulator, "Invoices", {"$filter": f"ID eq guid'{id_or_number}'"})["value"][0]


# --- invoice lifecycle over the admin API --------------------------------------------------------


def test_an_added_invoice_is_an_unstamped_draft_dated_now(empty_bind_emulator):
    before = now_cdmx().replace(tzinfo=None) - timedelta(seconds=1)
    response = admin(empty_bind_emulator, "POST", "invoices", {"Subtotal": 1000})
    assert response.status_code == 200, response.text
    created = response.json()
    listed = api(empty_bind_emulator, "Invoices")
    assert listed["count"] == 1 and listed["value"][0] == created
    assert created["UUID"] is None and created["Status"] == 0
    assert (created["Subtotal"], created["VAT"], created["Total"]) == (1000.0, 160.0, 1160.0)
    assert before <= datetime.fromisoformat(created["Date"]) <= now_cdmx().replace(tzinfo=None) + timedelta(seconds=1)
    assert created["CurrencyID"] == MXN_ID and created["RFC"] == "XAXX010101000"


def test_stamp_pay_cancel_keep_the_date(empty_bind_emulator):
    emulator = empty_bind_emulator
    draft = admin(emulator, "POST", "invoices", {"Date": "2026-03-02T10:15:00.5", "Subtotal": 99.99}).json()
    assert draft["Date"] == "2026-03-02T10:15:00.5" and draft["VAT"] == 16.0 and draft["Total"] == 115.99
    stamped = admin(emulator, "POST", f"invoices/{draft['ID']}/stamp").json()
    assert re.match(r"^[0-9a-f-]{36}$", stamped["UUID"]) and stamped["Date"] == draft["Date"]
    assert invoice(emulator, draft["ID"])["UUID"] == stamped["UUID"]
    assert admin(emulator, "POST", f"invoices/{draft['ID']}/stamp").json()["UUID"] == stamped["UUID"]
    paid = admin(emulator, "POST", f"invoices/{draft['ID']}/pay").json()
    assert (paid["Status"], paid["Payments"], paid["Date"]) == (1, paid["Total"], draft["Date"])
    cancelled = admin(emulator, "POST", f"invoices/{draft['ID']}/cancel").json()
    assert cancelled["Status"] == 2 and cancelled["Date"] == draft["Date"]
    details = api(emulator, f"Invoices/{draft['Number']}")
    assert (details["Status"], details["StatusCode"]) == ("Cancelada", 2)
    assert admin(emulator, "POST", f"invoices/{draft['ID']}/pay").status_code == 400


def test_patch_invoice_recomputes_vat_and_total(empty_bind_emulator):
    emulator = empty_bind_emulator
    created = admin(emulator, "POST", "invoices", {"Subtotal": 100, "Serie": "AWAFAC -"}).json()
    patched = admin(emulator, "PATCH", f"invoices/{created['ID']}", {"Subtotal": 250.5, "Comments": "Entrega parcial"})
    assert patched.status_code == 200, patched.text
    listed = invoice(emulator, created["ID"])
    assert (listed["Subtotal"], listed["VAT"], listed["Total"]) == (250.5, 40.08, 290.58)
    assert listed["Comments"] == "Entrega parcial" and listed["Serie"] == "AWAFAC -"
    assert listed["Date"] == created["Date"]


def test_generate_invoices_in_a_window(empty_bind_emulator):
    emulator = empty_bind_emulator
    result = admin(
        emulator,
        "POST",
        "invoices/generate",
        {"count": 300, "start": "2026-02-01T00:00:00", "end": "2026-02-08T00:00:00"},
    ).json()
    assert result == {"created": 300, "first_number": 1001, "last_number": 1300}
    page = api(
        emulator,
        "Invoices",
        {"$filter": "Date ge datetime'2026-02-01T00:00:00' and Date lt datetime'2026-02-08T00:00:00'", "$top": 1},
    )
    assert page["count"] == 300
    assert {api(emulator, "Invoices", {"$filter": f"Status eq {s}", "$top": 0})["count"] > 0 for s in (0, 1, 2)} == {
        True
    }


# --- products, stock, warehouses, clients, reset --------------------------------------------------


def test_products_and_stock(empty_bind_emulator):
    emulator = empty_bind_emulator
    general, monterrey, _ = emulator.state.warehouse_ids()
    product = admin(
        emulator,
        "POST",
        "products",
        {"Code": "CEM-50", "Title": "Cemento gris 50 kg", "Cost": 190, "stock": {general: 10, monterrey: -3}},
    ).json()
    assert product["CurrentInventory"] == 7.0 and product["Code"] == "CEM-50"
    row = admin(emulator, "PUT", "stock", {"warehouse_id": general, "product_id": product["ID"], "qty": 25.5}).json()
    assert row["CurrentInventory"] == 25.5 and row["ProductID"] == product["ID"]
    assert api(emulator, "Inventory", {"warehouseID": general})["value"] == [row]
    assert api(emulator, "Inventory", {"warehouseID": monterrey})["value"][0]["CurrentInventory"] == -3.0
    assert api(emulator, "Products")["value"][0]["CurrentInventory"] == 22.5
    assert admin(emulator, "PUT", "stock", {"warehouse_id": general, "product_id": "nope", "qty": 1}).status_code == 404
    generated = admin(emulator, "POST", "products/generate", {"count": 150}).json()
    assert generated == {"created": 150, "products": 151}
    assert api(emulator, "Inventory", {"warehouseID": general, "$top": 0})["count"] == 151


def test_rename_warehouse_shows_everywhere(bind_emulator):
    warehouse = bind_emulator.state.warehouse_ids()[1]
    renamed = admin(bind_emulator, "PATCH", f"warehouses/{warehouse}", {"name": "Almacén Apodaca"})
    assert renamed.json()["Name"] == "Almacén Apodaca"
    names = {w["ID"]: w["Name"] for w in api(bind_emulator, "Warehouses")["value"]}
    assert names[warehouse] == "Almacén Apodaca"
    product = api(bind_emulator, "Products", {"$top": 1})["value"][0]
    details = api(bind_emulator, f"Products/{product['ID']}")
    assert "Almacén Apodaca" in [i["WarehouseName"] for i in details["Inventories"]]


def test_add_client_then_invoice_it(empty_bind_emulator):
    emulator = empty_bind_emulator
    client = admin(
        emulator,
        "POST",
        "clients",
        {"ClientName": "Distribuidora Ñandú", "LegalName": "Distribuidora Ñandú S.A. de C.V."},
    ).json()
    assert RFC.match(client["RFC"]) and api(emulator, "Clients")["value"] == [client]
    created = admin(emulator, "POST", "invoices", {"ClientID": client["ID"]}).json()
    assert (created["ClientName"], created["RFC"]) == ("Distribuidora Ñandú S.A. de C.V.", client["RFC"])


def test_reset_to_demo_and_to_empty(bind_emulator):
    admin(bind_emulator, "POST", "invoices", {})
    assert api(bind_emulator, "Invoices", {"$top": 0})["count"] == 251
    summary = admin(bind_emulator, "POST", "reset", {"seed": 7, "invoices": 30, "products": 5}).json()
    assert (summary["invoices"], summary["products"]) == (30, 5)
    assert api(bind_emulator, "Invoices", {"$top": 0})["count"] == 30
    admin(bind_emulator, "POST", "reset", {"empty": True})
    assert api(bind_emulator, "Invoices")["count"] == 0 and api(bind_emulator, "Warehouses")["count"] == 3


def test_a_business_day(empty_bind_emulator):
    """Mutations between syncs show up in the next filtered read, as the pipeline will see them."""
    emulator = empty_bind_emulator
    day = "Date ge datetime'2026-05-04T00:00:00' and Date lt datetime'2026-05-05T00:00:00'"
    ids = [
        admin(
            emulator, "POST", "invoices", {"Date": f"2026-05-04T{9 + n:02d}:00:00", "Subtotal": 100 * (n + 1)}
        ).json()["ID"]
        for n in range(3)
    ]
    assert api(emulator, "Invoices", {"$filter": f"{day} and UUID ne null"})["count"] == 0
    admin(emulator, "POST", f"invoices/{ids[0]}/stamp")
    admin(emulator, "POST", f"invoices/{ids[1]}/stamp")
    admin(emulator, "POST", f"invoices/{ids[1]}/pay")
    admin(emulator, "POST", f"invoices/{ids[2]}/cancel")
    rows = {r["ID"]: r for r in api(emulator, "Invoices", {"$filter": day, "$orderby": "Date"})["value"]}
    assert [(rows[i]["Status"], rows[i]["UUID"] is not None) for i in ids] == [(0, True), (1, True), (2, False)]
    assert api(emulator, "Invoices", {"$filter": f"{day} and Total gt Payments and Status eq 0"})["count"] == 1


def test_python_mutators_match_http(empty_bind_emulator):
    state = empty_bind_emulator.state
    created = state.add_invoice(Subtotal=10, Date=datetime(2026, 1, 5, 9, 0, tzinfo=CDMX))
    assert created["Date"] == "2026-01-05T09:00:00"
    assert state.update_invoice(created["ID"], PurchaseOrder="OC-1")["PurchaseOrder"] == "OC-1"
    assert invoice(empty_bind_emulator, created["ID"])["PurchaseOrder"] == "OC-1"
    with pytest.raises(LookupError):
        state.stamp_invoice("11111111-2222-4333-8444-555555555555")
    assert state.simulate_activity(__import__("random").Random(1))


# --- inside a sandbox snapshot (sandbox-state.pickle, docs/sandbox.md) ---------------------------

# A snapshot names each class (and the clock function) it holds by module and name, so one written by an older
# version loads only while these names still import: moving one needs a re-export from its old module, and a
# new class in the state needs adding here.
SNAPSHOT_NAMES = {
    ("smartbind_pipelines.sandbox.bind.state", "BindState"),
    ("smartbind_pipelines.sandbox.bind.invoicing", "InvoicingSettings"),
    ("smartbind_pipelines.sandbox.bind.collection", "Collection"),
    ("smartbind_pipelines.core.cdmx", "now_cdmx"),
}


class _NamesSeen(pickle.Unpickler):
    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.names: set[tuple[str, str]] = set()

    def find_class(self, module: str, name: str):
        self.names.add((module, name))
        return super().find_class(module, name)

    def persistent_load(self, pid):  # the schema's entities are pickled by name (sandbox/snapshot.py)
        return getattr(schema, pid[1])


def test_a_snapshot_names_only_the_classes_older_snapshots_name_and_loads_back():
    state = BindState.demo(seed=3, invoices=20, products=5)
    state.configure_invoicing(stamping="deferred", stamp_after_reads=1)
    sale = state.create_sale(
        {
            "ClientID": demo.CLIENT_UNICO,
            "CurrencyID": MXN_ID,
            "LocationID": next(iter(demo.LOCATIONS)),
            "WarehouseID": demo.WAREHOUSE_GENERAL,
            "PriceListID": demo.DEFAULT_PRICE_LIST,
            "CFDIUse": 2,
            "InvoiceDate": datetime(2026, 2, 3, 10, 15),
            "IsFiscalInvoice": True,
            "Services": [{"ID": demo.SERVICE_FLETE, "Title": "Flete", "Qty": 1.0, "Price": 800.0}],
        }
    )
    reader = _NamesSeen(dump_snapshot({"bind": state}))
    loaded = reader.load()["bind"]

    ours = {(module, name) for module, name in reader.names if module.startswith("smartbind_pipelines")}
    assert ours == SNAPSHOT_NAMES
    assert type(loaded) is BindState and loaded.list_invoices() == state.list_invoices()
    assert loaded.pending_stamps() == [sale] and loaded.invoice_details(sale)["UUID"] is None
    assert loaded.invoice_details(sale)["UUID"]  # the deferred stamp comes on the next read, as configured


# --- speed ----------------------------------------------------------------------------------------


def test_20000_invoices_page_and_take_one_more():
    # How fast is measured by `make bench` (bench/micro.py), not asserted here.
    state = BindState.empty()
    state.generate_invoices(20_000, start="2026-01-01T00:00:00", end="2026-04-01T00:00:00")
    rows = state.rows("invoices")
    assert len(rows) == 20_000
    for query in (
        [],
        [("$skip", "19900")],
        [("$filter", "Status eq 1")],
        [("$filter", "Date ge datetime'2026-02-01T00:00:00' and Date lt datetime'2026-02-02T00:00:00'")],
        [("$orderby", "Date desc")],
    ):
        options = parse_options(query, INVOICE_LIST_ITEM)
        body = page_body(select_rows(rows, options), options, "http://h/api/Invoices")
        assert body.startswith('{"value":[')
    added = state.add_invoice(Subtotal=5)
    assert len(state.rows("invoices")) == 20_001
    assert added["ID"] in {invoice["ID"] for invoice in state.list_invoices()}
    assert PAGE_SIZE == 100
