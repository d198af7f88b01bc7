"""The end-of-day check: does the sheet equal Bind?

Written apart from the code under test (no import from core/invoices or core/sheets): the expected
sheet is derived from Bind's own records with the rules docs/sync-engine.md states, so a bug in the
mapping cannot hide itself by being used twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable

STATUS_LABELS = {0: "Vigente", 1: "Pagada", 2: "Cancelada"}
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def expected_estado(status: Any) -> str:
    if isinstance(status, int) and not isinstance(status, bool) and status in STATUS_LABELS:
        return STATUS_LABELS[status]
    return f"Desconocido ({status})"  # docs/sync-engine.md: an unknown Status is written visibly


def expected_total(total: Any) -> float | None:
    """Cents, half up; None when Bind's Total is not a number (the invoice is skipped, not written)."""
    if isinstance(total, bool) or total is None:
        return None
    try:
        amount = Decimal(str(total).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def stamped_uuid(invoice: dict) -> str | None:
    uuid = invoice.get("UUID")
    if not isinstance(uuid, str) or uuid.strip().lower() in ("", _NIL_UUID):
        return None
    return uuid.strip().lower()


@dataclass
class SheetVersusBind:
    """What the comparison found. ``checked`` counts the stamped invoices Bind says the sheet must hold."""

    checked: int = 0
    lost: list[str] = field(default_factory=list)  # stamped in Bind, absent from the sheet
    duplicated: dict[str, int] = field(default_factory=dict)  # UUID -> rows carrying it (> 1)
    mismatched: dict[str, str] = field(default_factory=dict)  # UUID -> what differs
    rows_without_uuid: int = 0  # a draft (no UUID) can only reach the sheet as such a row
    unexpected: list[str] = field(default_factory=list)  # UUIDs in the sheet that Bind does not have

    @property
    def equal(self) -> bool:
        return not (self.lost or self.duplicated or self.mismatched or self.rows_without_uuid or self.unexpected)

    def explain(self) -> str:
        parts = [f"{self.checked} invoices checked"]
        if self.rows_without_uuid:
            parts.append(f"rows without UUID: {self.rows_without_uuid}")
        for name in ("lost", "duplicated", "mismatched", "unexpected"):
            value = getattr(self, name)
            if value:
                shown = list(value.items())[:10] if isinstance(value, dict) else value[:10]
                parts.append(f"{name} ({len(value)}): {shown}")
        return "; ".join(parts)


def _bind_date(invoice: dict) -> str:
    return str(invoice.get("Date") or "")


def expected_rows(bind_invoices: Iterable[dict]) -> tuple[dict[str, dict], list[dict]]:
    """UUID -> the Bind invoice the sheet must show; and the drafts (no UUID) that must not be there.

    A UUID Bind holds twice is shown once, with the oldest invoice's values (the first one read).
    Invoices whose Total is not a number are left out: they are skipped, and listed, by the sync.
    """
    by_uuid: dict[str, dict] = {}
    drafts = []
    for invoice in sorted(bind_invoices, key=_bind_date):
        uuid = stamped_uuid(invoice)
        if uuid is None:
            drafts.append(invoice)
            continue
        if expected_total(invoice.get("Total")) is None:
            continue
        by_uuid.setdefault(uuid, invoice)
    return by_uuid, drafts


def compare(
    bind_invoices: Iterable[dict], sheet_rows: Iterable[dict], *, since: datetime | None = None
) -> SheetVersusBind:
    """Compare Bind's invoices (wire form) to the sheet's rows (``{title: value}``).

    ``since`` limits the check to invoices dated from then on (naive Mexico City, as Bind sends them).
    """
    invoices = [
        invoice
        for invoice in bind_invoices
        if since is None or _bind_date(invoice) >= since.replace(tzinfo=None).isoformat()
    ]
    expected, _drafts = expected_rows(invoices)
    rows = list(sheet_rows)
    counts = Counter(str(row.get("UUID") or "").strip().lower() for row in rows)
    by_uuid = {str(row.get("UUID") or "").strip().lower(): row for row in rows}
    outcome = SheetVersusBind(checked=len(expected))
    for uuid, invoice in expected.items():
        if counts[uuid] == 0:
            outcome.lost.append(uuid)
            continue
        if counts[uuid] > 1:
            outcome.duplicated[uuid] = counts[uuid]
        row = by_uuid[uuid]
        differences = []
        total = expected_total(invoice.get("Total"))
        try:
            sheet_total = float(row.get("Total"))
        except (TypeError, ValueError):
            sheet_total = None
        if sheet_total is None or abs(sheet_total - total) > 0.005:
            differences.append(f"Total sheet={row.get('Total')!r} bind={total!r}")
        estado = expected_estado(invoice.get("Status"))
        if row.get("Estado") != estado:
            differences.append(f"Estado sheet={row.get('Estado')!r} bind={estado!r}")
        if differences:
            outcome.mismatched[uuid] = "; ".join(differences)
    stamped_anywhere = {stamped_uuid(invoice) for invoice in bind_invoices} - {None}
    outcome.unexpected = sorted(uuid for uuid in counts if uuid and uuid not in stamped_anywhere)
    outcome.rows_without_uuid = counts[""]
    return outcome
