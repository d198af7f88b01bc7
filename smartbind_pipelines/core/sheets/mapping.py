"""What a sheet looks like to the sync engine, and how values are typed and compared.

Two conversions live here, and nowhere else:

- ``cell_value``: the value handed to the Smartsheet SDK. The SDK silently drops ``None`` and
  ``date`` objects (and the API then rejects the cell), so dates go as ``"YYYY-MM-DD"``, numbers
  as int/float, text as str and empty as ``""`` (which Smartsheet stores as empty).
- ``comparable``: the value used to decide whether a cell changed. It mirrors what Smartsheet
  stores, so that writing a value and reading it back compares equal and an unchanged row is never
  rewritten: numbers to the cent (1 == 1.0), text truncated to 4,000 characters, "" == None == missing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from smartbind_pipelines.core.cdmx import cdmx_day
from smartbind_pipelines.core.odata import is_guid

KINDS = ("text", "number", "date")
MAX_CELL_CHARS = 4000  # Smartsheet truncates longer values without warning
SHEET_COLUMN_TYPE = {"text": "TEXT_NUMBER", "number": "TEXT_NUMBER", "date": "DATE"}


@dataclass(frozen=True)
class ColumnSpec:
    """A sheet column by its title. ``decimals`` is the precision numbers are written and compared at."""

    title: str
    kind: str = "text"  # "text" | "number" | "date"
    decimals: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.title!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")


@dataclass(frozen=True)
class SheetMapping:
    """The columns a process writes and the column(s) that identify a row.

    ``columns[0]`` becomes the primary column when the engine creates the sheet.
    """

    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]

    def __post_init__(self) -> None:
        titles = [column.title for column in self.columns]
        if len(set(titles)) != len(titles):
            raise ValueError(f"duplicate column titles in mapping: {titles}")
        if not self.key:
            raise ValueError("a mapping needs at least one key column")
        missing = [title for title in self.key if title not in titles]
        if missing:
            raise ValueError(f"key column(s) {missing} are not among the mapped columns {titles}")

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(column.title for column in self.columns)

    def column(self, title: str) -> ColumnSpec:
        for column in self.columns:
            if column.title == title:
                return column
        raise KeyError(title)

    def key_of(self, cells: Mapping[str, Any]) -> tuple | None:
        """The normalised key of a record or sheet row; None when any key part is empty."""
        parts = tuple(_key_part(cells.get(title), self.column(title)) for title in self.key)
        return None if any(part is None for part in parts) else parts


def sheet_columns(mapping: SheetMapping) -> list[dict[str, Any]]:
    """The Smartsheet column definitions that create a sheet for ``mapping``; the first is primary."""
    if mapping.columns[0].kind != "text":
        raise ValueError(f"the primary column {mapping.columns[0].title!r} must be a text column")
    columns = [{"title": column.title, "type": SHEET_COLUMN_TYPE[column.kind]} for column in mapping.columns]
    columns[0]["primary"] = True
    return columns


@dataclass(frozen=True)
class StalePolicy:
    """What happens to sheet rows, within ``scope``, whose key is not among the records synced.

    ``action`` "zero" writes ``zero_values`` into them (inventory: ``{"Existencias": 0}``), so a
    product that left stock never keeps showing stale stock; "delete" removes the rows.
    ``scope`` limits the policy to rows whose cells hold one of the given values per column
    (e.g. ``{"Almacén": {"Central"}}``), so syncing one warehouse never touches another's rows;
    None means the whole sheet.
    """

    action: str = "zero"
    zero_values: Mapping[str, Any] = field(default_factory=dict)
    scope: Mapping[str, Collection[Any]] | None = None

    def __post_init__(self) -> None:
        if self.action not in ("zero", "delete"):
            raise ValueError(f"stale action must be 'zero' or 'delete', not {self.action!r}")
        if self.action == "zero" and not self.zero_values:
            raise ValueError("stale action 'zero' needs zero_values, e.g. {'Existencias': 0}")

    def titles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.zero_values, *(self.scope or {})]))


def _key_part(value: Any, column: ColumnSpec) -> Any:
    part = comparable(value, column)
    if isinstance(part, str):  # a key pasted with a stray space still finds its row
        part = part.strip() or None
        if is_guid(part):  # GUIDs carry no case (RFC 4122): an upper-case UUID in an old sheet is the same key
            part = part.lower()
    return part


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, float):
        return math.isnan(value)
    try:  # any other value not equal to itself (a NaN-like object)
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _number(value: Any) -> float | None:
    """A finite float, or None when the value is not a number (text a user typed, say)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            number = float(value)
        except OverflowError:  # an int past float's range (10**400): not a number a sheet can hold
            return None
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip().replace(",", "")))
        except (InvalidOperation, ValueError):
            return None
    else:
        try:
            number = float(value)  # numpy scalars
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def _day(value: Any) -> str | None:
    if isinstance(value, datetime):
        return cdmx_day(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number in a text column reads back as 123, not 123.0
    return str(value)[:MAX_CELL_CHARS]


def cell_value(value: Any, column: ColumnSpec) -> str | int | float | bool:
    """The value to send to the SDK for ``column``: never None, never a date object."""
    if is_empty(value):
        return ""
    if column.kind == "number":
        number = _number(value)
        if number is None:
            # the Bind client reads integers of over 1,000 digits as Decimal, so str() here is bounded
            shown = (
                f"an integer of {len(str(abs(value)))} digits"
                if isinstance(value, int) and not isinstance(value, bool)
                else repr(str(value)[:60])
            )
            raise ValueError(f"column {column.title!r}: {shown} is not a number")
        rounded = round(number, column.decimals)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if column.kind == "date":
        day = _day(value)
        if day is None:
            raise ValueError(f"column {column.title!r}: {str(value)[:60]!r} is not a date")
        return day
    return _text(value)


def comparable(value: Any, column: ColumnSpec) -> Any:
    """A value normalised for comparison; None for empty. Never raises."""
    if is_empty(value):
        return None
    if column.kind == "number":
        number = _number(value)
        if number is not None:
            return round(number, column.decimals) + 0.0  # + 0.0 folds -0.0 into 0.0
    elif column.kind == "date":
        day = _day(value)
        if day is not None:
            return day
    text = _text(value)
    return text if text != "" else None
