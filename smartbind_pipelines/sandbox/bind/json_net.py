"""Json.NET's conversion of one JSON value to a CLR type, with its error messages, as Bind's Web API 2 binds
a request body (contract: shared/contracts/bind-invoicing.md §9.1)."""

from __future__ import annotations

import json
import math
from datetime import datetime

from smartbind_pipelines.sandbox.bind.schema import (
    BOOL,
    DATETIME,
    DOUBLE,
    GUID,
    INT32,
    INT64,
    STRING,
    is_guid,
    to_naive_cdmx,
)

ZERO_GUID = "00000000-0000-0000-0000-000000000000"

CLR_TYPES = {  # EDM type -> the CLR type name Json.NET's messages use
    GUID: "System.Guid",
    INT32: "System.Int32",
    INT64: "System.Int64",
    DOUBLE: "System.Double",
    BOOL: "System.Boolean",
    DATETIME: "System.DateTime",
    STRING: "System.String",
}
# EDM type -> the CLR default a field left out of the body takes
DEFAULTS = {GUID: ZERO_GUID, INT32: 0, INT64: 0, DOUBLE: 0.0, BOOL: False, DATETIME: datetime(1, 1, 1), STRING: None}


class JsonNetError(Exception):
    """A value Json.NET would not convert; the message is Json.NET's, ending with the value's ``Path``."""


def _show(value) -> str:
    if value is None:
        return "{null}"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def json_kind(value) -> str:
    """How Json.NET names a JSON value in its messages: array, object or value."""
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"


def convert_value(value, edm: str, path: str):
    """One JSON value converted to ``edm`` as Json.NET would; raises JsonNetError with Json.NET's message."""
    if isinstance(value, (dict, list)):
        if edm == STRING:
            raise JsonNetError(
                f"Unexpected character encountered while parsing value: {'{' if isinstance(value, dict) else '['}. Path '{path}'."
            )
        raise JsonNetError(
            f"Cannot deserialize the current JSON {json_kind(value)} into type '{CLR_TYPES[edm]}'. Path '{path}'."
        )
    if value is None:
        if edm == STRING:
            return None
        raise JsonNetError(f"Error converting value {{null}} to type '{CLR_TYPES[edm]}'. Path '{path}'.")
    if edm == STRING:
        return value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, bool) and edm in (INT32, INT64, DOUBLE):
        raise JsonNetError(f"Error converting value {_show(value)} to type '{CLR_TYPES[edm]}'. Path '{path}'.")
    if edm == GUID:
        if isinstance(value, str) and is_guid(value.strip()):
            return value.strip().lower()
        shown = f'"{value}"' if isinstance(value, str) else _show(value)
        raise JsonNetError(f"Error converting value {shown} to type 'System.Guid'. Path '{path}'.")
    if edm in (INT32, INT64):
        limit = 2**31 if edm == INT32 else 2**63
        if isinstance(value, str):
            number = _from_text(value, int, "integer", path)
        elif isinstance(value, float):
            if not value.is_integer():
                raise JsonNetError(f"Input string '{value}' is not a valid integer. Path '{path}'.")
            number = int(value)
        else:
            number = int(value)
        if not -limit <= number < limit:
            raise JsonNetError(f"Value was either too large or too small for an {CLR_TYPES[edm][7:]}. Path '{path}'.")
        return number
    if edm == DOUBLE:
        if isinstance(value, str):
            number = _from_text(value, float, "double", path)
        else:
            number = float(value)
        if not math.isfinite(number):
            raise JsonNetError(f"Could not convert string to double: {value}. Path '{path}'.")
        return number
    if edm == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, (int, float)):
            return value != 0
        raise JsonNetError(f"Could not convert string to boolean: {value}. Path '{path}'.")
    if edm == DATETIME:
        if not isinstance(value, str):
            raise JsonNetError(
                f"Unexpected token parsing date. Expected String, got {type(value).__name__}. Path '{path}'."
            )
        try:
            return to_naive_cdmx(value) if _has_offset(value) else datetime.fromisoformat(value.strip())
        except ValueError:
            raise JsonNetError(f"Could not convert string to DateTime: {value}. Path '{path}'.") from None
    raise AssertionError(edm)


def _from_text(value: str, convert, word: str, path: str):
    """A number written as a JSON string, parsed as Json.NET would (``word`` names the type in its message)."""
    try:
        return convert(value.strip())
    except ValueError:
        raise JsonNetError(f"Could not convert string to {word}: {value}. Path '{path}'.") from None


def _has_offset(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith("Z") or "+" in tail or "-" in tail
