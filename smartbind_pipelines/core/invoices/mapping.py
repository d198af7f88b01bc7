"""Bind invoices -> the seed's seven invoice columns, one rule per kind of bad record.

A bad record never stops the batch: it is either skipped with a reason (``SourceBatch.skipped``)
or mapped by a documented rule and noted (``SourceBatch.adjusted``). docs/sync-engine.md lists
the rules. Any JSON value in any field has a rule (``core/bind_values.py``): a Total that is not a
finite number within ±MAX_SHEET_NUMBER skips the invoice; a text field holding an object, an array,
a boolean or NaN is written empty and noted; a Folio, an Estado or a text longer than a cell is cut.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_values import bind_number, bind_text, id_text, not_an_object, shown
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
DEFAULT_STATUS_LABELS = {0: "Vigente", 1: "Pagada", 2: "Cancelada"}
UNKNOWN_STATUS = "Desconocido ({})"  # shown in the sheet, so an odd status is visible, not hidden
_ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_MS_JSON_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")  # old ASP.NET serialiser
_STATUS_SHOWN = 40  # characters of an unknown Status shown in the Estado cell
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class SkipInvoice(ValueError):
    """This invoice cannot be written; the message is the reason an operator reads."""


def invoice_batch(
    raw_invoices: Iterable[dict], status_labels: Mapping[int, str] = DEFAULT_STATUS_LABELS
) -> SourceBatch:
    """Map Bind ``InvoiceListItem`` rows to sheet rows (the seven columns, plain str / float), with the Bind
    id of each written UUID; bad records are skipped or adjusted, never fatal."""
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []  # {"bind_id", "number", "reason"}
    adjusted: list[dict[str, Any]] = []  # {"bind_id", "number", "field", "rule"}
    bind_ids: dict[str, str] = {}
    first_by_uuid: dict[str, Any] = {}
    fetched = 0
    for raw in raw_invoices:
        fetched += 1
        if not isinstance(raw, dict):
            skipped.append({"bind_id": None, "number": None, "reason": f"not an invoice object: {not_an_object(raw)}"})
            continue
        bind_id, number = id_text(raw.get("ID")), id_text(raw.get("Number"))
        notes: list[tuple[str, str]] = []
        try:
            row, written_id = _invoice_row(raw, status_labels, notes)
            if row["UUID"] in first_by_uuid:
                raise SkipInvoice(
                    f"duplicate UUID {row['UUID']}: already taken from Bind invoice {first_by_uuid[row['UUID']]}"
                )
        except SkipInvoice as exc:
            skipped.append({"bind_id": bind_id, "number": number, "reason": str(exc)})
            continue
        first_by_uuid[row["UUID"]] = bind_id
        adjusted += [{"bind_id": bind_id, "number": number, "field": name, "rule": rule} for name, rule in notes]
        if written_id is not None:
            bind_ids[row["UUID"]] = written_id
        records.append(row)
    return SourceBatch(records=records, skipped=skipped, adjusted=adjusted, fetched=fetched, bind_ids=bind_ids)


def _invoice_row(
    raw: dict, status_labels: Mapping[int, str], notes: list[tuple[str, str]]
) -> tuple[dict[str, Any], str | None]:
    """The sheet row, and the Bind id the invoice is followed by (None when Bind's ID is not a usable id)."""
    uuid = _uuid(raw.get("UUID"))
    row = {
        "UUID": uuid,
        "Folio": _folio(raw.get("Serie"), raw.get("Number"), notes),
        "Fecha": _fecha(raw.get("Date")),
        "RFC Cliente": _text(raw.get("RFC"), "RFC Cliente", notes),
        "Nombre Cliente": _text(raw.get("ClientName"), "Nombre Cliente", notes),
        "Total": _total(raw.get("Total")),
        "Estado": _estado(raw.get("Status"), status_labels, notes),
    }
    return row, _bind_id(raw.get("ID"), notes)


def _uuid(value: Any) -> str:
    if value is None or (isinstance(value, str) and value.strip() in ("", _ZERO_GUID)):
        raise SkipInvoice("no UUID: an unstamped draft (not yet timbrada)")
    if not isinstance(value, str):
        raise SkipInvoice(f"UUID {shown(value)} is not a GUID")
    text = value.strip().lower()
    if not is_guid(text):
        raise SkipInvoice(f"UUID {text[:60]!r} is not a GUID")
    if text == _ZERO_GUID:
        raise SkipInvoice("no UUID: an unstamped draft (not yet timbrada)")
    return text


def _folio(serie: Any, number: Any, notes: list) -> str:
    """Serie and Number: "A" + 123 -> "A-123"; a serie that ends in a separator keeps it ("F-" -> "F-123",
    "AWAFAC -" -> "AWAFAC -123"); no serie -> "123"."""
    prefix, problem = bind_text(serie) if serie is not None else ("", None)
    if problem:
        notes.append(("Folio", f"Serie {problem}"))
    digits = _number_digits(number)
    if digits is None:
        notes.append(("Folio", f"Number {shown(number)} is not an integer: Folio is the serie alone"))
        return prefix
    folio = digits if not prefix else (f"{prefix}{digits}" if not prefix[-1].isalnum() else f"{prefix}-{digits}")
    if len(folio) > MAX_CELL_CHARS:
        notes.append(("Folio", f"{len(folio):,} characters: cut to {MAX_CELL_CHARS:,} as Smartsheet would"))
        folio = folio[:MAX_CELL_CHARS]
    return folio


def _number_digits(number: Any) -> str | None:
    """Bind's invoice Number as text: an integer (int, integral float or Decimal) or a non-empty string."""
    if isinstance(number, str):
        return number.strip() or None
    if isinstance(number, bool) or not isinstance(number, (int, float, Decimal)):
        return None
    if isinstance(number, int):
        text, _ = bind_text(number)
        return text
    if not math.isfinite(number) or number != int(number):
        return None
    return str(int(number)) if abs(number) < 10**30 else None


def parse_invoice_date(value: Any) -> datetime:
    """Bind's naive ISO datetime (Mexico City); also ISO with an offset, ``/Date(ms)/`` and
    ``dd/mm/yyyy[ HH:MM[:SS]]`` (Mexican day-first). Raises SkipInvoice otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise SkipInvoice(f"Date {shown(value)} is missing")
    if not isinstance(value, str):
        raise SkipInvoice(f"Date {shown(value)} is not a date")
    text = value.strip()
    try:
        return _parse_date(text)
    except (OverflowError, OSError):  # a year Python or the time-zone tables cannot hold
        raise SkipInvoice(f"Date {text[:40]!r} is out of range") from None


def _parse_date(text: str) -> datetime:
    match = _MS_JSON_DATE.match(text)
    if match:
        if len(match.group(1)) > 15:
            raise OverflowError(text)
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
    text, note = bind_text(value)
    if note:
        notes.append((name, note))
    return text


def _total(value: Any) -> float:
    try:
        amount = bind_number(value, "Total")
    except ValueError as exc:
        raise SkipInvoice(str(exc)) from None
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))  # cents, as on a CFDI


def _bind_id(value: Any, notes: list) -> str | None:
    """The Bind id kept next to the row (drafts are followed by it): a string, else None and a note."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is not None:
        notes.append(("Bind ID", f"ID {shown(value)} is not a Bind id: the invoice is written, not followed by id"))
    return None


def _estado(status: Any, labels: Mapping[int, str], notes: list) -> str:
    code = status if isinstance(status, int) and not isinstance(status, bool) else None
    if isinstance(status, float) and not math.isnan(status) and status.is_integer():
        code = int(status)
    if code is not None and code in labels:
        return labels[code]
    label = UNKNOWN_STATUS.format(_status_text(status))
    notes.append(("Estado", f"Status {shown(status)} has no label: written as {label!r}"))
    return label


def _status_text(status: Any) -> str:
    if isinstance(status, (dict, list)):
        text = shown(status, _STATUS_SHOWN)
    elif isinstance(status, int) and not isinstance(status, bool) and status.bit_length() > 128:
        text = shown(status)
    else:
        text = str(status)
    return text if len(text) <= _STATUS_SHOWN else text[:_STATUS_SHOWN] + "…"
