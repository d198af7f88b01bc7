"""The sensor's reasoning, without Dagster."""

from datetime import datetime, timedelta

from smartbind_pipelines.core.cadence import RunSummary, decide_run
from smartbind_pipelines.core.cdmx import CDMX

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)


def decide(**overrides):
    arguments = dict(
        found=True, is_active=True, sheet_id="123", interval_minutes=2, now=NOW, last_run=None, in_flight=[]
    )
    arguments.update(overrides)
    return decide_run("sync_invoices", **arguments)


def run(minutes_ago: float, status: str = "SUCCESS", run_id: str = "abcdef0123456789") -> RunSummary:
    return RunSummary(run_id, "sync_invoices", status, NOW - timedelta(minutes=minutes_ago))


def test_first_run_is_requested():
    decision = decide()
    assert decision.should_run and "first run" in decision.reason


def test_missing_row_inactive_and_no_sheet_skip_with_their_reason():
    assert "no ProcessConfig row" in decide(found=False).reason
    paused = decide(is_active=False)
    assert not paused.should_run and "paused" in paused.reason and "is_active" in paused.reason
    assert "no Smartsheet sheet id" in decide(sheet_id="").reason


def test_not_due_until_the_interval_has_passed_since_the_last_run_started():
    early = decide(last_run=run(minutes_ago=1.5))
    assert not early.should_run
    assert "not due" in early.reason and "every 2 min" in early.reason and "12:00:30" in early.reason
    assert decide(last_run=run(minutes_ago=2)).should_run


def test_a_changed_interval_applies_to_the_next_decision():
    last = run(minutes_ago=3)
    assert not decide(last_run=last, interval_minutes=5).should_run
    assert decide(last_run=last, interval_minutes=2).should_run


def test_a_run_in_flight_blocks_even_when_due():
    decision = decide(last_run=run(minutes_ago=30), in_flight=[run(minutes_ago=30, status="QUEUED")])
    assert not decision.should_run and "abcdef01 is still QUEUED" in decision.reason


def test_paused_wins_over_everything():
    decision = decide(is_active=False, in_flight=[run(1, "STARTED")], last_run=run(100))
    assert "paused" in decision.reason
