"""What bind_invoices hands to smartsheet_invoices: the rows and everything the sync state needs (pure).

The sheet asset takes the window, the drafts and the ids this read looked at from this one stored object,
never from the event log of whichever run, so a re-execution records exactly the state of the read it
writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .changes import FollowedSet
from .window import SyncWindow


@dataclass(frozen=True)
class InvoiceRead:
    run_id: str  # the run that read Bind
    frame: pd.DataFrame  # invoice_batch's frame: the sheet columns + "Bind ID" + "Date"
    window: SyncWindow
    pending_draft_ids: tuple[str, ...] = ()  # unstamped drafts among what was read: follow them
    looked_at_ids: tuple[str, ...] = ()  # every Bind id read or asked for by id in this run
    source: dict[str, Any] = field(default_factory=dict)  # counts shown on the sheet asset too
    followed: FollowedSet | None = None  # a regular run's read of the followed set (changes.py)

    def bind_ids_of(self, uuids: set[str]) -> list[str]:
        """The Bind ids of the rows with these UUIDs."""
        rows = self.frame[self.frame["UUID"].isin(uuids)]
        return sorted({str(bind_id) for bind_id in rows["Bind ID"] if bind_id is not None and str(bind_id)})
