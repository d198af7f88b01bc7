"""Issue 16, points 1-3: every kind of change in the sheet after one regular run; a quiet interval costs
one look at Bind and launches nothing; the checks read only the rows the run wrote.

Real HTTP against both emulators, the real jobs on a test instance, the real sensor through
build_sensor_context; request counts come from the emulators' own request logs.
"""

import uuid
from datetime import timedelta

import dagster as dg

from smartbind_pipelines.core.cdmx import format_bind_datetime, now_cdmx
from smartbind_pipelines.defs.invoices import sync_invoices_sensor
from smartbind_pipelines.defs.resources import ClockResource

from .harness import checks, metadata


def add(sync, when, *, draft=False, **fields):
    fields.setdefault("UUID", None if draft else str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), **fields)


def by_folio(sync) -> dict:
    return {int(str(row["Folio"]).rsplit("-", 1)[-1]): row for row in sync.rows()}  # "FAC-1001"


def tick(sync, now, cursor=None):
    resources = sync.resources(None)
    resources["clock"] = ClockResource(frozen_at=now.isoformat())
    with dg.build_sensor_context(instance=sync.instance, resources=resources, cursor=cursor) as context:
        return sync_invoices_sensor(context)


def bind_reads(sync) -> int:
    return sum(n for endpoint, n in sync.bind.admin.counts().items() if endpoint.startswith("GET"))


def smartsheet_requests(sync) -> int:
    return sum(sync.smartsheet.admin.counts().values())


def test_every_kind_of_change_reaches_the_sheet_after_one_regular_run(empty_sync):
    t0 = now_cdmx().replace(microsecond=0)
    to_pay = add(empty_sync, t0 - timedelta(days=20))
    to_cancel = add(empty_sync, t0 - timedelta(days=10))
    old_draft = add(empty_sync, t0 - timedelta(days=40), draft=True)  # older than the 35-day reconcile
    recent = add(empty_sync, t0 - timedelta(minutes=30))
    backfill = {
        "window_start": format_bind_datetime(t0 - timedelta(days=60))[:19],
        "window_end": format_bind_datetime(t0)[:19],
    }
    assert empty_sync.run(t0, window=backfill).success
    assert empty_sync.run(t0 + timedelta(minutes=1)).success  # the regular sync from now on
    before = by_folio(empty_sync)
    assert {before[i["Number"]]["Estado"] for i in (to_pay, to_cancel, recent)} == {"Vigente"}
    assert old_draft["Number"] not in before

    # Within one interval, in Bind:
    state = empty_sync.bind.state
    state.pay_invoice(to_pay["ID"])
    state.cancel_invoice(to_cancel["ID"])
    state.stamp_invoice(old_draft["ID"])
    new = add(empty_sync, t0 + timedelta(minutes=2))
    backdated = add(empty_sync, t0 - timedelta(hours=2))
    backdated_paid = add(empty_sync, t0 - timedelta(hours=2, minutes=5))
    state.pay_invoice(backdated_paid["ID"])
    backdated_old = add(empty_sync, t0 - timedelta(days=12))  # dated 12 days back, open

    run = empty_sync.run(t0 + timedelta(minutes=3))  # ONE regular run
    assert run.success
    after = by_folio(empty_sync)
    assert after[to_pay["Number"]]["Estado"] == "Pagada"
    assert after[to_cancel["Number"]]["Estado"] == "Cancelada"
    assert after[old_draft["Number"]]["UUID"] == state.get_invoice(old_draft["ID"])["UUID"]
    assert after[new["Number"]]["Estado"] == "Vigente"
    assert after[backdated["Number"]]["Estado"] == "Vigente"
    assert after[backdated_paid["Number"]]["Estado"] == "Pagada"
    assert after[backdated_old["Number"]]["Estado"] == "Vigente"
    assert after[recent["Number"]]["Estado"] == "Vigente"
    assert len(after) == len(empty_sync.rows()) == 8  # nothing doubled
    written = metadata(run)
    assert written["mode"] == "incremental" and written["inserted"] == 5 and written["updated"] == 2


