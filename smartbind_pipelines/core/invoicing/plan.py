"""What to do with each row of the invoicing sheet: a pure function of the rows, the ledger and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.ledger import CREATED, POSTING, Attempt
from smartbind_pipelines.core.invoicing.reference import row_reference
from smartbind_pipelines.core.invoicing.settings import InvoicingSettings
from smartbind_pipelines.core.invoicing.validation import InvoiceRequest, RowError, validate_row
from smartbind_pipelines.core.sheets import ExistingRow

INVOICE = "invoice"  # a valid "Facturar" row never attempted: claim, look up, POST
RESUME = "resume"  # an attempt may exist ("Facturando", or a posting in the ledger): look up first
RECOVER = "recover"  # the sale exists but the row does not say so yet: write the outcome back
ALREADY = "already"  # "Facturar" set on a row already invoiced: never again, say so
REFUSE = "refuse"  # invalid row: Estado Error with the reasons
FOLLOW = "follow"  # "Facturado" without UUID yet: read the sale again for its UUID
DEFERRED = "deferred"  # over the per-run limit or the per-day cap: left waiting for a later run


@dataclass(frozen=True)
class RowPlan:
    row_id: int
    kind: str
    reference: str
    cells: Mapping[str, Any]
    request: InvoiceRequest | None = None
    errors: tuple[RowError, ...] = ()
    attempt: Attempt | None = None
    bind_id: str = ""
    note: str = ""


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)

    def of(self, *kinds: str) -> list[RowPlan]:
        return [row for row in self.rows if row.kind in kinds]


def estado(cells: Mapping[str, Any]) -> str:
    """The Estado cell as one of the states (case and spaces forgiven), or its text as typed."""
    text = str(cells.get(C.ESTADO) or "").strip()
    for state in C.STATES:
        if text.lower() == state.lower():
            return state
    return text


def _text(cells: Mapping[str, Any], title: str) -> str:
    value = cells.get(title)
    return "" if value is None else str(value).strip()


def is_waiting(cells: Mapping[str, Any]) -> bool:
    """Rows a run must look at: Facturar/Facturando, or Facturado still without its UUID."""
    state = estado(cells)
    return state in C.WAITING or (state == C.FACTURADO and bool(_text(cells, C.ID_BIND)) and not _text(cells, C.UUID))


def plan_rows(
    rows: Sequence[ExistingRow],
    sheet_id: int,
    settings: InvoicingSettings,
    attempt_of: Callable[[str], Attempt | None],
    *,
    invoiced_today: int = 0,
    follow_limit: int = 20,
) -> Plan:
    plan = Plan()
    budget = min(settings.per_run_limit, max(0, settings.per_day_cap - invoiced_today))
    followed = 0
    for row in rows:
        state = estado(row.cells)
        if not is_waiting(row.cells):
            continue
        reference = row_reference(sheet_id, row.row_id)
        attempt = attempt_of(reference)
        sheet_bind_id = _text(row.cells, C.ID_BIND)
        bind_id = (attempt.bind_id if attempt and attempt.state == CREATED else "") or sheet_bind_id
        if state == C.FACTURADO:
            if followed < follow_limit:
                followed += 1
                plan.rows.append(RowPlan(row.row_id, FOLLOW, reference, row.cells, attempt=attempt, bind_id=bind_id))
            continue
        if bind_id or _text(row.cells, C.UUID):
            kind = RECOVER if state == C.FACTURANDO and bind_id else ALREADY
            plan.rows.append(RowPlan(row.row_id, kind, reference, row.cells, attempt=attempt, bind_id=bind_id))
            continue
        checked = validate_row(row.row_id, row.cells, settings)
        maybe_posted = state == C.FACTURANDO or (attempt is not None and attempt.state == POSTING)
        if isinstance(checked, list):
            if maybe_posted:
                # the row was edited after an attempt began: the sale may exist, so look before refusing
                plan.rows.append(
                    RowPlan(row.row_id, RESUME, reference, row.cells, errors=tuple(checked), attempt=attempt)
                )
            else:
                plan.rows.append(RowPlan(row.row_id, REFUSE, reference, row.cells, errors=tuple(checked)))
            continue
        if budget <= 0:
            planned = len(plan.of(INVOICE, RESUME))
            why = (
                f"límite diario ({settings.per_day_cap} facturas)"
                if invoiced_today + planned >= settings.per_day_cap
                else f"límite por ejecución ({settings.per_run_limit} facturas)"
            )
            plan.rows.append(
                RowPlan(
                    row.row_id,
                    DEFERRED,
                    reference,
                    row.cells,
                    request=checked,
                    attempt=attempt,
                    note=f"en espera: se alcanzó el {why}",
                )
            )
            continue
        budget -= 1
        plan.rows.append(
            RowPlan(
                row.row_id, RESUME if maybe_posted else INVOICE, reference, row.cells, request=checked, attempt=attempt
            )
        )
    return plan


def already_invoiced_text(bind_id: str, uuid: str) -> str:
    shown = f"UUID {uuid}" if uuid else f"ID Bind {bind_id}"
    return (
        f"Esta fila ya fue facturada ({shown}); no se creó otra factura. Para facturar de nuevo, "
        "capture una fila nueva."
    )
