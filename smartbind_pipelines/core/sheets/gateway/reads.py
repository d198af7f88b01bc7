"""The gateway's reads: a sheet's columns, its rows (only the cells asked for), paged reads checked whole.

Reads go through the SDK's passthrough GET (same auth, retries and errors, without a typed model per row
and cell) and are safe to repeat, so a lost answer is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from smartbind_pipelines.core.sheets.errors import MissingColumnError, SheetIndexError
from smartbind_pipelines.core.sheets.gateway.transport import SdkCalls
from smartbind_pipelines.core.sheets.plan import ExistingRow

log = logging.getLogger(__name__)

READ_PAGE_SIZE = 5000  # rows per page when the service pages the key index: the same size on every page
PAGED_READ_ATTEMPTS = 3  # whole paged re-reads (a sheet changing between pages) before failing
ROW_IDS_PER_READ = 100  # row ids per GET /sheets/{id}?rowIds=…: keeps the URL short (17 digits an id)


@dataclass
class SheetInfo:
    sheet_id: int
    name: str
    version: int | None
    total_row_count: int
    column_count: int
    permalink: str | None = None  # the sheet's link for people (the sandbox's HTML page in the sandbox)


class SheetReads(SdkCalls):
    """Sheet reads through the SDK."""

    def sheet_columns(self, sheet_id: int) -> dict[str, dict]:
        """Column title -> {"id", "type", "primary"} (one request)."""
        result = self._call(
            "GET /sheets/{id}/columns", True, lambda: self._client.Sheets.get_columns(sheet_id, include_all=True)
        )
        columns = {}
        for column in result.data or []:
            kind = str(column.type_) if column.type_ is not None else None
            columns[column.title] = {
                "id": column.id,
                "type": None if kind == "None" else kind,
                "primary": bool(column.primary),
            }
        return columns

    def read_rows(
        self, sheet_id: int, titles: Sequence[str], *, columns: dict[str, dict] | None = None
    ) -> tuple[list[ExistingRow], SheetInfo]:
        """Rows with only the cells of ``titles``: one ``GET /sheets/{id}?columnIds=…`` request
        (plus one for the columns when ``columns`` is not given)."""
        columns, by_id = self._column_ids(sheet_id, titles, columns)
        ids = list(by_id)
        sheet = self._get_sheet(sheet_id, ids)
        rows = list(sheet.get("rows") or [])
        total = int(sheet.get("totalRowCount") or 0)
        if len(rows) < total:  # the service paged an unpaged read: read it all again, page by page
            sheet, rows, total = self._read_paged(sheet_id, ids, first=sheet)
        existing = _existing_rows(rows, by_id)
        info = SheetInfo(
            sheet_id,
            sheet.get("name"),
            sheet.get("version"),
            max(total, len(existing)),
            len(columns),
            sheet.get("permalink"),
        )
        return existing, info

    def _read_paged(self, sheet_id: int, ids: list[int], *, first: dict) -> tuple[dict, list[dict], int]:
        """Every row through pages of one size, from page 1; the same sheet version on every page.

        Raises ``SheetIndexError`` when the rows read never add up to ``totalRowCount``: planning on a
        partial key index would add again every row it missed."""
        name = first.get("name")
        got, total = len(first.get("rows") or []), int(first.get("totalRowCount") or 0)
        for _ in range(PAGED_READ_ATTEMPTS):
            rows: list[dict] = []
            head: dict = {}
            versions = set()
            page = 0
            while True:
                page += 1
                answer = self._get_sheet(sheet_id, ids, pageSize=READ_PAGE_SIZE, page=page)
                head = head or answer
                versions.add(answer.get("version"))
                more = answer.get("rows") or []
                rows.extend(more)
                total = int(answer.get("totalRowCount") or 0)
                if len(more) < READ_PAGE_SIZE or len(rows) >= total or page * READ_PAGE_SIZE >= total:
                    break
            if len(rows) == total and len(versions) == 1 and len({row.get("id") for row in rows}) == total:
                return head, rows, total
            got = len(rows)
            log.warning(
                "sheet %s: read %d of %d rows over %d page(s) (versions %s); reading again",
                sheet_id,
                got,
                total,
                page,
                sorted(v for v in versions if v is not None),
            )
        raise SheetIndexError(str(sheet_id), name, got, total)

    def rows_modified_since(
        self, sheet_id: int, since: datetime, titles: Sequence[str], *, columns: dict[str, dict] | None = None
    ) -> list[ExistingRow]:
        """Rows modified at or after ``since`` (``GET /sheets/{id}?rowsModifiedSince=``) with only the cells
        of ``titles``: one request (plus one for the columns when ``columns`` is not given); a read, so retried.

        ``since`` travels as an explicit UTC ``…Z`` string (the SDK would send a datetime with a space)."""
        _, by_id = self._column_ids(sheet_id, titles, columns)
        stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = self._get_sheet(sheet_id, list(by_id), rowsModifiedSince=stamp)
        return _existing_rows(answer.get("rows") or [], by_id)

    def read_rows_by_id(
        self, sheet_id: int, row_ids: Sequence[int], titles: Sequence[str], *, columns: dict[str, dict] | None = None
    ) -> list[ExistingRow]:
        """These rows only (``GET /sheets/{id}?rowIds=…``, ``ROW_IDS_PER_READ`` a request), with the cells of
        ``titles`` (plus one request for the columns when ``columns`` is not given). Ids the sheet no longer
        has are simply absent from the answer; a read, so retried."""
        _, by_id = self._column_ids(sheet_id, titles, columns)
        wanted = list(dict.fromkeys(int(row_id) for row_id in row_ids))
        rows: list[ExistingRow] = []
        for start in range(0, len(wanted), ROW_IDS_PER_READ):
            chunk = wanted[start : start + ROW_IDS_PER_READ]
            answer = self._get_sheet(sheet_id, list(by_id), rowIds=",".join(map(str, chunk)))
            rows += _existing_rows(answer.get("rows") or [], by_id)
        return rows

    def _column_ids(
        self, sheet_id: int, titles: Sequence[str], columns: dict[str, dict] | None
    ) -> tuple[dict[str, dict], dict[int, str]]:
        """The sheet's columns (read when not given) and column id -> title for ``titles``;
        ``MissingColumnError`` naming the titles the sheet does not have."""
        columns = columns if columns is not None else self.sheet_columns(sheet_id)
        missing = [title for title in titles if title not in columns]
        if missing:
            raise MissingColumnError(str(sheet_id), missing)
        return columns, {columns[title]["id"]: title for title in titles}

    def _get_sheet(self, sheet_id: int, column_ids: list[int], **paging) -> dict:
        # the SDK's passthrough GET keeps its auth, retries and errors but skips building a typed
        # model per row and cell, which costs ~0.5 ms a row: 10 s of CPU for a 20,000-row key index
        query = {"columnIds": column_ids, "exclude": "nonexistentCells", **paging}
        return (
            self._call(
                "GET /sheets/{id}", True, lambda: self._client.Passthrough.get(f"/sheets/{int(sheet_id)}", query)
            ).data
            or {}
        )

    def sheet_version(self, sheet_id: int) -> int:
        return self._call(
            "GET /sheets/{id}/version", True, lambda: self._client.Sheets.get_sheet_version(sheet_id)
        ).version


def _existing_rows(rows: Sequence[dict], by_id: dict[int, str]) -> list[ExistingRow]:
    """Rows of a sheet answer as ``ExistingRow``: only the cells of the columns in ``by_id``, by title."""
    return [
        ExistingRow(
            row["id"],
            {
                by_id[cell["columnId"]]: cell.get("value")
                for cell in row.get("cells") or []
                if cell.get("columnId") in by_id
            },
        )
        for row in rows
    ]
