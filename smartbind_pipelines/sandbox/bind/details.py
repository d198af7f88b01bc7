"""The single-record views: ``InvoiceDetails`` and ``ProductDetails``, built from the state's records.

Both are rendered on request (they are read one at a time) and kept consistent with the list rows:
same ID, Number and amounts; ``CreationDate`` = list ``Date`` [G]; per-warehouse stock by warehouse name.
Callers hold the state's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines.sandbox.bind.schema import (
    INVOICE_DETAILS,
    INVOICE_DETAILS_PRODUCT,
    INVOICE_DETAILS_SERVICE,
    PRODUCT_DETAILS,
    money,
)

if TYPE_CHECKING:
    from smartbind_pipelines.sandbox.bind.state import BindState


def invoice_details(state: "BindState", record: dict) -> dict:
    client = state.clients.records.get(record["ClientID"]) or {}
    warehouse = state.warehouses.records.get(record["WarehouseID"]) or {}
    currency = state.currencies.records.get(record["CurrencyID"]) or {}
    details = {
        **record,
        "Series": record["Serie"],
        "PaymentTerms": record.get("_payment_terms", 30),
        "Status": state.status_text.get(record["Status"], str(record["Status"])),
        "StatusCode": record["Status"],
        "ClientPhoneNumber": client.get("Phone"),
        "ClientContact": client.get("_contact"),
        "CreatedByID": demo.SELLER["ID"],
        "CreatedByName": demo.SELLER["Name"],
        "CreationDate": record["Date"],
        "ApplicationDate": record["Date"],
        "PriceListName": demo.PRICE_LISTS.get(record["PriceListID"]),
        "LocationName": demo.LOCATIONS.get(record["LocationID"]),
        "WarehouseName": warehouse.get("Name"),
        "CFDIPaymentMethod": record.get("_cfdi_method", "PPD"),
        "CFDIPaymentTerm": record.get("_cfdi_term", "99"),
        "CFDIAccountNumber": None,
        "CurrencyName": currency.get("Name"),
        "FiscalID": record["UUID"],
        "Address": client.get("_address"),
    }
    wire = INVOICE_DETAILS.wire(details)
    lines = record.get("_lines")
    wire["Products"] = [INVOICE_DETAILS_PRODUCT.wire(line) for line in lines or []]
    if record.get("_service_lines") is not None:  # a sale created through POST /api/Invoices: its own lines
        wire["Services"] = [INVOICE_DETAILS_SERVICE.wire(line) for line in record["_service_lines"]]
        return wire
    # without product lines (added or re-priced through the admin API) one service line carries the Subtotal
    wire["Services"] = (
        []
        if lines
        else [
            INVOICE_DETAILS_SERVICE.wire(
                {
                    "ID": record["ID"],
                    "IndexNumber": 1,
                    "ServiceID": None,
                    "Name": "Venta de mercancía",
                    "Code": "VENTA",
                    "Qty": 1.0,
                    "Price": record["Subtotal"],
                    "VATRate": record["VATRate"],
                    "Discount": record["Discount"],
                }
            )
        ]
    )
    return wire


def product_details(state: "BindState", product: dict) -> dict:
    names = {f"Category{n}": demo.CATEGORIES.get(product[f"Category{n}ID"]) for n in (1, 2, 3)}
    wire = PRODUCT_DETAILS.wire({**product, **names})
    price = product.get("_price", product["Cost"])
    cost = product["Cost"]
    wire["Prices"] = {
        "Items": [
            {
                "Name": name,
                "Margin": money((price * factor / cost - 1) * 100) if cost else 0.0,
                "Price": money(price * factor),
                "CurrencyCode": product["CurrencyCode"],
                "Type": 0,
            }
            for factor, name in zip((1.0, 0.9), demo.PRICE_LISTS.values())
        ]
    }
    wire["Inventories"] = [
        {
            "WarehouseName": warehouse["Name"],
            "Min": entry["min"],
            "Max": entry["max"],
            "Location": entry["location"],
            "Visible": entry["visible"],
            "Inventory": entry["qty"],
        }
        for warehouse, entry in state.stock_by_warehouse(product["ID"])
    ]
    wire["AlternativeUnits"] = []
    return wire
