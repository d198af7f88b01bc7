"""``POST /api/Invoices`` ("Agregar Venta"): binding a ``NewInvoice`` body as ASP.NET Web API 2 + Json.NET
would, and the emulator's invoicing settings (contract: shared/contracts/bind-invoicing.md §2, §5, §9.1).

Binding happens in two steps, as on the real service:

1. model binding (``bind_new_invoice``): keys match case-insensitively, unknown keys are ignored, a value of
   the wrong JSON type is a ModelState entry ``newInvoice.<Path>``, a missing required field is
   ``"The <F> field is required."`` — all answered together as
   ``400 {"Message": "The request is invalid.", "ModelState": {...}}``;
2. business checks (in ``BindState.create_sale``): unknown client/currency/…/product/service, no lines, a
   ``CFDIUse`` outside the configured table → ``400 {"Message": "<F> <id> not found"}`` and the like.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from datetime import datetime

from smartbind_pipelines.sandbox.bind.schema import (
    BOOL, DATETIME, DOUBLE, GUID, INT32, INT64, STRING, is_guid, to_naive_cdmx)

ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# [G] AW's CFDI_USE_MAP (bind-invoicing.md §2.4): the index Bind takes in CFDIUse -> the SAT c_UsoCFDI code.
DEFAULT_CFDI_USES = ("G01", "G02", "G03", "I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08", "D01", "D02",
                     "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "P01", "S01", "CP01", "CN01")

STAMPING_MODES = ("sync", "deferred", "fail")


@dataclass
class InvoicingSettings:
    """Switches for the behaviours the contract marks [G]; read and changed through ``/_sandbox/invoicing``.

    stamping: ``sync`` — the UUID is there on the first read (default); ``deferred`` — the UUID stays null
      until the sale was read ``stamp_after_reads`` times by id (``GET /api/Invoices/{id}``) or
      ``stamp_after_seconds`` passed (whichever is set and comes first; neither set = only the admin stamp
      route stamps it); ``fail`` — stamping fails with ``fail_message``: ``fail_as="error"`` answers the POST
      with 400 and creates nothing, ``fail_as="unstamped"`` creates the sale and never stamps it.
    strict_required: a missing or zero-GUID required field is a ModelState error (default). Off, value types
      bind their defaults (zero GUID, 0, 0001-01-01) and the business checks refuse what they can.
    cfdi_uses: the CFDIUse index table; an index outside it is refused.
    honour_number: a non-zero ``Number`` in the body is used as the folio (default: ignored, next folio).
    warehouse_location_check: a warehouse must belong to ``LocationID`` unless ``AvailableInOtherLoc``.
    """

    stamping: str = "sync"
    stamp_after_reads: int = 0
    stamp_after_seconds: float = 0.0
    fail_message: str = "Error al timbrar: el SAT rechazó el comprobante."
    fail_as: str = "error"
    strict_required: bool = True
    cfdi_uses: tuple[str, ...] = DEFAULT_CFDI_USES
    default_serie: str = "FAC"
    honour_number: bool = False
    warehouse_location_check: bool = True

    def update(self, changes: dict) -> "InvoicingSettings":
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown invoicing setting(s): {', '.join(unknown)}")
        merged = {**self.as_dict(), **changes}
        if merged["stamping"] not in STAMPING_MODES:
            raise ValueError(f"stamping must be one of {', '.join(STAMPING_MODES)}, not {merged['stamping']!r}")
        if merged["fail_as"] not in ("error", "unstamped"):
            raise ValueError(f"fail_as must be 'error' or 'unstamped', not {merged['fail_as']!r}")
        for name in ("stamp_after_reads",):
            value = merged[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        value = merged["stamp_after_seconds"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
            raise ValueError(f"stamp_after_seconds must be a non-negative number, not {value!r}")
        for name in ("strict_required", "honour_number", "warehouse_location_check"):
            if not isinstance(merged[name], bool):
                raise ValueError(f"{name} must be true or false, not {merged[name]!r}")
        for name in ("fail_message", "default_serie"):
            if not isinstance(merged[name], str):
                raise ValueError(f"{name} must be text, not {merged[name]!r}")
        uses = merged["cfdi_uses"]
        if not isinstance(uses, (list, tuple)) or not all(isinstance(u, str) for u in uses):
            raise ValueError("cfdi_uses must be a list of SAT codes (index = the CFDIUse integer)")
        merged["cfdi_uses"] = tuple(uses)
        merged["stamp_after_seconds"] = float(value)
        return InvoicingSettings(**merged)

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["cfdi_uses"] = list(self.cfdi_uses)
        return out


# --- the NewInvoice model (B1) ---------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    name: str  # CLR type name, as in Json.NET messages
    fields: dict[str, object]  # field -> EDM type, or a nested ("list", Model) / ("list", EDM)
    required: tuple[str, ...] = ()
    nullable: frozenset = field(default_factory=frozenset)  # value-type fields that take null [G]


NEW_INVOICE_PRODUCT = Model("NewInvoiceProduct", {
    "ID": GUID, "Price": DOUBLE, "Qty": DOUBLE, "VAT": DOUBLE, "IndexNumber": INT32, "IEPS": DOUBLE,
    "IEPSType": INT32, "Comments": STRING, "VATExempt": BOOL, "RequireLot": BOOL,
    "SelectedImports": ("list", GUID), "OrderItemID": GUID}, ("ID", "Price", "Qty"), frozenset({"OrderItemID"}))

NEW_INVOICE_SERVICE = Model("NewInvoiceService", {
    "ID": GUID, "Title": STRING, "Price": DOUBLE, "Qty": DOUBLE, "VAT": DOUBLE, "Comments": STRING,
    "VATExempt": BOOL, "IndexNumber": INT32, "VariableConcept": BOOL, "OrderItemID": GUID},
    ("ID", "Title", "Price", "Qty"), frozenset({"OrderItemID"}))

NEW_INVOICE_PAYMENT = Model("NewInvoicePayment", {
    "PaymentMethod": INT32, "AccountID": GUID, "Amount": DOUBLE, "Reference": STRING, "ExchangeRate": DOUBLE,
    "ExchangeRateAccount": DOUBLE}, ("PaymentMethod", "AccountID", "Amount", "Reference"))

NEW_INVOICE = Model("NewInvoice", {
    "ClientID": GUID, "CurrencyID": GUID, "LocationID": GUID, "WarehouseID": GUID, "PriceListID": GUID,
    "CFDIUse": INT32, "InvoiceDate": DATETIME, "ExchangeRate": DOUBLE, "VATRate": DOUBLE, "ISRRetRate": DOUBLE,
    "VATRetRate": DOUBLE, "DiscountType": INT32, "DiscountAmount": DOUBLE, "Comments": STRING,
    "PurchaseOrder": STRING, "CreditDays": INT32, "IsFiscalInvoice": BOOL, "ShowIEPS": BOOL, "Serie": STRING,
    "Number": INT64, "Account": STRING, "Emails": ("list", STRING), "Reference": STRING, "PaymentTerm": INT32,
    "Payments": ("list", NEW_INVOICE_PAYMENT), "Products": ("list", NEW_INVOICE_PRODUCT),
    "Services": ("list", NEW_INVOICE_SERVICE)},
    ("CurrencyID", "ClientID", "LocationID", "WarehouseID", "CFDIUse", "InvoiceDate", "PriceListID"))

_CLR = {GUID: "System.Guid", INT32: "System.Int32", INT64: "System.Int64", DOUBLE: "System.Double",
        BOOL: "System.Boolean", DATETIME: "System.DateTime", STRING: "System.String"}
_DEFAULTS = {GUID: ZERO_GUID, INT32: 0, INT64: 0, DOUBLE: 0.0, BOOL: False, DATETIME: datetime(1, 1, 1),
             STRING: None}
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
            raise _Invalid(f"Unexpected character encountered while parsing value: {'{' if isinstance(value, dict) else '['}. Path '{path}'.")
        raise _Invalid(f"Cannot deserialize the current JSON {_kind(value)} into type '{_CLR[edm]}'. Path '{path}'.")
    if value is None:
        if edm == STRING:
            return None
        raise _Invalid(f"Error converting value {{null}} to type '{_CLR[edm]}'. Path '{path}'.")
    if edm == STRING:
        return value if isinstance(value, str) else json.dumps(value)
    if edm == GUID:
        if isinstance(value, str) and is_guid(value.strip()):
            return value.strip().lower()
        shown = f'"{value}"' if isinstance(value, str) else _show(value)
        raise _Invalid(f"Error converting value {shown} to type 'System.Guid'. Path '{path}'.")
    if edm in (INT32, INT64):
        limit = 2**31 if edm == INT32 else 2**63
        if isinstance(value, bool):
            raise _Invalid(f"Error converting value {_show(value)} to type '{_CLR[edm]}'. Path '{path}'.")
        if isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                raise _Invalid(f"Could not convert string to integer: {value}. Path '{path}'.") from None
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
        if isinstance(value, bool):
            raise _Invalid(f"Error converting value {_show(value)} to type 'System.Double'. Path '{path}'.")
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise _Invalid(f"Could not convert string to double: {value}. Path '{path}'.") from None
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
            raise _Invalid(f"Unexpected token parsing date. Expected String, got {type(value).__name__}. "
                           f"Path '{path}'.")
        try:
            return to_naive_cdmx(value) if _has_offset(value) else datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid(f"Could not convert string to DateTime: {value}. Path '{path}'.") from None
    raise AssertionError(edm)


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
                    raise _Invalid(f"Cannot deserialize the current JSON {_kind(value)} into type "
                                   f"'List`1[{spec[1].name if isinstance(spec[1], Model) else _CLR[spec[1]]}]' "
                                   f"because the type requires a JSON array. Path '{here}'.")
                items = []
                for index, item in enumerate(value):
                    item_path = f"{here}[{index}]"
                    if isinstance(spec[1], Model):
                        if not isinstance(item, dict):
                            errors.setdefault(f"{PARAMETER}.{item_path}", []).append(
                                f"Cannot deserialize the current JSON {_kind(item)} into type "
                                f"'{spec[1].name}'. Path '{item_path}'.")
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
        return None, {PARAMETER: [f"Unexpected character encountered while parsing value. Path '', line {line}, "
                                  f"position {column}."]}
    if body is None:
        return None, {PARAMETER: [f"The {PARAMETER} field is required."]}
    if not isinstance(body, dict):
        return None, {PARAMETER: [f"Cannot deserialize the current JSON {_kind(body)} into type 'NewInvoice' "
                                  "because the type requires a JSON object. Path ''."]}
    bound = _bind(NEW_INVOICE, body, "", errors, strict_required)
    return (None if errors else bound), errors


def model_state_body(errors: dict) -> dict:
    return {"Message": "The request is invalid.", "ModelState": errors}
