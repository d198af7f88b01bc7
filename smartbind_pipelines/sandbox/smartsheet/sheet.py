"""One emulated sheet: columns, rows in display order (with hierarchy), version, and its JSON views."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.smartsheet.cells import Column, render_cell

SANDBOX_USER_EMAIL = "sandbox@smartbind.invalid"
_NEVER_SET = object()  # a cell that never had a value (dropped by exclude=nonexistentCells)


def utc_stamp() -> str:
    """Smartsheet timestamps: UTC, second precision, ``Z`` suffix."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Row:
    id: int
    cells: dict[int, object]  # columnId -> stored value; None = existed but empty
    created_at: str
    modified_at: str
    parent_id: int | None = None
    expanded: bool = True
    locked: bool | None = None
    format: str | None = None
    auto_numbers: dict[int, int] = field(default_factory=dict)


@dataclass
class SheetQuery:
    """The options of GET /sheets/{id} that shape the answer."""

    column_ids: list[int] | None = None
    row_ids: list[int] | None = None
    row_numbers: list[int] | None = None
    page: int | None = None
    page_size: int | None = None
    exclude_nonexistent: bool = False
    include: frozenset[str] = frozenset()
    level: int = 0
    rows_modified_since: dt.datetime | None = None
    rows_modified_exclusive: bool = False  # sandbox switch: rowsModifiedSince compares with > instead of >=
    row_cap: int | None = None  # sandbox only (read_rows_cap): at most this many rows in the answer


