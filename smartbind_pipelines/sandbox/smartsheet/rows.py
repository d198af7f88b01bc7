"""Row batches: application of add (POST), update (PUT) and delete (DELETE) requests.

A batch is validated completely (row_validation.py) before anything is written, so a refused request
leaves the sheet exactly as it was. Callers hold the sheet's locks and pass the sandbox limits.
"""

from __future__ import annotations

from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, missing_attribute, not_found, parse_error
from smartbind_pipelines.sandbox.smartsheet.row_validation import (
    ROW_WRITABLE_ON_ADD,
    ROW_WRITABLE_ON_UPDATE,
    Limits,
    Location,
    as_row_list,
    cell_values,
    check_batch_size,
    check_capacity,
    check_row_attributes,
    check_same_location,
    read_location,
)
from smartbind_pipelines.sandbox.smartsheet.sheet import Row, Sheet, utc_stamp


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
        body = {
            "message": "PARTIAL_SUCCESS" if self.failed else "SUCCESS",
            "resultCode": 3 if self.failed else 0,
            "result": result,
            "version": version,
        }
        if self.failed:
            body["failedItems"] = self.failed
        return body


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
            check_row_attributes(row, ROW_WRITABLE_ON_ADD)
            location = read_location(sheet, row)
            accepted.append((row, cell_values(columns, row), location))
        except SmartsheetError as error:
            outcome.fail(index, error)
    if not accepted:
        return outcome.envelope([], sheet.version)
    check_capacity(sheet, len(accepted), limits)

    position, parent_id = _insert_position(sheet, accepted[0][2])
    now = utc_stamp()
    auto_columns = [c.id for c in sheet.columns if c.system_column_type == "AUTO_NUMBER"]
    created = []
    for row_json, values, _ in accepted:
        row = Row(
            id=new_id(),
            cells=values,
            created_at=now,
            modified_at=now,
            parent_id=parent_id,
            expanded=row_json.get("expanded", True) is not False,
            locked=row_json.get("locked"),
            format=row_json.get("format"),
        )
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
            check_row_attributes(row_json, ROW_WRITABLE_ON_UPDATE)
            if "id" not in row_json or row_json["id"] is None:
                raise missing_attribute("row.id")
            if row_id is None:
                raise parse_error('Field "id" was of unexpected type.')
            row = sheet.rows_by_id.get(row_id)
            if row is None:
                raise not_found()
            location = read_location(sheet, row_json, moving_row=row_id)
            accepted.append((row, row_json, cell_values(columns, row_json), location))
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
        block = sheet.rows[start : sheet.block_end(start)]
        del sheet.rows[start : start + len(block)]
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