def test_a_quiet_interval_costs_one_bind_request_no_smartsheet_request_and_launches_no_run(empty_sync):
    t0 = now_cdmx().replace(microsecond=0)
    for minutes in (50, 20, 5):
        add(empty_sync, t0 - timedelta(minutes=minutes))
    add(empty_sync, t0 - timedelta(days=3))
    add(empty_sync, t0 - timedelta(days=5), draft=True)
    assert empty_sync.run(t0).success
    runs = len(empty_sync.instance.get_runs())
    interval = int(empty_sync.process_config.store().get("sync_invoices").interval_minutes)

    empty_sync.bind.admin.reset_requests()
    empty_sync.smartsheet.admin.reset_requests()
    quiet = tick(empty_sync, t0 + timedelta(minutes=interval, seconds=30))
    assert isinstance(quiet, dg.SensorResult) and not quiet.run_requests
    assert bind_reads(empty_sync) == 1  # the followed set: 5 invoices, one page
    assert smartsheet_requests(empty_sync) == 0
    assert "nothing changed" in quiet.skip_reason.skip_message and "1 Bind request" in quiet.skip_reason.skip_message
    assert "5 invoices followed" in quiet.skip_reason.skip_message
    assert empty_sync.bind.token not in quiet.skip_reason.skip_message
    [observation] = quiet.asset_events  # keeps the sheet's freshness check green through quiet hours
    assert observation.asset_key == dg.AssetKey("smartsheet_invoices")

    # The next tick, 30 s later, does not ask Bind again: once per interval.
    again = tick(empty_sync, t0 + timedelta(minutes=interval, seconds=60), cursor=quiet.cursor)
    assert isinstance(again, dg.SkipReason) and "next look at" in again.skip_message
    assert bind_reads(empty_sync) == 1

    # A payment on the 3-day-old invoice: the next look requests the run, naming what changed.
    [old] = [
        i
        for i in empty_sync.bind.state.list_invoices()
        if i["Date"] < format_bind_datetime(t0 - timedelta(days=2)) and i["UUID"]
    ]
    empty_sync.bind.state.pay_invoice(old["ID"])
    changed = tick(empty_sync, t0 + timedelta(minutes=2 * interval, seconds=40), cursor=quiet.cursor)
    assert isinstance(changed, dg.RunRequest)
    assert "left the set" in changed.tags["change"]
    assert len(empty_sync.instance.get_runs()) == runs  # the sensor itself launched nothing
    assert smartsheet_requests(empty_sync) == 0


def test_the_checks_read_only_the_rows_the_run_wrote(empty_sync):
    t0 = now_cdmx().replace(microsecond=0)
    first = [add(empty_sync, t0 - timedelta(minutes=m)) for m in (40, 30, 20, 10)]
    assert empty_sync.run(t0).success
    empty_sync.bind.state.pay_invoice(first[0]["ID"])
    add(empty_sync, t0 + timedelta(minutes=1))

    empty_sync.smartsheet.admin.reset_requests()
    run = empty_sync.run(t0 + timedelta(minutes=2))
    assert run.success and metadata(run)["inserted"] == 1 and metadata(run)["updated"] == 1
    results = checks(run)
    assert all(evaluation.passed for evaluation in results.values())
    assert results["fetched_invoices_match_sheet"].metadata["invoices_checked"].value == 2
    # The write's own index read, then the checks' read of the two written rows by id (not the 5-row sheet).
    assert sheet_reads(empty_sync) == 2
    assert results["no_duplicate_uuid_in_sheet"].metadata["rows_read"].value == 2

    # A run that wrote nothing does not read the sheet a second time.
    empty_sync.smartsheet.admin.reset_requests()
    idle = empty_sync.run(t0 + timedelta(minutes=4))
    assert idle.success and metadata(idle)["smartsheet_writes"] == 0
    assert sheet_reads(empty_sync) == 1
    assert all(evaluation.passed for evaluation in checks(idle).values())


def sheet_reads(sync) -> int:
    return sum(
        n
        for endpoint, n in sync.smartsheet.admin.counts().items()
        if endpoint.startswith("GET") and endpoint.rstrip("/").endswith("sheets/{id}")
    )
