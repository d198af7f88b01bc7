"""Column types and cell values: strict/lenient typing, truncation, ``displayValue``.

The rules follow the contract (smartsheet-api.md §2.9 and §6.4). A cell value is stored with the JSON
type the client sent (strict keeps ``"00123"`` a string); ``None`` means the cell exists but is empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError

MAX_CELL_CHARS = 4000
MAX_SAFE_NUMBER = 9007199254740992  # ±2**53, the documented numeric cell range

CREATABLE_TYPES = frozenset(
    {
        "TEXT_NUMBER",
        "DATE",
        "CHECKBOX",
        "PICKLIST",
        "CONTACT_LIST",
        "MULTI_PICKLIST",
        "MULTI_CONTACT_LIST",
        "DATETIME",
        "PREDECESSOR",
    }
)
OPTION_TYPES = frozenset({"PICKLIST", "MULTI_PICKLIST"})
SYSTEM_COLUMN_TYPES = frozenset({"AUTO_NUMBER", "CREATED_BY", "CREATED_DATE", "MODIFIED_BY", "MODIFIED_DATE"})
# Only these carry a displayValue (CHECKBOX and DATE never do).
DISPLAYED_TYPES = frozenset({"TEXT_NUMBER", "PICKLIST", "CONTACT_LIST", "MULTI_PICKLIST", "MULTI_CONTACT_LIST"})

# Cell attributes a client may send on add/update; the read-only ones come back from GET and must not
# be re-sent (issue #106 of the SDK: clients re-sending fetched rows).
CELL_WRITABLE = frozenset(
    {
        "columnId",
        "value",
        "strict",
        "formula",
        "hyperlink",
        "format",
        "overrideValidation",
        "image",
        "linkInFromCell",
        "objectValue",
    }
)
CELL_READ_ONLY = frozenset({"displayValue", "columnType", "conditionalFormat", "linksOutToCells"})
CELL_NOT_EMULATED = ("formula", "hyperlink", "image", "linkInFromCell", "objectValue")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMERIC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Column:
    id: int
    title: str
    type: str
    primary: bool = False
    options: list[str] | None = None
    symbol: str | None = None
    system_column_type: str | None = None
    description: str | None = None
    width: int = 150
    extra: dict = field(default_factory=dict)

    def render(self, index: int, level: int = 0) -> dict:
        shown_type = self.type
        # Multi-value types are only shown to clients that ask for them (level 2 / level 1).
        if (self.type == "MULTI_PICKLIST" and level < 2) or (self.type == "MULTI_CONTACT_LIST" and level < 1):
            shown_type = "TEXT_NUMBER"
        # Column "version" is the type level: 2 = MULTI_PICKLIST, 1 = MULTI_CONTACT_LIST, else 0.
        level_of_type = {"MULTI_PICKLIST": 2, "MULTI_CONTACT_LIST": 1}.get(self.type, 0)
        body: dict = {"id": self.id, "version": level_of_type, "index": index, "title": self.title, "type": shown_type}
        if self.primary:
            body["primary"] = True
        if self.options is not None:
            body["options"] = list(self.options)
        if self.symbol is not None:
            body["symbol"] = self.symbol
        if self.system_column_type is not None:
            body["systemColumnType"] = self.system_column_type
        if self.description is not None:
            body["description"] = self.description
        body["validation"] = False
        body["width"] = self.width
        return body


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strict_violation(column: Column, value) -> SmartsheetError:
    shown = "true" if value is True else "false" if value is False else value
    return SmartsheetError(
        400,
        1042,
        f"The value for cell in column {column.id}, {shown}, did not conform to the strict requirements "
        f"for type {column.type}.",
    )


def _number_out_of_range() -> SmartsheetError:
    return SmartsheetError(400, 1148, f"Numeric cell values must be between -{MAX_SAFE_NUMBER} and {MAX_SAFE_NUMBER}.")


def _valid_iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _strict_value(column: Column, value):
    """The value as stored under strict parsing, or raise 1042/1148."""
    if _is_number(value) and abs(value) > MAX_SAFE_NUMBER:
        raise _number_out_of_range()
    kind = column.type
    if kind == "CHECKBOX" and not isinstance(value, bool):
        raise _strict_violation(column, value)
    if kind == "DATE" and not (isinstance(value, str) and _valid_iso_date(value)):
        raise _strict_violation(column, value)
    if kind == "PICKLIST" and value not in (column.options or []):
        raise _strict_violation(column, value)
    if kind == "CONTACT_LIST" and not (isinstance(value, str) and _EMAIL.match(value)):
        raise _strict_violation(column, value)
    return value


def _lenient_value(column: Column, value):
    """Lenient parsing: numeric text becomes a number, "true"/"false" a checkbox; otherwise text is kept."""
    if _is_number(value):
        return value if abs(value) <= MAX_SAFE_NUMBER else str(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if column.type == "CHECKBOX" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if column.type in ("TEXT_NUMBER", "PICKLIST") and _NUMERIC.match(text):
        number = float(text)
        if abs(number) <= MAX_SAFE_NUMBER:
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return value


def cell_value(column: Column, cell: dict):
    """Validate one request cell against its column and return the value to store (``None`` = empty).

    Raises ``SmartsheetError`` with the code the real API uses. Call only after the attribute checks.
    """
    if column.system_column_type is not None:
        raise SmartsheetError(
            400,
            1046,
            f"Cells containing system values cannot be inserted or updated through the API, columnId : {column.id}.",
        )
    if "value" not in cell:
        raise SmartsheetError(400, 1012, "Required object attribute(s) are missing from your request: cell.value.")
    value = cell["value"]
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise SmartsheetError(400, 1038, "Invalid Cell value. Must be numeric or a string.")
    if value is None or value == "":
        # "" clears the cell; a cleared checkbox reads back as false (official fixture).
        return False if column.type == "CHECKBOX" else None
    strict = cell.get("strict", True) is not False
    stored = _strict_value(column, value) if strict else _lenient_value(column, value)
    if isinstance(stored, str) and len(stored) > MAX_CELL_CHARS:
        stored = stored[:MAX_CELL_CHARS]  # documented: "truncation occurs without warning"
    return stored


def display_value(column: Column, value) -> str | None:
    if value is None or column.type not in DISPLAYED_TYPES:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_cell(column: Column, value) -> dict:
    body: dict = {"columnId": column.id}
    if value is not None:
        body["value"] = value
        shown = display_value(column, value)
        if shown is not None:
            body["displayValue"] = shown
    return body
