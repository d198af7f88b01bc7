"""sync_invoices and reconcile_invoices end to end: real Bind client and smartsheet SDK over HTTP against
the emulators, the real job definitions, a real (temporary) Dagster instance holding the watermark."""

import uuid
from collections import Counter
from datetime import datetime, timedelta

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime

from .harness import checks, failure_text, metadata, stamped

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
MONTH_HOURS = 31 * 24


def add(sync, when: datetime, *, draft: bool = False, **fields) -> dict:
    """An invoice in the Bind emulator dated ``when`` (Mexico City); stamped unless ``draft``."""
    fields.setdefault("UUID", None if draft else str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), **fields)


def writes(counts: dict) -> int:
    return sum(n for endpoint, n in counts.items() if endpoint.split(" ")[0] in ("POST", "PUT", "DELETE"))


# -- first sync, re-run, changes ----------------------------------------------------------------


def test_first_sync_writes_250_invoices_read_over_three_bind_pages(demo_sync):
    invoices = demo_sync.bind.state.list_invoices()
    assert len(invoices) == 250
    result = demo_sync.run(lookback_hours=MONTH_HOURS)
    assert result.success, failure_text(result)

    expected = sorted(invoice["UUID"] for invoice in stamped(invoices))
    assert sorted(demo_sync.uuids()) == expected  # every stamped invoice, each once
    written = metadata(result)
    assert written["inserted"] == len(expected) and written["updated"] == 0 and written["failed"] == 0
    assert written["fetched"] == 250 and written["skipped"] == 250 - len(expected) > 0  # the drafts
    source = metadata(result, "bind_invoices")
    assert source["bind_requests_by_endpoint"]["GET /Invoices"] >= 3
    assert written["sheet_id"] == str(demo_sync.sheet_id) and written["sheet_name"] == "Registros Facturas Bind"
    assert all(evaluation.passed for evaluation in checks(result).values()) and len(checks(result)) == 2

    by_uuid = {row["UUID"]: row for row in demo_sync.rows()}
    sample = stamped(invoices)[0]
    assert by_uuid[sample["UUID"]]["Total"] == sample["Total"]
    assert by_uuid[sample["UUID"]]["Estado"] == {0: "Vigente", 1: "Pagada", 2: "Cancelada"}[sample["Status"]]


def test_a_rerun_with_nothing_new_sends_zero_writes(demo_sync):
    assert demo_sync.run(lookback_hours=MONTH_HOURS).success
    demo_sync.smartsheet.admin.reset_requests()

    again = demo_sync.run(window={"window_start": "2000-01-01"})  # re-read everything
    assert again.success
    assert writes(demo_sync.smartsheet.admin.counts()) == 0
    written = metadata(again)
    assert (written["inserted"], written["updated"], written["smartsheet_writes"]) == (0, 0, 0)
    assert written["unchanged"] == len(demo_sync.rows())


def test_a_status_change_and_a_new_invoice_give_one_update_and_one_add(empty_sync):
    recent = add(empty_sync, T0 - timedelta(minutes=4), Status=0)
    add(empty_sync, T0 - timedelta(hours=2))
    assert empty_sync.run(T0).success

    empty_sync.bind.state.pay_invoice(recent["ID"])  # Date unchanged, still inside the overlap
    new = add(empty_sync, T0 + timedelta(minutes=1))
    empty_sync.smartsheet.admin.reset_requests()
    result = empty_sync.run(T0 + timedelta(minutes=2))

    written = metadata(result)
    assert (written["inserted"], written["updated"], written["unchanged"]) == (1, 1, 0)
    counts = empty_sync.smartsheet.admin.counts()
    assert counts.get("POST /2.0/sheets/{id}/rows") == 1 and counts.get("PUT /2.0/sheets/{id}/rows") == 1
    assert "Vigente → Pagada" in written["changes"] and new["UUID"] in written["changes"]
    assert {row["UUID"]: row["Estado"] for row in empty_sync.rows()}[recent["UUID"]] == "Pagada"


def test_the_nightly_reconcile_applies_a_late_payment_the_window_cannot_see(empty_sync):
    # The regular sync follows open invoices open_horizon_days back (test_changes.py); one older than that
    # is the reconcile's (35 days).
    old = add(empty_sync, T0 - timedelta(days=20))
    backfill = {"window_start": (T0 - timedelta(days=30)).isoformat()[:19], "window_end": T0.isoformat()[:19]}
    assert empty_sync.run(T0, window=backfill).success and len(empty_sync.rows()) == 1
    assert empty_sync.run(T0 + timedelta(minutes=1), open_horizon_days=10).success
    empty_sync.bind.state.pay_invoice(old["ID"])

    regular = empty_sync.run(T0 + timedelta(minutes=5), open_horizon_days=10)
    assert metadata(regular)["updated"] == 0  # 20 days old: outside the regular window and the open horizon

    reconcile = empty_sync.run(T0 + timedelta(hours=14), job="reconcile_invoices")
    assert reconcile.success and reconcile.dagster_run.tags["process"] == "sync_invoices"
    written = metadata(reconcile)
    assert written["mode"] == "reconcile" and written["updated"] == 1
    assert "Vigente → Pagada" in written["changes"]
    assert (
        metadata(reconcile, "bind_invoices")["window_start"]
        == (T0 + timedelta(hours=14) - timedelta(days=35)).isoformat()
    )
    # The reconcile does not move the watermark: the next regular run continues from T0 + 5 min.
    assert written["watermark"] == metadata(regular)["watermark"] == (T0 + timedelta(minutes=5)).isoformat()


