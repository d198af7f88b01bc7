"""Drafts followed by id until Bind stamps or deletes them, however long that takes (issue 14, defect 8)."""

import uuid
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime

from .harness import failure_text, metadata

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)


def add(sync, when: datetime, *, draft: bool = False) -> dict:
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), UUID=None if draft else str(uuid.uuid4()))


def test_a_draft_stamped_after_weeks_is_written_by_the_regular_sync(empty_sync):
    draft = add(empty_sync, T0 - timedelta(minutes=30), draft=True)
    first = empty_sync.run(T0)
    assert first.success and metadata(first)["pending_draft_ids"] == [draft["ID"]]

    # Weeks pass; the regular sync keeps running; the draft sits unstamped in Bind past every window.
    for days in (10, 30, 36, 50):
        later = empty_sync.run(T0 + timedelta(days=days))
        assert later.success, failure_text(later)
        assert metadata(later)["pending_draft_ids"] == [draft["ID"]], f"let go after {days} days"
    reconcile = empty_sync.run(T0 + timedelta(days=50, hours=1), job="reconcile_invoices")
    assert reconcile.success and empty_sync.rows() == []  # 35 days back: the reconcile never sees it

    stamped = empty_sync.bind.state.stamp_invoice(draft["ID"])
    regular = empty_sync.run(T0 + timedelta(days=50, hours=2))
    assert regular.success, failure_text(regular)
    assert empty_sync.uuids() == [stamped["UUID"]]
    assert metadata(regular, "bind_invoices")["drafts_stamped_since"] == 1
    assert metadata(regular)["pending_draft_ids"] == []
