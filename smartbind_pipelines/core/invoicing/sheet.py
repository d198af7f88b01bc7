"""The invoicing sheet through our SheetGateway: the reads and writes the invoicing process needs.

Rows are read whole (every mapped column; a missing column fails naming it), changed rows through
``rowsModifiedSince`` (the sensor's poll), outcomes written with ``update_rows`` (idempotent, retried
on a lost answer) and errors announced with a row comment (a new discussion: not idempotent, so it is
sent once per outcome, after the cells).

Both go through the gateway's public calls (``rows_modified_since``, ``add_row_comment``): the same
timeouts, retry rules, redacting error classes and request counts as every other sheet request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.sheets import BatchOutcome, ExistingRow, MissingColumnError, SheetGateway


class InvoiceSheet:
    def __init__(self, gateway: SheetGateway, sheet_id: int):
        self.gateway = gateway
        self.sheet_id = int(sheet_id)
        self._columns: dict[str, dict] | None = None

    @property
    def request_counts(self):
        return self.gateway.request_counts

    def columns(self) -> dict[str, dict]:
        if self._columns is None:
            columns = self.gateway.sheet_columns(self.sheet_id)
            missing = [title for title in C.ALL_COLUMNS if title not in columns]
            if missing:
                raise MissingColumnError(str(self.sheet_id), missing)
            self._columns = columns
        return self._columns

    def rows(self, row_ids: Sequence[int] | None = None) -> list[ExistingRow]:
        """Every row (or only ``row_ids``) with the mapped columns' cells."""
        rows, _ = self.gateway.read_rows(self.sheet_id, C.ALL_COLUMNS, columns=self.columns())
        if row_ids is not None:
            wanted = set(row_ids)
            rows = [row for row in rows if row.row_id in wanted]
        return rows

    def modified_since(
        self, since: datetime, titles: Sequence[str] = (C.ESTADO, C.ID_BIND, C.UUID)
    ) -> list[ExistingRow]:
        """Rows modified at or after ``since`` (``GET /sheets/{id}?rowsModifiedSince=``), with ``titles``."""
        return self.gateway.rows_modified_since(self.sheet_id, since, list(titles), columns=self.columns())

    def update(self, updates: Sequence[tuple[int, dict[str, Any]]]) -> BatchOutcome:
        return self.gateway.update_rows(self.sheet_id, list(updates), self.columns())

    def comment(self, row_id: int, text: str) -> None:
        self.gateway.add_row_comment(self.sheet_id, row_id, text)
