"""The harness end to end on a tiny family, no latency: changes, counts and the report (no timing)."""

from __future__ import annotations

import random

from smartbind_pipelines_tests.bench import bind_data
from smartbind_pipelines_tests.bench.report import RunInfo, render
from smartbind_pipelines_tests.bench.results import FIRST_SYNC, ONE_PERCENT, UNCHANGED, NaiveFigure
from smartbind_pipelines_tests.bench.scenarios import (
    BenchOptions,
    attach_naive,
    changed_count,
    invoice_family,
    run_family,
)


def test_changed_count_is_one_percent_rounded_up_and_never_zero():
    assert [changed_count(n) for n in (1, 99, 100, 101, 1_000, 18_812)] == [1, 1, 1, 2, 10, 189]


def test_each_invoice_change_changes_a_mapped_value():
    state = bind_data.empty_state(seed=3)
    bind_data.load_invoices(state, 60)
    before = {invoice["ID"]: invoice for invoice in state.list_invoices()}

    changed = bind_data.change_invoices(state, 12, random.Random(1))

    after = {invoice["ID"]: invoice for invoice in state.list_invoices()}
    differing = [
        i for i in before if (before[i]["Status"], before[i]["Total"]) != (after[i]["Status"], after[i]["Total"])
    ]
    assert changed == 12 and len(differing) == 12
    assert all(before[i]["UUID"] for i in differing)  # drafts are not in the sheet: never chosen


def test_inventory_puts_each_product_in_stock_in_exactly_one_warehouse():
    state = bind_data.empty_state(seed=3)
    bind_data.load_inventory(state, 31, random.Random(1))
    assert sorted(bind_data.inventory_rows_per_warehouse(state)) == [10, 10, 11]
    before = {(w, row["ProductID"]): row["CurrentInventory"] for w, row in bind_data.in_stock_rows(state)}

    assert bind_data.change_stock(state, 4, random.Random(2)) == 4

    after = {(w, row["ProductID"]): row["CurrentInventory"] for w, row in bind_data.in_stock_rows(state)}
    assert after.keys() == before.keys()  # still in stock: a change, not a removal
    assert sum(1 for key in before if before[key] != after[key]) == 4


def test_a_tiny_invoice_family_runs_its_three_cases_and_renders():
    options = BenchOptions(latency_ms=0, seed=11)
    rows = run_family(invoice_family(), 150, options)

    assert [row.case for row in rows] == [FIRST_SYNC, ONE_PERCENT, UNCHANGED]
    first, changed, unchanged = rows
    assert first.expected_adds == first.engine["records"] == first.engine["inserted"] > 0
    assert changed.expected_updates == 2 == changed.engine["updated"]
    assert unchanged.expected_adds == unchanged.expected_updates == 0
    # requests come from the emulators' logs, per endpoint, and agree with what the clients counted
    assert first.bind_counts == {"GET /api/Invoices": 2}
    assert first.engine["bind_requests_seen_by_client"] == {"GET /Invoices": 2}
    assert first.sheet_counts["POST /2.0/sheets/{id}/rows"] == 1
    assert all(row.peak_rss_mb > 0 and row.cpu_s > 0 for row in rows)

    attach_naive(
        rows,
        {
            case: (NaiveFigure(requests=300, wall_s=30.0, measured_n=100), 94)
            for case in (FIRST_SYNC, ONE_PERCENT, UNCHANGED)
        },
    )
    assert rows[0].naive.extrapolated and rows[0].naive.wall_s == 45.0
    text = render(
        rows,
        RunInfo(started=bind_data.INVOICE_WINDOW[0], latency_ms=0, quick=True, naive_n=100, inventory_source="test"),
    )
    assert text.count("| invoices: ") == 3
    assert "(extrapolated)" in text
