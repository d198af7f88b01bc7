"""Change detection for invoices: the set of invoices that can still change, followed by one Bind query.

Bind gives invoices no modification date (contract §2.3), so a payment, a cancellation or a stamp never
brings an old invoice into a date window. What the contract does show:

- ``$filter`` with OData v3 ``and``/``or``, ``Date ge datetime'…'`` on the list route [C] (S1 is an
  OData v3 API; ``Date`` filters are used by every working client [O]);
- ``Status eq 0`` selects the unpaid, uncancelled invoices ("Vigente") [O] (NestJS adapter; the meaning
  of the codes is only [O], weak): configurable as ``open_filter``;
- an unstamped draft has a null (or all-zero) ``UUID`` [O]; filtering on it with ``UUID eq null`` is
  OData v3 [I]: configurable as ``draft_filter``;
- a payment or cancellation changes ``Status`` and not ``Date`` [O]; a stamp sets ``UUID`` and keeps
  ``Date`` (S7) [O];
- an invoice may be dated in the past when it is created (backdated) [G].

So every regular run reads the **followed set**, one query:

    Date ge <recent_since>                       everything dated recently, in any status
    or (<open_filter> and Date ge <open_since>)  every open invoice of the horizon (open_horizon_days)
    or (<draft_filter>)                          every unstamped draft, whatever its age

and remembers each member's signature (a hash of the fields the sheet shows, plus Status). What changed
since the last run is then exact: a member whose signature differs (stamped, edited), a new member (a new
invoice, a backdated one, a new draft), and a member that left (paid or cancelled: it left the open set;
stamped: it left the drafts; deleted). Members that left are re-read by id. The sensor runs the same
query with the filter the last run recorded and compares signatures, so a quiet interval costs
``ceil(followed / 100)`` Bind requests and launches nothing.

Not seen until the nightly reconcile: an invoice backdated before ``recent_since`` **and** already paid or
cancelled when created; a payment on an invoice older than ``open_horizon_days``; an edit of a paid
invoice. Both horizons are configurable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Iterable, Mapping

from smartbind_pipelines.core.cdmx import CDMX, parse_bind_datetime, to_cdmx
from smartbind_pipelines.core.odata import datetime_literal

OPEN_FILTER = "Status eq 0"  # [O] Vigente
DRAFT_FILTER = "UUID eq null or UUID eq guid'00000000-0000-0000-0000-000000000000'"  # [I]/[O]
OPEN_HORIZON_DAYS = 90  # Bind's credit terms are often 60 days (ExpirationDate = Date + 60 in S7) [O]
BACKDATE_HOURS = 3.0  # an invoice dated back this far is seen in whatever status it is created [G]
# The fields a member's signature covers: what the sheet shows, and Status (Estado).
SIGNED = ("ID", "Serie", "Number", "Date", "UUID", "RFC", "ClientName", "Total", "Status")


def signature(invoice: Mapping[str, Any]) -> str:
    text = json.dumps([invoice.get(name) for name in SIGNED], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def members_of(rows: Iterable[Any]) -> dict[str, str]:
    return {str(row["ID"]): signature(row) for row in rows if isinstance(row, Mapping) and row.get("ID")}


def followed_filter(
    recent_since: datetime, open_since: datetime, open_filter: str = OPEN_FILTER, draft_filter: str = DRAFT_FILTER
) -> str:
    return (
        f"Date ge {datetime_literal(recent_since)} or (({open_filter}) and Date ge {datetime_literal(open_since)})"
        f" or ({draft_filter})"
    )


def open_since_for(now: datetime, horizon_days: float) -> datetime:
    """The start of the open horizon: midnight (Mexico City) ``horizon_days`` ago, so it moves once a day."""
    day = (to_cdmx(now) - timedelta(days=horizon_days)).date()
    return datetime.combine(day, time(0), tzinfo=CDMX)


@dataclass(frozen=True)
class FollowedSet:
    """The followed set as a run read it: the query (verbatim, so the sensor asks the same) and its members."""

    filter: str
    recent_since: datetime
    open_since: datetime
    read_at: datetime
    members: dict[str, str] = field(default_factory=dict)  # Bind id -> signature

    def to_json(self) -> dict[str, Any]:
        return {
            "filter": self.filter,
            "recent_since": to_cdmx(self.recent_since).isoformat(),
            "open_since": to_cdmx(self.open_since).isoformat(),
            "read_at": to_cdmx(self.read_at).isoformat(),
            "members": self.members,
        }

    @classmethod
    def from_json(cls, raw: Any) -> "FollowedSet | None":
        if isinstance(raw, str):
            raw = json.loads(raw) if raw else None
        if not isinstance(raw, Mapping) or not raw.get("filter"):
            return None
        return cls(
            str(raw["filter"]),
            parse_bind_datetime(raw["recent_since"]),
            parse_bind_datetime(raw["open_since"]),
            parse_bind_datetime(raw["read_at"]),
            {str(k): str(v) for k, v in (raw.get("members") or {}).items()},
        )


@dataclass(frozen=True)
class Difference:
    joined: tuple[str, ...] = ()  # new invoices, backdated ones, new drafts
    changed: tuple[str, ...] = ()  # stamped, edited (still in the set)
    left: tuple[str, ...] = ()  # paid, cancelled, stamped old drafts, deleted: re-read by id

    @property
    def quiet(self) -> bool:
        return not (self.joined or self.changed or self.left)

    def describe(self) -> str:
        parts = [
            f"{len(ids)} {what}"
            for ids, what in (
                (self.joined, "new"),
                (self.changed, "changed"),
                (self.left, "left the set (paid, cancelled or stamped)"),
            )
            if ids
        ]
        return ", ".join(parts) or "nothing changed"


def compare(previous: FollowedSet, rows: Iterable[Any]) -> Difference:
    now = members_of(rows)
    before = previous.members
    return Difference(
        joined=tuple(sorted(set(now) - set(before))),
        changed=tuple(sorted(bind_id for bind_id in now if bind_id in before and before[bind_id] != now[bind_id])),
        left=tuple(sorted(set(before) - set(now))),
    )
