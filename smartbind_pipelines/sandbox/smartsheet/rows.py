"""Row batches: validation and application of add (POST), update (PUT) and delete (DELETE) requests.

A batch is validated completely before anything is written, so a refused request leaves the sheet
exactly as it was. Callers hold the sheet's locks and pass the sandbox limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartbind_pipelines.sandbox.smartsheet.cells import (CELL_NOT_EMULATED, CELL_READ_ONLY, CELL_WRITABLE,
                                                          Column, cell_value)
from smartbind_pipelines.sandbox.smartsheet.errors import (SmartsheetError, attributes_not_allowed,
                                                           missing_attribute, not_emulated, not_found, parse_error)
from smartbind_pipelines.sandbox.smartsheet.sheet import Row, Sheet, utc_stamp

LOCATION_KEYS = ("toTop", "toBottom", "parentId", "siblingId", "above")
_ROW_WRITABLE_ON_ADD = frozenset({"cells", "expanded", "format", "locked", *LOCATION_KEYS})
_ROW_WRITABLE_ON_UPDATE = _ROW_WRITABLE_ON_ADD | {"id"}
# Everything else the SDK's Row model can serialise: read-only, refused with 1032 when sent back.
_ROW_MODEL_KEYS = frozenset({"accessLevel", "attachments", "cells", "columns", "conditionalFormat", "createdAt",
                             "createdBy", "discussions", "expanded", "filteredOut", "format", "id",
                             "inCriticalPath", "indent", "locked", "lockedForUser", "modifiedAt", "modifiedBy",
                             "outdent", "permalink", "proof", "rowNumber", "sheetId", "version",
                             *LOCATION_KEYS})


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
        raise SmartsheetError(400, 1160, "Invalid bulk request. See detail for more information.",
                              {"message": f"A request may add or update at most {limits.max_rows_per_request} "
                                          f"rows; this one has {count}.",
                               "maxRowsPerRequest": limits.max_rows_per_request, "rowCount": count})


def _location_key(row) -> tuple:
    if not isinstance(row, dict):
        return ()
    return (row.get("toTop") is True, row.get("toBottom") is True, row.get("parentId"), row.get("siblingId"),
            row.get("above") is True)


def check_same_location(rows: list) -> None:
    if len({_location_key(row) for row in rows}) > 1:
        raise SmartsheetError(400, 1123, "Specifying multiple row locations is not yet supported. Each row must "
                                         "use the same row location attribute and parent.")


def _check_row_attributes(row, writable: frozenset[str]) -> None:
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


def _location(sheet: Sheet, row: dict, moving_row: int | None = None) -> Location:
    location = Location(_flag(row, "toTop"), _flag(row, "toBottom"), _row_ref(row, "parentId"),
                        _row_ref(row, "siblingId"), _flag(row, "above"))
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


def _cell_values(columns: dict[int, Column], row: dict) -> dict[int, object]:
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
            raise SmartsheetError(400, 1037, f"The columnId {column_id} is included more than once in a "
                                             "single row.")
        for key in CELL_NOT_EMULATED:
            if cell.get(key) is not None:
                raise not_emulated(f"cell.{key}")
        values[column_id] = cell_value(column, cell)
    return values


class _Outcome:
    """Collects accepted rows and failed items; raises at the first failure unless partial success is on."""

    def __init__(self, partial: bool):
        self.partial = partial
        self.failed: list[dict] = []

    def fail(self, index: int, error: SmartsheetError, row_id: int | None = None) -> None:
        if not self.partial:
            detail = {"index": index} if row_id is None else {"index": index, "rowId": row_id}
            raise error.with_detail(**detail)
        item = {"index": index}
        if row_id is not None:
            item["rowId"] = row_id
        item["error"] = error.item_error()
        self.failed.append(item)

    def envelope(self, result: list[dict], version: int) -> dict:
        body = {"message": "PARTIAL_SUCCESS" if self.failed else "SUCCESS",
                "resultCode": 3 if self.failed else 0, "result": result, "version": version}
        if self.failed:
            body["failedItems"] = self.failed
        return body


def _check_capacity(sheet: Sheet, added: int, limits: Limits) -> None:
    total = len(sheet.rows) + added
    if total > limits.max_rows:
        raise SmartsheetError(400, 1061, f"Max count exceeded for field rows: a sheet may hold at most "
                                         f"{limits.max_rows} rows; this request would make {total}.")
    cells = total * len(sheet.columns)
    if cells > limits.max_cells:
        raise SmartsheetError(400, 1061, f"Max count exceeded for field cells: a sheet may hold at most "
                                         f"{limits.max_cells} cells; this request would make {cells}.")


def _insert_position(sheet: Sheet, location: Location) -> tuple[int, int | None]:
    """(index in sheet.rows, parent id) where a block with this location goes."""
    if location.to_top:
        return 0, None
    if location.parent_id is not None:
        parent = sheet.rows.index(sheet.rows_by_id[location.parent_id])
        return (sheet.block_end(parent) if location.to_bottom else parent + 1), location.parent_id
    if location.sibling_id is not None:
        sibling_row = sheet.rows_by_id[location.sibling_id]
        sibling = sheet.rows.index(sibling_row)
        return (sibling if location.above else sheet.block_end(sibling)), sibling_row.parent_id
    return len(sheet.rows), None


def add_rows(sheet: Sheet, body, *, partial: bool, limits: Limits, new_id) -> dict:
    rows = as_row_list(body)
    check_batch_size(len(rows), limits)
    check_same_location(rows)
    columns = {column.id: column for column in sheet.columns}
    outcome = _Outcome(partial)
    accepted: list[tuple[dict, dict[int, object], Location]] = []
    for index, row in enumerate(rows):
        try:
            _check_row_attributes(row, _ROW_WRITABLE_ON_ADD)
            location = _location(sheet, row)
            accepted.append((row, _cell_values(columns, row), location))
        except SmartsheetError as error:
            outcome.fail(index, error)
    if not accepted:
        return outcome.envelope([], sheet.version)
    _check_capacity(sheet, len(accepted), limits)

    position, parent_id = _insert_position(sheet, accepted[0][2])
    now = utc_stamp()
    auto_columns = [c.id for c in sheet.columns if c.system_column_type == "AUTO_NUMBER"]
    created = []
    for row_json, values, _ in accepted:
        row = Row(id=new_id(), cells=values, created_at=now, modified_at=now, parent_id=parent_id,
                  expanded=row_json.get("expanded", True) is not False, locked=row_json.get("locked"),
                  format=row_json.get("format"))
        for column_id in auto_columns:
            row.auto_numbers[column_id] = sheet.next_auto_number
        if auto_columns:
            sheet.next_auto_number += 1
        created.append(row)
    sheet.rows[position:position] = created
    sheet.rows_by_id.update((row.id, row) for row in created)
    sheet.changed()
    return outcome.envelope([sheet.render_row(row) for row in created], sheet.version)


def update_rows(sheet: Sheet, body, *, partial: bool, limits: Limits) -> dict:
    rows = as_row_list(body)
    check_batch_size(len(rows), limits)
    check_same_location(rows)
    columns = {column.id: column for column in sheet.columns}
    outcome = _Outcome(partial)
    accepted: list[tuple[Row, dict, dict[int, object], Location]] = []
    for index, row_json in enumerate(rows):
        row_id = row_json.get("id") if isinstance(row_json, dict) else None
        row_id = row_id if isinstance(row_id, int) and not isinstance(row_id, bool) else None
        try:
            _check_row_attributes(row_json, _ROW_WRITABLE_ON_UPDATE)
            if "id" not in row_json or row_json["id"] is None:
                raise missing_attribute("row.id")
            if row_id is None:
                raise parse_error('Field "id" was of unexpected type.')
            row = sheet.rows_by_id.get(row_id)
            if row is None:
                raise not_found()
            location = _location(sheet, row_json, moving_row=row_id)
            accepted.append((row, row_json, _cell_values(columns, row_json), location))
        except SmartsheetError as error:
            outcome.fail(index, error, row_id)
    if not accepted:
        return outcome.envelope([], sheet.version)

    now = utc_stamp()
    for row, row_json, values, _ in accepted:
        row.cells.update(values)
        row.modified_at = now
        if "expanded" in row_json:
            row.expanded = row_json["expanded"] is not False
        if "locked" in row_json:
            row.locked = row_json["locked"]
        if "format" in row_json:
            row.format = row_json["format"]
    location = accepted[0][3]
    if location.given:
        _move_rows(sheet, [row for row, *_ in accepted], location)
    sheet.changed()
    return outcome.envelope([sheet.render_row(row) for row, *_ in accepted], sheet.version)


def _move_rows(sheet: Sheet, moving: list[Row], location: Location) -> None:
    """Take each moving row (with its children) out, then put the blocks back, in request order, at the location."""
    blocks: list[list[Row]] = []
    taken: set[int] = set()
    for row in moving:
        if row.id in taken:
            continue  # already moving along with an ancestor
        start = sheet.rows.index(row)
        block = sheet.rows[start:sheet.block_end(start)]
        del sheet.rows[start:start + len(block)]
        taken.update(r.id for r in block)
        blocks.append(block)
    position, parent_id = _insert_position(sheet, location)
    for block in blocks:
        block[0].parent_id = parent_id
        sheet.rows[position:position] = block
        position += len(block)


def delete_rows(sheet: Sheet, row_ids: list[int], *, ignore_not_found: bool) -> dict:
    unknown = [row_id for row_id in row_ids if row_id not in sheet.rows_by_id]
    if unknown and not ignore_not_found:
        raise not_found()
    deleted = list(dict.fromkeys(row_id for row_id in row_ids if row_id in sheet.rows_by_id))
    gone = set(deleted)
    for row in sheet.rows:  # children follow their parent, so one pass finds every descendant
        if row.parent_id in gone and row.id not in gone:
            gone.add(row.id)
            deleted.append(row.id)
    if deleted:
        sheet.rows = [row for row in sheet.rows if row.id not in gone]
        for row_id in gone:
            del sheet.rows_by_id[row_id]
        sheet.changed()
    return {"message": "SUCCESS", "resultCode": 0, "result": deleted, "version": sheet.version}
