"""The scenario families: each prepares the emulators, runs one measured child per case, and judges it.

A family runs its three cases in order on one sandbox, as production would meet them: the first sync
into an empty sheet, a re-sync after 1% of the source changed, a re-sync with nothing changed. The
harness makes the changes itself (through the emulator's state), so it knows the true number of adds and
updates each case needs and computes the floor from that, not from the engine's plan.
"""

from __future__ import annotations

import logging
import math
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from smartbind_pipelines_tests.bench import bind_data
from smartbind_pipelines_tests.bench.floors import (
    bind_inventory_floor,
    bind_invoice_floor,
    check_sensor_tick,
    naive_requests,
    smartsheet_floor,
)
from smartbind_pipelines_tests.bench.measure import ChildFailed, ChildMeasurement, run_child
from smartbind_pipelines_tests.bench.results import (
    FIRST_SYNC,
    ONE_PERCENT,
    SENSOR_TICK,
    UNCHANGED,
    NaiveFigure,
    ScenarioResult,
)
from smartbind_pipelines_tests.bench.sandbox import BenchSandbox

log = logging.getLogger("smartbind.bench")

CASES = (FIRST_SYNC, ONE_PERCENT, UNCHANGED)
CHANGED_SHARE = 0.01


@dataclass(frozen=True)
class BenchOptions:
    latency_ms: int = 50
    invoice_sizes: tuple[int, ...] = (1_000, 10_000, 20_000)
    inventory_records: tuple[int, ...] = (20_000,)
    naive_n: int = 1_000
    sensor_ticks: int = 300
    seed: int = 20260119


def changed_count(records: int) -> int:
    """1% of the records, at least one."""
    return max(1, math.ceil(records * CHANGED_SHARE))


def _measure(sandbox: BenchSandbox, workload: str, config: dict) -> tuple[ChildMeasurement, dict, dict]:
    sandbox.reset_counts()
    measured = run_child(workload, config)
    bind_counts, sheet_counts = sandbox.counts()
    return measured, bind_counts, sheet_counts


@dataclass
class Family:
    """What differs between invoices and inventory: the data, the change, the floors, the workload."""

    name: str
    workload: str
    columns: list[dict]
    load: Callable[[object, int, random.Random], None]  # fill a BindState with n source items
    change: Callable[[object, int, random.Random], int]  # change k records' mapped values; returns k
    bind_floor: Callable[[object], int]  # from the BindState: pages the API must serve
    extra_config: Callable[[object], dict]  # from the BindState: what the child needs besides the sandbox


def invoice_family() -> Family:
    from smartbind_pipelines.sandbox.sheets import INVOICE_COLUMNS

    start, end = bind_data.INVOICE_WINDOW
    return Family(
        name="invoices",
        workload="invoices_engine",
        columns=INVOICE_COLUMNS,
        load=lambda state, n, rng: bind_data.load_invoices(state, n),
        change=bind_data.change_invoices,
        bind_floor=lambda state: bind_invoice_floor(bind_data.invoices_in_window(state)),
        extra_config=lambda state: {"start": start.isoformat(), "end": end.isoformat(), "kind": "invoices"},
    )


def inventory_family() -> Family:
    from smartbind_pipelines.sandbox.sheets import INVENTORY_COLUMNS

    return Family(
        name="inventory",
        workload="inventory_engine",
        columns=INVENTORY_COLUMNS,
        load=bind_data.load_inventory,
        change=bind_data.change_stock,
        bind_floor=lambda state: bind_inventory_floor(bind_data.inventory_rows_per_warehouse(state)),
        # ProcessConfig's fields_mapping.warehouse_ids in production: all three warehouses here
        extra_config=lambda state: {"kind": "inventory", "warehouse_ids": state.warehouse_ids()},
    )


def _fresh_state(family: Family, n: int, seed: int):
    state = bind_data.empty_state(seed)
    family.load(state, n, random.Random(seed))
    return state


def run_family(family: Family, n: int, options: BenchOptions) -> list[ScenarioResult]:
    """The engine's three cases for ``n`` source items."""
    rng = random.Random(options.seed + n)
    state = _fresh_state(family, n, options.seed)
    rows: list[ScenarioResult] = []
    with BenchSandbox(bind_state=state, latency_ms=options.latency_ms) as sandbox:
        sheet_id = sandbox.create_sheet(f"Bench {family.name} {n}", family.columns)
        config = sandbox.child_config(sheet_id, **family.extra_config(state))
        records = None
        for case in CASES:
            updates = family.change(state, changed_count(records), rng) if case == ONE_PERCENT else 0
            log.info("%s N=%s: %s", family.name, n, case)
            try:
                measured, bind_counts, sheet_counts = _measure(sandbox, family.workload, config)
            except ChildFailed as failure:
                log.error("%s N=%s: %s failed: %s", family.name, n, case, failure)
                rows.append(_failed_row(family.name, case, n, options, failure))
                rows[-1].evaluate_targets()
                if case == FIRST_SYNC:
                    break  # the re-syncs would measure a first sync
                continue
            if records is None:
                records = int(measured.result["records"])  # what the mapping makes of the source
            adds = records if case == FIRST_SYNC else 0
            row = ScenarioResult(
                family=family.name,
                case=case,
                n=n,
                latency_ms=options.latency_ms,
                bind_counts=bind_counts,
                sheet_counts=sheet_counts,
                bind_floor=family.bind_floor(state),
                sheet_floor=smartsheet_floor(adds=adds, updates=updates),
                wall_s=measured.wall_s,
                process_wall_s=measured.process_wall_s,
                cpu_s=measured.cpu_s,
                peak_rss_mb=measured.peak_rss_mb,
                expected_adds=adds,
                expected_updates=updates,
                engine=measured.result,
            )
            row.evaluate_targets()
            rows.append(row)
    return rows


