"""Unstamped drafts to follow by id (pure; no Dagster). See watermark.py for why."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from smartbind_pipelines.core.odata import is_guid

_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def is_unstamped(invoice: Mapping[str, Any]) -> bool:
    """Bind sends a null or all-zero UUID until the SAT stamps the invoice."""
    uuid = invoice.get("UUID")
    return not uuid or str(uuid).strip().lower() in ("", _NIL_UUID)


def drafts_to_follow(invoices: Iterable[Any]) -> list[str]:
    """Bind ids of the unstamped invoices among ``invoices``, to re-read by id on the next run.

    There is no age limit: a draft is followed until Bind stamps it (then it is written) or no longer
    returns it (deleted). Bind's ``Date`` is the creation date, so a draft stamped weeks later is outside
    every window and every reconcile; following it costs one id in a by-id filter per run.
    Items that are not invoice objects are left to ``invoice_batch``, which skips them with the reason.
    """
    return sorted({str(invoice["ID"]) for invoice in invoices
                   if isinstance(invoice, Mapping) and is_unstamped(invoice) and invoice.get("ID")})


def bind_ids(invoices: Iterable[Any]) -> set[str]:
    """The Bind ids of the invoice objects among ``invoices``."""
    return {str(invoice.get("ID")) for invoice in invoices if isinstance(invoice, Mapping) and invoice.get("ID")}


def unique_by_id(invoices: Iterable[Any]) -> list[Any]:
    """Invoices once each, by Bind id, the last copy winning (the by-id re-read is the newest).

    Items without an id, and items that are not objects, are kept as they are for ``invoice_batch``.
    """
    by_id: dict[str, dict[str, Any]] = {}
    anonymous = []
    for invoice in invoices:
        if isinstance(invoice, Mapping) and invoice.get("ID"):
            by_id.pop(str(invoice["ID"]), None)
            by_id[str(invoice["ID"])] = dict(invoice)
        else:
            anonymous.append(dict(invoice) if isinstance(invoice, Mapping) else invoice)
    return [*by_id.values(), *anonymous]


def followable(draft_ids: Iterable[str]) -> list[str]:
    """The remembered draft ids that can be asked for by id: GUIDs only. Anything else (a broken or hostile
    Bind record) would be refused by the filter builder and fail every later run; it is dropped instead."""
    return [draft_id for draft_id in draft_ids if is_guid(str(draft_id))]
