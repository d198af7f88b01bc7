"""What one invoicing pass does with each row's outcome: the report, and the cells and comments it writes.

A sale created or found is read back for its UUID and folio (polled while Bind stamps it); every outcome
is written to its row in one batch, and each row that ended in error gets a comment. An outcome that
cannot be written stays in the ledger: the next run writes it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.plan import FOLLOW, RowPlan, already_invoiced_text

log = logging.getLogger(__name__)

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass
class InvoicingReport:
    """What one pass did, row by row; ``alerts`` are the lines that warn an operator."""

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


class RowOutcomes:
    """The outcome steps of ``Invoicer`` (whose ``__init__`` sets the report, the cells and comments to
    write, the sheet, Bind, the ledger, the settings, the clock and the sleep)."""

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
                C.ESTADO: C.FACTURADO,
                C.UUID: uuid,
                C.FOLIO: folio,
                C.FECHA: _invoice_date(info, now),
                C.ID_BIND: bind_id,
                C.RESULTADO: "Exitoso"
                if uuid
                else (
                    f"Factura creada en Bind (ID {bind_id}), sin timbrar todavía: el UUID "
                    "se escribirá cuando Bind la timbre"
                ),
            }

    def _write_back(self) -> None:
        updates = [(row_id, cells) for row_id, cells in self._writes.items() if cells]
        if updates:
            try:
                outcome = self.sheet.update(updates)
                for index, code, message in outcome.failures:
                    self.report.write_failures.append(
                        {"row": updates[index][0], "reason": f"errorCode {code}: {message}"}
                    )
            except Exception as exc:  # noqa: BLE001 - every outcome is in the ledger; the next run writes it
                for row_id, _ in updates:
                    self.report.write_failures.append(
                        {"row": row_id, "reason": f"{type(exc).__name__}: {str(exc)[:200]}"}
                    )
        unwritten = {entry["row"] for entry in self.report.write_failures}
        for row_id, text in self._comments.items():
            if row_id in unwritten:
                continue  # the next run writes the outcome, and comments then
            try:
                self.sheet.comment(row_id, text)
            except Exception as exc:  # noqa: BLE001 - a comment is a courtesy; the cells carry the outcome
                log.warning("comment on row %s failed: %s", row_id, exc)
                self.report.comment_failures += 1

    def _refuse(
        self, row: RowPlan, reason: str, *, alert: bool = False, comment_prefix: str = "Error de facturación"
    ) -> None:
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
