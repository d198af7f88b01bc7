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
   comment to each row that ended in error (core/invoicing/outcomes.py).

The NewInvoice body of a row is built in core/invoicing/body.py.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, Callable

from smartbind_pipelines.core.bind_client import BindApiError, BindClient, BindMaybeCreated
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.body import InvoiceBodies
from smartbind_pipelines.core.invoicing.ledger import CREATED, POSTING, InvoiceLedger
from smartbind_pipelines.core.invoicing.outcomes import InvoicingReport, RowOutcomes
from smartbind_pipelines.core.invoicing.plan import (
    ALREADY,
    DEFERRED,
    FOLLOW,
    INVOICE,
    RECOVER,
    REFUSE,
    RESUME,
    RowPlan,
    estado,
    plan_rows,
)
from smartbind_pipelines.core.invoicing.reference import carries, lookup_filter
from smartbind_pipelines.core.invoicing.settings import InvoicingSettings
from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
from smartbind_pipelines.core.invoicing.validation import RowError, errors_text
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET

__all__ = ["CLAIM_TIMEOUT_MINUTES", "Invoicer", "InvoicingReport"]

CLAIM_TIMEOUT_MINUTES = 15  # a "posting" attempt of another claim younger than this may still be in flight


class Invoicer(InvoiceBodies, RowOutcomes):
    """One invoicing pass over the sheet (``run``); its steps are here, its body and outcome steps in
    ``InvoiceBodies`` and ``RowOutcomes``."""

    def __init__(
        self,
        sheet: InvoiceSheet,
        bind: BindClient,
        ledger: InvoiceLedger,
        settings: InvoicingSettings,
        *,
        claim: str,
        now: Callable[[], datetime],
        sleep=time.sleep,
        checkpoint: Callable[[str, int], None] | None = None,
    ):
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
        plan = plan_rows(
            rows,
            self.sheet.sheet_id,
            self.settings,
            self.ledger.get,
            invoiced_today=self.ledger.count_on(now.date().isoformat()),
        )
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
                problem = (
                    f"Configuración incompleta de {INVOICE_FROM_SHEET.job_id} (fields_mapping: {', '.join(missing)})"
                )
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
            if (
                row.row_id in failed
                or seen is None
                or estado(seen) != C.FACTURANDO
                or str(seen.get(C.RECLAMO) or "").strip() != self.claim
            ):
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
            lambda invoice: any(carries(invoice, ref, fields) for ref in wanted),
            odata_filter=odata,
        )
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
                self.report.skipped.append(
                    {
                        "row": row.row_id,
                        "reason": f"en proceso por el reclamo {attempt.claim}; se revisará en la siguiente ejecución",
                    }
                )
                self._writes[row.row_id] = {C.RESULTADO: f"En proceso por otra ejecución (reclamo {attempt.claim})"}
                return ""
            replacing = attempt.claim
        if not (attempt is not None and attempt.state == POSTING and attempt.claim == self.claim):
            if not self.ledger.begin(
                row.reference, self.sheet.sheet_id, row.row_id, self.claim, self.now(), replacing=replacing
            ):
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
                reason = (
                    f"Bind no confirmó si creó la factura ({exc.message[:150]}) y no se encontró ninguna con la "
                    f"referencia {row.reference}. Marque Facturar de nuevo: antes de crearla se buscará otra vez."
                )
                self._refuse(row, reason, alert=True, comment_prefix="Error de API Bind")
                return ""
        except BindApiError as exc:
            self.ledger.failed(row.reference, self.claim)
            self._refuse(
                row,
                f"Bind rechazó la factura (HTTP {exc.status}): {exc.message}",
                alert=True,
                comment_prefix="Error de API Bind",
            )
            return ""
        self.ledger.created(
            row.reference, bind_id, self.now(), sheet_id=self.sheet.sheet_id, row_id=row.row_id, claim=self.claim
        )
        self.checkpoint("created", row.row_id)
        return bind_id

    def _dry_run(self, candidates: list[RowPlan], plan) -> InvoicingReport:
        missing = self.settings.missing()
        for row in candidates:
            if row.request is None:
                self.report.would_invoice.append(
                    {"row": row.row_id, "reference": row.reference, "note": "se buscará en Bind; ya no es válida"}
                )
                continue
            if missing:
                self.report.refused.append(
                    {"row": row.row_id, "reason": f"configuración incompleta: {', '.join(missing)}"}
                )
                continue
            body = self._body(row, row.request)
            if isinstance(body, RowError):
                self.report.refused.append({"row": row.row_id, "reason": str(body)})
            else:
                self.report.would_invoice.append(
                    {
                        "row": row.row_id,
                        "reference": row.reference,
                        "rfc": row.request.rfc,
                        "title": row.request.title,
                        "total_before_tax": round(row.request.price * row.request.quantity, 2),
                    }
                )
        for row in plan.of(RECOVER):
            self.report.would_invoice.append(
                {
                    "row": row.row_id,
                    "reference": row.reference,
                    "note": f"venta existente {row.bind_id}: se escribirá el resultado",
                }
            )
        return self.report
