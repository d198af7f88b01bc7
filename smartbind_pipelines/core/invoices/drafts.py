"""Unstamped drafts: which invoices to follow by id, and how to read them back cheaply.

Bind sends an invoice without a UUID until the SAT stamps it. Bind's ``Date`` is the creation date and never
changes, so a draft stamped later would fall behind every window: each run follows the drafts it saw
(``drafts_to_follow``) until they are stamped or deleted, however long that takes (no age limit: the
reconcile reads 35 days back, so a draft given up on would never reach the sheet).

Drafts followed in bulk (issue 16, point 4): N followed drafts cost about ceil(N/100) Bind requests.

Until now every followed draft (an invoice seen without UUID) was re-read by id on every run, 25 ids per
``ID eq guid'…' or …`` filter: 575 drafts cost 23 requests a run. Instead, one paged query asks Bind for
**every unstamped invoice** (the *open draft set*):

    GET /Invoices?$filter=UUID eq null or UUID eq guid'00000000-0000-0000-0000-000000000000'

(optionally ``and Date ge <horizon>``), and only the followed ids that **left** that set (stamped,
deleted, or older than the horizon) are read by id. In the steady state nothing left the set and the
follow-up costs ceil(|set| / 100) requests: 575 drafts, 6 requests.

Evidence: ``$filter`` is a documented option [C]; OData v3 ``null`` and ``guid'…'`` literals and ``eq`` on
a GUID property are [I]/[O] (contract §2.6, §7.4); "unstamped = null or all-zero UUID" is [O] (S7). If a
real Bind refused the filter (400) the read fails naming it: set ``mode="by_id"`` (the old way) until it is
checked. Bind's set may hold unstamped invoices the pipeline never followed (abandoned drafts older than
its first sync): when the first page's ``count`` shows the set would cost more pages than reading the
followed ids by id, the read stops after that one page and reads by id instead, so the follow-up never
costs more than the by-id way plus one request. ``since`` (a horizon) narrows the set when the account
holds many old abandoned drafts; followed drafts older than it are then read by id.

Pure rules (``drafts_to_follow``, ``split_followed``...) plus one function that does the reads
(``follow_drafts``); no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from smartbind_pipelines.core.bind_client import GUID_CHUNK, PAGE_SIZE, BindApiError, BindClient
from smartbind_pipelines.core.odata import all_of, datetime_literal, is_guid

NIL_UUID = "00000000-0000-0000-0000-000000000000"
UNSTAMPED_FILTER = f"(UUID eq null or UUID eq guid'{NIL_UUID}')"
MODES = ("bulk", "by_id")


def is_unstamped(invoice: Mapping[str, Any]) -> bool:
    """Bind sends a null or all-zero UUID until the SAT stamps the invoice."""
    uuid = invoice.get("UUID")
    return not uuid or str(uuid).strip().lower() in ("", NIL_UUID)


def drafts_to_follow(invoices: Iterable[Any]) -> list[str]:
    """Bind ids of the unstamped invoices among ``invoices``, to re-read on the next run.

    Following one costs one id in a by-id filter (or nothing, while it stays in the open draft set).
    Items that are not invoice objects are left to ``invoice_batch``, which skips them with the reason.
    """
    return sorted(
        {
            str(invoice["ID"])
            for invoice in invoices
            if isinstance(invoice, Mapping) and is_unstamped(invoice) and invoice.get("ID")
        }
    )


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


def unstamped_filter(since: datetime | None = None) -> str:
    """The ``$filter`` of the open draft set, narrowed to ``Date >= since`` when a horizon is given."""
    return all_of(UNSTAMPED_FILTER, f"Date ge {datetime_literal(since)}" if since else None)


@dataclass(frozen=True)
class DraftSplit:
    still_unstamped: list[dict]  # the set's rows of followed ids: still drafts (nothing else to read)
    left: list[str]  # followed ids not in the set: stamped, deleted, or older than the horizon


def split_followed(followed_ids: Iterable[str], unstamped_rows: Iterable[Any]) -> DraftSplit:
    """Which followed drafts are still in the open set and which left it (pure).

    A row of the set that is not unstamped after all (a filter Bind ignored) does not count as in it:
    that id is read by id, so a stamped invoice is never mistaken for a draft."""
    in_set: dict[str, dict] = {}
    for row in unstamped_rows:
        if isinstance(row, Mapping) and row.get("ID") and is_unstamped(row):
            in_set[str(row["ID"]).lower()] = dict(row)
    still, left = [], []
    for draft_id in dict.fromkeys(str(value) for value in followed_ids):
        row = in_set.get(draft_id.lower())
        if row is not None:
            still.append(row)
        else:
            left.append(draft_id)
    return DraftSplit(still, left)


def bulk_is_cheaper(set_count: int, followed: int) -> bool:
    """True when reading the whole open set costs no more requests than reading the followed ids by id."""
    return -(-set_count // PAGE_SIZE) <= -(-followed // GUID_CHUNK)


@dataclass
class FollowedDrafts:
    rows: list[dict]  # list rows of every followed id Bind still has (drafts and newly stamped alike)
    strategy: str  # "none" | "bulk" | "by_id"
    set_size: int | None = None  # unstamped invoices Bind announced in the set (bulk only)
    left_set: list[str] = field(default_factory=list)  # followed ids read by id because they left the set
    bind_requests: int = 0

    def metadata(self) -> dict[str, Any]:
        return {
            "drafts_strategy": self.strategy,
            "drafts_open_set": self.set_size if self.set_size is not None else "",
            "drafts_left_set": len(self.left_set),
            "drafts_bind_requests": self.bind_requests,
        }


def follow_drafts(
    client: BindClient,
    followed_ids: Sequence[str],
    *,
    since: datetime | None = None,
    mode: str = "bulk",
    extra_ids: Sequence[str] = (),
) -> FollowedDrafts:
    """The current list rows of the followed drafts (and of ``extra_ids``, e.g. refused invoices to
    retry, always read by id), at about ceil(N/100) requests in bulk mode. Ids that are not GUIDs are
    ignored (they could not be asked for by id either). Raises BindApiError like every read."""
    if mode not in MODES:
        raise ValueError(f"drafts mode must be one of {', '.join(MODES)}, not {mode!r}")
    followed = [value for value in dict.fromkeys(map(str, followed_ids)) if is_guid(value)]
    extra = [value for value in dict.fromkeys(map(str, extra_ids)) if is_guid(value) and value not in followed]
    before = sum(client.request_counts.values())
    result = FollowedDrafts(rows=[], strategy="none")
    by_id: list[str] = list(extra)
    if followed and mode == "bulk":
        rows, set_size = _open_set(client, since, len(followed))
        result.set_size = set_size
        if rows is None:  # the set is larger than reading the followed ids by id: by id it is
            result.strategy = "by_id"
            by_id = [*followed, *extra]
        else:
            split = split_followed(followed, rows)
            result.strategy, result.rows, result.left_set = "bulk", split.still_unstamped, split.left
            by_id = [*split.left, *extra]
    elif followed:
        result.strategy = "by_id"
        by_id = [*followed, *extra]
    if by_id:
        result.rows += client.invoices_by_ids(by_id)
    result.bind_requests = sum(client.request_counts.values()) - before
    return result


def _open_set(client: BindClient, since: datetime | None, followed: int) -> tuple[list[dict] | None, int | None]:
    """Every unstamped invoice (the set), or None after its first page when the set costs more pages
    than the by-id reads would; with the count the first page announced. A set that moved while its
    pages were read (a draft stamped meanwhile) is read again once, as ``get_all`` does."""
    params = {"$filter": unstamped_filter(since)}
    pages = client.iter_pages("Invoices", params)
    rows: list[dict] = []
    announced: int | None = None
    try:
        for index, page in enumerate(pages):
            rows.extend(page)
            if index == 0:
                announced = client.last_count
                if announced is not None and not bulk_is_cheaper(announced, followed):
                    return None, announced
    except BindApiError as exc:
        if exc.status != 200 or announced is None:  # not a count mismatch: the read failed
            raise
        return client.get_all("Invoices", params), announced
    finally:
        pages.close()
    return rows, announced
