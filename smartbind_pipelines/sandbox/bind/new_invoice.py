"""``POST /api/Invoices`` ("Agregar Venta"): binding a ``NewInvoice`` body as ASP.NET Web API 2 + Json.NET
would (contract: shared/contracts/bind-invoicing.md §9.1).

Binding happens in two steps, as on the real service:

1. model binding (``bind_new_invoice``, here): keys match case-insensitively, unknown keys are ignored, a
   value of the wrong JSON type is a ModelState entry ``newInvoice.<Path>``, a missing required field is
   ``"The <F> field is required."`` (each value converted by json_net.py) — all answered together as
   ``400 {"Message": "The request is invalid.", "ModelState": {...}}``;
2. business checks (``BindState.create_sale``, in state/sales.py): unknown client/currency/…/product/service,
   no lines, a ``CFDIUse`` outside the configured table → ``400 {"Message": "<F> <id> not found"}`` and the
   like.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.bind.json_net import (
    CLR_TYPES,
    DEFAULTS,
    ZERO_GUID,
    JsonNetError,
    convert_value,
    json_kind,
)
from smartbind_pipelines.sandbox.bind.schema import BOOL, DATETIME, DOUBLE, GUID, INT32, INT64, STRING

# --- the NewInvoice model (B1) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    name: str  # CLR type name, as in Json.NET messages
    fields: dict[str, object]  # field -> EDM type, or a nested ("list", Model) / ("list", EDM)
    required: tuple[str, ...] = ()
    nullable: frozenset = field(default_factory=frozenset)  # value-type fields that take null [G]


NEW_INVOICE_PRODUCT = Model(
    "NewInvoiceProduct",
    {
        "ID": GUID,
        "Price": DOUBLE,
        "Qty": DOUBLE,
        "VAT": DOUBLE,
        "IndexNumber": INT32,
        "IEPS": DOUBLE,
        "IEPSType": INT32,
        "Comments": STRING,
        "VATExempt": BOOL,
        "RequireLot": BOOL,
        "SelectedImports": ("list", GUID),
        "OrderItemID": GUID,
    },
    ("ID", "Price", "Qty"),
    frozenset({"OrderItemID"}),
)

NEW_INVOICE_SERVICE = Model(
    "NewInvoiceService",
    {
        "ID": GUID,
        "Title": STRING,
        "Price": DOUBLE,
        "Qty": DOUBLE,
        "VAT": DOUBLE,
        "Comments": STRING,
        "VATExempt": BOOL,
        "IndexNumber": INT32,
        "VariableConcept": BOOL,
        "OrderItemID": GUID,
    },
    ("ID", "Title", "Price", "Qty"),
    frozenset({"OrderItemID"}),
)

NEW_INVOICE_PAYMENT = Model(
    "NewInvoicePayment",
    {
        "PaymentMethod": INT32,
        "AccountID": GUID,
        "Amount": DOUBLE,
        "Reference": STRING,
        "ExchangeRate": DOUBLE,
        "ExchangeRateAccount": DOUBLE,
    },
    ("PaymentMethod", "AccountID", "Amount", "Reference"),
)

NEW_INVOICE = Model(
    "NewInvoice",
    {
        "ClientID": GUID,
        "CurrencyID": GUID,
        "LocationID": GUID,
        "WarehouseID": GUID,
        "PriceListID": GUID,
        "CFDIUse": INT32,
        "InvoiceDate": DATETIME,
        "ExchangeRate": DOUBLE,
        "VATRate": DOUBLE,
        "ISRRetRate": DOUBLE,
        "VATRetRate": DOUBLE,
        "DiscountType": INT32,
        "DiscountAmount": DOUBLE,
        "Comments": STRING,
        "PurchaseOrder": STRING,
        "CreditDays": INT32,
        "IsFiscalInvoice": BOOL,
        "ShowIEPS": BOOL,
        "Serie": STRING,
        "Number": INT64,
        "Account": STRING,
        "Emails": ("list", STRING),
        "Reference": STRING,
        "PaymentTerm": INT32,
        "Payments": ("list", NEW_INVOICE_PAYMENT),
        "Products": ("list", NEW_INVOICE_PRODUCT),
        "Services": ("list", NEW_INVOICE_SERVICE),
    },
    ("CurrencyID", "ClientID", "LocationID", "WarehouseID", "CFDIUse", "InvoiceDate", "PriceListID"),
)

PARAMETER = "newInvoice"  # the action's parameter name (B2): the ModelState key prefix


def _bind(model: Model, raw: dict, path: str, errors: dict, strict_required: bool) -> dict:
    by_lower = {}
    for key, value in raw.items():
        by_lower[key.lower()] = (key, value)  # Json.NET: case-insensitive match, the last one wins
    bound: dict = {}
    for name, spec in model.fields.items():
        here = f"{path}.{name}" if path else name
        key = f"{PARAMETER}.{here}"
        if name.lower() not in by_lower:
            continue
        value = by_lower[name.lower()][1]
        try:
            if isinstance(spec, tuple):
                if value is None:
                    bound[name] = None
                    continue
                if not isinstance(value, list):
                    raise JsonNetError(
                        f"Cannot deserialize the current JSON {json_kind(value)} into type "
                        f"'List`1[{spec[1].name if isinstance(spec[1], Model) else CLR_TYPES[spec[1]]}]' "
                        f"because the type requires a JSON array. Path '{here}'."
                    )
                items = []
                for index, item in enumerate(value):
                    item_path = f"{here}[{index}]"
                    if isinstance(spec[1], Model):
                        if not isinstance(item, dict):
                            errors.setdefault(f"{PARAMETER}.{item_path}", []).append(
                                f"Cannot deserialize the current JSON {json_kind(item)} into type "
                                f"'{spec[1].name}'. Path '{item_path}'."
                            )
                            continue
                        items.append(_bind(spec[1], item, item_path, errors, strict_required))
                    else:
                        try:
                            items.append(convert_value(item, spec[1], item_path))
                        except JsonNetError as exc:
                            errors.setdefault(f"{PARAMETER}.{item_path}", []).append(str(exc))
                bound[name] = items
            elif value is None and name in model.nullable:
                bound[name] = None
            else:
                bound[name] = convert_value(value, spec, here)
        except JsonNetError as exc:
            errors.setdefault(key, []).append(str(exc))
    for name in model.required:
        here = f"{path}.{name}" if path else name
        key = f"{PARAMETER}.{here}"
        if key in errors:
            continue
        spec = model.fields[name]
        value = bound.get(name)
        missing = value is None or (spec == GUID and value == ZERO_GUID) or (spec == STRING and value == "")
        if missing and (strict_required or spec == STRING):
            errors.setdefault(key, []).append(f"The {name} field is required.")
        elif name not in bound and not isinstance(spec, tuple):
            bound[name] = DEFAULTS[spec]
    return bound


def bind_new_invoice(raw_body: bytes, strict_required: bool = True) -> tuple[dict | None, dict]:
    """(bound fields or None, ModelState). A non-empty ModelState means 400 "The request is invalid."."""
    errors: dict[str, list[str]] = {}
    text = raw_body.decode("utf-8", errors="replace").strip()
    if not text:
        return None, {PARAMETER: [f"The {PARAMETER} field is required."]}
    try:
        body = json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        return None, {
            PARAMETER: [
                f"Unexpected character encountered while parsing value. Path '', line {line}, position {column}."
            ]
        }
    if body is None:
        return None, {PARAMETER: [f"The {PARAMETER} field is required."]}
    if not isinstance(body, dict):
        return None, {
            PARAMETER: [
                f"Cannot deserialize the current JSON {json_kind(body)} into type 'NewInvoice' "
                "because the type requires a JSON object. Path ''."
            ]
        }
    bound = _bind(NEW_INVOICE, body, "", errors, strict_required)
    return (None if errors else bound), errors


def model_state_body(errors: dict) -> dict:
    return {"Message": "The request is invalid.", "ModelState": errors}
