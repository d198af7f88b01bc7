"""The naive reference: upsert record by record, the way iPaaS "find row, then add or update" flows do.

For each record it looks the key up (the sheet search endpoint when the key is one column, else a read
of the key columns), then sends one single-row PUT (found) or POST (not found). It never compares
values, so an unchanged record still costs a write: that is what Zapier/Make/Power Automate templates do.

It talks plain HTTP with ``requests`` so that it shares nothing with the engine it is compared to
except the emulator and the record mapping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

import requests

from smartbind_pipelines.sandbox.faults import route_template

LOOKUP_SEARCH = "search"
LOOKUP_KEY_COLUMNS = "key_columns"


@dataclass
class NaiveResult:
    inserted: int = 0
    updated: int = 0
    requests: Counter = field(default_factory=Counter)
    lookup: str = LOOKUP_SEARCH


def cell_value(value: Any) -> Any:
    """A JSON value Smartsheet accepts: dates as YYYY-MM-DD, empty as "" (None would be refused)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars from a pandas frame
        return value.item()
    return value


def key_text(value: Any) -> str:
    return str(cell_value(value)).strip()


class NaiveUpserter:
    """One sheet, one session; ``upsert(records)`` does N lookups and N one-row writes."""

    def __init__(self, api_base: str, token: str, sheet_id: int, key_titles: Sequence[str], *,
                 lookup: str | None = None, timeout: float = 60):
        self.api_base = api_base.rstrip("/")
        self.sheet_id = sheet_id
        self.key_titles = tuple(key_titles)
        self.lookup = lookup or (LOOKUP_SEARCH if len(self.key_titles) == 1 else LOOKUP_KEY_COLUMNS)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.requests: Counter = Counter()
        self.columns: dict[str, dict] = {}

    def _call(self, method: str, path: str, **kwargs) -> Any:
        url = f"{self.api_base}{path}"
        self.requests[f"{method} {route_template('/2.0' + path.split('?')[0])}"] += 1
        response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            # The body is the API's error; the token is only in our request headers.
            raise RuntimeError(f"naive reference: {method} {path.split('?')[0]} -> "
                               f"{response.status_code} {response.text[:300]}")
        return response.json()

    def load_columns(self) -> None:
        listing = self._call("GET", f"/sheets/{self.sheet_id}/columns", params={"includeAll": "true"})
        self.columns = {column["title"]: column for column in listing["data"]}

    def find_row(self, record: dict[str, Any]) -> int | None:
        wanted = tuple(key_text(record[title]) for title in self.key_titles)
        if self.lookup == LOOKUP_SEARCH:
            found = self._call("GET", f"/search/sheets/{self.sheet_id}", params={"query": f'"{wanted[0]}"'})
            for hit in found.get("results", []):
                if hit.get("objectType") == "row" and str(hit.get("text", "")).strip() == wanted[0]:
                    return int(hit["objectId"])
            return None
        key_ids = [self.columns[title]["id"] for title in self.key_titles]
        sheet = self._call("GET", f"/sheets/{self.sheet_id}",
                           params={"columnIds": ",".join(str(i) for i in key_ids)})
        for row in sheet.get("rows", []):
            by_column = {cell["columnId"]: cell.get("value") for cell in row.get("cells", [])}
            if tuple(key_text(by_column.get(column_id)) for column_id in key_ids) == wanted:
                return int(row["id"])
        return None

    def _cells(self, record: dict[str, Any], *, with_key: bool) -> list[dict]:
        return [{"columnId": self.columns[title]["id"], "value": cell_value(value)}
                for title, value in record.items()
                if title in self.columns and (with_key or title not in self.key_titles)]

    def upsert(self, records: Iterable[dict[str, Any]]) -> NaiveResult:
        if not self.columns:
            self.load_columns()
        result = NaiveResult(lookup=self.lookup)
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
