"""Generated demo invoices: folios ascending with the date, a realistic mix of drafts, open, paid and
cancelled sales, and the amount rules every invoice of the emulator follows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from smartbind_pipelines.sandbox.bind.demo import CURRENCIES, DEFAULT_PRICE_LIST, MXN_ID, USD_ID, new_guid
from smartbind_pipelines.sandbox.bind.schema import money, sql_datetime

_COMMENTS = [
    "Entrega en obra",
    "Pago contra entrega",
    "Favor de referenciar el folio en su pago",
    "Material sujeto a disponibilidad",
    "Cliente recoge en sucursal",
]


def _moments(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    span = max((end - start).total_seconds(), 1.0)
    moments = []
    for _ in range(count):
        moment = sql_datetime(start + timedelta(seconds=rng.random() * span))
        moments.append(min(moment, sql_datetime(end - timedelta(milliseconds=5))))
    return sorted(moments)


def make_invoices(
    rng: random.Random,
    count: int,
    start: datetime,
    end: datetime,
    first_number: int,
    clients: list[dict],
    products: list[dict],
    warehouses: list[dict],
) -> list[dict]:
    """Invoices dated between ``start`` and ``end`` (naive CDMX), folios ascending with the date.

    Status mix: ~6% unstamped drafts (Status 0, UUID null), ~8% cancelled, ~38% paid, the rest stamped
    and open (a quarter of them partly paid). With 4+ invoices every kind appears at least once.
    """
    kinds = [_pick_kind(rng) for _ in range(count)]
    if count >= 4:
        for index, kind in zip(rng.sample(range(count), 4), ("draft", "open", "paid", "cancelled")):
            kinds[index] = kind
    usd = next(c for c in CURRENCIES if c["ID"] == USD_ID)
    invoices = []
    for offset, (moment, kind) in enumerate(zip(_moments(rng, count, start, end), kinds)):
        client = clients[0] if rng.random() < 0.15 or len(clients) == 1 else rng.choice(clients[1:])
        in_usd = rng.random() < 0.05
        rate = round(usd["ExchangeRate"] + rng.uniform(-0.4, 0.4), 4) if in_usd else 1.0
        warehouse = rng.choice(warehouses)
        lines, subtotal, cost = [], 0.0, 0.0
        for index, product in enumerate(rng.sample(products, min(len(products), rng.randint(1, 4)))):
            qty = float(rng.randint(1, 40))
            price = money(product["_price"] / rate)
            lines.append(
                {
                    "ID": new_guid(rng),
                    "ProductID": product["ID"],
                    "Name": product["Title"],
                    "IndexNumber": index + 1,
                    "Code": product["Code"],
                    "Unit": product["Unit"],
                    "UnitMultiplier": 1.0,
                    "Qty": qty,
                    "Price": price,
                    "VATRate": 0.16,
                    "IEPSRate": 0.0,
                    "Discount": 0.0,
                    "Comments": "",
                    "LotInfo": None,
                }
            )
            subtotal += qty * price
            cost += qty * product["Cost"] / rate
        if not lines:
            subtotal = money(rng.uniform(500, 50_000) / rate)
        terms = rng.choice([0, 15, 30, 60])
        invoice = invoice_amounts(subtotal=money(subtotal), discount=0.0, vat_rate=0.16)
        invoice.update(
            {
                "ID": new_guid(rng),
                "Serie": "FAC" if rng.random() < 0.8 else "AWAFAC -",
                "Date": moment,
                "Number": first_number + offset,
                "UUID": None,
                "ExpirationDate": moment + timedelta(days=terms),
                "ClientID": client["ID"],
                "ClientName": client["LegalName"],
                "RFC": client["RFC"],
                "Cost": money(cost),
                "CurrencyID": USD_ID if in_usd else MXN_ID,
                "LocationID": warehouse["LocationID"],
                "WarehouseID": warehouse["ID"],
                "PriceListID": DEFAULT_PRICE_LIST,
                "CFDIUse": rng.choice([1, 2, 3]),
                "ExchangeRate": rate,
                "VATRetRate": 0.0,
                "Comments": rng.choice(_COMMENTS) if rng.random() < 0.2 else "",
                "PurchaseOrder": str(rng.randrange(4300000000, 4310000000)) if rng.random() < 0.4 else "",
                "IsFiscalInvoice": True,
                "ShowIEPS": rng.random() < 0.3,
                "Status": 0,
                "Payments": 0.0,
                "_payment_terms": terms,
                "_cfdi_method": "PUE" if terms == 0 else "PPD",
                "_cfdi_term": "03" if terms == 0 else "99",
                "_lines": lines or None,
            }
        )
        if kind != "draft":
            invoice["UUID"] = new_guid(rng)
        if kind == "paid":
            invoice.update(Status=1, Payments=invoice["Total"])
        elif kind == "cancelled":
            invoice["Status"] = 2
        elif kind == "open" and rng.random() < 0.25:
            invoice["Payments"] = money(invoice["Total"] * rng.uniform(0.2, 0.8))
        invoices.append(invoice)
    return invoices


def _pick_kind(rng: random.Random) -> str:
    draw = rng.random()
    return "draft" if draw < 0.06 else "cancelled" if draw < 0.14 else "paid" if draw < 0.52 else "open"


def invoice_amounts(
    *, subtotal: float, discount: float, vat_rate: float, ieps: float = 0.0, vat_ret: float = 0.0, isr_ret: float = 0.0
) -> dict:
    """The amount fields of an invoice: VAT on the discounted subtotal, everything rounded to cents."""
    vat = money((subtotal - discount) * vat_rate)
    return {
        "Subtotal": money(subtotal),
        "Discount": money(discount),
        "VAT": vat,
        "IEPS": money(ieps),
        "ISRRet": money(isr_ret),
        "VATRet": money(vat_ret),
        "VATRate": vat_rate,
        "Total": money(subtotal - discount + vat + ieps - vat_ret - isr_ret),
        "CreditNotes": 0.0,
    }
