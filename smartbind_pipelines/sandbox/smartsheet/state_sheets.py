"""The state's sheets and columns: create, read (with the sandbox's short reads), list and delete sheets;
read, update and delete columns.

``SheetOperations`` is mixed into ``SmartsheetState`` (state.py), which owns the registry lock, the id
allocator, the sandbox config and the per-sheet write lock (``_writing``).
"""

from __future__ import annotations

import dataclasses
import secrets

from smartbind_pipelines.sandbox.smartsheet.columns import apply_column_update, build_column, validate_new_columns
from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, missing_attribute, not_found
from smartbind_pipelines.sandbox.smartsheet.sheet import Sheet, SheetQuery


class SheetOperations:
    """Sheet and column operations of ``SmartsheetState``; every method is thread-safe."""

    def create_sheet(
        self, name: str, columns: list[dict], sheet_id: int | None = None, *, container: tuple[str, int] | None = None
    ) -> dict:
        """Create a sheet as POST /sheets does (same validation) and return the API's ``result`` object.

        ``container`` is ``("folder"|"workspace", id)``; an unknown one gives 404/1006.
        """
        if not isinstance(name, str) or not name.strip():
            raise missing_attribute("sheet.name")
        validate_new_columns(columns)
        with self._registry_lock:
            container_id = None
            if container is not None:
                kind, container_id = container
                found = self.containers.get(container_id)
                if found is None or found["kind"] != kind:
                    raise not_found()
            if sheet_id is not None:
                try:
                    self.new_id.claim(sheet_id)
                except ValueError as exc:
                    raise SmartsheetError(
                        400, 1018, f"The value {sheet_id} was not valid for the parameter sheet.id: {exc}."
                    ) from None
            else:
                sheet_id = self.new_id()
            built = [build_column(self.new_id(), spec) for spec in columns]
            permalink = f"{self.permalink_base}{secrets.token_urlsafe(30)[:40]}"
            sheet = Sheet(sheet_id, name, built, permalink, container_id)
            self.sheets[sheet_id] = sheet
        return {
            "id": sheet.id,
            "name": sheet.name,
            "accessLevel": "OWNER",
            "permalink": sheet.permalink,
            "columns": sheet.render_columns(),
        }

    def sheet(self, sheet_id: int) -> Sheet:
        with self._registry_lock:
            sheet = self.sheets.get(sheet_id)
        if sheet is None:
            raise not_found()
        return sheet

    def list_sheets(self, with_version: bool = False) -> list[dict]:
        with self._registry_lock:
            sheets = list(self.sheets.values())
        return [sheet.summary(with_version) for sheet in sorted(sheets, key=lambda s: (s.name.casefold(), s.id))]

    def delete_sheet(self, sheet_id: int) -> None:
        with self._registry_lock:
            if self.sheets.pop(sheet_id, None) is None:
                raise not_found()

    def get_sheet(self, sheet_id: int, query: SheetQuery | None = None, if_version_after: int | None = None) -> dict:
        sheet = self.sheet(sheet_id)
        query = query or SheetQuery()
        with sheet.data_lock:
            if if_version_after is not None and if_version_after >= sheet.version:
                return {"version": sheet.version}
            if query.column_ids is not None:
                known = {column.id for column in sheet.columns}
                for column_id in query.column_ids:
                    if column_id not in known:
                        raise SmartsheetError(
                            400, 1018, f"The value {column_id} was not valid for the parameter columnIds."
                        )
            return sheet.render(self._cut_read(query))

    def _cut_read(self, query: SheetQuery) -> SheetQuery:
        """The sandbox's short reads: ``totalRowCount`` stays true, the rows answered are fewer."""
        config = self.config
        if config.unpaged_read_rows and query.page is None and query.page_size is None:
            query = dataclasses.replace(query, page=1, page_size=config.unpaged_read_rows)
        if config.read_rows_cap:
            query = dataclasses.replace(query, row_cap=config.read_rows_cap)
        if not config.rows_modified_since_inclusive:
            query = dataclasses.replace(query, rows_modified_exclusive=True)
        return query

    def sheet_version(self, sheet_id: int) -> int:
        return self.sheet(sheet_id).version

    def list_columns(self, sheet_id: int, level: int = 0) -> list[dict]:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            return sheet.render_columns(level)

    def get_column(self, sheet_id: int, column_id: int) -> dict:
        sheet = self.sheet(sheet_id)
        with sheet.data_lock:
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            return column.render(sheet.columns.index(column))

    def update_column(self, sheet_id: int, column_id: int, spec) -> dict:
        """PUT /sheets/{id}/columns/{cid}: rename, move or retype a column (what a user does in the UI)."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            apply_column_update(sheet.columns, column, spec)
            sheet.changed()
            return {
                "message": "SUCCESS",
                "resultCode": 0,
                "result": column.render(sheet.columns.index(column)),
                "version": sheet.version,
            }

    def rename_column(self, sheet_id: int, column_id: int, title: str) -> dict:
        return self.update_column(sheet_id, column_id, {"title": title})["result"]

    def delete_column(self, sheet_id: int, column_id: int) -> dict:
        """DELETE /sheets/{id}/columns/{cid}: the column and its cells go; the primary column cannot."""
        sheet = self.sheet(sheet_id)
        with self._writing(sheet):
            column = sheet.column(column_id)
            if column is None:
                raise not_found()
            if column.primary:
                raise SmartsheetError(
                    400,
                    1032,
                    "The attribute(s) column.primary are not allowed for this "
                    "operation: the primary column cannot be deleted.",
                )
            sheet.columns.remove(column)
            for row in sheet.rows:
                row.cells.pop(column_id, None)
            sheet.changed()
            return {"message": "SUCCESS", "resultCode": 0, "version": sheet.version}
