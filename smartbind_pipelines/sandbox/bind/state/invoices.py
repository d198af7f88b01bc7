"""The Bind emulator's invoices: the list ``GET /api/Invoices`` serves, the single-invoice reads, and the
admin mutators that add, change, stamp, pay, cancel and generate them.

Folios (``Number``) are indexed so a read by number finds the sale; every change replaces the whole record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smartbind_pipelines.sandbox.bind import demo, details
from smartbind_pipelines.sandbox.bind.demo import invoices as demo_invoices
from smartbind_pipelines.sandbox.bind.schema import (
    INT32,
    INVOICE_LIST_ITEM,
    is_guid,
    money,
    sql_datetime,
    sqlguid_key,
    to_naive_cdmx,
)
from smartbind_pipelines.sandbox.bind.state.admin_input import UnknownRecord, check_generate_count, typed_fields

_INVOICE_EXTRA = {"PaymentTerms": INT32}


class InvoiceStore:
    """Part of ``BindState`` (which sets ``invoices``, ``_numbers``, ``_lock``, ``_rng`` and ``clock``)."""

    # --- reads ----------------------------------------------------------------------------------

    def list_invoices(self) -> list[dict]:
        """Every invoice as ``GET /api/Invoices`` shows it, in ID order."""
        return [INVOICE_LIST_ITEM.wire(record) for record, _ in self.rows("invoices")]

    def get_invoice(self, invoice_id: str) -> dict:
        with self._lock:
            return INVOICE_LIST_ITEM.wire(self._invoice(invoice_id))

    def find_invoice(self, id_or_number: str) -> dict | None:
        """GUID -> by ID; all digits -> by Number (lowest ID order on a tie, [G]); anything else -> None."""
        with self._lock:
            if is_guid(id_or_number):
                return self.invoices.records.get(id_or_number.lower())
            if id_or_number.isascii() and id_or_number.isdigit():
                ids = self._numbers.get(int(id_or_number))
                return self.invoices.records[min(ids, key=sqlguid_key)] if ids else None
            return None

    def invoice_details(self, id_or_number: str) -> dict | None:
        """``InvoiceDetails`` consistent with the list item: same ID, Number and amounts."""
        with self._lock:
            record = self.find_invoice(id_or_number)
            if record is None:
                return None
            return details.invoice_details(self, self._read_by_id(record))

    # --- mutators -------------------------------------------------------------------------------

    def add_invoice(self, **fields) -> dict:
        """A new invoice; unnamed fields get realistic defaults. No UUID means an unstamped draft.

        ``Date`` defaults to now in Mexico City; VAT and Total follow Subtotal/Discount/VATRate unless
        given. ``PaymentTerms`` (credit days, default 30) sets ExpirationDate.
        """
        with self._lock:
            typed = typed_fields(fields, INVOICE_LIST_ITEM, _INVOICE_EXTRA, "invoice")
            invoice_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if invoice_id in self.invoices.records:
                raise ValueError(f"invoice {invoice_id} already exists")
            client = self._client_for(typed)
            date = typed.get("Date") or sql_datetime(to_naive_cdmx(self.clock()))
            terms = typed.pop("PaymentTerms", 30)
            currency_id = typed.get("CurrencyID", demo.MXN_ID)
            currency = self.currencies.records.get(currency_id)
            warehouse = self.warehouses.records.get(typed.get("WarehouseID"), self._warehouse_list()[0])
            record = {
                "ID": invoice_id,
                "Serie": "FAC",
                "Date": date,
                "Number": self._next_number(),
                "UUID": None,
                "ExpirationDate": date + timedelta(days=terms),
                "ClientID": client["ID"],
                "ClientName": client["LegalName"],
                "RFC": client["RFC"],
                "Payments": 0.0,
                "CurrencyID": currency_id,
                "LocationID": warehouse["LocationID"],
                "WarehouseID": warehouse["ID"],
                "PriceListID": demo.DEFAULT_PRICE_LIST,
                "CFDIUse": 1,
                "ExchangeRate": currency["ExchangeRate"] if currency else 1.0,
                "VATRetRate": 0.0,
                "Comments": "",
                "PurchaseOrder": "",
                "IsFiscalInvoice": True,
                "ShowIEPS": False,
                "Status": 0,
                "_payment_terms": terms,
                "_cfdi_method": "PUE" if terms == 0 else "PPD",
                "_cfdi_term": "03" if terms == 0 else "99",
                "_lines": None,
            }
            subtotal = typed.get("Subtotal", money(self._rng.uniform(500, 60_000)))
            record.update(_amounts(typed, subtotal, typed.get("Discount", 0.0), typed.get("VATRate", 0.16)))
            record["Cost"] = money(record["Subtotal"] * 0.62)
            record.update(typed)
            return self._put_invoice(record)

    def update_invoice(self, invoice_id: str, **fields) -> dict:
        """Change fields of an invoice. VAT/Total follow a new Subtotal/Discount/VATRate unless given."""
        with self._lock:
            current = self._invoice(invoice_id)
            typed = typed_fields(fields, INVOICE_LIST_ITEM, _INVOICE_EXTRA, "invoice")
            if typed.get("ID", current["ID"]) != current["ID"]:
                raise ValueError(f"invoice {current['ID']}: ID cannot change")
            record = dict(current)
            if "PaymentTerms" in typed:
                record["_payment_terms"] = typed.pop("PaymentTerms")
                record["ExpirationDate"] = typed.get("Date", record["Date"]) + timedelta(days=record["_payment_terms"])
            if {"Subtotal", "Discount", "VATRate"} & set(typed):
                record.update(
                    _amounts(
                        typed,
                        typed.get("Subtotal", record["Subtotal"]),
                        typed.get("Discount", record["Discount"]),
                        typed.get("VATRate", record["VATRate"]),
                    )
                )
                record["_lines"] = None  # the detail lines no longer add up; show one summary service line
                record["_service_lines"] = None
            if "ClientID" in typed and typed["ClientID"] in self.clients.records:
                client = self.clients.records[typed["ClientID"]]
                record.update(ClientName=client["LegalName"], RFC=client["RFC"])
            record.update(typed)
            return self._put_invoice(record, previous_number=current["Number"])

    def stamp_invoice(self, invoice_id: str) -> dict:
        """Assign a CFDI UUID (timbrado). Idempotent; Date does not change."""
        with self._lock:
            record = self._invoice(invoice_id)
            if record["Status"] == 2:
                raise ValueError(f"invoice {record['ID']} is cancelled and cannot be stamped")
            self._pending_stamps.pop(record["ID"], None)
            if record["UUID"]:
                return INVOICE_LIST_ITEM.wire(record)
            return self._put_invoice({**record, "UUID": demo.new_guid(self._rng)})

    def pay_invoice(self, invoice_id: str) -> dict:
        """Payments = Total and Status 1 (Pagada). Date does not change."""
        with self._lock:
            record = self._invoice(invoice_id)
            if record["Status"] == 2:
                raise ValueError(f"invoice {record['ID']} is cancelled and cannot be paid")
            return self._put_invoice({**record, "Payments": record["Total"], "Status": 1})

    def cancel_invoice(self, invoice_id: str) -> dict:
        """Status 2 (Cancelada). Date does not change."""
        with self._lock:
            return self._put_invoice({**self._invoice(invoice_id), "Status": 2})

    def generate_invoices(
        self, count: int, start: datetime | str | None = None, end: datetime | str | None = None
    ) -> dict:
        """``count`` more invoices dated in [start, end) (default: the 30 days before now), deterministic
        for the state's seed and the number of earlier generate calls. Meant for benchmarks (20,000 is fine).
        """
        with self._lock:
            check_generate_count(count)
            end_at = to_naive_cdmx(end) if end else to_naive_cdmx(self.clock())
            start_at = to_naive_cdmx(start) if start else end_at - timedelta(days=30)
            if start_at >= end_at:
                raise ValueError(f"start {start_at.isoformat()} must be before end {end_at.isoformat()}")
            if not self.clients.records:
                self._public_client()
            first = self._next_number()
            made = demo_invoices.make_invoices(
                self._generation_rng("invoices"),
                count,
                start_at,
                end_at,
                first,
                self._clients_public_first(),
                list(self.products.records.values()),
                self._warehouse_list(),
            )
            for invoice in made:
                self._put_invoice(invoice)
            return {
                "created": count,
                "first_number": first if count else None,
                "last_number": first + count - 1 if count else None,
            }

    # --- internals ------------------------------------------------------------------------------

    def _put_invoice(self, record: dict, previous_number: int | None = None) -> dict:
        if previous_number is not None and previous_number != record["Number"]:
            ids = self._numbers.get(previous_number, [])
            if record["ID"] in ids:
                ids.remove(record["ID"])
        ids = self._numbers.setdefault(record["Number"], [])
        if record["ID"] not in ids:
            ids.append(record["ID"])
        self.invoices.put(record)
        return INVOICE_LIST_ITEM.wire(record)

    def _next_number(self) -> int:
        return max(self._numbers, default=1000) + 1

    def _invoice(self, invoice_id: str) -> dict:
        record = self.invoices.records.get(str(invoice_id).lower())
        if record is None:
            raise UnknownRecord(f"invoice {invoice_id} not found")
        return record


def _amounts(typed: dict, subtotal: float, discount: float, vat_rate: float) -> dict:
    amounts = demo_invoices.invoice_amounts(
        subtotal=subtotal,
        discount=discount,
        vat_rate=vat_rate,
        ieps=typed.get("IEPS", 0.0),
        vat_ret=typed.get("VATRet", 0.0),
        isr_ret=typed.get("ISRRet", 0.0),
    )
    if "VAT" in typed and "Total" not in typed:  # an explicit VAT still adds up into Total
        amounts["Total"] = money(
            amounts["Subtotal"]
            - amounts["Discount"]
            + typed["VAT"]
            + amounts["IEPS"]
            - amounts["VATRet"]
            - amounts["ISRRet"]
        )
    return amounts
