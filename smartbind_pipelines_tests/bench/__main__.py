"""``python -m smartbind_pipelines_tests.bench`` (``make bench``): run the scenarios, write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

from smartbind_pipelines_tests.bench.measure import REPO_ROOT

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated record counts, not {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"record counts must be positive, not {text!r}")
    return sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m smartbind_pipelines_tests.bench",
        description="Benchmark the invoice and inventory syncs and the sensor against the sandbox emulators "
        "with injected latency; write the table to docs/benchmarks.md.",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=50, help="latency added to every request on both emulators (default 50)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: only the N=1,000 cases (invoices and inventory), the naive reference "
        "at 100 records (extrapolated), fewer sensor ticks; about 2 minutes",
    )
    parser.add_argument(
        "--invoices", type=_sizes, default=None, metavar="N[,N...]", help="invoice counts (default 1000,10000,20000)"
    )
    parser.add_argument(
        "--inventory", type=_sizes, default=None, metavar="N[,N...]", help="inventory records (default 20000)"
    )
    parser.add_argument(
        "--naive-n",
        type=int,
        default=None,
        help="records the naive reference is measured at (default 1000; --quick: 100)",
    )
    parser.add_argument("--sensor-ticks", type=int, default=None, help="sensor evaluations (default 300)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="markdown file to (over)write")
    parser.add_argument(
        "--only",
        choices=("business_day",),
        default=None,
        help="run one section alone and rewrite only that section of --output",
    )
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    return args


def options_from(args: argparse.Namespace):
    from smartbind_pipelines_tests.bench.scenarios import BenchOptions

    options = BenchOptions(latency_ms=args.latency_ms)
    if args.quick:
        # the naive reference costs ~2 requests per record: at 1,000 it alone would take ~8 minutes
        options = replace(options, invoice_sizes=(1_000,), inventory_records=(1_000,), naive_n=100, sensor_ticks=100)
    if args.naive_n:
        options = replace(options, naive_n=args.naive_n)
    if args.invoices:
        options = replace(options, invoice_sizes=args.invoices)
    if args.inventory:
        options = replace(options, inventory_records=args.inventory)
    if args.sensor_ticks:
        options = replace(options, sensor_ticks=args.sensor_ticks)
    return options


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("smartbind_pipelines").setLevel(logging.ERROR)  # capacity warnings belong in the table

    from smartbind_pipelines_tests.bench.inventory import inventory_sync_parts
    from smartbind_pipelines_tests.bench.micro import run_micro
    from smartbind_pipelines_tests.bench.report import current_load, run_info, write_report
    from smartbind_pipelines_tests.bench.scenarios import run_all

    if args.only == "business_day":  # issue 16: the daemon's business day (~30 min; --quick ~15)
        from smartbind_pipelines_tests.bench import business_day

        business_day.write_section(args.output, business_day.section(args.latency_ms, args.quick))
        print(f"wrote the business-day section of {args.output}")
        return 0
    options = options_from(args)
    info = run_info(options.latency_ms, args.quick, options.naive_n, inventory_sync_parts().source)
    started = time.monotonic()
    rows = run_all(options)
    from smartbind_pipelines_tests.bench.parallel import run_parallel_backfill

    parallel_rows = run_parallel_backfill(options)  # the 10,000-invoice backfill with K=1 and K=4 (issue 16)
    rows += parallel_rows
    micro = run_micro()  # the figures the test suite no longer asserts
    info = replace(info, duration_s=time.monotonic() - started, load_after=current_load())
    path = write_report(args.output, rows, info, micro)
    _append_issue16_section(path, parallel_rows, options.latency_ms)
    from smartbind_pipelines_tests.bench.changes import append_section as append_change_detection

    append_change_detection(path, options.latency_ms, args.quick)  # quiet looks, freshness per change (issue 16)
    from smartbind_pipelines_tests.bench.invoicing import render_section, run_invoicing, write_section

    # invoicing from the sheet (issue 17): Facturar -> UUID latency in make dev, requests per invoice
    write_section(path, render_section(run_invoicing(options.latency_ms, args.quick), args.quick))
    from smartbind_pipelines_tests.bench import business_day

    # a business day through the real daemon (issue 16): runs, requests, CPU, database growth, freshness
    business_day.write_section(path, business_day.section(options.latency_ms, args.quick))
    missed = [row for row in rows if not row.targets_met]
    print(f"wrote {path}: {len(rows)} scenarios, {len(missed)} with a target missed")
    return 0


def _append_issue16_section(path: Path, parallel_rows, latency_ms: int) -> None:
    """Parallel Bind reads (K=1 vs K=4) and run-history growth before/after retention (issue 16)."""
    from smartbind_pipelines_tests.bench.parallel import summary_lines as parallel_lines
    from smartbind_pipelines_tests.bench.retention import measure_growth
    from smartbind_pipelines_tests.bench.retention import summary_lines as growth_lines

    try:
        growth = growth_lines(measure_growth())
    except Exception as exc:  # noqa: BLE001 - the table is written; say what failed here
        growth = [f"- the growth measurement failed: {type(exc).__name__}: {exc}"]
    lines = [
        "",
        "## Parallel Bind reads and run-history retention (issue 16)",
        "",
        f"10,000-invoice backfill at {latency_ms} ms, K pages in flight (rows above marked K=1 / K=4):",
        "",
        *parallel_lines(parallel_rows),
        "",
        "Instance growth per day of steady state (quiet runs every 2 minutes):",
        "",
        *growth,
        "",
    ]
    with open(path, "a", encoding="utf-8") as report:
        report.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
