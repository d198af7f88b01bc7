"""The reference a sheet row is found by in Bind, put into the invoice and matched when reading Bind back.

``ss:<sheet id>:<row id>``: Smartsheet row ids never change and are never reused, so one row has one
reference for ever. In ``Comments`` it travels in brackets (``... [ss:1:2]``) so ``ss:1:2`` never matches
``ss:1:23``; in ``PurchaseOrder`` it is the whole value. Both fields are stored and returned by Bind
(contract §6, [C]); a ``$filter`` on them is only inferred ([I]), so it is optional (``lookup_filter``).
"""

from __future__ import annotations

from typing import Iterable

from smartbind_pipelines.core.odata import string_literal

MAX_COMMENTS_CHARS = 250  # Bind's limit is unknown [G]: keep the reference well inside a short field


def row_reference(sheet_id: int | str, row_id: int | str) -> str:
    return f"ss:{int(sheet_id)}:{int(row_id)}"


def comments_with(reference: str, title: str) -> str:
    """The invoice's Comments: the row's concept, cut to fit, then the bracketed reference (never cut)."""
    tag = f"[{reference}]"
    room = MAX_COMMENTS_CHARS - len(tag) - 1
    text = title if len(title) <= room else title[: room - 1] + "…"
    return f"{text} {tag}" if text else tag


def carries(invoice: dict, reference: str, fields: Iterable[str]) -> bool:
    """True when the invoice list row (or details) carries ``reference`` in one of ``fields``."""
    for name in fields:
        value = str(invoice.get(name) or "")
        if name == "PurchaseOrder" and value.strip() == reference:
            return True
        if name == "Comments" and f"[{reference}]" in value:
            return True
    return False


def lookup_filter(references: list[str], fields: Iterable[str]) -> str:
    """An OData v3 filter matching any of the references ([I]: never observed on a real account)."""
    clauses = []
    for reference in references:
        for name in fields:
            if name == "PurchaseOrder":
                clauses.append(f"PurchaseOrder eq {string_literal(reference)}")
            else:
                clauses.append(f"substringof({string_literal('[' + reference + ']')}, Comments)")
    return "(" + " or ".join(clauses) + ")" if clauses else ""
