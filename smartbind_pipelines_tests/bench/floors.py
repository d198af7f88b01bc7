"""Request floors and targets: what the best possible sync of a scenario costs, and what we promise.

Floors are computed from what the scenario *really* changed (known to the harness, which made the
changes), never from the engine's own plan: an engine that rewrote unchanged rows must not lower the bar
it is measured against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

BIND_PAGE_SIZE = 100  # Bind answers at most 100 rows per page (contract §2.7)
SHEET_BATCH_SIZE = 500  # Smartsheet: at most 500 rows per add/update request (contract §4.1)
SHEET_ROW_LIMIT = 20_000

# Targets from issue 9.
WALL_SLACK_FACTOR = 1.2
WALL_SLACK_SECONDS = 3.0
WALL_TARGET_N = 10_000
RSS_TARGET_MB = 500.0
RSS_TARGET_N = 20_000
SENSOR_TICK_TARGET_MS = 200.0

_WRITE_METHODS = {"POST", "PUT", "DELETE"}


def pages(rows: int, page_size: int = BIND_PAGE_SIZE) -> int:
    """Requests to read ``rows`` rows from a paged listing: an empty listing still costs one request."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, not {rows}")
    return max(1, math.ceil(rows / page_size))


def batches(rows: int, batch_size: int = SHEET_BATCH_SIZE) -> int:
    """Requests to write ``rows`` rows; nothing to write costs nothing."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, not {rows}")
    return math.ceil(rows / batch_size)


def bind_invoice_floor(invoices: int) -> int:
    """GET /Invoices pages for one date window: ceil(N/100)."""
    return pages(invoices)


def bind_inventory_floor(rows_per_warehouse: Iterable[int]) -> int:
    """One GET /Warehouses (names for the Almacén column) plus the stock pages of each warehouse."""
    return 1 + sum(pages(rows) for rows in rows_per_warehouse)


@dataclass(frozen=True)
class SheetFloor:
    """The fewest Smartsheet requests for one upsert: resolve columns, read the key index, write."""

    columns: int = 1  # GET /sheets/{id}/columns: titles -> ids (MissingColumnError before any write)
    key_index_pages: int = 1  # GET /sheets/{id} without paging returns every row in one answer
    add_batches: int = 0
    update_batches: int = 0
    delete_batches: int = 0

    @property
    def total(self) -> int:
        return self.columns + self.key_index_pages + self.writes

    @property
    def writes(self) -> int:
        return self.add_batches + self.update_batches + self.delete_batches


def smartsheet_floor(
    adds: int, updates: int, deletes: int = 0, *, key_index_pages: int = 1, batch_size: int = SHEET_BATCH_SIZE
) -> SheetFloor:
    """Adds and updates go to different endpoints (POST vs PUT), so they round up separately."""
    return SheetFloor(
        key_index_pages=key_index_pages,
        add_batches=batches(adds, batch_size),
        update_batches=batches(updates, batch_size),
        delete_batches=batches(deletes, batch_size),
    )


def wall_floor_seconds(requests: int, latency_ms: float) -> float:
    """Serial requests each pay the injected latency at least once."""
    return requests * latency_ms / 1000


def wall_target_seconds(requests: int, latency_ms: float) -> float:
    """Issue 9: wall <= 1.2 x requests x latency + 3 s (3 s covers CPU work that no request hides)."""
    return WALL_SLACK_FACTOR * wall_floor_seconds(requests, latency_ms) + WALL_SLACK_SECONDS


def is_row_write(endpoint: str) -> bool:
    """``"PUT /2.0/sheets/{id}/rows"`` -> True: a request that writes sheet rows."""
    method, _, path = endpoint.partition(" ")
    return method.upper() in _WRITE_METHODS and path.rstrip("/").endswith("/rows")


def row_write_requests(counts: Mapping[str, int]) -> int:
    return sum(n for endpoint, n in counts.items() if is_row_write(endpoint))


@dataclass(frozen=True)
class TargetCheck:
    name: str
    met: bool
    detail: str

    def label(self) -> str:
        return f"{'met' if self.met else 'MISSED'}: {self.name} ({self.detail})"


def check_requests_at_floor(bind_requests: int, bind_floor: int, sheet_requests: int, sheet_floor: int) -> TargetCheck:
    met = bind_requests <= bind_floor and sheet_requests <= sheet_floor
    return TargetCheck(
        "requests at floor", met, f"Bind {bind_requests}/{bind_floor}, Smartsheet {sheet_requests}/{sheet_floor}"
    )


def check_no_writes(sheet_counts: Mapping[str, int]) -> TargetCheck:
    writes = row_write_requests(sheet_counts)
    return TargetCheck("0 writes when nothing changed", writes == 0, f"{writes} write requests")


def check_wall(wall_s: float, requests: int, latency_ms: float) -> TargetCheck:
    limit = wall_target_seconds(requests, latency_ms)
    return TargetCheck("wall <= 1.2 x requests x latency + 3 s", wall_s <= limit, f"{wall_s:.1f} s <= {limit:.1f} s")


def check_rss(peak_rss_mb: float) -> TargetCheck:
    return TargetCheck(f"peak RSS <= {RSS_TARGET_MB:.0f} MB", peak_rss_mb <= RSS_TARGET_MB, f"{peak_rss_mb:.0f} MB")


def check_sensor_tick(median_ms: float) -> TargetCheck:
    return TargetCheck(
        f"sensor tick <= {SENSOR_TICK_TARGET_MS:.0f} ms",
        median_ms <= SENSOR_TICK_TARGET_MS,
        f"median {median_ms:.1f} ms",
    )


def naive_requests(
    records: int,
    bind_requests: int,
    *,
    lookups_per_record: int = 1,
    writes_per_record: int = 1,
    setup_requests: int = 1,
) -> int:
    """Record-by-record upsert: the same Bind reads, then per record a key lookup and a one-row write."""
    return bind_requests + setup_requests + records * (lookups_per_record + writes_per_record)


def extrapolate_linear(measured_value: float, measured_n: int, target_n: int) -> float:
    """Scale a per-record cost measured at ``measured_n`` records to ``target_n`` records."""
    if measured_n <= 0:
        raise ValueError("measured_n must be positive")
    return measured_value * target_n / measured_n
