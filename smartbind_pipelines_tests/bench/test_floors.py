"""The floor formulas and target checks the benchmark table is judged by (pure; no timing)."""

from __future__ import annotations

import pytest

from smartbind_pipelines_tests.bench import floors
from smartbind_pipelines_tests.bench.results import FIRST_SYNC, UNCHANGED, NaiveFigure, ScenarioResult


@pytest.mark.parametrize(
    ("invoices", "expected"),
    [(0, 1), (1, 1), (100, 1), (101, 2), (1_000, 10), (10_000, 100), (20_000, 200), (19_999, 200)],
)
def test_bind_invoice_floor_is_pages_of_100_and_an_empty_window_still_costs_one(invoices, expected):
    assert floors.bind_invoice_floor(invoices) == expected


def test_bind_inventory_floor_adds_the_warehouse_listing_and_rounds_per_warehouse():
    # 6,667 + 6,667 + 6,666 rows: 67 + 67 + 67 pages, plus GET /Warehouses.
    assert floors.bind_inventory_floor([6_667, 6_667, 6_666]) == 1 + 67 + 67 + 67
    assert floors.bind_inventory_floor([0, 0, 0]) == 1 + 3


def test_smartsheet_floor_rounds_adds_and_updates_separately():
    floor = floors.smartsheet_floor(adds=501, updates=1)
    assert (floor.columns, floor.key_index_pages, floor.add_batches, floor.update_batches) == (1, 1, 2, 1)
    assert floor.total == 5
    assert floor.writes == 3


def test_smartsheet_floor_with_nothing_to_write_is_the_two_reads():
    floor = floors.smartsheet_floor(adds=0, updates=0)
    assert floor.total == 2 and floor.writes == 0


def test_first_sync_of_20000_invoices_floor():
    floor = floors.smartsheet_floor(adds=20_000, updates=0)
    assert floor.add_batches == 40
    assert floors.bind_invoice_floor(20_000) + floor.total == 242


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="rows must be >= 0"):
        floors.pages(-1)
    with pytest.raises(ValueError, match="rows must be >= 0"):
        floors.batches(-5)


def test_wall_floor_and_target():
    assert floors.wall_floor_seconds(242, 50) == pytest.approx(12.1)
    assert floors.wall_target_seconds(242, 50) == pytest.approx(1.2 * 12.1 + 3)


@pytest.mark.parametrize(
    ("endpoint", "is_write"),
    [
        ("POST /2.0/sheets/{id}/rows", True),
        ("PUT /2.0/sheets/{id}/rows", True),
        ("DELETE /2.0/sheets/{id}/rows", True),
        ("GET /2.0/sheets/{id}", False),
        ("GET /2.0/sheets/{id}/rows/{id}", False),
        ("POST /2.0/sheets", False),  # creating a sheet is not a row write
        ("put /2.0/sheets/{id}/rows/", True),
    ],
)
def test_row_writes_are_post_put_delete_on_rows(endpoint, is_write):
    assert floors.is_row_write(endpoint) is is_write


def test_no_writes_check_counts_every_write_endpoint():
    counts = {"GET /2.0/sheets/{id}": 1, "PUT /2.0/sheets/{id}/rows": 2, "POST /2.0/sheets/{id}/rows": 1}
    check = floors.check_no_writes(counts)
    assert not check.met and "3 write requests" in check.detail
    assert floors.check_no_writes({"GET /2.0/sheets/{id}": 1}).met


def test_requests_at_floor_needs_both_services_at_or_below():
    assert floors.check_requests_at_floor(10, 10, 4, 4).met
    assert not floors.check_requests_at_floor(11, 10, 4, 4).met
    assert not floors.check_requests_at_floor(10, 10, 5, 4).met


def test_naive_requests_and_linear_extrapolation():
    assert floors.naive_requests(1_000, bind_requests=10) == 10 + 1 + 2_000
    assert floors.extrapolate_linear(120.0, 1_000, 20_000) == pytest.approx(2_400.0)
    scaled = NaiveFigure(requests=2_011, wall_s=100.0, measured_n=1_000).scaled_to(10_000, 20_101)
    assert scaled.extrapolated and scaled.wall_s == pytest.approx(1_000.0) and scaled.requests == 20_101
    assert not NaiveFigure(requests=2_011, wall_s=100.0, measured_n=1_000).scaled_to(1_000, 2_011).extrapolated


def test_targets_applied_per_row():
    unchanged_at_10k = ScenarioResult(
        family="invoices",
        case=UNCHANGED,
        n=10_000,
        latency_ms=50,
        bind_counts={"GET /api/Invoices": 100},
        sheet_counts={"GET /2.0/sheets/{id}/columns": 1, "GET /2.0/sheets/{id}": 1},
        bind_floor=100,
        sheet_floor=floors.smartsheet_floor(0, 0),
        wall_s=7.0,
        peak_rss_mb=300,
    )
    names = [check.name for check in unchanged_at_10k.evaluate_targets()]
    assert names == ["requests at floor", "0 writes when nothing changed", "wall <= 1.2 x requests x latency + 3 s"]
    assert unchanged_at_10k.targets_met  # 7.0 s <= 1.2 * 102 * 0.05 + 3 = 9.12 s

    slow_first_sync_at_20k = ScenarioResult(
        family="invoices",
        case=FIRST_SYNC,
        n=20_000,
        latency_ms=50,
        bind_counts={"GET /api/Invoices": 201},
        sheet_counts={},
        bind_floor=200,
        sheet_floor=floors.smartsheet_floor(20_000, 0),
        wall_s=99.0,
        peak_rss_mb=650,
    )
    checks = {check.name: check.met for check in slow_first_sync_at_20k.evaluate_targets()}
    assert checks == {"requests at floor": False, "peak RSS <= 500 MB": False}
    assert not slow_first_sync_at_20k.targets_met
