"""Row requests checked before anything is written: the row and cell attributes the API takes, row
locations, cell values against their columns, and the sandbox limits on batch size and sheet capacity.

Every check raises the ``SmartsheetError`` the service answers with; rows.py applies what passes.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartbind_pipelines.sandbox.smartsheet.cells import (
    CELL_NOT_EMULATED,
    CELL_READ_ONLY,
    CELL_WRITABLE,
    Column,
    cell_value,
)
from smartbind_pipelines.sandbox.smartsheet.errors import (
    SmartsheetError,
    attributes_not_allowed,
    missing_attribute,
    not_emulated,
    parse_error,
)
from smartbind_pipelines.sandbox.smartsheet.sheet import Sheet

LOCATION_KEYS = ("toTop", "toBottom", "parentId", "siblingId", "above")
ROW_WRITABLE_ON_ADD = frozenset({"cells", "expanded", "format", "locked", *LOCATION_KEYS})
ROW_WRITABLE_ON_UPDATE = ROW_WRITABLE_ON_ADD | {"id"}
# Everything else the SDK's Row model can serialise: read-only, refused with 1032 when sent back.
_ROW_MODEL_KEYS = frozenset(
    {
        "accessLevel",
        "attachments",
        "cells",
        "columns",
        "conditionalFormat",
        "createdAt",
        "createdBy",
        "discussions",
        "expanded",
        "filteredOut",
        "format",
        "id",
        "inCriticalPath",
        "indent",
        "locked",
        "lockedForUser",
        "modifiedAt",
        "modifiedBy",
        "outdent",
        "permalink",
        "proof",
        "rowNumber",
        "sheetId",
        "version",
        *LOCATION_KEYS,
    }
)


@dataclass(frozen=True)
class Limits:
    max_rows_per_request: int
    reject_oversized_batches: bool
    max_rows: int
    max_cells: int


@dataclass(frozen=True)
class Location:
    to_top: bool = False
    to_bottom: bool = False
    parent_id: int | None = None
    sibling_id: int | None = None
    above: bool = False

    @property
    def given(self) -> bool:
        return self != Location()


def as_row_list(body) -> list:
    """The SDK always sends an array; the API also takes a single row object."""
    if isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise parse_error("the request body must be a row object or an array of rows.")
    if not body:
        raise missing_attribute("row")
    return body


def check_batch_size(count: int, limits: Limits) -> None:
    if count > limits.max_rows_per_request and limits.reject_oversized_batches:
        raise SmartsheetError(
            400,
            1160,
            "Invalid bulk request. See detail for more information.",
            {
                "message": f"A request may add or update at most {limits.max_rows_per_request} "
                f"rows; this one has {count}.",
                "maxRowsPerRequest": limits.max_rows_per_request,
                "rowCount": count,
            },
        )


def _location_key(row) -> tuple:
    if not isinstance(row, dict):
        return ()
    return (
        row.get("toTop") is True,
        row.get("toBottom") is True,
        row.get("parentId"),
        row.get("siblingId"),
        row.get("above") is True,
    )


def check_same_location(rows: list) -> None:
    if len({_location_key(row) for row in rows}) > 1:
        raise SmartsheetError(
            400,
            1123,
            "Specifying multiple row locations is not yet supported. Each row must "
            "use the same row location attribute and parent.",
        )


def check_row_attributes(row, writable: frozenset[str]) -> None:
    if not isinstance(row, dict):
        raise parse_error("each row must be a JSON object.")
    unknown = sorted(key for key in row if key not in _ROW_MODEL_KEYS)
    if unknown:
        raise parse_error(f'Unrecognized field "{unknown[0]}".')
    refused = [f"row.{key}" for key in row if key not in writable]
    if refused:
        raise attributes_not_allowed(refused)


def _flag(row: dict, key: str) -> bool:
    value = row.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise parse_error(f'Field "{key}" was of unexpected type.')
    return value


def _row_ref(row: dict, key: str) -> int | None:
    value = row.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise parse_error(f'Field "{key}" was of unexpected type.')
    return value


def read_location(sheet: Sheet, row: dict, moving_row: int | None = None) -> Location:
    location = Location(
        _flag(row, "toTop"),
        _flag(row, "toBottom"),
        _row_ref(row, "parentId"),
        _row_ref(row, "siblingId"),
        _flag(row, "above"),
    )
    invalid = SmartsheetError(400, 1062, "Invalid row location.")
    if location.to_top and location.to_bottom:
        raise invalid
    if location.parent_id is not None and location.sibling_id is not None:
        raise invalid
    if location.to_top and (location.parent_id is not None or location.sibling_id is not None):
        raise invalid
    if location.above and location.sibling_id is None:
        raise invalid
    if location.parent_id is not None and location.parent_id not in sheet.rows_by_id:
        raise SmartsheetError(400, 1063, f"Invalid parentId: {location.parent_id}.")
    if location.sibling_id is not None and location.sibling_id not in sheet.rows_by_id:
        raise SmartsheetError(400, 1064, f"Invalid siblingId: {location.sibling_id}.")
    if moving_row is not None:
        anchor = location.parent_id or location.sibling_id
        if anchor is not None and (anchor == moving_row or anchor in sheet.descendants(moving_row)):
            raise invalid
    return location


def cell_values(columns: dict[int, Column], row: dict) -> dict[int, object]:
    cells = row.get("cells", [])
    if cells is None:
        return {}
    if not isinstance(cells, list):
        raise parse_error('Field "cells" was of unexpected type.')
    values: dict[int, object] = {}
    for cell in cells:
        if not isinstance(cell, dict):
            raise parse_error("each cell must be a JSON object.")
        unknown = sorted(key for key in cell if key not in CELL_WRITABLE and key not in CELL_READ_ONLY)
        if unknown:
            raise parse_error(f'Unrecognized field "{unknown[0]}".')
        refused = [f"cell.{key}" for key in cell if key in CELL_READ_ONLY]
        if refused:
            raise attributes_not_allowed(refused)
        column_id = cell.get("columnId")
        if column_id is None:
            raise missing_attribute("cell.columnId")
        column = columns.get(column_id) if isinstance(column_id, int) else None
        if column is None:
            raise SmartsheetError(400, 1036, f"The columnId {column_id} is invalid.")
        if column_id in values:
            raise SmartsheetError(400, 1037, f"The columnId {column_id} is included more than once in a single row.")
        for key in CELL_NOT_EMULATED:
            if cell.get(key) is not None:
                raise not_emulated(f"cell.{key}")
        values[column_id] = cell_value(column, cell)
    return values


def check_capacity(sheet: Sheet, added: int, limits: Limits) -> None:
    total = len(sheet.rows) + added
    if total > limits.max_rows:
        raise SmartsheetError(
            400,
            1061,
            f"Max count exceeded for field rows: a sheet may hold at most "
            f"{limits.max_rows} rows; this request would make {total}.",
        )
    cells = total * len(sheet.columns)
    if cells > limits.max_cells:
        raise SmartsheetError(
            400,
            1061,
            f"Max count exceeded for field cells: a sheet may hold at most "
            f"{limits.max_cells} cells; this request would make {cells}.",
        )
