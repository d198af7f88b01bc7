"""How a run moves the invoice sync state, and the state read back from materialization metadata."""

from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.invoices.state import PENDING_DRAFTS, WATERMARK, SyncState, next_state, state_from_history
from smartbind_pipelines.core.invoices.window import SyncWindow

T = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)


def test_no_history_means_no_watermark():
    assert state_from_history([]) == SyncState(None, ())


def test_the_watermark_is_the_latest_mark_even_if_an_older_one_was_written_last():
    newest_first = [
        {WATERMARK: (T - timedelta(hours=1)).isoformat(), PENDING_DRAFTS: ["b"]},  # a late backfill
        {WATERMARK: T.isoformat(), PENDING_DRAFTS: ["a"]},
        {"dry_run": True},
    ]
    state = state_from_history(newest_first)
    assert state.watermark == T and state.pending_draft_ids == ("b",)


def test_incremental_advances_backfill_and_reconcile_keep_the_mark():
    previous = SyncState(T, ("old",))
    later = T + timedelta(minutes=5)
    assert next_state(previous, SyncWindow(T, later, "incremental"), ["d"], ["old", "d"]) == SyncState(later, ("d",))
    assert next_state(previous, SyncWindow(T - timedelta(days=9), later, "backfill"), []).watermark == T
    assert next_state(previous, SyncWindow(T - timedelta(days=35), later, "reconcile"), []).watermark == T
    assert next_state(SyncState(), SyncWindow(T, later, "backfill"), []).watermark is None


def test_drafts_another_run_started_following_are_kept_by_a_run_that_did_not_look_at_them():
    # A re-execution writes a read older than the current state: it drops only the drafts it looked at.
    current = SyncState(T, ("looked-at-and-stamped", "found-later-by-another-run"))
    state = next_state(
        current,
        SyncWindow(T - timedelta(hours=1), T - timedelta(minutes=30), "incremental"),
        ["still-a-draft"],
        ["looked-at-and-stamped", "still-a-draft"],
    )
    assert state == SyncState(T, ("found-later-by-another-run", "still-a-draft"))


def test_refused_invoices_are_carried_until_a_run_that_looked_at_them_writes_them():
    previous = SyncState(T, (), ("refused-a", "refused-b"))
    window = SyncWindow(T, T + timedelta(minutes=5), "incremental")
    # This run re-read both; the sheet took "refused-a" and refused "refused-b" again, and a new one.
    state = next_state(previous, window, [], ["refused-a", "refused-b", "new"], ["refused-b", "new"])
    assert state == SyncState(T + timedelta(minutes=5), (), ("new", "refused-b"))
    # A run that did not look at them (an older read, re-executed) keeps them.
    assert next_state(previous, window, [], []).refused_ids == ("refused-a", "refused-b")


def test_state_recorded_before_refused_ids_existed_reads_as_none_refused():
    assert state_from_history([{WATERMARK: T.isoformat(), PENDING_DRAFTS: ["a"]}]) == SyncState(T, ("a",), ())
