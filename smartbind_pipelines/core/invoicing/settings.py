"""What an invoice needs beyond the row, read from the process's ``fields_mapping`` in ProcessConfig.

Bind's ``NewInvoice`` needs GUIDs (currency, location, warehouse, price list) and integer codes whose
meaning Bind does not document (``CFDIUse``, ``PaymentTerm``): they are configuration here, never
hard-coded guesses. The facts each setting rests on are tagged as in contracts/bind-invoicing.md:

- ``cfdi_use_codes`` (SAT ``Uso CFDI`` code -> Bind's ``CFDIUse`` integer) **[G]**: the default is the
  SAT-catalogue-order table the AW middleware assumed (``G01``=0, ``G02``=1, ``G03``=2, ...). It is
  contradicted by AW's own example; check it on a real account (contract §2.4) and replace it.
- ``payment_term_codes`` (``"<Metodo Pago>/<Forma Pago>"`` or ``"<Forma Pago>"`` -> ``PaymentTerm``)
  **[G]**: empty by default, so ``PaymentTerm`` is not sent and Bind applies the client's default.
- ``services`` (``"<Clave SAT Producto>/<Clave SAT Unidad>"`` -> Bind service id) and
  ``default_service_id`` **[I]**: the SAT keys live on Bind's service record (contract §2.2), so each
  pair needs a pre-created service with ``VariableConcept``; the row's Concepto becomes the line title.
- ``reference_fields`` **[C]** fields, ``lookup_filter`` **[I]**: the row's reference goes into
  ``Comments`` (default) and/or ``PurchaseOrder`` (both are stored and returned by Bind). The lookup
  reads recent invoices and matches the reference (confirmed facts); ``lookup_filter`` adds an OData
  ``$filter`` on it, which is only inferred to work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from smartbind_pipelines.core.odata import is_guid

# AW's CFDI_USE_MAP (contract §2.4, [G]): SAT catalogue order.
DEFAULT_CFDI_USE_CODES: dict[str, int] = {
    "G01": 0,
    "G02": 1,
    "G03": 2,
    **{f"I0{n}": 2 + n for n in range(1, 9)},
    **{f"D{n:02d}": 10 + n for n in range(1, 11)},
    "P01": 21,
    "S01": 22,
    "CP01": 23,
    "CN01": 24,
}
DEFAULT_PER_RUN_LIMIT = 50
DEFAULT_PER_DAY_CAP = 500
DEFAULT_LOOKUP_DAYS = 3
REFERENCE_FIELDS = ("Comments", "PurchaseOrder")


class InvoicingSettingsError(ValueError):
    """A fields_mapping setting is unusable; ``setting`` names it."""

    def __init__(self, setting: str, message: str):
        self.setting = setting
        super().__init__(f"fields_mapping.{setting}: {message}")


@dataclass(frozen=True)
class InvoicingSettings:
    currency_code: str = "MXN"
    currency_id: str = ""  # resolved from GET /Currencies by currency_code when empty
    location_id: str = ""  # empty: the client's LocationID from the RFC lookup
    warehouse_id: str = ""
    price_list_id: str = ""
    serie: str = ""  # empty: Bind's default series
    vat_rate: float = 0.16
    credit_days: int = 0
    is_fiscal_invoice: bool = True  # false would create a remisión, not a CFDI
    cfdi_use_codes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CFDI_USE_CODES))
    payment_term_codes: Mapping[str, int] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    default_service_id: str = ""
    reference_fields: tuple[str, ...] = ("Comments",)
    lookup_filter: bool = False
    lookup_days: int = DEFAULT_LOOKUP_DAYS
    per_run_limit: int = DEFAULT_PER_RUN_LIMIT
    per_day_cap: int = DEFAULT_PER_DAY_CAP
    stamp_wait_seconds: float = 10.0  # how long a run reads the new invoice back waiting for its UUID

    @property
    def cfdi_use_is_default(self) -> bool:
        return dict(self.cfdi_use_codes) == DEFAULT_CFDI_USE_CODES

    def missing(self) -> list[str]:
        """Settings an invoice cannot be made without (named for the doctor and the run's failure)."""
        needed = {"warehouse_id": self.warehouse_id, "price_list_id": self.price_list_id}
        out = [name for name, value in needed.items() if not value]
        if not self.services and not self.default_service_id:
            out.append("services or default_service_id")
        return out


def _guid(name: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text and not is_guid(text):
        raise InvoicingSettingsError(name, f"{text[:60]!r} is not a Bind id (GUID)")
    return text.lower()


def _codes(name: str, value: Any, *, upper: bool = True) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise InvoicingSettingsError(name, "must be an object of code -> integer")
    out = {}
    for code, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvoicingSettingsError(name, f"{code!r} must map to an integer, not {number!r}")
        out[str(code).strip().upper() if upper else str(code).strip()] = number
    return out


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise InvoicingSettingsError(
            name, f"must be a {'non-negative' if allow_zero else 'positive'} integer, not {value!r}"
        )
    return value


def settings_from_mapping(mapping: Mapping[str, Any] | None) -> InvoicingSettings:
    """The settings in ``fields_mapping`` (unknown keys, such as the column list, are ignored)."""
    data = dict(mapping or {})
    values: dict[str, Any] = {}
    if "currency_code" in data:
        values["currency_code"] = str(data["currency_code"]).strip().upper() or "MXN"
    for name in ("currency_id", "location_id", "warehouse_id", "price_list_id", "default_service_id"):
        if name in data:
            values[name] = _guid(name, data[name])
    if "serie" in data:
        values["serie"] = str(data["serie"] or "").strip()
    if "vat_rate" in data:
        rate = data["vat_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise InvoicingSettingsError("vat_rate", f"must be a rate such as 0.16, not {rate!r}")
        values["vat_rate"] = float(rate)
    if "credit_days" in data:
        values["credit_days"] = _positive("credit_days", data["credit_days"], allow_zero=True)
    if "is_fiscal_invoice" in data:
        values["is_fiscal_invoice"] = bool(data["is_fiscal_invoice"])
    if "cfdi_use_codes" in data:
        values["cfdi_use_codes"] = _codes("cfdi_use_codes", data["cfdi_use_codes"])
    if "payment_term_codes" in data:
        values["payment_term_codes"] = _codes("payment_term_codes", data["payment_term_codes"])
    if "services" in data:
        services = data["services"]
        if not isinstance(services, Mapping):
            raise InvoicingSettingsError("services", 'must be an object such as {"84111506/E48": "<service id>"}')
        values["services"] = {str(k).strip().upper(): _guid(f"services.{k}", v) for k, v in services.items()}
    if "reference_fields" in data:
        fields = data["reference_fields"]
        fields = [fields] if isinstance(fields, str) else fields
        if not fields or not isinstance(fields, list) or any(f not in REFERENCE_FIELDS for f in fields):
            raise InvoicingSettingsError("reference_fields", f"must name one or both of {', '.join(REFERENCE_FIELDS)}")
        values["reference_fields"] = tuple(dict.fromkeys(fields))
    if "lookup_filter" in data:
        values["lookup_filter"] = bool(data["lookup_filter"])
    for name in ("lookup_days", "per_run_limit", "per_day_cap"):
        if name in data:
            values[name] = _positive(name, data[name])
    if "stamp_wait_seconds" in data:
        wait = data["stamp_wait_seconds"]
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= 300:
            raise InvoicingSettingsError("stamp_wait_seconds", f"must be 0..300 seconds, not {wait!r}")
        values["stamp_wait_seconds"] = float(wait)
    return InvoicingSettings(**values)
