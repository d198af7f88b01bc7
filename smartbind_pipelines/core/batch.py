"""What a pull process's source asset hands to its sheet asset and checks: one typed batch for every process.

The source asset reads Bind once and returns a ``SourceBatch``; the sheet asset writes ``records`` and the
checks compare the sheet with them. Everything a later step needs travels here, never through run metadata
(which is for people): the invoices' window, the sync state the read started from, the drafts to follow,
the ids looked at, the followed set and the Bind id of each record; the inventory's warehouses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # annotations only: the batch itself imports no process
    from smartbind_pipelines.core.inventory import Warehouse
    from smartbind_pipelines.core.invoices.followed import FollowedSet
    from smartbind_pipelines.core.invoices.state import SyncState
    from smartbind_pipelines.core.invoices.window import SyncWindow


@dataclass(frozen=True)
class SourceBatch:
    records: list[dict[str, Any]]  # one sheet row each, by column title: exactly what the sheet asset writes
    # Rows that could not be written: "reason", after the fields that name the row (e.g. "bind_id", "number").
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # Rows written after a documented adjustment: the fields that name the row, "field" and "rule".
    adjusted: list[dict[str, Any]] = field(default_factory=list)
    fetched: int = 0  # rows Bind returned
    run_id: str = ""  # the run that read Bind (a re-execution writes its parent's read)
    requests: Mapping[str, int] = field(default_factory=dict)  # Bind HTTP attempts by endpoint
    bind_ids: Mapping[str, str] = field(default_factory=dict)  # record key (e.g. its UUID) -> Bind id
    # Invoices: what the run read and what its sync state becomes once the sheet accepted it.
    window: SyncWindow | None = None
    state_before: SyncState | None = None
    drafts_to_follow: tuple[str, ...] = ()  # unstamped drafts among what was read: re-read by id later
    looked_at_ids: tuple[str, ...] = ()  # every Bind id read or asked for by id in this run
    followed: FollowedSet | None = None  # a regular run's read of the followed set
    # Inventory: the synced warehouses (their names scope the stale rows; their ids find renames).
    warehouses: tuple[Warehouse, ...] = ()

    def bind_ids_of(self, keys: set[str]) -> list[str]:
        """The Bind ids of the records with these keys (those that have one)."""
        return sorted({self.bind_ids[key] for key in keys if self.bind_ids.get(key)})