def _failed_row(family: str, case: str, n: int, options: BenchOptions, failure: ChildFailed) -> ScenarioResult:
    last_line = (failure.stderr_tail.strip().splitlines() or [f"exit {failure.exit_code}"])[-1]
    return ScenarioResult(family=family, case=case, n=n, latency_ms=options.latency_ms, error=last_line[:300])


def run_naive(family: Family, n: int, options: BenchOptions) -> dict[str, tuple[NaiveFigure, int]]:
    """The naive reference's three cases at ``n``: case -> (figure, records it upserted)."""
    rng = random.Random(options.seed + n)
    state = _fresh_state(family, n, options.seed)
    figures: dict[str, tuple[NaiveFigure, int]] = {}
    with BenchSandbox(bind_state=state, latency_ms=options.latency_ms) as sandbox:
        sheet_id = sandbox.create_sheet(f"Naive {family.name} {n}", family.columns)
        config = sandbox.child_config(sheet_id, **family.extra_config(state))
        records = None
        for case in CASES:
            if case == ONE_PERCENT:
                family.change(state, changed_count(records), rng)
            log.info("naive %s N=%s: %s", family.name, n, case)
            try:
                measured, bind_counts, sheet_counts = _measure(sandbox, "naive", config)
            except ChildFailed as failure:
                log.error("naive %s N=%s: %s failed: %s", family.name, n, case, failure)
                break
            records = int(measured.result["records"])
            requests = sum(bind_counts.values()) + sum(sheet_counts.values())
            figures[case] = (NaiveFigure(requests=requests, wall_s=measured.wall_s, measured_n=n), records)
    return figures


def attach_naive(rows: list[ScenarioResult], naive: dict[str, tuple[NaiveFigure, int]]) -> None:
    """Beside each engine row, the naive figure: measured at its N, else scaled linearly."""
    for row in rows:
        if row.case not in naive:
            continue
        measured, _ = naive[row.case]
        if row.n == measured.measured_n:
            row.naive = measured
        else:
            records = int(row.engine.get("records", row.n))
            # the naive flow reads Bind exactly as the engine did
            row.naive = measured.scaled_to(row.n, naive_requests(records, bind_requests=row.bind_requests))


def run_sensor(options: BenchOptions) -> ScenarioResult:
    """Median per-tick time of sync_invoices_sensor with 10 processes in ProcessConfig."""
    from smartbind_pipelines_tests.bench.sensor import PROCESSES, seed_process_configs

    with tempfile.TemporaryDirectory(prefix="smartbind-bench-sensor-") as scratch:
        db_path = str(Path(scratch) / "processes.db")
        seed_process_configs(db_path, PROCESSES, sheet_id="4956740131966852")
        dagster_home = Path(scratch) / "dagster_home"
        dagster_home.mkdir()
        env = {
            "SMARTBIND_DB_PATH": db_path,
            "BIND_API_KEY": "bench-placeholder",
            "SMARTSHEET_ACCESS_TOKEN": "bench-placeholder",
            "DAGSTER_HOME": str(dagster_home),
        }
        measured = run_child(
            "sensor_ticks", {"env": env, "dagster_home": str(dagster_home), "ticks": options.sensor_ticks}
        )
    row = ScenarioResult(
        family="sensor",
        case=SENSOR_TICK,
        n=PROCESSES,
        latency_ms=options.latency_ms,
        wall_s=measured.wall_s,
        process_wall_s=measured.process_wall_s,
        cpu_s=measured.cpu_s,
        peak_rss_mb=measured.peak_rss_mb,
        engine=measured.result,
        sensor_median_ms=float(measured.result["median_ms"]),
    )
    row.targets = [check_sensor_tick(row.sensor_median_ms)]
    return row


def run_all(options: BenchOptions) -> list[ScenarioResult]:
    rows: list[ScenarioResult] = []
    invoices = invoice_family()
    naive_invoices = run_naive(invoices, options.naive_n, options)
    for n in options.invoice_sizes:
        family_rows = run_family(invoices, n, options)
        attach_naive(family_rows, naive_invoices)
        rows += family_rows
    inventory = inventory_family()
    naive_inventory = run_naive(inventory, options.naive_n, options)
    for n in options.inventory_records:
        family_rows = run_family(inventory, n, options)
        attach_naive(family_rows, naive_inventory)
        rows += family_rows
    rows.append(run_sensor(options))
    return rows
