"""The naive reference: upsert record by record, the way iPaaS "find row, then add or update" flows do.

For each record it looks the key up by reading the sheet's key column(s) (``GET /sheets/{id}?columnIds=``,
the "get rows, find the match" step), then sends one single-row PUT (found) or POST (not found). It never
compares values, so an unchanged record still costs a write: that is what Zapier/Make/Power Automate
templates do. (Those tools often use the search endpoint for the lookup instead; it costs the same one
request per record, but the emulator does not serve it and real search is eventually consistent, so a
row added a moment ago may not be found.)

It talks plain HTTP with ``requests``; it shares only the record mapping (titles, key, cell typing)
with the engine it is compared to, so the comparison is about the upsert strategy alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import requests

from smartbind_pipelines.core.sheets import SheetMapping, cell_value, comparable
from smartbind_pipelines.sandbox.faults import route_template


@dataclass
class NaiveResult:
    inserted: int = 0
    updated: int = 0
    requests: Counter = field(default_factory=Counter)


class NaiveReferenceError(RuntimeError):
    """A request of the naive reference failed; names the endpoint and status, never the token."""


class NaiveUpserter:
    """One sheet, one session; ``upsert(records)`` does one lookup and one one-row write per record."""

    def __init__(self, api_base: str, token: str, sheet_id: int, mapping: SheetMapping, *, timeout: float = 60):
        self.api_base = api_base.rstrip("/")
        self.sheet_id = sheet_id
        self.mapping = mapping
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.requests: Counter = Counter()
        self.column_ids: dict[str, int] = {}

    def _call(self, method: str, path: str, **kwargs) -> Any:
        self.requests[f"{method} {route_template('/2.0' + path)}"] += 1
        response = self.session.request(method, f"{self.api_base}{path}", timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise NaiveReferenceError(
                f"naive reference: {method} {path} -> {response.status_code} {response.text[:300]}"
            )
        return response.json()

    def load_columns(self) -> None:
        listing = self._call("GET", f"/sheets/{self.sheet_id}/columns", params={"includeAll": "true"})
        self.column_ids = {column["title"]: column["id"] for column in listing["data"]}

    def _key(self, values_by_title: dict[str, Any]) -> tuple:
        return tuple(comparable(values_by_title.get(title), self.mapping.column(title)) for title in self.mapping.key)

    def find_row(self, record: dict[str, Any]) -> int | None:
        wanted = self._key(record)
        key_ids = {self.column_ids[title]: title for title in self.mapping.key}
        sheet = self._call("GET", f"/sheets/{self.sheet_id}", params={"columnIds": ",".join(str(i) for i in key_ids)})
        for row in sheet.get("rows", []):
            cells = {
                key_ids[cell["columnId"]]: cell.get("value")
                for cell in row.get("cells", [])
                if cell["columnId"] in key_ids
            }
            if self._key(cells) == wanted:
                return int(row["id"])
        return None

    def _cells(self, record: dict[str, Any], *, with_key: bool) -> list[dict]:
        return [
            {"columnId": self.column_ids[column.title], "value": cell_value(record.get(column.title), column)}
            for column in self.mapping.columns
            if with_key or column.title not in self.mapping.key
        ]

    def upsert(self, records: Iterable[dict[str, Any]]) -> NaiveResult:
        if not self.column_ids:
            self.load_columns()
        result = NaiveResult()
        rows_path = f"/sheets/{self.sheet_id}/rows"
        for record in records:
            row_id = self.find_row(record)
            if row_id is None:
                self._call("POST", rows_path, json=[{"toBottom": True, "cells": self._cells(record, with_key=True)}])
                result.inserted += 1
            else:
                self._call("PUT", rows_path, json=[{"id": row_id, "cells": self._cells(record, with_key=False)}])
                result.updated += 1
        result.requests = Counter(self.requests)
        return result

    def close(self) -> None:
        self.session.close()
