"""One measured scenario, with its floor, its naive reference and the targets it is held to."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartbind_pipelines_tests.bench.floors import (
    RSS_TARGET_N,
    WALL_TARGET_N,
    SheetFloor,
    TargetCheck,
    check_no_writes,
    check_requests_at_floor,
    check_rss,
    check_wall,
    wall_floor_seconds,
)

FIRST_SYNC = "first sync"
ONE_PERCENT = "re-sync, 1% changed"
UNCHANGED = "re-sync, nothing changed"
SENSOR_TICK = "sensor tick"


@dataclass
class NaiveFigure:
    """The record-by-record reference for the same case: measured at ``measured_n`` records."""

    requests: int
    wall_s: float
    measured_n: int
    extrapolated: bool = False

    def scaled_to(self, n: int, requests: int) -> "NaiveFigure":
        """Linear in N: one lookup and one write per record; ``requests`` from the per-record formula."""
        return NaiveFigure(
            requests=requests,
            wall_s=self.wall_s * n / self.measured_n,
            measured_n=self.measured_n,
            extrapolated=n != self.measured_n,
        )


@dataclass
class ScenarioResult:
    family: str  # "invoices" | "inventory" | "sensor"
    case: str
    n: int
    latency_ms: int
    bind_counts: dict[str, int] = field(default_factory=dict)
    sheet_counts: dict[str, int] = field(default_factory=dict)
    bind_floor: int = 0
    sheet_floor: SheetFloor | None = None
    wall_s: float = 0.0
    process_wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    expected_adds: int = 0
    expected_updates: int = 0
    engine: dict = field(default_factory=dict)  # what the workload reported (inserted, updated, ...)
    naive: NaiveFigure | None = None
    sensor_median_ms: float | None = None
    error: str | None = None  # the workload failed: the last line of its stderr
    targets: list[TargetCheck] = field(default_factory=list)

    @property
    def bind_requests(self) -> int:
        return sum(self.bind_counts.values())

    @property
    def sheet_requests(self) -> int:
        return sum(self.sheet_counts.values())

    @property
    def requests(self) -> int:
        return self.bind_requests + self.sheet_requests

    @property
    def floor_requests(self) -> int:
        return self.bind_floor + (self.sheet_floor.total if self.sheet_floor else 0)

    @property
    def floor_wall_s(self) -> float:
        return wall_floor_seconds(self.floor_requests, self.latency_ms)

    @property
    def targets_met(self) -> bool:
        return all(check.met for check in self.targets)

    def evaluate_targets(self) -> list[TargetCheck]:
        """The issue 9 targets that apply to this row."""
        if self.error:
            self.targets = [TargetCheck("the sync completes", False, self.error)]
            return self.targets
        checks: list[TargetCheck] = []
        if self.sheet_floor is not None:
            checks.append(
                check_requests_at_floor(
                    self.bind_requests, self.bind_floor, self.sheet_requests, self.sheet_floor.total
                )
            )
        if self.case == UNCHANGED:
            checks.append(check_no_writes(self.sheet_counts))
        if self.n == WALL_TARGET_N and self.family != "sensor":
            checks.append(check_wall(self.wall_s, self.requests, self.latency_ms))
        if self.n >= RSS_TARGET_N and self.family != "sensor":
            checks.append(check_rss(self.peak_rss_mb))
        self.targets = checks
        return checks
