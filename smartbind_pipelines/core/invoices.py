"""Bind invoices -> the seed's seven invoice columns, one rule per kind of bad record.

A bad record never stops the batch: it is either skipped with a reason (``InvoiceBatch.skipped``)
or mapped by a documented rule and noted (``InvoiceBatch.adjusted``). docs/sync-engine.md lists
the rules; the table in ``_rules`` below is the same list in code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from smartbind_pipelines.core.cdmx import CDMX, cdmx_day, parse_bind_datetime
from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.sheets import MAX_CELL_CHARS, ColumnSpec, SheetMapping

INVOICE_MAPPING = SheetMapping(
    key=("UUID",),
    columns=(
        ColumnSpec("UUID", "text"),
        ColumnSpec("Folio", "text"),
        ColumnSpec("Fecha", "date"),
        ColumnSpec("RFC Cliente", "text"),
        ColumnSpec("Nombre Cliente", "text"),
        ColumnSpec("Total", "number"),
        ColumnSpec("Estado", "text"),
    ),
)
SHEET_COLUMNS = INVOICE_MAPPING.titles
FRAME_COLUMNS = (*SHEET_COLUMNS, "Bind ID", "Date")
DEFAULT_STATUS_LABELS = {0: "Vigente", 1: "Pagada", 2: "Cancelada"}
UNKNOWN_STATUS = "Desconocido ({})"  # shown in the sheet, so an odd status is visible, not hidden
_ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_MS_JSON_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")  # old ASP.NET serialiser
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class SkipInvoice(ValueError):
    """This invoice cannot be written; the message is the reason an operator reads."""


@dataclass
class InvoiceBatch:
    frame: pd.DataFrame  # the 7 sheet columns + "Bind ID" + "Date" (raw Bind string)
    skipped: list[dict] = field(default_factory=list)  # {"bind_id", "number", "reason"}
    adjusted: list[dict] = field(default_factory=list)  # {"bind_id", "number", "field", "rule"}

    def records(self) -> list[dict[str, Any]]:
        """The seven sheet columns per invoice, typed for sync_sheet (plain str / float)."""
        records = []
        for row in self.frame.loc[:, list(SHEET_COLUMNS)].itertuples(index=False, name=None):
            record = dict(zip(SHEET_COLUMNS, row))
            record["Total"] = float(record["Total"])
            records.append(record)
        return records

    @property
    def uuids(self) -> list[str]:
        return list(self.frame["UUID"])


def invoice_batch(raw_invoices: Iterable[dict], status_labels: Mapping[int, str] = DEFAULT_STATUS_LABELS
                  ) -> InvoiceBatch:
    """Map Bind ``InvoiceListItem`` rows to sheet rows; bad records are skipped or adjusted, never fatal."""
    rows: list[dict] = []
    batch = InvoiceBatch(frame=pd.DataFrame(columns=list(FRAME_COLUMNS)))
    first_by_uuid: dict[str, Any] = {}
    for raw in raw_invoices:
        if not isinstance(raw, dict):
            batch.skipped.append({"bind_id": None, "number": None, "reason": "not an invoice object"})
            continue
        bind_id, number = raw.get("ID"), raw.get("Number")
        notes: list[tuple[str, str]] = []
        try:
            row = _invoice_row(raw, status_labels, notes)
            if row["UUID"] in first_by_uuid:
                raise SkipInvoice(f"duplicate UUID {row['UUID']}: already taken from Bind invoice "
                                  f"{first_by_uuid[row['UUID']]}")
        except SkipInvoice as exc:
            batch.skipped.append({"bind_id": bind_id, "number": number, "reason": str(exc)})
            continue
        first_by_uuid[row["UUID"]] = bind_id
        batch.adjusted += [{"bind_id": bind_id, "number": number, "field": name, "rule": rule}
                           for name, rule in notes]
        rows.append(row)
    if rows:
        batch.frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    batch.frame["Total"] = batch.frame["Total"].astype(float)
    return batch


def _invoice_row(raw: dict, status_labels: Mapping[int, str], notes: list[tuple[str, str]]) -> dict:
    uuid = _uuid(raw.get("UUID"))
    raw_date = raw.get("Date")
    return {
        "UUID": uuid,
        "Folio": _folio(raw.get("Serie"), raw.get("Number"), notes),
        "Fecha": _fecha(raw_date),
        "RFC Cliente": _text(raw.get("RFC"), "RFC Cliente", notes),
        "Nombre Cliente": _text(raw.get("ClientName"), "Nombre Cliente", notes),
        "Total": _total(raw.get("Total")),
        "Estado": _estado(raw.get("Status"), status_labels, notes),
        "Bind ID": raw.get("ID"),
        "Date": raw_date,
    }


def _uuid(value: Any) -> str:
    if value is None or (isinstance(value, str) and value.strip() in ("", _ZERO_GUID)):
        raise SkipInvoice("no UUID: an unstamped draft (not yet timbrada)")
    text = str(value).strip().lower()
    if not is_guid(text):
        raise SkipInvoice(f"UUID {text[:60]!r} is not a GUID")
    if text == _ZERO_GUID:
        raise SkipInvoice("no UUID: an unstamped draft (not yet timbrada)")
    return text


def _folio(serie: Any, number: Any, notes: list) -> str:
    """Serie and Number: "A" + 123 -> "A-123"; a serie that ends in a separator keeps it ("F-" -> "F-123",
    "AWAFAC -" -> "AWAFAC -123"); no serie -> "123"."""
    prefix = str(serie).strip() if serie is not None else ""
    if number is None or isinstance(number, bool) or (isinstance(number, float) and not number.is_integer()):
        notes.append(("Folio", f"Number {number!r} is not an integer: Folio is the serie alone"))
        return prefix
    digits = str(int(number)) if isinstance(number, (int, float)) else str(number).strip()
    if not prefix:
        return digits
    return f"{prefix}{digits}" if not prefix[-1].isalnum() else f"{prefix}-{digits}"


def parse_invoice_date(value: Any) -> datetime:
    """Bind's naive ISO datetime (Mexico City); also ISO with an offset, ``/Date(ms)/`` and
    ``dd/mm/yyyy[ HH:MM[:SS]]`` (Mexican day-first). Raises SkipInvoice otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise SkipInvoice(f"Date {value!r} is missing")
    text = value.strip()
    match = _MS_JSON_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc).astimezone(CDMX)
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=CDMX)
        except ValueError:
            raise SkipInvoice(f"Date {text[:40]!r} is not a valid date") from None
    try:
        return parse_bind_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise SkipInvoice(f"Date {text[:40]!r} is not a date Bind or smartbind recognises") from None


def _fecha(value: Any) -> str:
    return cdmx_day(parse_invoice_date(value)).isoformat()


def _text(value: Any, name: str, notes: list) -> str:
    if value is None:
        notes.append((name, "missing in Bind: written empty"))
        return ""
    text = str(value).strip()
    if len(text) > MAX_CELL_CHARS:
        notes.append((name, f"{len(text):,} characters: cut to {MAX_CELL_CHARS:,} as Smartsheet would"))
        text = text[:MAX_CELL_CHARS]
    return text


def _total(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise SkipInvoice(f"Total {value!r} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise SkipInvoice(f"Total {str(value)[:40]!r} is not a number") from None
    if not amount.is_finite():
        raise SkipInvoice(f"Total {value!r} is not a finite number")
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))  # cents, as on a CFDI


def _estado(status: Any, labels: Mapping[int, str], notes: list) -> str:
    code = status if isinstance(status, int) and not isinstance(status, bool) else None
    if isinstance(status, float) and not math.isnan(status) and status.is_integer():
        code = int(status)
    if code is not None and code in labels:
        return labels[code]
    label = UNKNOWN_STATUS.format(status)
    notes.append(("Estado", f"Status {status!r} has no label: written as {label!r}"))
    return label

