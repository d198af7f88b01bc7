"""The 10,000-invoice backfill with K = 1 and K = 4 pages in flight, in the same run (issue 16, point 5).

One sandbox, one Bind state of N invoices in the bench window; for each K, a sheet of its own:
- **backfill into an empty sheet**: the first sync of the year (Bind pages + serial Smartsheet adds);
- **backfill over a synced sheet**: the same window read again into a sheet that holds it (what a
  backfill of an already-synced period and the nightly reconcile pay: the Bind read dominates).

Target for K = 4 (the issue's): wall <= 0.4 x (requests x latency) + CPU s of the sync process. K = 1 is
the reference the target is judged against (no target of its own beyond the usual ones).
"""

from __future__ import annotations

import logging

from smartbind_pipelines_tests.bench import bind_data
from smartbind_pipelines_tests.bench.floors import TargetCheck, bind_invoice_floor, smartsheet_floor
from smartbind_pipelines_tests.bench.measure import ChildFailed
from smartbind_pipelines_tests.bench.results import ScenarioResult
from smartbind_pipelines_tests.bench.sandbox import BenchSandbox

log = logging.getLogger("smartbind.bench")

BACKFILL_N = 10_000
PAGE_WORKER_CASES = (1, 4)
PARALLEL_SHARE = 0.4  # wall <= 0.4 x requests x latency + CPU


def check_parallel_wall(wall_s: float, requests: int, latency_ms: float, cpu_s: float) -> TargetCheck:
    limit = PARALLEL_SHARE * requests * latency_ms / 1000 + cpu_s
    return TargetCheck("wall <= 0.4 x requests x latency + CPU", wall_s <= limit, f"{wall_s:.1f} s <= {limit:.1f} s")


def run_parallel_backfill(options, n: int = BACKFILL_N) -> list[ScenarioResult]:
    from smartbind_pipelines.sandbox.sheets import INVOICE_COLUMNS
    from smartbind_pipelines_tests.bench.scenarios import _measure

    state = bind_data.empty_state(options.seed)
    bind_data.load_invoices(state, n)
    start, end = bind_data.INVOICE_WINDOW
    rows: list[ScenarioResult] = []
    with BenchSandbox(bind_state=state, latency_ms=options.latency_ms) as sandbox:
        for workers in PAGE_WORKER_CASES:
            sheet_id = sandbox.create_sheet(f"Bench backfill K={workers}", INVOICE_COLUMNS)
            config = sandbox.child_config(
                sheet_id, start=start.isoformat(), end=end.isoformat(), kind="invoices", page_workers=workers
            )
            records = None
            for case in ("backfill into an empty sheet", "backfill over a synced sheet"):
                label = f"{case}, K={workers}"
                log.info("invoices N=%s: %s", n, label)
                try:
                    measured, bind_counts, sheet_counts = _measure(sandbox, "invoices_engine", config)
                except ChildFailed as failure:
                    row = ScenarioResult(
                        family="invoices", case=label, n=n, latency_ms=options.latency_ms, error=str(failure)[-200:]
                    )
                    row.evaluate_targets()
                    rows.append(row)
                    break
                if records is None:
                    records = int(measured.result["records"])
                adds = records if case.endswith("empty sheet") else 0
                row = ScenarioResult(
                    family="invoices",
                    case=label,
                    n=n,
                    latency_ms=options.latency_ms,
                    bind_counts=bind_counts,
                    sheet_counts=sheet_counts,
                    bind_floor=bind_invoice_floor(bind_data.invoices_in_window(state)),
                    sheet_floor=smartsheet_floor(adds=adds, updates=0),
                    wall_s=measured.wall_s,
                    process_wall_s=measured.process_wall_s,
                    cpu_s=measured.cpu_s,
                    peak_rss_mb=measured.peak_rss_mb,
                    expected_adds=adds,
                    engine=measured.result,
                )
                row.evaluate_targets()
                if workers > 1:
                    row.targets.append(check_parallel_wall(row.wall_s, row.requests, row.latency_ms, row.cpu_s))
                rows.append(row)
    return rows


def summary_lines(rows: list[ScenarioResult]) -> list[str]:
    """The K=1 / K=4 comparison, one line per case, for the docs/benchmarks.md section."""
    by_case: dict[str, dict[int, ScenarioResult]] = {}
    for row in rows:
        if ", K=" not in row.case or row.error:
            continue
        case, workers = row.case.rsplit(", K=", 1)
        by_case.setdefault(case, {})[int(workers)] = row
    lines = []
    for case, cases in by_case.items():
        one, four = cases.get(1), cases.get(4)
        if one and four:
            lines.append(
                f"- {case}: K=1 {one.wall_s:.1f} s, K=4 {four.wall_s:.1f} s "
                f"({one.wall_s / four.wall_s:.1f}x faster), {four.requests} requests either way "
                f"(Bind {four.bind_requests}), serial floor {four.floor_wall_s:.1f} s, "
                f"K=4 target {PARALLEL_SHARE} x {four.requests} x {four.latency_ms} ms + "
                f"CPU {four.cpu_s:.1f} s = {PARALLEL_SHARE * four.requests * four.latency_ms / 1000 + four.cpu_s:.1f} s"
            )
    return lines
