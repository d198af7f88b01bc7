"""The rules for any value Bind can send in a field a sheet column is mapped from (issue 14, defect 3).

Bind's JSON can hold anything where a number or a text is expected: 1e26, ``"1E+26"``, NaN, Infinity,
10**400, objects, arrays, booleans, 5,000-character strings. Each mapping (invoices, inventory, declared
processes) reads its fields through these two functions, so every such value has one documented rule:

- a **number** (``bind_number``) is an int, float, Decimal or numeric text that is finite and within
  ±``MAX_SHEET_NUMBER`` (the largest amount a sheet's double holds to the cent); anything else raises
  ``ValueError`` naming the field and a bounded picture of the value, and the record is skipped with it;
- a **text** (``bind_text``) is a string (stripped, cut to ``MAX_CELL_CHARS``) or a finite number written
  as digits; null, NaN/Infinity, booleans, objects and arrays are written empty, with a note saying why.

Nothing here raises anything but ``ValueError``, and no message is longer than a line.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from smartbind_pipelines.core.sheets import MAX_CELL_CHARS

MAX_SHEET_NUMBER = Decimal(2**53) / 100  # 90,071,992,547,409.92: beyond it a double loses the cents
_SHOWN = 40


def shown(value: Any, limit: int = _SHOWN) -> str:
    """A short, safe picture of any value for a message: never a wall of text, never a crash."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"≈{Decimal(value):.3E}"
    if isinstance(value, Decimal):
        text = str(value)
        return text if len(text) <= limit else f"≈{value:.3E}"
    if isinstance(value, (dict, list)):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = f"<a JSON {json_kind(value)}>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    return type(value).__name__


def bind_number(value: Any, name: str) -> Decimal:
    """The finite amount in ``value``, within ±MAX_SHEET_NUMBER; ValueError naming ``name`` otherwise."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError(f"{name} {shown(value)} is not a number")
    try:
        amount = (
            value if isinstance(value, Decimal) else Decimal(value if isinstance(value, int) else str(value).strip())
        )
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} {shown(value)} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{name} {shown(value)} is not a finite number")
    if amount.copy_abs() > MAX_SHEET_NUMBER:  # compares exactly, whatever the exponent
        raise ValueError(
            f"{name} {shown(value)} is too large for a sheet number "
            f"(over ±{MAX_SHEET_NUMBER:,.2f}, where cents are lost)"
        )
    return amount


def bind_text(value: Any) -> tuple[str, str | None]:
    """``(text, note)``: the text to write and, when it is not simply the value, why."""
    if value is None:
        return "", "missing in Bind: written empty"
    if isinstance(value, bool) or isinstance(value, (dict, list, tuple)):
        return "", f"a JSON {json_kind(value)} ({shown(value)}) is not text: written empty"
    if isinstance(value, (float, Decimal)) and not math.isfinite(value):
        return "", f"{shown(value)} is not text: written empty"
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (int, Decimal)):
        text = str(Decimal(value)) if isinstance(value, int) and value.bit_length() > 10_000 else str(value)
    elif isinstance(value, (str, float)):
        text = str(value).strip()
    else:
        return "", f"a {type(value).__name__} is not text: written empty"
    if len(text) > MAX_CELL_CHARS:
        return text[:MAX_CELL_CHARS], f"{len(text):,} characters: cut to {MAX_CELL_CHARS:,} as Smartsheet would"
    return text, None


def id_text(value: Any) -> str | int | None:
    """A Bind id or number as a report (skipped/adjusted lists) shows it: text, a plain int or None, bounded;
    anything else (an object, NaN, 10**400) as a short picture, so the report stays valid JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()[:80]
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return value
    return shown(value)


def not_an_object(item: Any) -> str:
    """How a report names an item of Bind's ``value`` array that is not a JSON object: ``a JSON string 'oops'``."""
    return f"a JSON {json_kind(item)}" + ("" if item is None else f" {shown(item)}")
