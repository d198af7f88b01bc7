"""Sales created through ``POST /api/Invoices`` (contract bind-invoicing.md §9.1): the business checks on a
bound ``NewInvoice``, stamping as the invoicing settings say (sync, deferred or failing), and the catalogs a
sale names that only this route reads: series and services.
"""

from __future__ import annotations

import time
from datetime import timedelta

from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines.sandbox.bind.collection import Collection
from smartbind_pipelines.sandbox.bind.json_net import ZERO_GUID
from smartbind_pipelines.sandbox.bind.schema import (
    BOOL,
    SERVICE,
    coerce,
    money,
    normalize_guid,
    sql_datetime,
    to_naive_cdmx,
)


class SaleRefused(Exception):
    """``POST /api/Invoices`` refused by a business check: 400 (or 500) with ``{"Message": ...}``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class SaleDesk:
    """Part of ``BindState`` (which sets ``invoicing``, ``_series``, ``_pending_stamps``, the catalogs,
    ``_lock``, ``_rng`` and ``clock``)."""

    def configure_invoicing(self, **changes) -> dict:
        """Change invoicing switches (see ``InvoicingSettings``); returns them all."""
        with self._lock:
            self.invoicing = self.invoicing.update(changes)
            return self.invoicing.as_dict()

    def create_sale(self, new: dict) -> str:
        """A bound ``NewInvoice`` (``new_invoice.bind_new_invoice``) -> the new sale's id.

        Business checks raise ``SaleRefused``. Nothing is stored unless every check passed. No
        de-duplication: the same body twice makes two sales, as on Bind.
        """
        with self._lock:
            settings = self.invoicing
            client = _known(self.clients, "ClientID", new.get("ClientID"))
            currency = _known(self.currencies, "CurrencyID", new.get("CurrencyID"))
            location = _known(self.locations, "LocationID", new.get("LocationID"))
            warehouse = _known(self.warehouses, "WarehouseID", new.get("WarehouseID"))
            _known(self.price_lists, "PriceListID", new.get("PriceListID"))
            if (
                settings.warehouse_location_check
                and warehouse["LocationID"] != location["ID"]
                and not warehouse["AvailableInOtherLoc"]
            ):
                raise SaleRefused(f"WarehouseID {warehouse['ID']} does not belong to LocationID {location['ID']}")
            use = new.get("CFDIUse", 0)
            if not 0 <= use < len(settings.cfdi_uses):
                raise SaleRefused(f"CFDIUse {use} is not valid")
            date = new.get("InvoiceDate")
            if date is None or date.year < 1900:
                raise SaleRefused(f"InvoiceDate {date.isoformat() if date else None} is not valid")
            products = new.get("Products") or []
            services = new.get("Services") or []
            if not products and not services:
                raise SaleRefused("The sale has no products or services.")
            vat_rate = new.get("VATRate", 0.0)
            product_lines, service_lines = [], []
            subtotal = vat = cost = 0.0
            for index, line in enumerate(products):
                where = f"Products[{index}]"
                product = _known(self.products, f"{where}.ID", line.get("ID"))
                qty, price, rate, amount = _priced(where, line, vat_rate)
                subtotal, vat, cost = subtotal + amount, vat + money(amount * rate), cost + qty * product["Cost"]
                product_lines.append(
                    {
                        "ID": demo.new_guid(self._rng),
                        "ProductID": product["ID"],
                        "Name": product["Title"],
                        "IndexNumber": line.get("IndexNumber", index),
                        "Code": product["Code"],
                        "Unit": product["Unit"],
                        "UnitMultiplier": 1.0,
                        "Qty": qty,
                        "Price": price,
                        "VATRate": rate,
                        "IEPSRate": line.get("IEPS", 0.0),
                        "Discount": 0.0,
                        "Comments": line.get("Comments") or "",
                        "LotInfo": None,
                    }
                )
            for index, line in enumerate(services):
                where = f"Services[{index}]"
                service = _known(self.services, f"{where}.ID", line.get("ID"))
                qty, price, rate, amount = _priced(where, line, vat_rate)
                subtotal, vat = subtotal + amount, vat + money(amount * rate)
                variable = line.get("VariableConcept", service["VariableConcept"])
                service_lines.append(
                    {
                        "ID": demo.new_guid(self._rng),
                        "IndexNumber": line.get("IndexNumber", index),
                        "ServiceID": service["ID"],
                        "Name": line["Title"] if variable else service["Title"],
                        "Code": service["Code"],
                        "Qty": qty,
                        "Price": price,
                        "VATRate": rate,
                        "Discount": 0.0,
                    }
                )
            serie = (new.get("Serie") or "").strip() or settings.default_serie
            if not any(s["Serie"] == serie for s in self._series):
                raise SaleRefused(f"Serie {serie} not found")
            fiscal = bool(new.get("IsFiscalInvoice", False))
            if fiscal and settings.stamping == "fail" and settings.fail_as == "error":
                raise SaleRefused(settings.fail_message)
            number = new.get("Number") or 0
            if not (settings.honour_number and number > 0):
                number = self._next_number()
            subtotal, discount = money(subtotal), money(new.get("DiscountAmount", 0.0))
            vat_ret = money(subtotal * new.get("VATRetRate", 0.0))
            isr_ret = money(subtotal * new.get("ISRRetRate", 0.0))
            credit_days = new.get("CreditDays", 0)
            date = sql_datetime(date)
            sale_id = demo.new_guid(self._rng)
            record = {
                "ID": sale_id,
                "Serie": serie,
                "Date": date,
                "Number": number,
                "UUID": None,
                "ExpirationDate": date + timedelta(days=credit_days),
                "ClientID": client["ID"],
                "ClientName": client["LegalName"],
                "RFC": client["RFC"],
                "Cost": money(cost),
                "Subtotal": subtotal,
                "Discount": discount,
                "VAT": money(vat),
                "IEPS": 0.0,
                "ISRRet": isr_ret,
                "VATRet": vat_ret,
                "Total": money(subtotal - discount + vat - vat_ret - isr_ret),
                "Payments": money(sum(p.get("Amount", 0.0) for p in new.get("Payments") or [])),
                "CreditNotes": 0.0,
                "CurrencyID": currency["ID"],
                "LocationID": location["ID"],
                "WarehouseID": warehouse["ID"],
                "PriceListID": new["PriceListID"],
                "CFDIUse": use,
                "ExchangeRate": new.get("ExchangeRate") or currency["ExchangeRate"],
                "VATRetRate": new.get("VATRetRate", 0.0),
                "Comments": new.get("Comments"),
                "VATRate": vat_rate,
                "PurchaseOrder": new.get("PurchaseOrder"),
                "IsFiscalInvoice": fiscal,
                "ShowIEPS": bool(new.get("ShowIEPS", False)),
                "Status": 0,
                "_payment_terms": credit_days,
                "_cfdi_method": "PUE" if credit_days == 0 else "PPD",
                "_cfdi_term": "03" if credit_days == 0 else "99",
                "_lines": product_lines,
                "_service_lines": service_lines,
                "_reference": new.get("Reference"),
                "_created_by_api": True,
            }
            self._put_invoice(record)
            if fiscal:
                if settings.stamping == "sync":
                    self._stamp_pending(sale_id)
                elif settings.stamping == "deferred":
                    self._pending_stamps[sale_id] = {"reads": 0, "since": time.monotonic()}
            return sale_id

    def pending_stamps(self) -> list[str]:
        """Ids of sales waiting for a deferred stamp."""
        with self._lock:
            self._stamp_due()
            return list(self._pending_stamps)

    def series(self, doc_type: int | None) -> list[dict]:
        """``GET /api/Series?docType=``: a bare array."""
        with self._lock:
            current = max(self._numbers, default=0)
            return [
                {
                    **series,
                    "CurrentNumber": current,
                    "Date": "2024-01-01T00:00:00",
                    "Locations": [{"ID": lid, "Name": name} for lid, name in demo.LOCATIONS.items()],
                }
                for series in self._series
                if doc_type is None or series["DocType"] == doc_type
            ]

    def add_service(self, **fields) -> dict:
        """A new service (concepto de venta): ``Code``, ``Title``, ``SATCode`` (text, e.g. "01010101"),
        ``SATUnit`` (text, e.g. "E48"), ``VariableConcept``; ``ID`` optional."""
        with self._lock:
            unknown = sorted(set(fields) - {"ID", "Code", "Title", "SATCode", "SATUnit", "VariableConcept"})
            if unknown:
                raise ValueError(f"unknown service field(s): {', '.join(unknown)}")
            service_id = normalize_guid(fields.get("ID")) or demo.new_guid(self._rng)
            if service_id in self.services.records:
                raise ValueError(f"service {service_id} already exists")
            sat_code = str(fields.get("SATCode", "01010101"))
            if not (sat_code.isdigit() and len(sat_code) == 8):
                raise ValueError(f"service SATCode must be 8 digits, not {sat_code!r}")
            sat_unit = str(fields.get("SATUnit", "E48"))
            if sat_unit not in demo.SAT_UNITS:
                demo.SAT_UNITS.append(sat_unit)
            title = fields.get("Title") or f"Servicio {len(self.services.records) + 1}"
            record = demo.service_record(
                service_id,
                fields.get("Code") or f"SRV-{len(self.services.records) + 1}",
                title,
                sat_code,
                sat_unit,
                coerce(fields.get("VariableConcept", True), BOOL, "service field VariableConcept"),
                sql_datetime(to_naive_cdmx(self.clock())),
            )
            self.services.put(record)
            return SERVICE.wire(record)

    # --- deferred stamping ----------------------------------------------------------------------

    def _read_by_id(self, record: dict) -> dict:
        """A read of one sale by id: counted if it waits for a deferred stamp, which it gets once due."""
        pending = self._pending_stamps.get(record["ID"])
        if pending is None:
            return record
        if self._stamp_is_due(pending):
            return self._stamp_pending(record["ID"])
        pending["reads"] += 1
        return record

    def _stamp_is_due(self, pending: dict) -> bool:
        settings = self.invoicing
        if settings.stamp_after_reads and pending["reads"] >= settings.stamp_after_reads:
            return True
        return bool(
            settings.stamp_after_seconds and time.monotonic() - pending["since"] >= settings.stamp_after_seconds
        )

    def _stamp_due(self) -> None:
        for sale_id, pending in list(self._pending_stamps.items()):
            if self._stamp_is_due(pending):
                self._stamp_pending(sale_id)

    def _stamp_pending(self, sale_id: str) -> dict:
        self._pending_stamps.pop(sale_id, None)
        record = self.invoices.records[sale_id]
        if record["UUID"] or record["Status"] == 2:
            return record
        record = {**record, "UUID": demo.new_guid(self._rng)}
        self._put_invoice(record)
        return record


def _known(collection: Collection, what: str, record_id) -> dict:
    record = collection.records.get(record_id) if record_id and record_id != ZERO_GUID else None
    if record is None:
        raise SaleRefused(f"{what} {record_id} not found")
    return record


def _priced(where: str, line: dict, vat_rate: float) -> tuple[float, float, float, float]:
    """(Qty, Price, VAT rate, amount) of a product or service line; a bad quantity or price is refused."""
    qty, price = line.get("Qty", 0.0), line.get("Price", 0.0)
    if qty <= 0:  # [G] Bind's business rule for a zero or negative quantity is not documented
        raise SaleRefused(f"{where}.Qty must be greater than 0, not {qty}")
    if price < 0:  # [G]
        raise SaleRefused(f"{where}.Price must not be negative, not {price}")
    rate = 0.0 if line.get("VATExempt") else line.get("VAT", vat_rate)
    return qty, price, rate, money(qty * price)
