"""OData v3 literals for Bind's ``$filter``: the only place filter text is built from values.

Every value that reaches a filter goes through one of these functions, so a client name with a quote
or a "GUID" carrying ``' or 1 eq 1`` can never change the meaning of the query.
"""

from __future__ import annotations

import re
from datetime import datetime

from smartbind_pipelines.core.cdmx import format_bind_datetime

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SHOWN = 60  # enough of a bad value to recognise it, never a wall of text in an error


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def datetime_literal(moment: datetime) -> str:
    """``datetime'2026-01-19T19:34:15'``: naive Mexico City wall time, as Bind stores and compares it.

    An aware datetime is converted to Mexico City first; a naive one is taken as Mexico City time.
    Milliseconds are kept when present (``…T19:34:15.903``) so a window edge never drops a record.
    """
    if not isinstance(moment, datetime):
        raise ValueError(f"not a datetime for an OData filter: {_shown(moment)}")
    return f"datetime'{format_bind_datetime(moment)}'"


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.match(value) is not None


def guid_literal(value: str) -> str:
    """``guid'c58f032d-…'``; raises ValueError naming the value when it is not a GUID."""
    if not is_guid(value):
        raise ValueError(f"not a GUID: {_shown(value)}")
    return f"guid'{value.lower()}'"


def string_literal(value: str) -> str:
    """``'O''Brien'``: a quoted OData string, each quote doubled as OData v3 requires."""
    if not isinstance(value, str):
        raise ValueError(f"not a string for an OData filter: {_shown(value)}")
    return "'" + value.replace("'", "''") + "'"


def all_of(*clauses: str | None) -> str | None:
    """Join filter clauses with ``and``, each in parentheses; empty clauses are ignored."""
    present = [clause for clause in clauses if clause]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({clause})" for clause in present)