# -- no loss: watermark, outage, backfill, drafts --------------------------------------------------


def test_six_hours_down_while_invoices_keep_arriving_then_caught_up_none_lost_none_doubled(empty_sync):
    before = [add(empty_sync, T0 - timedelta(minutes=m)) for m in (30, 15, 1)]
    first = empty_sync.run(T0)
    assert first.success and metadata(first)["watermark"] == T0.isoformat()

    # Dagster is down for six hours; Bind keeps taking invoices, some committed just behind "now".
    during = [add(empty_sync, T0 + timedelta(minutes=m)) for m in range(0, 360, 20)]
    # Halfway through, Bind itself fails every request: that run fails and must not move the watermark.
    empty_sync.bind.admin.inject("unavailable", path="/api/Invoices", count=50)
    failed = empty_sync.run(T0 + timedelta(hours=3))
    assert not failed.success and "Bind ERP request failed" in failure_text(failed)
    empty_sync.bind.admin.clear_faults()

    back = empty_sync.run(T0 + timedelta(hours=6))
    assert back.success, failure_text(back)
    source = metadata(back, "bind_invoices")
    assert source["window_start"] == (T0 - timedelta(minutes=10)).isoformat()  # from the last good watermark
    expected = sorted(invoice["UUID"] for invoice in before + during)
    assert sorted(empty_sync.uuids()) == expected
    assert max(Counter(empty_sync.uuids()).values()) == 1
    assert metadata(back)["watermark"] == (T0 + timedelta(hours=6)).isoformat()


def test_a_backfill_writes_its_range_and_leaves_the_watermark(empty_sync):
    old = [add(empty_sync, T0 - timedelta(days=d)) for d in (15, 12)]
    recent = add(empty_sync, T0 - timedelta(minutes=5))
    assert empty_sync.run(T0).success
    assert empty_sync.uuids() == [recent["UUID"]]

    backfill = empty_sync.run(
        T0 + timedelta(minutes=30), window={"window_start": "2026-02-20", "window_end": "2026-02-28"}
    )
    written = metadata(backfill)
    assert written["mode"] == "backfill" and written["inserted"] == 2
    assert (
        written["window_start"] == "2026-02-20T00:00:00-06:00" and written["window_end"] == "2026-03-01T00:00:00-06:00"
    )
    assert written["watermark"] == T0.isoformat()
    assert sorted(empty_sync.uuids()) == sorted(i["UUID"] for i in [*old, recent])

    after = empty_sync.run(T0 + timedelta(minutes=40))
    assert metadata(after, "bind_invoices")["window_start"] == (T0 - timedelta(minutes=10)).isoformat()


def test_a_draft_stamped_an_hour_later_arrives_without_waiting_for_the_reconcile(empty_sync):
    draft = add(empty_sync, T0 - timedelta(minutes=30), draft=True)
    first = empty_sync.run(T0)
    source = metadata(first, "bind_invoices")
    assert source["skipped"] == 1 and source["pending_draft_ids"] == [draft["ID"]]
    assert empty_sync.rows() == []

    empty_sync.bind.state.stamp_invoice(draft["ID"])  # Date stays T0 - 30 min, outside the next window
    later = empty_sync.run(T0 + timedelta(hours=1))
    assert later.success
    stamped_now = empty_sync.bind.state.get_invoice(draft["ID"])
    assert empty_sync.uuids() == [stamped_now["UUID"]]
    source = metadata(later, "bind_invoices")
    assert source["drafts_followed"] == 1 and source["drafts_stamped_since"] == 1
    assert metadata(later)["pending_draft_ids"] == []


def test_invoices_at_23_59_and_00_01_mexico_city_land_on_their_own_day(empty_sync):
    late = add(empty_sync, datetime(2026, 3, 9, 23, 59, 30, tzinfo=CDMX))
    early = add(empty_sync, datetime(2026, 3, 10, 0, 1, tzinfo=CDMX))
    assert empty_sync.run(T0).success
    fecha = {row["UUID"]: row["Fecha"] for row in empty_sync.rows()}
    assert fecha == {late["UUID"]: "2026-03-09", early["UUID"]: "2026-03-10"}


def test_a_dry_run_writes_nothing_reports_the_plan_and_keeps_the_watermark(empty_sync):
    add(empty_sync, T0 - timedelta(minutes=5))
    empty_sync.smartsheet.admin.reset_requests()
    result = empty_sync.run(T0, dry_run=True)
    assert result.success
    written = metadata(result)
    assert written["dry_run"] is True and written["planned_inserts"] == 1 and written["inserted"] == 0
    assert "watermark" not in written and empty_sync.rows() == []
    assert writes(empty_sync.smartsheet.admin.counts()) == 0
    assert all(evaluation.passed for evaluation in checks(result).values())
    # The next real run still starts from the lookback, as if the dry run never happened.
    real = empty_sync.run(T0 + timedelta(minutes=1))
    assert (
        metadata(real, "bind_invoices")["window_start"] == (T0 + timedelta(minutes=1) - timedelta(hours=24)).isoformat()
    )
