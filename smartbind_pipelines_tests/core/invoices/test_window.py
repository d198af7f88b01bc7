"""The window a run reads: pure, no Dagster."""

from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.invoices.window import (
    BACKFILL,
    INCREMENTAL,
    RECONCILE,
    parse_window_bound,
    plan_window,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
TEN_MIN = timedelta(minutes=10)
DAY = timedelta(days=1)


def test_first_run_reads_the_lookback():
    window = plan_window(NOW, watermark=None, overlap=TEN_MIN, lookback=DAY)
    assert (window.start, window.end, window.mode) == (NOW - DAY, NOW, INCREMENTAL)
    assert window.advances_watermark


def test_next_run_starts_at_the_watermark_minus_the_overlap():
    mark = NOW - timedelta(minutes=2)
    window = plan_window(NOW, watermark=mark, overlap=TEN_MIN, lookback=DAY)
    assert window.start == mark - TEN_MIN and window.end == NOW


def test_after_a_six_hour_outage_the_window_spans_the_whole_gap():
    mark = NOW - timedelta(hours=6)
    window = plan_window(NOW, watermark=mark, overlap=TEN_MIN, lookback=DAY)
    assert window.start == mark - TEN_MIN and window.end - window.start == timedelta(hours=6, minutes=10)


def test_a_watermark_ahead_of_the_clock_still_gives_a_window():
    window = plan_window(NOW, watermark=NOW + timedelta(hours=1), overlap=TEN_MIN, lookback=DAY)
    assert window.start == NOW - TEN_MIN and window.end == NOW


def test_backfill_uses_the_given_range_and_does_not_advance():
    start, end = NOW - timedelta(days=40), NOW - timedelta(days=30)
    window = plan_window(NOW, watermark=NOW, overlap=TEN_MIN, lookback=DAY, start=start, end=end)
    assert (window.start, window.end, window.mode) == (start, end, BACKFILL)
    assert not window.advances_watermark


def test_backfill_without_end_runs_to_now():
    window = plan_window(NOW, watermark=None, overlap=TEN_MIN, lookback=DAY, start=NOW - DAY)
    assert window.end == NOW and window.mode == BACKFILL


def test_backfill_rejects_an_inverted_range_and_an_end_alone():
    with pytest.raises(ValueError, match="must be before"):
        plan_window(NOW, watermark=None, overlap=TEN_MIN, lookback=DAY, start=NOW, end=NOW - DAY)
    with pytest.raises(ValueError, match="window_start is required"):
        plan_window(NOW, watermark=None, overlap=TEN_MIN, lookback=DAY, end=NOW)


def test_reconcile_reads_the_last_n_days_and_does_not_advance():
    window = plan_window(NOW, watermark=NOW, overlap=TEN_MIN, lookback=DAY, reconcile_days=35)
    assert (window.start, window.end, window.mode) == (NOW - timedelta(days=35), NOW, RECONCILE)
    assert not window.advances_watermark
    with pytest.raises(ValueError, match="at least 1"):
        plan_window(NOW, watermark=None, overlap=TEN_MIN, lookback=DAY, reconcile_days=0)


def test_a_bare_date_covers_the_whole_mexico_city_day():
    assert parse_window_bound("2026-01-31", field="window_start", is_end=False) == datetime(2026, 1, 31, tzinfo=CDMX)
    assert parse_window_bound("2026-01-31", field="window_end", is_end=True) == datetime(2026, 2, 1, tzinfo=CDMX)
    assert parse_window_bound("2026-01-31T08:30:00", field="window_end", is_end=True) == datetime(
        2026, 1, 31, 8, 30, tzinfo=CDMX
    )


def test_a_bad_bound_names_the_field():
    with pytest.raises(ValueError, match="window_end: '31/01/2026'"):
        parse_window_bound("31/01/2026", field="window_end", is_end=True)
