"""The NewInvoice body of a row: its client found by RFC, the currency, the product or service line.

Bind's clients, currency and product catalogue are each looked up once per pass. A row whose client is
missing or ambiguous, or whose product Bind lacks, gets a ``RowError`` naming the column instead.
"""

from __future__ import annotations

from typing import Any

from smartbind_pipelines.core.cdmx import format_bind_datetime
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.plan import RowPlan
from smartbind_pipelines.core.invoicing.reference import comments_with
from smartbind_pipelines.core.invoicing.validation import InvoiceRequest, RowError


class InvoiceBodies:
    """The body step of ``Invoicer`` (whose ``__init__`` sets Bind, the settings, the clock and the caches)."""

    def _client(self, rfc: str) -> list[dict]:
        if rfc not in self._clients:
            self._clients[rfc] = self.bind.clients_by_rfc(rfc)
        return self._clients[rfc]

    def _currency(self) -> str:
        if self._currency_id is None:
            self._currency_id = self.settings.currency_id
            if not self._currency_id:
                code = self.settings.currency_code
                match = [c for c in self.bind.currencies() if str(c.get("Code") or "").upper() == code]
                self._currency_id = str(match[0]["ID"]).lower() if match else ""
        return self._currency_id

    def _product(self, code: str) -> str:
        if self._products is None:
            self._products = {
                str(p.get("Code") or "").strip().upper(): str(p.get("ID")).lower()
                for p in self.bind.products()
                if p.get("Code")
            }
        return self._products.get(code.strip().upper(), "")

    def _body(self, row: RowPlan, request: InvoiceRequest) -> dict | RowError:
        clients = self._client(request.rfc)
        if not clients:
            return RowError(
                C.RFC, f"no hay ningún cliente en Bind con el RFC {request.rfc}; dé de alta al cliente en Bind"
            )
        if len(clients) > 1:
            names = ", ".join(str(c.get("LegalName") or c.get("ClientName") or c.get("ID"))[:40] for c in clients[:3])
            return RowError(
                C.RFC, f"{len(clients)} clientes en Bind tienen el RFC {request.rfc} ({names}); no se puede elegir uno"
            )
        client = clients[0]
        regimen = str(client.get("RegimenFiscal") or "").strip()
        if request.regimen and regimen and regimen != request.regimen:
            return RowError(
                C.REGIMEN, f"la fila dice {request.regimen} pero el cliente {request.rfc} tiene {regimen} en Bind"
            )
        currency = self._currency()
        if not currency:
            return RowError(
                C.RFC, f"Bind no tiene la moneda {self.settings.currency_code} (fields_mapping.currency_code)"
            )
        location = self.settings.location_id or str(client.get("LocationID") or "").lower()
        if not location:
            return RowError(C.RFC, "el cliente no tiene sucursal en Bind y fields_mapping.location_id está vacío")
        line: dict[str, Any] = {
            "Price": request.price,
            "Qty": request.quantity,
            "VAT": self.settings.vat_rate,
            "IndexNumber": 0,
            "Comments": "",
        }
        body: dict[str, Any] = {
            "ClientID": str(client["ID"]).lower(),
            "CurrencyID": currency,
            "LocationID": location,
            "WarehouseID": self.settings.warehouse_id,
            "PriceListID": self.settings.price_list_id,
            "CFDIUse": request.cfdi_use,
            "InvoiceDate": format_bind_datetime(self.now().replace(microsecond=0)),
            "ExchangeRate": 1.0,
            "VATRate": self.settings.vat_rate,
            "IsFiscalInvoice": self.settings.is_fiscal_invoice,
            "CreditDays": self.settings.credit_days,
            "Number": 0,
            "DiscountType": 0,
            "DiscountAmount": 0,
        }
        if request.product_code:
            product = self._product(request.product_code)
            if not product:
                return RowError(C.CODIGO_PRODUCTO, f"no hay un producto con código {request.product_code} en Bind")
            body["Products"] = [{"ID": product, **line}]
        else:
            body["Services"] = [{"ID": request.service_id, "Title": request.title, "VariableConcept": True, **line}]
        if self.settings.serie:
            body["Serie"] = self.settings.serie
        if request.payment_term is not None:
            body["PaymentTerm"] = request.payment_term
        if "Comments" in self.settings.reference_fields:
            body["Comments"] = comments_with(row.reference, request.title)
        if "PurchaseOrder" in self.settings.reference_fields:
            body["PurchaseOrder"] = row.reference
        return body
