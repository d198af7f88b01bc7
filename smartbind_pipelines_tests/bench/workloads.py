"""What a measured child process runs: the real sync, the naive reference, or sensor ticks.

Each workload takes the JSON config the parent sent and returns a JSON-ready report with its own wall
time (``wall_s``, imports excluded) and what the client libraries counted, which the parent cross-checks
against the emulators' request logs.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from typing import Any, Callable

from smartbind_pipelines_tests.bench.inventory import inventory_sync_parts


def _bind_client(config: dict[str, Any]):
    from smartbind_pipelines.core.bind_client import PAGE_WORKERS, BindClient

    # pages in flight (issue 16): the production default unless a scenario sets it (the K=1/K=4 backfill)
    return BindClient(
        config["bind_url"], config["bind_key"], page_workers=int(config.get("page_workers", PAGE_WORKERS))
    )


def _gateway(config: dict[str, Any]):
    from smartbind_pipelines.core.sheets import SheetGateway

    return SheetGateway.connect(config["sheet_token"], config["sheet_api"])


def _invoice_records(bind, config: dict[str, Any]) -> tuple[list[dict], int]:
    from smartbind_pipelines.core.invoices import invoice_batch

    raw = bind.invoices(datetime.fromisoformat(config["start"]), datetime.fromisoformat(config["end"]))
    batch = invoice_batch(raw)
    return batch.records, len(batch.skipped)


def _upsert_report(result) -> dict[str, Any]:
    return {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "deleted": result.deleted,
        "failed": len(result.failed),
        "warnings": list(result.warnings),
        "sheet_requests_seen_by_client": dict(result.requests),
    }


def invoices_engine(config: dict[str, Any]) -> dict[str, Any]:
    """Bind invoices of one date window -> invoice_batch -> upsert_sheet, as the smartsheet_invoices asset."""
    from smartbind_pipelines.core.invoices import INVOICE_MAPPING
    from smartbind_pipelines.core.sheets import upsert_sheet

    started = time.perf_counter()
    bind = _bind_client(config)
    records, skipped = _invoice_records(bind, config)
    gateway = _gateway(config)
    result = upsert_sheet(gateway, int(config["sheet_id"]), records, INVOICE_MAPPING)
    wall = time.perf_counter() - started
    bind.close()
    return {
        "wall_s": wall,
        "records": len(records),
        "skipped": skipped,
        "bind_requests_seen_by_client": dict(bind.request_counts),
        **_upsert_report(result),
    }


def inventory_engine(config: dict[str, Any]) -> dict[str, Any]:
    """Bind stock of every warehouse -> inventory records -> upsert_sheet with the inventory mapping."""
    from smartbind_pipelines.core.sheets import upsert_sheet

    parts = inventory_sync_parts()
    started = time.perf_counter()
    bind = _bind_client(config)
    records, stale = parts.read(bind, config["warehouse_ids"])
    gateway = _gateway(config)
    result = upsert_sheet(gateway, int(config["sheet_id"]), records, parts.mapping, stale=stale)
    wall = time.perf_counter() - started
    bind.close()
    return {
        "wall_s": wall,
        "records": len(records),
        "mapping_source": parts.source,
        "bind_requests_seen_by_client": dict(bind.request_counts),
        **_upsert_report(result),
    }


def naive(config: dict[str, Any]) -> dict[str, Any]:
    """The same Bind reads and mapping, then a record-by-record upsert (see naive.py)."""
    from smartbind_pipelines.core.invoices import INVOICE_MAPPING
    from smartbind_pipelines_tests.bench.naive import NaiveUpserter

    started = time.perf_counter()
    bind = _bind_client(config)
    if config["kind"] == "invoices":
        records, _ = _invoice_records(bind, config)
        mapping = INVOICE_MAPPING
    else:
        parts = inventory_sync_parts()
        (records, _), mapping = parts.read(bind, config["warehouse_ids"]), parts.mapping
    upserter = NaiveUpserter(config["sheet_api"], config["sheet_token"], int(config["sheet_id"]), mapping)
    result = upserter.upsert(records)
    wall = time.perf_counter() - started
    upserter.close()
    bind.close()
    return {
        "wall_s": wall,
        "records": len(records),
        "inserted": result.inserted,
        "updated": result.updated,
        "sheet_requests_seen_by_client": dict(result.requests),
    }


def sensor_ticks(config: dict[str, Any]) -> dict[str, Any]:
    """Evaluate sync_invoices_sensor many times against a real DagsterInstance; report per-tick times."""
    from smartbind_pipelines_tests.bench.sensor import time_sensor_ticks

    started = time.perf_counter()
    ticks_ms, cpu_ms, outcome = time_sensor_ticks(config)
    return {
        "wall_s": time.perf_counter() - started,
        "ticks": len(ticks_ms),
        "median_ms": statistics.median(ticks_ms),
        "p95_ms": _percentile(ticks_ms, 95),
        "max_ms": max(ticks_ms),
        "first_ms": ticks_ms[0],
        "median_cpu_ms": statistics.median(cpu_ms),
        "outcome": outcome,
    }


def probe(config: dict[str, Any]) -> dict[str, Any]:
    """Harness self-test: hold ``megabytes`` of memory and burn a little CPU."""
    started = time.perf_counter()
    ballast = bytearray(int(config.get("megabytes", 0)) * 1024 * 1024)
    for i in range(0, len(ballast), 4096):  # touch every page so it counts in RSS
        ballast[i] = 1
    return {"wall_s": time.perf_counter() - started, "held_bytes": len(ballast)}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


WORKLOADS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "invoices_engine": invoices_engine,
    "inventory_engine": inventory_engine,
    "naive": naive,
    "sensor_ticks": sensor_ticks,
    "probe": probe,
}
