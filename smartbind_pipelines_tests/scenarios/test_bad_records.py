"""Bad records from Bind in the middle of a day: each handled as docs/sync-engine.md says, counted, the rest synced.

Most arrive through the Bind emulator's admin API (``POST /_sandbox/invoices``). Bind's admin types
every field, so a non-numeric Total or a date in another format cannot be stored there; those are
served by a ``custom`` fault on ``GET /api/Invoices`` whose page holds Bind's real invoices plus them.
"""

from datetime import datetime, timedelta, timezone

from smartbind_pipelines_tests.defs.invoices.harness import failure_text

from .driver import sheet_metadata, source_metadata


def served_page(day, extra: list[dict]) -> dict:
    """Bind's own page (oldest first), then the odd records: what a custom fault answers."""
    invoices = sorted(day.bind.state.list_invoices(), key=lambda invoice: invoice["Date"])
    rows = [*invoices, *extra]
    return {"value": rows, "nextLink": None, "count": len(rows)}


def odd_invoice(day, number: int, **fields) -> dict:
    base = dict(day.bind.state.list_invoices()[0])
    base.update(
        ID=f"0b0b0b0b-0000-4000-8000-{number:012d}", Number=number, UUID=f"0c0c0c0c-0000-4000-8000-{number:012d}"
    )
    base.update(fields)
    return base


def test_bad_records_are_each_handled_counted_and_the_rest_synced(day):
    day.trade(ticks=1)

    # Through Bind's admin API, as Bind itself would store them.
    draft = day.draft()
    older = day.sell(1, Subtotal=100.0)[0]
    day.advance(1)
    twin = day.add_invoice({"UUID": older["UUID"], "Subtotal": 900.0}, seconds_ago=1)  # same UUID, another invoice
    no_client = day.sell(1, ClientName=None, RFC=None)[0]
    long_name = day.sell(1, ClientName="Constructora " + "Ñ" * 4_987)[0]
    odd_status = day.sell(1, Status=7)[0]
    normal = day.sell(4)

    # Served as Bind could send them, though its admin API cannot store them.
    utc_evening = datetime(2026, 3, 11, 5, 30, tzinfo=timezone.utc)  # 23:30 on the 10th in Mexico City
    day_first = odd_invoice(day, 9001, Date="10/03/2026 09:20")
    ms_json = odd_invoice(
        day, 9002, Date=f"/Date({int(datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc).timestamp() * 1000)})/"
    )
    with_z = odd_invoice(day, 9003, Date=utc_evening.isoformat().replace("+00:00", "Z"))
    date_only = odd_invoice(day, 9004, Date="2026-03-10")
    not_a_number = odd_invoice(day, 9005, Total="12,500.00 MXN")
    unreadable_date = odd_invoice(day, 9006, Date="mañana")
    extras = [day_first, ms_json, with_z, date_only, not_a_number, unreadable_date]
    day.inject("bind", "custom", "/api/Invoices$", method="GET", count=1, status=200, body=served_page(day, extras))
    day.served_extra += [day_first, ms_json, with_z, date_only, not_a_number]  # Bind "holds" these
    day.figures.incident("bad records from Bind", 5 + 1 + len(extras))

    result = day.tick()
    assert result.success, failure_text(result)
    source = source_metadata(result)
    # skipped: the draft, the twin UUID, the Total that is not a number, the unreadable date
    assert source["skipped"] == 4, source["skipped_invoices"]
    reasons = str(source["skipped_invoices"])
    assert "no UUID" in reasons and "duplicate UUID" in reasons and "is not a number" in reasons
    assert "'mañana' is not a date" in reasons
    # adjusted: RFC and name written empty, the long name cut, the unknown status shown
    assert source["adjusted"] == 4
    assert sheet_metadata(result)["inserted"] == len(normal) + 4 + 4  # 4 odd dates, 4 adjusted invoices

    rows = {row["UUID"]: row for row in day.sheet_rows()}
    assert rows[older["UUID"]]["Total"] == older["Total"] != twin["Total"]  # the first one read wins
    assert rows[no_client["UUID"]].get("Nombre Cliente") in (None, "") and rows[no_client["UUID"]].get(
        "RFC Cliente"
    ) in (None, "")
    assert len(rows[long_name["UUID"]]["Nombre Cliente"]) == 4_000
    assert rows[odd_status["UUID"]]["Estado"] == "Desconocido (7)"
    assert rows[day_first["UUID"]]["Fecha"] == "2026-03-10"
    assert rows[ms_json["UUID"]]["Fecha"] == "2026-03-10"
    assert rows[with_z["UUID"]]["Fecha"] == "2026-03-10"  # 05:30 UTC on the 11th is still the 10th here
    assert rows[date_only["UUID"]]["Fecha"] == "2026-03-10"
    assert not_a_number["UUID"] not in rows and unreadable_date["UUID"] not in rows

    # The draft is stamped after lunch: it is written on the next interval, though its Date is old.
    day.advance(180)
    day.stamp(draft)
    stamped = day.tick()
    assert stamped.success, failure_text(stamped)
    assert source_metadata(stamped)["drafts_stamped_since"] == 1
    day.trade(ticks=1)
    day.close_of_day()
    outcome = day.assert_sheet_equals_bind(minimum=19)
    assert outcome.checked == len(day.bind.state.list_invoices()) - 1 + 4  # twin shares a UUID; 4 served


def test_a_bad_record_leaves_the_window_retryable_not_lost(day):
    """A Total Bind sends as text today and as a number tomorrow: skipped, listed, then written by the reconcile."""
    day.trade(ticks=1)
    fixed_later = day.sell(1)[0]
    broken = dict(fixed_later, Total="N/D")
    day.inject(
        "bind",
        "custom",
        "/api/Invoices$",
        method="GET",
        count=1,
        status=200,
        body={"value": [broken], "nextLink": None, "count": 1},
    )
    result = day.tick()
    assert result.success, failure_text(result)
    assert source_metadata(result)["skipped"] == 1 and "'N/D' is not a number" in str(
        source_metadata(result)["skipped_invoices"]
    )
    assert fixed_later["UUID"] not in {row["UUID"] for row in day.sheet_rows()}
    day.figures.incident("bad records from Bind")
    day.close_of_day()  # Bind answers properly again: the nightly reconcile writes it
    day.assert_sheet_equals_bind(since=day.now - timedelta(days=2))
