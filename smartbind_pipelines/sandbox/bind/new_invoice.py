"""``POST /api/Invoices`` ("Agregar Venta"): binding a ``NewInvoice`` body as ASP.NET Web API 2 + Json.NET
would (contract: shared/contracts/bind-invoicing.md §9.1).

Binding happens in two steps, as on the real service:

1. model binding (``bind_new_invoice``, here): keys match case-insensitively, unknown keys are ignored, a
   value of the wrong JSON type is a ModelState entry ``newInvoice.<Path>``, a missing required field is
   ``"The <F> field is required."`` — all answered together as
   ``400 {"Message": "The request is invalid.", "ModelState": {...}}``;
2. business checks (``BindState.create_sale``, in state/sales.py): unknown client/currency/…/product/service,
   no lines, a ``CFDIUse`` outside the configured table → ``400 {"Message": "<F> <id> not found"}`` and the
   like.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

from smartbind_pipelines.sandbox.bind.schema import (
    BOOL,
    DATETIME,
    DOUBLE,
    GUID,
    INT32,
    INT64,
    STRING,
    is_guid,
    to_naive_cdmx,
)

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


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

_CLR = {
    GUID: "System.Guid",
    INT32: "System.Int32",
    INT64: "System.Int64",
    DOUBLE: "System.Double",
    BOOL: "System.Boolean",
    DATETIME: "System.DateTime",
    STRING: "System.String",
}
_DEFAULTS = {GUID: ZERO_GUID, INT32: 0, INT64: 0, DOUBLE: 0.0, BOOL: False, DATETIME: datetime(1, 1, 1), STRING: None}
PARAMETER = "newInvoice"  # the action's parameter name (B2): the ModelState key prefix


class _Invalid(Exception):
    pass


def _show(value) -> str:
    if value is None:
        return "{null}"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _kind(value) -> str:
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"


def _scalar(value, edm: str, path: str):
    """One JSON value converted as Json.NET would; raises _Invalid with its message."""
    if isinstance(value, (dict, list)):
        if edm == STRING:
            raise _Invalid(
                f"Unexpected character encountered while parsing value: {'{' if isinstance(value, dict) else '['}. Path '{path}'."
            )
        raise _Invalid(f"Cannot deserialize the current JSON {_kind(value)} into type '{_CLR[edm]}'. Path '{path}'.")
    if value is None:
        if edm == STRING:
            return None
        raise _Invalid(f"Error converting value {{null}} to type '{_CLR[edm]}'. Path '{path}'.")
    if edm == STRING:
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, bool) and edm in (INT32, INT64, DOUBLE):
        raise _Invalid(f"Error converting value {_show(value)} to type '{_CLR[edm]}'. Path '{path}'.")
    if edm == GUID:
        if isinstance(value, str) and is_guid(value.strip()):
            return value.strip().lower()
        shown = f'"{value}"' if isinstance(value, str) else _show(value)
        raise _Invalid(f"Error converting value {shown} to type 'System.Guid'. Path '{path}'.")
    if edm in (INT32, INT64):
        limit = 2**31 if edm == INT32 else 2**63
        if isinstance(value, str):
            number = _from_text(value, int, "integer", path)
        elif isinstance(value, float):
            if not value.is_integer():
                raise _Invalid(f"Input string '{value}' is not a valid integer. Path '{path}'.")
            number = int(value)
        else:
            number = int(value)
        if not -limit <= number < limit:
            raise _Invalid(f"Value was either too large or too small for an {_CLR[edm][7:]}. Path '{path}'.")
        return number
    if edm == DOUBLE:
        if isinstance(value, str):
            number = _from_text(value, float, "double", path)
        else:
            number = float(value)
        if not math.isfinite(number):
            raise _Invalid(f"Could not convert string to double: {value}. Path '{path}'.")
        return number
    if edm == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, (int, float)):
            return value != 0
        raise _Invalid(f"Could not convert string to boolean: {value}. Path '{path}'.")
    if edm == DATETIME:
        if not isinstance(value, str):
            raise _Invalid(
                f"Unexpected token parsing date. Expected String, got {type(value).__name__}. Path '{path}'."
            )
        try:
            return to_naive_cdmx(value) if _has_offset(value) else datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid(f"Could not convert string to DateTime: {value}. Path '{path}'.") from None
    raise AssertionError(edm)


def _from_text(value: str, convert, word: str, path: str):
    """A number written as a JSON string, parsed as Json.NET would (``word`` names the type in its message)."""
    try:
        return convert(value.strip())
    except ValueError:
        raise _Invalid(f"Could not convert string to {word}: {value}. Path '{path}'.") from None


def _has_offset(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith("Z") or "+" in tail or "-" in tail


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
                    raise _Invalid(
                        f"Cannot deserialize the current JSON {_kind(value)} into type "
                        f"'List`1[{spec[1].name if isinstance(spec[1], Model) else _CLR[spec[1]]}]' "
                        f"because the type requires a JSON array. Path '{here}'."
                    )
                items = []
                for index, item in enumerate(value):
                    item_path = f"{here}[{index}]"
                    if isinstance(spec[1], Model):
                        if not isinstance(item, dict):
                            errors.setdefault(f"{PARAMETER}.{item_path}", []).append(
                                f"Cannot deserialize the current JSON {_kind(item)} into type "
                                f"'{spec[1].name}'. Path '{item_path}'."
                            )
                            continue
                        items.append(_bind(spec[1], item, item_path, errors, strict_required))
                    else:
                        try:
                            items.append(_scalar(item, spec[1], item_path))
                        except _Invalid as exc:
                            errors.setdefault(f"{PARAMETER}.{item_path}", []).append(str(exc))
                bound[name] = items
            elif value is None and name in model.nullable:
                bound[name] = None
            else:
                bound[name] = _scalar(value, spec, here)
        except _Invalid as exc:
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
            bound[name] = _DEFAULTS[spec]
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
                f"Cannot deserialize the current JSON {_kind(body)} into type 'NewInvoice' "
                "because the type requires a JSON object. Path ''."
            ]
        }
    bound = _bind(NEW_INVOICE, body, "", errors, strict_required)
    return (None if errors else bound), errors


def model_state_body(errors: dict) -> dict:
    return {"Message": "The request is invalid.", "ModelState": errors}
