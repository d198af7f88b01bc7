"""Query options and the paged envelope of Bind's list routes (contract §2.7, §7.4, §7.5).

The paging reproduces ASP.NET Web API OData v3 (``LimitResults`` + ``GetNextPageLink``): 100 rows a
page, ``$top`` applied before the page size (so ``$top`` <= 100 never yields a ``nextLink``), and a
``nextLink`` that keeps every original query pair in order, drops ``$skip``, lowers ``$top`` by the page
size, escapes values as ``Uri.EscapeDataString`` does and appends ``$skip=<skip + 100>`` last.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import parse_qsl, quote

from smartbind_pipelines.sandbox.bind.odata import ODataError, compile_filter, compile_orderby
from smartbind_pipelines.sandbox.bind.schema import Entity, json_text, sqlguid_key

PAGE_SIZE = 100
QUERY_OPTIONS = ("$filter", "$orderby", "$top", "$skip", "$inlinecount")
_NON_NEGATIVE = re.compile(r"^[0-9]+$")
_INT32_MAX = 2**31 - 1

Row = tuple[dict, str]  # (typed record, its encoded JSON)


@dataclass(frozen=True)
class QueryOptions:
    pairs: tuple[tuple[str, str], ...]  # every decoded query pair, in request order (for nextLink)
    predicate: Callable[[dict], bool] | None
    orderby: tuple[tuple[Callable[[dict], Any], bool, bool], ...]  # (value, is GUID, descending)
    top: int | None
    skip: int
    selection_key: tuple[str | None, str | None] = (None, None)  # ($filter, $orderby) text, for caching


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decode a query string like ASP.NET does: ``+`` is a space, blank values are kept."""
    return parse_qsl(raw_query, keep_blank_values=True)


def _non_negative(name: str, value: str) -> int:
    if not _NON_NEGATIVE.match(value) or int(value) > _INT32_MAX:
        raise ODataError(
            f"Invalid value '{value}' for {name} query option found. "
            f"The {name} query option requires a non-negative integer value."
        )
    return int(value)


def parse_options(pairs: Sequence[tuple[str, str]], entity: Entity) -> QueryOptions:
    """Validate the ``$`` options against ``entity``; raises ODataError (400). Non-``$`` keys are ignored."""
    options: dict[str, str] = {}
    for key, value in pairs:
        if not key.startswith("$"):
            continue
        if key not in QUERY_OPTIONS:
            raise ODataError(f"The query parameter '{key}' is not supported.")
        if key in options:
            raise ODataError(
                f"Query option '{key}' was specified more than once, but it must be specified at most once."
            )
        if not value.strip():
            raise ODataError(f"The value for OData query '{key}' cannot be empty.")
        options[key] = value
    inlinecount = options.get("$inlinecount")
    if inlinecount is not None and inlinecount not in ("allpages", "none"):
        raise ODataError(
            f"Invalid value '{inlinecount}' for $inlinecount query option found. "
            "Valid values are 'allpages' and 'none'."
        )
    top = _non_negative("$top", options["$top"]) if "$top" in options else None
    skip = _non_negative("$skip", options["$skip"]) if "$skip" in options else 0
    predicate = compile_filter(options["$filter"], entity) if "$filter" in options else None
    orderby = tuple(compile_orderby(options["$orderby"], entity)) if "$orderby" in options else ()
    return QueryOptions(tuple(pairs), predicate, orderby, top, skip, (options.get("$filter"), options.get("$orderby")))


def next_link(base: str, pairs: Sequence[tuple[str, str]], skip: int) -> str:
    """Web API's ``GetNextPageLink``: ``base`` is ``scheme://host/path`` of the request."""
    parts = []
    for key, value in pairs:
        if key == "$skip":
            continue
        if key == "$top" and _NON_NEGATIVE.match(value):
            value = str(int(value) - PAGE_SIZE)
        escaped_key = "$" + quote(key[1:], safe="") if key.startswith("$") else quote(key, safe="")
        parts.append(f"{escaped_key}={quote(value, safe='')}")
    parts.append(f"$skip={skip + PAGE_SIZE}")
    return f"{base}?{'&'.join(parts)}"


def select_rows(rows: Sequence[Row], options: QueryOptions) -> Sequence[Row]:
    """Filter, then order: the rows arrive in ID order, so stable sorts leave ID as the last tie-breaker.

    SQL Server sorts nulls first; descending reverses that, as ``ORDER BY … DESC`` does.
    """
    if options.predicate is not None:
        predicate = options.predicate
        rows = [row for row in rows if predicate(row[0])]
    for value, is_guid, descending in reversed(options.orderby):
        values = [value(record) for record, _ in rows]
        if is_guid:
            values = [None if v is None else sqlguid_key(v) for v in values]
        if any(v is None for v in values):
            values = [(0,) if v is None else (1, v) for v in values]
        order = sorted(range(len(rows)), key=values.__getitem__, reverse=descending)
        rows = [rows[i] for i in order]
    return rows


class SelectionCache:
    """Recent (filter, orderby) selections per collection snapshot, so paging one query stays cheap.

    A snapshot list is replaced (never changed) when its collection changes, so identity tells freshness.
    """

    def __init__(self, size: int = 32):
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def select(self, route: str, rows: Sequence[Row], options: QueryOptions) -> Sequence[Row]:
        if options.selection_key == (None, None):
            return rows
        key = (route, id(rows), options.selection_key)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is rows:
                self._entries.move_to_end(key)
                return entry[1]
        selected = select_rows(rows, options)
        with self._lock:
            self._entries[key] = (rows, selected)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return selected


def page_body(selected: Sequence[Row], options: QueryOptions, base: str, *, count_with_top: bool = False) -> str:
    """The ``{value, nextLink, count}`` JSON text of one request, from the filtered and ordered rows."""
    count = len(selected)
    window = selected[options.skip :]
    if options.top is not None:
        window = window[: options.top]
        if count_with_top:  # [G] one sample suggests count = min(total, $top)
            count = min(count, options.top)
    page = window[:PAGE_SIZE]
    link = next_link(base, options.pairs, options.skip) if len(window) > PAGE_SIZE else None
    return (
        '{"value":['
        + ",".join(encoded for _, encoded in page)
        + '],"nextLink":'
        + json_text(link)
        + ',"count":'
        + str(count)
        + "}"
    )
