"""What an answer of Bind must be before it is read.

A list route answers a page ``{"value": [...], "nextLink": ..., "count": N}`` (a bare JSON array only on
the routes Bind documents as bare arrays: ProductsPriceAndInventory, Categories, Series); a single-object
route answers its object (``Invoices/{id}`` an object with ``ID``, ``UserProfile`` one with ``UserID`` or
``CompanyID``). An empty body, a 204, ``null`` or ``{"Message": ...}`` is never read as "no rows": that
would end a sync with nothing read and move its watermark, or retire every row of a sheet. An answer
that is not what its route promises is retried like a 5xx (``NotAnAnswer``), then the read fails.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from smartbind_pipelines.core.bind_client.errors import bounded

BARE_ARRAY_ROUTES = frozenset({"productspriceandinventory", "categories", "series"})  # contract §3.1


def page_problem(answer, bare_ok: bool, scrub: Callable[[str], str]) -> str | None:
    """Why ``answer`` is not a page (or, when ``bare_ok``, a bare array of rows); None when it is one."""
    if isinstance(answer, list):
        return None if bare_ok else "a bare JSON array where Bind answers a page"
    if not isinstance(answer, dict):
        return f"JSON {json_kind(answer)}"
    if "value" not in answer:
        return "a JSON object without 'value'" + bind_message(answer, scrub)
    if not isinstance(answer["value"], list):
        return f"'value' is a JSON {json_kind(answer['value'])}, not a list of rows"
    link = answer.get("nextLink")
    if link is not None and not isinstance(link, str):
        return f"'nextLink' is a JSON {json_kind(link)}, not a URL"
    count = answer.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        return f"'count' is {bounded(repr(count), 40)}, not a row count"
    return None


def object_problem(answer, keys: tuple[str, ...], scrub: Callable[[str], str]) -> str | None:
    """Why ``answer`` is not an object with one of ``keys`` filled; None when it is one."""
    if not isinstance(answer, dict):
        return f"JSON {json_kind(answer)}"
    if not any(answer.get(key) not in (None, "") for key in keys):
        return f"a JSON object without {' or '.join(map(repr, keys))}" + bind_message(answer, scrub)
    return None


def bind_message(answer: dict, scrub: Callable[[str], str]) -> str:
    """Bind's own ``Message`` in an answer, scrubbed of the key first, then bounded."""
    message = answer.get("Message") or answer.get("message")
    if message is None:
        return ""
    return " (Message: " + bounded(scrub(str(message))) + ")"


def parse_int(text: str) -> int | Decimal:
    """An integer too long for Python's int parser (4,300 digits) stays readable as a Decimal, so one
    absurd number is a bad record the mapping skips, not an answer that never parses."""
    return int(text) if len(text) <= 1_000 else Decimal(text)


def json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")
