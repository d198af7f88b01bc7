"""Run config an operator sees in the launchpad of sync_invoices and reconcile_invoices."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.invoices import DEFAULT_STATUS_LABELS
from smartbind_pipelines.core.invoices.followed import (
    BACKDATE_HOURS,
    DRAFT_FILTER,
    OPEN_FILTER,
    OPEN_HORIZON_DAYS,
    followed_filter,
    open_since_for,
)
from smartbind_pipelines.core.invoices.window import SyncWindow, parse_window_bound, plan_window
from smartbind_pipelines.core.processes import INVOICES

RECONCILE_DAYS_DEFAULT = 35


class InvoiceWindowConfig(dg.Config):
    """Which invoices bind_invoices reads. Leave everything empty for the regular sync."""

    window_start: str | None = Field(
        default=None,
        description=(
            "Backfill from this Mexico City date (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM:SS). "
            "A backfill never moves the watermark. Empty: continue from the watermark."
        ),
    )
    window_end: str | None = Field(
        default=None,
        description="Backfill up to this date (the whole day is included) or moment (excluded). Empty: now.",
    )
    reconcile_days: int | None = Field(
        default=None,
        description=f"Re-read the last N days instead of the window ({INVOICES.reconcile_job} sets {RECONCILE_DAYS_DEFAULT}).",
    )
    lookback_hours: float = Field(
        default=24.0, description="The very first run (no watermark yet) reads this far back."
    )
    overlap_minutes: float = Field(
        default=10.0, description="Each run re-reads this much before the watermark, for late commits in Bind."
    )
    open_horizon_days: float = Field(
        default=OPEN_HORIZON_DAYS,
        description=(
            "The regular sync follows every open invoice (open_filter) dated this far back: a payment or "
            "cancellation on one of them reaches the sheet at the next interval. Older ones: the nightly reconcile."
        ),
    )
    backdate_hours: float = Field(
        default=BACKDATE_HOURS,
        description=(
            "The regular sync also reads every invoice dated this far back, in any status, so an invoice "
            "dated in the past when created is seen even if it is already paid or cancelled."
        ),
    )
    open_filter: str = Field(
        default=OPEN_FILTER,
        description="Bind $filter of an open invoice (Status 0 = Vigente is only observed in third-party clients).",
    )
    draft_filter: str = Field(
        default=DRAFT_FILTER,
        description="Bind $filter of an unstamped draft (no UUID); drafts are followed whatever their age.",
    )
    status_labels: dict[str, str] = Field(
        default={str(code): label for code, label in DEFAULT_STATUS_LABELS.items()},
        description="Bind Status code -> Estado written to the sheet.",
    )

    def window(self, now: datetime, watermark: datetime | None) -> SyncWindow:
        start = parse_window_bound(self.window_start, field="window_start", is_end=False) if self.window_start else None
        end = parse_window_bound(self.window_end, field="window_end", is_end=True) if self.window_end else None
        return plan_window(
            now,
            watermark=watermark,
            overlap=timedelta(minutes=self.overlap_minutes),
            lookback=timedelta(hours=self.lookback_hours),
            start=start,
            end=end,
            reconcile_days=self.reconcile_days,
        )

    def followed_query(self, now: datetime, window: SyncWindow) -> tuple[str, datetime, datetime]:
        """The followed-set filter of a regular run, with its ``recent_since`` and ``open_since`` (core/invoices/followed.py)."""
        if self.open_horizon_days < 0 or self.backdate_hours < 0:
            raise ValueError("open_horizon_days and backdate_hours must not be negative")
        recent_since = min(window.start, now - timedelta(hours=self.backdate_hours))
        open_since = open_since_for(now, self.open_horizon_days)
        return followed_filter(recent_since, open_since, self.open_filter, self.draft_filter), recent_since, open_since

    def labels(self) -> dict[int, str]:
        try:
            return {int(code): label for code, label in self.status_labels.items()}
        except ValueError as exc:
            raise ValueError(f"status_labels: keys must be Bind Status codes (integers): {exc}") from exc


class SheetWriteConfig(dg.Config):
    """How smartsheet_invoices writes."""

    dry_run: bool = Field(
        default=False,
        description="Plan only: report what would be added and updated, write nothing, keep the watermark.",
    )
