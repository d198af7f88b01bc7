"""Binding a ``POST /api/Invoices`` body as Web API 2 + Json.NET would (sandbox/bind/new_invoice.py), over
real HTTP: 400 ``{"Message": "The request is invalid.", "ModelState": ...}`` naming each field, nothing stored."""

from __future__ import annotations

import pytest
import requests

from smartbind_pipelines.sandbox.bind import demo

from .test_sales import new_invoice, post


def model_state(answer: requests.Response) -> dict:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["Message"] == "The request is invalid."
    return body["ModelState"]


def test_aw_middleware_body_is_refused_with_model_state(bind_emulator):
    """The old middleware's PAC-style body (contract §7): string CFDIUse, no required GUIDs."""
    aw = {
        "ClientID": demo.CLIENT_UNICO,
        "Date": "2026-02-03T10:15:00",
        "Currency": "MXN",
        "ExchangeRate": 1,
        "PaymentMethod": "PUE",
        "PaymentForm": "03",
        "CFDIUse": "G03",
        "Items": [{"Description": "x", "Quantity": 1, "UnitPrice": 10, "ProductServiceKey": "01010101"}],
    }
    before = bind_emulator.state.summary()["invoices"]
    errors = model_state(post(bind_emulator, aw))
    assert errors["newInvoice.CFDIUse"] == ["Could not convert string to integer: G03. Path 'CFDIUse'."]
    for field in ("CurrencyID", "LocationID", "WarehouseID", "PriceListID", "InvoiceDate"):
        assert errors[f"newInvoice.{field}"] == [f"The {field} field is required."]
    assert "newInvoice.ClientID" not in errors and "newInvoice.Items" not in errors
    assert bind_emulator.state.summary()["invoices"] == before


@pytest.mark.parametrize(
    "changes, key, message",
    [
        (
            {"ClientID": "00000000-0000-0000-0000-000000000000"},
            "newInvoice.ClientID",
            "The ClientID field is required.",
        ),
        (
            {"ClientID": "FLU990101AB1"},
            "newInvoice.ClientID",
            "Error converting value \"FLU990101AB1\" to type 'System.Guid'. Path 'ClientID'.",
        ),
        (
            {"InvoiceDate": "mañana"},
            "newInvoice.InvoiceDate",
            "Could not convert string to DateTime: mañana. Path 'InvoiceDate'.",
        ),
        ({"CFDIUse": 2.5}, "newInvoice.CFDIUse", "Input string '2.5' is not a valid integer. Path 'CFDIUse'."),
        (
            {"IsFiscalInvoice": "sí"},
            "newInvoice.IsFiscalInvoice",
            "Could not convert string to boolean: sí. Path 'IsFiscalInvoice'.",
        ),
        (
            {"Services": [{"ID": demo.SERVICE_MANTENIMIENTO, "Price": 1, "Qty": 1}]},
            "newInvoice.Services[0].Title",
            "The Title field is required.",
        ),
        (
            {"Services": [{"ID": demo.SERVICE_MANTENIMIENTO, "Title": "x", "Price": 1, "Qty": "dos"}]},
            "newInvoice.Services[0].Qty",
            "Could not convert string to double: dos. Path 'Services[0].Qty'.",
        ),
        ({"Products": [{"Price": 1, "Qty": 1}]}, "newInvoice.Products[0].ID", "The ID field is required."),
        ({"Services": {"ID": demo.SERVICE_MANTENIMIENTO}}, "newInvoice.Services", None),
    ],
)
def test_model_state_errors_name_the_field(bind_emulator, changes, key, message):
    errors = model_state(post(bind_emulator, new_invoice(**changes)))
    assert list(errors) == [key]
    if message is not None:
        assert errors[key] == [message]


@pytest.mark.parametrize("raw", [b"", b"null", b"{not json", b"[1, 2]"])
def test_an_empty_or_unreadable_body_is_a_model_state_error_on_new_invoice(bind_emulator, raw):
    assert list(model_state(post(bind_emulator, None, raw=raw))) == ["newInvoice"]


def test_a_body_that_is_not_json_is_415(bind_emulator):
    answer = post(bind_emulator, None, raw=b"ClientID=x", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415 and "Message" in answer.json()
