"""Reading an API request as the service does: the query string (case-insensitive booleans, ``%2C``-separated
lists, ISO timestamps), the JSON body, the options of GET /sheets/{id}, and the paged IndexResult
envelope of the list endpoints.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from starlette.requests import Request

from smartbind_pipelines.sandbox.smartsheet.errors import body_required, invalid_parameter, parse_error
from smartbind_pipelines.sandbox.smartsheet.sheet import SheetQuery


class Query:
    """Query-string reader with the API's rules: case-insensitive booleans, ``%2C``-separated lists."""

    def __init__(self, request: Request):
        self._params = request.query_params

    def raw(self, name: str) -> str | None:
        return self._params.get(name)

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self._params.get(name)
        if raw is None or raw == "":
            return default
        if raw.lower() not in ("true", "false"):
            raise invalid_parameter(raw, name)
        return raw.lower() == "true"

    def integer(self, name: str, minimum: int | None = None) -> int | None:
        raw = self._params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise invalid_parameter(raw, name) from None
        if minimum is not None and value < minimum:
            raise invalid_parameter(raw, name)
        return value

    def words(self, name: str) -> list[str]:
        raw = self._params.get(name) or ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def ids(self, name: str) -> list[int] | None:
        if self._params.get(name) is None:
            return None
        try:
            return [int(part) for part in self.words(name)]
        except ValueError:
            raise invalid_parameter(self._params[name], name) from None

    def timestamp(self, name: str) -> dt.datetime | None:
        raw = self._params.get(name)
        if not raw:
            return None
        try:
            stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise invalid_parameter(raw, name) from None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


async def json_body(request: Request):
    raw = await request.body()
    if not raw.strip():
        raise body_required()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise parse_error(str(exc)) from None


def index_result(items: list, query: Query) -> dict:
    """The IndexResult envelope of list endpoints; ``includeAll=true`` drops paging and ``pageSize``."""
    total = len(items)
    if query.flag("includeAll"):
        return {"pageNumber": 1, "totalPages": 1 if total else 0, "totalCount": total, "data": items}
    size = query.integer("pageSize", minimum=1) or 100
    page = query.integer("page", minimum=1) or 1
    return {
        "pageNumber": page,
        "pageSize": size,
        "totalPages": math.ceil(total / size),
        "totalCount": total,
        "data": items[(page - 1) * size : page * size],
    }


def read_sheet_query(query: Query) -> SheetQuery:
    exclude = set(query.words("exclude"))
    return SheetQuery(
        column_ids=query.ids("columnIds"),
        row_ids=query.ids("rowIds"),
        row_numbers=query.ids("rowNumbers"),
        page=query.integer("page", minimum=1),
        page_size=query.integer("pageSize", minimum=1),
        exclude_nonexistent="nonexistentCells" in exclude,
        include=frozenset(query.words("include")),
        level=query.integer("level") or 0,
        rows_modified_since=query.timestamp("rowsModifiedSince"),
    )
