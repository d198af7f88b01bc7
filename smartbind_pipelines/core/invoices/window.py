"""Which stretch of Bind's invoice dates a run reads (pure; no Dagster).

- incremental (the sensor's runs): [watermark - overlap, now]; the first run reads [now - lookback, now].
  The overlap re-reads invoices Bind committed late; the upsert makes re-reading harmless.
- backfill: an operator's explicit range; it never moves the watermark.
- reconcile: the last N days, to pick up status and amount changes on old invoices (Bind's ``Date`` is
  the creation date, so a payment or cancellation never brings an invoice back into a recent window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from smartbind_pipelines.core.cdmx import CDMX, parse_bind_datetime, to_cdmx

INCREMENTAL = "incremental"
BACKFILL = "backfill"
RECONCILE = "reconcile"


@dataclass(frozen=True)
class SyncWindow:
    start: datetime  # inclusive, aware Mexico City time
    end: datetime  # exclusive
    mode: str

    @property
    def advances_watermark(self) -> bool:
        # Only the regular sync moves the watermark: a backfill of March says nothing about April.
        return self.mode == INCREMENTAL


def parse_window_bound(text: str, *, field: str, is_end: bool) -> datetime:
    """A date or datetime from run config or the CLI, in Mexico City time.

    A bare date means the whole day: as a start its midnight, as an end the following midnight, so
    ``--from 2026-01-01 --to 2026-01-31`` covers all of January.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=CDMX)
            return moment + timedelta(days=1) if is_end else moment
        return parse_bind_datetime(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {text!r} is not a date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM:SS)") from exc


def plan_window(
    now: datetime,
    *,
    watermark: datetime | None,
    overlap: timedelta,
    lookback: timedelta,
    start: datetime | None = None,
    end: datetime | None = None,
    reconcile_days: int | None = None,
) -> SyncWindow:
    now = to_cdmx(now)
    if start is not None or end is not None:
        if start is None:
            raise ValueError("window_start is required when window_end is given")
        start, end = to_cdmx(start), to_cdmx(end) if end is not None else now
        if start >= end:
            raise ValueError(f"window_start {start.isoformat()} must be before window_end {end.isoformat()}")
        return SyncWindow(start, end, BACKFILL)
    if reconcile_days is not None:
        if reconcile_days < 1:
            raise ValueError(f"reconcile_days must be at least 1, not {reconcile_days}")
        return SyncWindow(now - timedelta(days=reconcile_days), now, RECONCILE)
    if watermark is None:
        return SyncWindow(now - lookback, now, INCREMENTAL)
    # A watermark ahead of the clock (clock moved back) still yields a non-empty window.
    return SyncWindow(min(to_cdmx(watermark), now) - overlap, now, INCREMENTAL)
