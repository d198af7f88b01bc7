"""Bind ERP field sets (contract §7.7, from Bind's OpenAPI export) and their wire serialization.

Records inside the emulator are plain dicts holding typed Python values (naive Mexico City datetimes,
lowercase GUID strings, floats for doubles). An ``Entity`` knows the exact key order and EDM type of
each field, serializes a record to the wire shape (every field, explicit nulls) and gives the OData
layer the property types it type-checks filters against.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from smartbind_pipelines.core.cdmx import format_bind_datetime, to_cdmx

GUID, STRING, DATETIME, INT32, INT64, DOUBLE, BOOL = (
    "Edm.Guid",
    "Edm.String",
    "Edm.DateTime",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.Double",
    "Edm.Boolean",
)

# [G] Bind's CLR namespace is not public; it only shows in 400 messages ("… on type '<ns>.<Type>'").
MODEL_NAMESPACE = "BindERP.API.Models"

_GUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Entity:
    """One Bind model: its name (as in OData error messages) and its (field, EDM type) list in S1 order."""

    name: str
    fields: tuple[tuple[str, str], ...]
    types: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", dict(self.fields))

    @property
    def qualified_name(self) -> str:
        return f"{MODEL_NAMESPACE}.{self.name}"

    def wire(self, record: dict) -> dict:
        """The JSON object Bind sends: every field in order, explicit nulls."""
        return {name: to_wire(record.get(name), edm) for name, edm in self.fields}

    def encode(self, record: dict) -> str:
        return json_text(self.wire(record))


def _entity(name: str, spec: str) -> Entity:
    """``"ID:G Serie:S …"`` -> Entity; letters: G guid, S string, D datetime, I int32, L int64, F double, B bool."""
    codes = {"G": GUID, "S": STRING, "D": DATETIME, "I": INT32, "L": INT64, "F": DOUBLE, "B": BOOL}
    return Entity(name, tuple((part.split(":")[0], codes[part.split(":")[1]]) for part in spec.split()))


INVOICE_LIST_ITEM = _entity(
    "InvoiceListItem",
    """
    ID:G Serie:S Date:D Number:L UUID:G ExpirationDate:D ClientID:G ClientName:S RFC:S Cost:F Subtotal:F
    Discount:F VAT:F IEPS:F ISRRet:F VATRet:F Total:F Payments:F CreditNotes:F CurrencyID:G LocationID:G
    WarehouseID:G PriceListID:G CFDIUse:I ExchangeRate:F VATRetRate:F Comments:S VATRate:F PurchaseOrder:S
    IsFiscalInvoice:B ShowIEPS:B Status:I""",
)

INVOICE_DETAILS = _entity(
    "InvoiceDetails",
    """
    ID:G UUID:G Series:S Number:L ClientID:G ClientName:S PaymentTerms:I Status:S StatusCode:I
    ClientPhoneNumber:S ClientContact:S RFC:S CreatedByID:G CreatedByName:S CreationDate:D ApplicationDate:D
    PriceListID:G PriceListName:S LocationID:G LocationName:S WarehouseID:G WarehouseName:S
    CFDIPaymentMethod:S CFDIPaymentTerm:S CFDIAccountNumber:S CurrencyName:S ExchangeRate:F PurchaseOrder:S
    FiscalID:G Address:S Comments:S Subtotal:F Discount:F VAT:F IEPS:F VATRet:F ISRRet:F Payments:F
    CreditNotes:F""",
)

INVOICE_DETAILS_PRODUCT = _entity(
    "InvoiceDetailsProduct",
    """
    ID:G ProductID:G Name:S IndexNumber:I Code:S Unit:S UnitMultiplier:F Qty:F Price:F VATRate:F IEPSRate:F
    Discount:F Comments:S LotInfo:S""",
)

INVOICE_DETAILS_SERVICE = _entity(
    "InvoiceDetailsService",
    """
    ID:G IndexNumber:I ServiceID:G Name:S Code:S Qty:F Price:F VATRate:F Discount:F""",
)

PRODUCT = _entity(
    "Product",
    """
    ID:G Code:S Title:S Description:S CreationDate:D Cost:F SKU:S Comments:S CostType:I CostTypeText:S
    Category1ID:G Category2ID:G Category3ID:G CurrentInventory:F ChargeVAT:B Number:I PricingType:I
    ImageUrl:S PricingTypeText:S Unit:S CurrencyID:G CurrencyCode:S PurchaseType:I PurchaseTypeText:S
    IEPSRate:F Type:I TypeText:S ProductionAuto:B Volume:F Weight:F""",
)

# ProductDetails = Product minus the *Text fields, then the nested parts appended by the state. [G] order
PRODUCT_DETAILS = Entity(
    "ProductDetails",
    tuple((name, edm) for name, edm in PRODUCT.fields if not name.endswith("Text"))
    + (("Category1", STRING), ("Category2", STRING), ("Category3", STRING)),
)

INVENTORY = _entity(
    "Inventory",
    """
    Balance:F ClientOrdered:F CurrentInventory:F ID:G Location:S ProvidedOrdered:F SKU:S Title:S Value:F
    Code:S ProductID:G Visible:B""",
)

WAREHOUSE = _entity("Warehouse", "ID:G Name:S LocationID:G AvailableInOtherLoc:B")

CURRENCY = _entity("Currency", "ID:G Name:S Code:S ExchangeRate:F")

CLIENT_LIST_ITEM = _entity(
    "ClientListItem",
    """
    ID:G Number:I ClientName:S LegalName:S RFC:S Email:S Phone:S NextContactDate:D LocationID:G
    RegimenFiscal:S""",
)


# Catalogs for creating a sale (bind-invoicing.md §2, §9.3). [G] field sets beyond ID/Name for locations and
# price lists; Service as in Bind's 2018 SDK model (SATCode/SATUnit are integers in the schema, [C]).
LOCATION = _entity("Location", "ID:G Name:S")

PRICE_LIST = _entity("PriceList", "ID:G Name:S")

SERVICE = _entity(
    "Service",
    """
    ID:G Code:S Title:S Description:S CreationDate:D Category1ID:G Category2ID:G Category3ID:G ChargeVAT:B
    PricingType:I PricingTypeText:S Unit:S CurrencyID:G CurrencyCode:S VariableConcept:B SATCode:I SATUnit:I""",
)

# ClientDetails keeps Bind's misspelt Loctaion/LoctaionID (bind-invoicing.md §3, [C]); types of the text
# fields [G].
CLIENT_DETAILS = _entity(
    "ClientDetails",
    """
    ID:G RFC:S LegalName:S CommercialName:S CreditDays:I CreditAmount:F PaymentMethod:S CreationDate:D Status:S
    SalesContact:S CreditContact:S Loctaion:S LoctaionID:G Comments:S PriceList:S PriceListID:G
    PaymentTermType:S Email:S Telephones:S Number:I AccountNumber:S DefaultDiscount:F ClientSource:S Account:S
    City:S State:S""",
)


def to_wire(value, edm: str):
    if value is None:
        return None
    if edm == DATETIME:
        return format_bind_datetime(value)
    if edm == DOUBLE:
        return float(value)
    return value


def json_text(value) -> str:
    """Compact JSON as Json.NET writes it; accents stay UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- value helpers shared by the state, the demo data and the OData layer -------------------------