class Sheet:
    discussions: list | tuple = ()  # a sheet pickled before discussions existed has none

    def __init__(
        self, sheet_id: int, name: str, columns: list[Column], permalink: str, container_id: int | None = None
    ):
        self.id = sheet_id
        self.name = name
        self.columns = columns
        self.rows: list[Row] = []
        self.rows_by_id: dict[int, Row] = {}
        self.version = 0
        self.created_at = self.modified_at = utc_stamp()
        self.permalink = permalink
        self.container_id = container_id
        self.next_auto_number = 1
        self.discussions: list = []  # discussions.Discussion, oldest first
        # write_lock serialises writers (or detects their collision); data_lock keeps readers consistent.
        self.write_lock = threading.Lock()
        self.data_lock = threading.RLock()
        self._layout: tuple[dict[int, int], dict[int, int]] | None = None

    # -- structure ---------------------------------------------------------------------------------

    def column(self, column_id: int) -> Column | None:
        for column in self.columns:
            if column.id == column_id:
                return column
        return None

    def changed(self) -> None:
        """Call after every mutation: drops cached row numbers and bumps the version once."""
        self._layout = None
        self.version += 1
        self.modified_at = utc_stamp()

    def layout(self) -> tuple[dict[int, int], dict[int, int]]:
        """(rowId -> 1-based rowNumber, rowId -> siblingId), computed once per version."""
        if self._layout is None:
            numbers: dict[int, int] = {}
            siblings: dict[int, int] = {}
            last_child: dict[int | None, int] = {}
            for position, row in enumerate(self.rows, start=1):
                numbers[row.id] = position
                previous = last_child.get(row.parent_id)
                if previous is not None:
                    siblings[row.id] = previous
                last_child[row.parent_id] = row.id
            self._layout = (numbers, siblings)
        return self._layout

    def block_end(self, position: int) -> int:
        """Index just past the row at ``position`` and all of its descendants."""
        depth_of = {self.rows[position].id}
        end = position + 1
        while end < len(self.rows) and self.rows[end].parent_id in depth_of:
            depth_of.add(self.rows[end].id)
            end += 1
        return end

    def descendants(self, row_id: int) -> list[int]:
        position = self.rows.index(self.rows_by_id[row_id])
        return [row.id for row in self.rows[position + 1 : self.block_end(position)]]

    # -- views ---------------------------------------------------------------------------------------

    def _cell_value(self, column: Column, row: Row):
        system = column.system_column_type
        if system is None:
            return row.cells.get(column.id, _NEVER_SET)
        return {
            "CREATED_DATE": row.created_at,
            "MODIFIED_DATE": row.modified_at,
            "CREATED_BY": SANDBOX_USER_EMAIL,
            "MODIFIED_BY": SANDBOX_USER_EMAIL,
            "AUTO_NUMBER": row.auto_numbers.get(column.id, _NEVER_SET),
        }.get(system, _NEVER_SET)

    def render_row(
        self,
        row: Row,
        columns: list[Column] | None = None,
        *,
        exclude_nonexistent: bool = False,
        include: frozenset[str] = frozenset(),
    ) -> dict:
        numbers, siblings = self.layout()
        body: dict = {"id": row.id, "sheetId": self.id, "rowNumber": numbers[row.id]}
        if row.id in siblings:
            body["siblingId"] = siblings[row.id]
        if row.parent_id is not None:
            body["parentId"] = row.parent_id
        body["expanded"] = row.expanded
        if row.locked is not None:
            body["locked"] = row.locked
        if row.format is not None:
            body["format"] = row.format
        body["createdAt"] = row.created_at
        body["modifiedAt"] = row.modified_at
        cells = []
        with_type = "columnType" in include
        for column in columns if columns is not None else self.columns:
            value = self._cell_value(column, row)
            if value is _NEVER_SET:
                if exclude_nonexistent:
                    continue
                value = None
            cell = render_cell(column, value)
            if with_type:
                cell["columnType"] = column.type
            cells.append(cell)
        body["cells"] = cells
        if "discussions" in include:
            body["discussions"] = [
                d.render() for d in self.discussions if d.parent_type == "ROW" and d.parent_id == row.id
            ]
        return body

    def summary(self, with_version: bool = False) -> dict:
        body = {
            "id": self.id,
            "name": self.name,
            "accessLevel": "OWNER",
            "permalink": self.permalink,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
        }
        if with_version:
            body["version"] = self.version
        return body

    def render_columns(self, level: int = 0) -> list[dict]:
        return [column.render(index, level) for index, column in enumerate(self.columns)]

    def render(self, query: SheetQuery) -> dict:
        columns = self.columns
        if query.column_ids is not None:
            wanted = set(query.column_ids)
            columns = [column for column in self.columns if column.id in wanted]
        rows = self.rows
        if query.row_ids is not None:
            wanted_rows = set(query.row_ids)
            rows = [row for row in rows if row.id in wanted_rows]
        if query.row_numbers is not None:
            numbers, _ = self.layout()
            wanted_numbers = set(query.row_numbers)
            rows = [row for row in rows if numbers[row.id] in wanted_numbers]
        if query.rows_modified_since is not None:
            since = query.rows_modified_since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if query.rows_modified_exclusive:
                rows = [row for row in rows if row.modified_at > since]
            else:
                rows = [row for row in rows if row.modified_at >= since]
        if query.page is not None or query.page_size is not None:
            size, page = query.page_size or 100, query.page or 1
            rows = rows[(page - 1) * size : page * size]
        if query.row_cap is not None:
            rows = rows[: query.row_cap]
        level_columns = [column.render(self.columns.index(column), query.level) for column in columns]
        body = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "totalRowCount": len(self.rows),
            "accessLevel": "OWNER",
            "effectiveAttachmentOptions": [],
            "ganttEnabled": False,
            "dependenciesEnabled": False,
            "resourceManagementEnabled": False,
            "cellImageUploadEnabled": True,
            "permalink": self.permalink,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "columns": level_columns,
            "rows": [
                self.render_row(row, columns, exclude_nonexistent=query.exclude_nonexistent, include=query.include)
                for row in rows
            ],
        }
        if "discussions" in query.include:  # sheet-level threads at the top, row threads on their rows
            body["discussions"] = [d.render() for d in self.discussions if d.parent_type == "SHEET"]
        return body

    def values_by_title(self, row: Row) -> dict[str, object]:
        """Plain ``{title: value}`` of one row, for test assertions (empty cells are None)."""
        values = {}
        for column in self.columns:
            value = self._cell_value(column, row)
            values[column.title] = None if value is _NEVER_SET else value
        return values
