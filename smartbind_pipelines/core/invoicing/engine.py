"""One invoicing pass over the sheet: claim, look up, create at most once, write every outcome back.

The protocol (docs/invoicing-from-sheet.md):

1. Read the sheet; plan each waiting row (core/invoicing/plan.py).
2. Claim the rows to invoice: Estado "Facturando" + this run's claim id in "Reclamo", written, then read
   back and confirmed; a row whose claim is not there is left alone.
3. Look in Bind (recent invoices, matched on the row's reference) for a sale made by an earlier attempt.
4. Record the attempt in the ledger (an atomic insert: the real lock), then POST once. An ambiguous
   failure is never retried blindly: Bind is searched again, and a row not found ends in "Error" with
   the ledger attempt kept, so any later attempt searches first.
5. Read each new sale back for its UUID and folio; write every outcome to its row in one batch; add a
   comment to each row that ended in error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from smartbind_pipelines.core.bind_client import BindApiError, BindClient, BindMaybeCreated
from smartbind_pipelines.core.cdmx import format_bind_datetime, parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.ledger import CREATED, POSTING, InvoiceLedger
from smartbind_pipelines.core.invoicing.plan import (
    ALREADY, DEFERRED, FOLLOW, INVOICE, RECOVER, REFUSE, RESUME, RowPlan, already_invoiced_text, estado, plan_rows,
)
from smartbind_pipelines.core.invoicing.reference import carries, comments_with, lookup_filter
from smartbind_pipelines.core.invoicing.settings import InvoicingSettings
from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
from smartbind_pipelines.core.invoicing.validation import InvoiceRequest, RowError, errors_text

log = logging.getLogger(__name__)

CLAIM_TIMEOUT_MINUTES = 15  # a "posting" attempt of another claim younger than this may still be in flight
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


class WriteBackError(RuntimeError):
    """Outcomes that could not be written to their rows; the ledger holds them, the next run writes them."""


@dataclass
class InvoicingReport:
    invoiced: list[dict] = field(default_factory=list)  # rows with their sale (created now or found)
    refused: list[dict] = field(default_factory=list)  # rows in "Error": invalid, client not found, Bind refused
    skipped: list[dict] = field(default_factory=list)  # already invoiced, deferred, busy, not claimed
    would_invoice: list[dict] = field(default_factory=list)  # dry run
    failed: list[dict] = field(default_factory=list)  # Bind failures and unknown outcomes (they alert)
    write_failures: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # one reference carried by several sales in Bind
    posts: int = 0
    comment_failures: int = 0

    @property
    def alerts(self) -> list[str]:
        out = [f"fila {r['row']}: {r['reason']}" for r in self.failed]
        out += [f"fila {r['row']}: resultado no escrito ({r['reason']})" for r in self.write_failures]
        out += [f"referencia {d['reference']} en {len(d['bind_ids'])} ventas de Bind" for d in self.duplicates]
        return out


def _invoice_date(details: dict | None, now: datetime) -> str:
    try:
        moment = parse_bind_datetime(str(details.get("Date"))) if details and details.get("Date") else now
    except (TypeError, ValueError):
        moment = now
    return to_cdmx(moment).strftime("%Y-%m-%d %H:%M:%S")


def folio_of(details: dict | None) -> str:
    if not details:
        return ""
    series = str(details.get("Series") or details.get("Serie") or "").strip()
    series = series[:-1].strip() if series.endswith("-") else series
    number = details.get("Number")
    number = "" if number in (None, "") else str(number)
    return f"{series}-{number}" if series and number else number or series


def uuid_of(details: dict | None) -> str:
    value = str((details or {}).get("UUID") or "").strip().lower()
    return "" if value in ("", ZERO_UUID) else value


class Invoicer:
    def __init__(self, sheet: InvoiceSheet, bind: BindClient, ledger: InvoiceLedger, settings: InvoicingSettings,
                 *, claim: str, now: Callable[[], datetime], sleep=time.sleep,
                 checkpoint: Callable[[str, int], None] | None = None):
        self.sheet, self.bind, self.ledger, self.settings = sheet, bind, ledger, settings
        self.claim, self.now, self.sleep = claim, now, sleep
        self.checkpoint = checkpoint or (lambda step, row_id: None)
        self.report = InvoicingReport()
        self._clients: dict[str, list[dict]] = {}
        self._currency_id: str | None = None
        self._products: dict[str, str] | None = None
        self._writes: dict[int, dict[str, Any]] = {}
        self._comments: dict[int, str] = {}

    # -- the pass ---------------------------------------------------------------------------------

    def run(self, *, dry_run: bool = False) -> InvoicingReport:
        now = self.now()
        rows = self.sheet.rows()
        plan = plan_rows(rows, self.sheet.sheet_id, self.settings, self.ledger.get,
                         invoiced_today=self.ledger.count_on(now.date().isoformat()))
        for row in plan.of(REFUSE):
            self._refuse(row, errors_text(list(row.errors)))
        for row in plan.of(DEFERRED):
            self.report.skipped.append({"row": row.row_id, "reason": row.note})
        for row in plan.of(ALREADY):
            self._already(row)
        candidates = plan.of(INVOICE, RESUME)
        if dry_run:
            return self._dry_run(candidates, plan)
        ready = self._prepare(candidates)
        claimed = self._claim(ready)
        found = self._lookup(claimed + plan.of(RECOVER))
        created: dict[int, tuple[RowPlan, str]] = {}
        for row in plan.of(RECOVER):
            created[row.row_id] = (row, row.bind_id)
        for row, body in claimed:
            bind_id = self._create(row, body, found)
            if bind_id:
                created[row.row_id] = (row, bind_id)
        self._read_back(created, plan.of(FOLLOW))
        self._write_back()
        return self.report

    # -- steps --------------------------------------------------------------------------------------

    def _prepare(self, candidates: list[RowPlan]) -> list[tuple[RowPlan, dict | None]]:
        """Rows with their NewInvoice body; rows whose client or catalogue line Bind lacks are refused.
        A resumed row that no longer validates keeps ``None`` as body: it is looked up, never posted."""
        missing = self.settings.missing()
        ready = []
        for row in candidates:
            if row.request is None:
                ready.append((row, None))
                continue
            if missing:
                problem = f"Configuración incompleta de invoice_from_sheet (fields_mapping: {', '.join(missing)})"
                if row.kind == RESUME:
                    ready.append((row, None))
                else:
                    self._refuse(row, problem, alert=True)
                continue
            body_or_error = self._body(row, row.request)
            if isinstance(body_or_error, RowError):
                if row.kind == RESUME:
                    ready.append((row, None))
                else:
                    self._refuse(row, str(body_or_error))
                continue
            ready.append((row, body_or_error))
        return ready

    def _claim(self, ready: list[tuple[RowPlan, dict | None]]) -> list[tuple[RowPlan, dict | None]]:
        if not ready:
            return []
        cells = {C.ESTADO: C.FACTURANDO, C.RECLAMO: self.claim, C.RESULTADO: f"Facturando (reclamo {self.claim})"}
        outcome = self.sheet.update([(row.row_id, dict(cells)) for row, _ in ready])
        failed = {ready[index][0].row_id: message for index, _, message in outcome.failures}
        confirmed = {row.row_id: row.cells for row in self.sheet.rows([r.row_id for r, _ in ready])}
        claimed = []
        for row, body in ready:
            seen = confirmed.get(row.row_id)
            if row.row_id in failed or seen is None or estado(seen) != C.FACTURANDO \
                    or str(seen.get(C.RECLAMO) or "").strip() != self.claim:
                why = failed.get(row.row_id) or "el reclamo no quedó en la fila (otra ejecución o una edición)"
                self.report.skipped.append({"row": row.row_id, "reason": f"no reclamada: {why}"})
                continue
            claimed.append((row, body))
        self.checkpoint("claimed", 0)
        return claimed

    def _lookup(self, rows) -> dict[str, list[dict]]:
        """reference -> the sales in Bind carrying it (one read of recent invoices for the whole run)."""
        plans = [row if isinstance(row, RowPlan) else row[0] for row in rows]
        if not plans:
            return {}
        references = [row.reference for row in plans]
        return self._search(references, [row.attempt for row in plans])

    def _search(self, references: list[str], attempts) -> dict[str, list[dict]]:
        now = self.now()
        since = now - timedelta(days=self.settings.lookup_days)
        for attempt in attempts:
            if attempt is not None:
                since = min(since, datetime.fromisoformat(attempt.claimed_at) - timedelta(days=1))
        fields = self.settings.reference_fields
        wanted = set(references)
        odata = lookup_filter(references, fields) if self.settings.lookup_filter else None
        invoices = self.bind.invoices_carrying(
            since.replace(hour=0, minute=0, second=0, microsecond=0),
            lambda invoice: any(carries(invoice, ref, fields) for ref in wanted), odata_filter=odata)
        found: dict[str, list[dict]] = {}
        for invoice in invoices:
            for ref in wanted:
                if carries(invoice, ref, fields):
                    found.setdefault(ref, []).append(invoice)
        for ref, sales in found.items():
            if len(sales) > 1:
                self.report.duplicates.append({"reference": ref, "bind_ids": [str(s.get("ID")) for s in sales]})
        return found

    def _create(self, row: RowPlan, body: dict | None, found: dict[str, list[dict]]) -> str:
        """The sale's id when it exists (found or created now); "" when the row ended otherwise."""
        sales = found.get(row.reference)
        if sales:
            bind_id = str(sales[0].get("ID")).lower()
            self.ledger.created(row.reference, bind_id, self.now(), sheet_id=self.sheet.sheet_id, row_id=row.row_id)
            return bind_id
        attempt = self.ledger.get(row.reference)
        if attempt is not None and attempt.state == CREATED and attempt.bind_id:
            return attempt.bind_id
        if body is None:  # a resumed row that no longer validates, and no sale: refuse, never post
            reason = errors_text(list(row.errors)) if row.errors else "la fila ya no es válida"
            self._refuse(row, reason)
            return ""
        replacing = None
        if attempt is not None and attempt.state == POSTING and attempt.claim != self.claim:
            if not attempt.older_than(self.now(), CLAIM_TIMEOUT_MINUTES):
                self.report.skipped.append({"row": row.row_id, "reason": f"en proceso por el reclamo {attempt.claim}; "
                                            "se revisará en la siguiente ejecución"})
                self._writes[row.row_id] = {C.RESULTADO: f"En proceso por otra ejecución (reclamo {attempt.claim})"}
                return ""
            replacing = attempt.claim
        if not (attempt is not None and attempt.state == POSTING and attempt.claim == self.claim):
            if not self.ledger.begin(row.reference, self.sheet.sheet_id, row.row_id, self.claim, self.now(),
                                     replacing=replacing):
                self.report.skipped.append({"row": row.row_id, "reason": "otra ejecución tomó la fila primero"})
                return ""
        self.report.posts += 1
        try:
            bind_id = self.bind.create_invoice(body)
        except BindMaybeCreated as exc:
            again = self._search([row.reference], [self.ledger.get(row.reference)]).get(row.reference)
            if again:
                bind_id = str(again[0].get("ID")).lower()
            else:
                reason = (f"Bind no confirmó si creó la factura ({exc.message[:150]}) y no se encontró ninguna con la "
                          f"referencia {row.reference}. Marque Facturar de nuevo: antes de crearla se buscará otra vez.")
                self._refuse(row, reason, alert=True, comment_prefix="Error de API Bind")
                return ""
        except BindApiError as exc:
            self.ledger.failed(row.reference, self.claim)
            self._refuse(row, f"Bind rechazó la factura (HTTP {exc.status}): {exc.message}", alert=True,
                         comment_prefix="Error de API Bind")
            return ""
        self.ledger.created(row.reference, bind_id, self.now(), sheet_id=self.sheet.sheet_id, row_id=row.row_id,
                            claim=self.claim)
        self.checkpoint("created", row.row_id)
        return bind_id

    def _read_back(self, created: dict[int, tuple[RowPlan, str]], follow: list[RowPlan]) -> None:
        """Each sale's details, polled until it has a UUID or ``stamp_wait_seconds`` pass."""
        pending = {row_id: bind_id for row_id, (_, bind_id) in created.items()}
        pending.update({row.row_id: row.bind_id for row in follow if row.bind_id})
        plans = {row_id: plan for row_id, (plan, _) in created.items()} | {row.row_id: row for row in follow}
        details: dict[int, dict | None] = {}
        deadline = time.monotonic() + self.settings.stamp_wait_seconds
        delay = 0.2
        while pending:
            for row_id, bind_id in list(pending.items()):
                try:
                    details[row_id] = self.bind.invoice(bind_id)
                except (BindApiError, ValueError) as exc:
                    log.warning("reading sale %s back failed: %s", bind_id, exc)
                    details.setdefault(row_id, None)
                if uuid_of(details[row_id]) or plans[row_id].kind == FOLLOW:
                    pending.pop(row_id)
            if not pending or time.monotonic() >= deadline:
                break
            self.sleep(delay)
            delay = min(2.0, delay * 2)
        now = self.now()
        for row_id, plan in plans.items():
            bind_id = created[row_id][1] if row_id in created else plan.bind_id
            info = details.get(row_id)
            uuid, folio = uuid_of(info), folio_of(info)
            if plan.kind == FOLLOW and not uuid:
                continue
            if uuid:
                self.ledger.stamped(plan.reference, uuid, folio, now)
            entry = {"row": row_id, "reference": plan.reference, "bind_id": bind_id, "uuid": uuid, "folio": folio}
            self.report.invoiced.append(entry)
            self._writes[row_id] = {
                C.ESTADO: C.FACTURADO, C.UUID: uuid, C.FOLIO: folio, C.FECHA: _invoice_date(info, now),
                C.ID_BIND: bind_id,
                C.RESULTADO: "Exitoso" if uuid else (f"Factura creada en Bind (ID {bind_id}), sin timbrar todavía: el UUID "
                                                     "se escribirá cuando Bind la timbre"),
            }

    def _write_back(self) -> None:
        updates = [(row_id, cells) for row_id, cells in self._writes.items() if cells]
        if updates:
            try:
                outcome = self.sheet.update(updates)
                for index, code, message in outcome.failures:
                    self.report.write_failures.append({"row": updates[index][0], "reason": f"errorCode {code}: {message}"})
            except Exception as exc:  # noqa: BLE001 - every outcome is in the ledger; the next run writes it
                for row_id, _ in updates:
                    self.report.write_failures.append({"row": row_id, "reason": f"{type(exc).__name__}: {str(exc)[:200]}"})
        unwritten = {entry["row"] for entry in self.report.write_failures}
        for row_id, text in self._comments.items():
            if row_id in unwritten:
                continue  # the next run writes the outcome, and comments then
            try:
                self.sheet.comment(row_id, text)
            except Exception as exc:  # noqa: BLE001 - a comment is a courtesy; the cells carry the outcome
                log.warning("comment on row %s failed: %s", row_id, exc)
                self.report.comment_failures += 1

    # -- outcomes -------------------------------------------------------------------------------------

    def _refuse(self, row: RowPlan, reason: str, *, alert: bool = False, comment_prefix: str = "Error de facturación") -> None:
        entry = {"row": row.row_id, "reason": reason}
        (self.report.failed if alert else self.report.refused).append(entry)
        self._writes[row.row_id] = {C.ESTADO: C.ERROR, C.RESULTADO: f"Error: {reason}"[:500]}
        self._comments[row.row_id] = f"{comment_prefix}: {reason}"

    def _already(self, row: RowPlan) -> None:
        attempt = row.attempt
        uuid = str(row.cells.get(C.UUID) or "").strip() or (attempt.uuid if attempt and attempt.uuid else "")
        text = already_invoiced_text(row.bind_id, uuid)
        self.report.skipped.append({"row": row.row_id, "reason": "ya facturada", "bind_id": row.bind_id, "uuid": uuid})
        cells = {C.ESTADO: C.FACTURADO, C.RESULTADO: text}
        if row.bind_id and not str(row.cells.get(C.ID_BIND) or "").strip():
            cells[C.ID_BIND] = row.bind_id
        if uuid and not str(row.cells.get(C.UUID) or "").strip():
            cells[C.UUID] = uuid
        self._writes[row.row_id] = cells
        self._comments[row.row_id] = text

    # -- the invoice body -------------------------------------------------------------------------------

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
            self._products = {str(p.get("Code") or "").strip().upper(): str(p.get("ID")).lower()
                              for p in self.bind.products() if p.get("Code")}
        return self._products.get(code.strip().upper(), "")

    def _body(self, row: RowPlan, request: InvoiceRequest) -> dict | RowError:
        clients = self._client(request.rfc)
        if not clients:
            return RowError(C.RFC, f"no hay ningún cliente en Bind con el RFC {request.rfc}; dé de alta al cliente en Bind")
        if len(clients) > 1:
            names = ", ".join(str(c.get("LegalName") or c.get("ClientName") or c.get("ID"))[:40] for c in clients[:3])
            return RowError(C.RFC, f"{len(clients)} clientes en Bind tienen el RFC {request.rfc} ({names}); "
                                   "no se puede elegir uno")
        client = clients[0]
        regimen = str(client.get("RegimenFiscal") or "").strip()
        if request.regimen and regimen and regimen != request.regimen:
            return RowError(C.REGIMEN, f"la fila dice {request.regimen} pero el cliente {request.rfc} tiene {regimen} en Bind")
        currency = self._currency()
        if not currency:
            return RowError(C.RFC, f"Bind no tiene la moneda {self.settings.currency_code} (fields_mapping.currency_code)")
        location = self.settings.location_id or str(client.get("LocationID") or "").lower()
        if not location:
            return RowError(C.RFC, "el cliente no tiene sucursal en Bind y fields_mapping.location_id está vacío")
        line: dict[str, Any] = {"Price": request.price, "Qty": request.quantity, "VAT": self.settings.vat_rate,
                                "IndexNumber": 0, "Comments": ""}
        body: dict[str, Any] = {
            "ClientID": str(client["ID"]).lower(), "CurrencyID": currency, "LocationID": location,
            "WarehouseID": self.settings.warehouse_id, "PriceListID": self.settings.price_list_id,
            "CFDIUse": request.cfdi_use, "InvoiceDate": format_bind_datetime(self.now().replace(microsecond=0)),
            "ExchangeRate": 1.0, "VATRate": self.settings.vat_rate, "IsFiscalInvoice": self.settings.is_fiscal_invoice,
            "CreditDays": self.settings.credit_days, "Number": 0, "DiscountType": 0, "DiscountAmount": 0,
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

    def _dry_run(self, candidates: list[RowPlan], plan) -> InvoicingReport:
        missing = self.settings.missing()
        for row in candidates:
            if row.request is None:
                self.report.would_invoice.append({"row": row.row_id, "reference": row.reference,
                                                  "note": "se buscará en Bind; ya no es válida"})
                continue
            if missing:
                self.report.refused.append({"row": row.row_id, "reason": f"configuración incompleta: {', '.join(missing)}"})
                continue
            body = self._body(row, row.request)
            if isinstance(body, RowError):
                self.report.refused.append({"row": row.row_id, "reason": str(body)})
            else:
                self.report.would_invoice.append({"row": row.row_id, "reference": row.reference, "rfc": row.request.rfc,
                                                  "title": row.request.title, "total_before_tax": round(
                                                      row.request.price * row.request.quantity, 2)})
        for row in plan.of(RECOVER):
            self.report.would_invoice.append({"row": row.row_id, "reference": row.reference,
                                              "note": f"venta existente {row.bind_id}: se escribirá el resultado"})
        return self.report
