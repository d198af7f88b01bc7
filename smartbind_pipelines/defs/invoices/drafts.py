"""Unstamped drafts to follow by id (pure; no Dagster). See watermark.py for why."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from smartbind_pipelines.core.cdmx import parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.odata import is_guid

_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def is_unstamped(invoice: Mapping[str, Any]) -> bool:
    """Bind sends a null or all-zero UUID until the SAT stamps the invoice."""
    uuid = invoice.get("UUID")
    return not uuid or str(uuid).strip().lower() in ("", _NIL_UUID)


def drafts_to_follow(invoices: Iterable[Mapping[str, Any]], *, created_after: datetime) -> list[str]:
    """Bind ids of unstamped invoices created after ``created_after`` (older drafts are let go).

    A draft whose date cannot be read is kept: following it costs one id in a filter, losing it an
    invoice.
    """
    follow = []
    for invoice in invoices:
        if not is_unstamped(invoice) or not invoice.get("ID"):
            continue
        try:
            created = parse_bind_datetime(str(invoice.get("Date")))
        except ValueError:
            created = None
        if created is None or created >= to_cdmx(created_after):
            follow.append(str(invoice["ID"]))
    return sorted(set(follow))


def unique_by_id(invoices: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Invoices once each, by Bind id, the last copy winning (the by-id re-read is the newest)."""
    by_id: dict[str, dict[str, Any]] = {}
    anonymous = []
    for invoice in invoices:
        if invoice.get("ID"):
            by_id.pop(str(invoice["ID"]), None)
            by_id[str(invoice["ID"])] = dict(invoice)
        else:
            anonymous.append(dict(invoice))
    return [*by_id.values(), *anonymous]


def followable(draft_ids: Iterable[str]) -> list[str]:
    """The remembered draft ids that can be asked for by id: GUIDs only. Anything else (a broken or hostile
    Bind record) would be refused by the filter builder and fail every later run; it is dropped instead."""
    return [draft_id for draft_id in draft_ids if is_guid(str(draft_id))]