def is_guid(text) -> bool:
    return isinstance(text, str) and bool(_GUID_TEXT.match(text))


def normalize_guid(value) -> str | None:
    """Lowercase hyphenated GUID text; raises ValueError naming the value."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if not is_guid(value):
        raise ValueError(f"not a GUID: {value!r}")
    return value.lower()


def sqlguid_key(guid: str) -> bytes:
    """SQL Server ``uniqueidentifier`` sort key: the last 6 bytes weigh most (contract §7.5)."""
    b = uuid.UUID(guid).bytes_le
    return bytes(b[i] for i in (10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3))


def to_naive_cdmx(value) -> datetime | None:
    """A naive Mexico City datetime from a datetime (aware or naive) or Bind/ISO text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError(f"not a datetime: {value!r}")
    return to_cdmx(value).replace(tzinfo=None)


def sql_datetime(moment: datetime) -> datetime:
    """Round to SQL Server ``datetime`` precision (1/300 s), so milliseconds end in 0, 3 or 7."""
    ticks = round((moment.second * 1_000_000 + moment.microsecond) * 300 / 1_000_000)
    millis = round(ticks * 10 / 3)
    base = moment.replace(second=0, microsecond=0)
    return base + timedelta(milliseconds=millis)


def money(value) -> float:
    """Round half-up to cents, as invoices are."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def coerce(value, edm: str, what: str):
    """Coerce an admin-supplied value to a field's type; ValueError names the field."""
    if value is None:
        return None
    try:
        if edm == GUID:
            return normalize_guid(value if isinstance(value, (str, uuid.UUID)) else str(value))
        if edm == DATETIME:
            return to_naive_cdmx(value)
        if edm == DOUBLE:
            if isinstance(value, bool):
                raise ValueError("a boolean is not a number")
            return float(value)
        if edm in (INT32, INT64):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError("not an integer")
            return int(value)
        if edm == BOOL:
            if not isinstance(value, bool):
                raise ValueError("not a boolean")
            return value
        if edm == STRING:
            if not isinstance(value, str):
                raise ValueError("not a string")
            return value
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: {exc} ({value!r})") from exc
    return value
