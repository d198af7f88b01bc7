"""docs/benchmarks.md: the table of one run, how it was measured, and why any target was missed."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines_tests.bench.floors import (
    BIND_PAGE_SIZE,
    SHEET_BATCH_SIZE,
    wall_floor_seconds,
)
from smartbind_pipelines_tests.bench.measure import REPO_ROOT
from smartbind_pipelines_tests.bench.results import ScenarioResult

NOTES_FILE = Path(__file__).with_name("notes.md")


@dataclass(frozen=True)
class RunInfo:
    started: datetime
    latency_ms: int
    quick: bool
    naive_n: int
    inventory_source: str
    duration_s: float = 0.0
    load_before: tuple[float, float, float] | None = None  # os.getloadavg(): others' work skews wall times
    load_after: tuple[float, float, float] | None = None
    commit: str = ""  # the code measured: git's short commit id, "+ changes" when the tree had uncommitted edits


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * page_size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}"
    )


def _short(endpoint: str) -> str:
    method, _, path = endpoint.partition(" ")
    for prefix in ("/api", "/2.0"):
        if path.lower().startswith(prefix.lower() + "/"):
            path = path[len(prefix) :]
    return f"{method} {path}"


def endpoint_cell(counts: dict[str, int]) -> str:
    if not counts:
        return "0"
    lines = [f"{_short(endpoint)} ×{n}" for endpoint, n in sorted(counts.items())]
    return f"**{sum(counts.values())}**: " + "<br>".join(lines)


def floor_cell(row: ScenarioResult) -> str:
    if row.sheet_floor is None:
        return "–"
    sheet = row.sheet_floor
    parts = [f"{sheet.columns} columns", f"{sheet.key_index_pages} key index"]
    if sheet.add_batches:
        parts.append(f"{sheet.add_batches} add")
    if sheet.update_batches:
        parts.append(f"{sheet.update_batches} update")
    if sheet.delete_batches:
        parts.append(f"{sheet.delete_batches} delete")
    return f"**{row.floor_requests}**: Bind {row.bind_floor}; Smartsheet {sheet.total} ({', '.join(parts)})"


def naive_cell(row: ScenarioResult) -> str:
    if row.naive is None:
        return "–"
    mark = " (extrapolated)" if row.naive.extrapolated else ""
    return f"{row.naive.requests:,} req / {row.naive.wall_s:,.0f} s{mark}"


def targets_cell(row: ScenarioResult) -> str:
    if not row.targets:
        return "–"
    return "<br>".join(("✅ " if check.met else "❌ ") + f"{check.name}: {check.detail}" for check in row.targets)


def _scenario_label(row: ScenarioResult) -> str:
    return f"{row.family}: {row.case}"


HEADER = (
    "| scenario | N | Bind requests | Smartsheet requests | floor (requests) | wall s | floor wall s "
    "| CPU s | peak RSS MB | naive reference | target met |\n"
    "|---|---:|---|---|---|---:|---:|---:|---:|---|---|"
)


def table_row(row: ScenarioResult) -> str:
    if row.error:
        return f"| {_scenario_label(row)} | {row.n:,} | – | – | – | failed | – | – | – | – | {targets_cell(row)} |"
    if row.family == "sensor":
        ticks = row.engine
        return (
            f"| {_scenario_label(row)} | {row.n} processes, {ticks.get('ticks')} ticks | 0 | 0 | – "
            f"| median {row.sensor_median_ms:.1f} ms/tick (p95 {ticks.get('p95_ms', 0):.1f}, first "
            f"{ticks.get('first_ms', 0):.1f}) | – | median {ticks.get('median_cpu_ms', 0):.1f} ms/tick "
            f"| {row.peak_rss_mb:.0f} | – | {targets_cell(row)} |"
        )
    return (
        f"| {_scenario_label(row)} | {row.n:,} | {endpoint_cell(row.bind_counts)} "
        f"| {endpoint_cell(row.sheet_counts)} | {floor_cell(row)} | {row.wall_s:.1f} "
        f"| {row.floor_wall_s:.1f} | {row.cpu_s:.1f} | {row.peak_rss_mb:.0f} | {naive_cell(row)} "
        f"| {targets_cell(row)} |"
    )


def diagnosis(row: ScenarioResult) -> list[str]:
    """Why each missed target was missed, from the numbers; what would close it."""
    lines: list[str] = []
    for check in row.targets:
        if check.met:
            continue
        label = f"**{_scenario_label(row)}, N={row.n:,}: {check.name} missed** ({check.detail})."
        if check.name == "requests at floor":
            excess = _excess_endpoints(row)
            lines.append(
                f"{label} Over the floor: {excess}. Closing it means removing those requests from "
                f"the engine (see the notes below for the cause)."
            )
        elif check.name.startswith("0 writes"):
            lines.append(
                f"{label} The engine wrote rows whose values had not changed (engine reported "
                f"updated={row.engine.get('updated')}, inserted={row.engine.get('inserted')}): a "
                f"value that does not compare equal after a round trip through the sheet. The fix is "
                f"in the engine's value normalisation (`comparable`)."
            )
        elif check.name.startswith("wall"):
            waiting = wall_floor_seconds(row.requests, row.latency_ms)
            lines.append(
                f"{label} {row.requests} requests × {row.latency_ms} ms = {waiting:.1f} s of injected "
                f"latency; the remaining {row.wall_s - waiting:.1f} s is work: {row.cpu_s:.1f} s CPU in "
                f"the sync process, the rest is the emulators' own processing of large requests and "
                f"responses on the same 2 cores."
            )
        elif check.name.startswith("peak RSS"):
            lines.append(
                f"{label} The sync holds every record, the key index and the plan in memory at "
                f"once; streaming records page by page would bound it."
            )
        else:
            lines.append(label)
    return lines


def _excess_endpoints(row: ScenarioResult) -> str:
    parts = []
    if row.bind_requests > row.bind_floor:
        parts.append(
            f"Bind {row.bind_requests - row.bind_floor} more than {row.bind_floor} "
            f"({', '.join(f'{_short(e)} ×{n}' for e, n in sorted(row.bind_counts.items()))})"
        )
    if row.sheet_floor and row.sheet_requests > row.sheet_floor.total:
        parts.append(
            f"Smartsheet {row.sheet_requests - row.sheet_floor.total} more than "
            f"{row.sheet_floor.total} "
            f"({', '.join(f'{_short(e)} ×{n}' for e, n in sorted(row.sheet_counts.items()))})"
        )
    return "; ".join(parts) or "none"


def render(rows: Sequence[ScenarioResult], info: RunInfo, micro: Sequence = ()) -> str:
    from smartbind_pipelines_tests.bench.micro import render_micro

    missed = [line for row in rows for line in diagnosis(row)]
    met = sum(1 for row in rows for check in row.targets if check.met)
    total = sum(len(row.targets) for row in rows)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m smartbind_pipelines_tests.bench"
        + (" --quick" if info.quick else "")
        + f" --latency-ms {info.latency_ms}`); the table is overwritten "
        "by every run, the notes at the end come from `smartbind_pipelines_tests/bench/notes.md`.",
        "",
        f"- Date: {info.started.strftime('%Y-%m-%d %H:%M')} (America/Mexico_City); the table's scenarios took "
        f"{info.duration_s / 60:.1f} min (the sections after it run later in the same `make bench`)",
        f"- Code: commit {info.commit or 'unknown (not a git checkout)'}",
        f"- Machine: {machine_description()}",
        f"- Load average (1/5/15 min) at start {_load(info.load_before)}, at end {_load(info.load_after)}: "
        "anything above ~0.5 means other processes shared the 2 cores and wall times are pessimistic",
        f"- Injected latency: {info.latency_ms} ms on every request, on both emulators",
        f"- Inventory records built by: {info.inventory_source}",
        f"- Targets met: {met} of {total}",
        "",
        HEADER,
        *[table_row(row) for row in rows],
        "",
        *render_micro(list(micro)),
        "## How to read it",
        "",
        "- **Requests** are counted by the emulators (their `/_sandbox/requests` log, reset before each "
        "scenario), per endpoint; retries would count.",
        f"- **Floor**: Bind ceil(N/{BIND_PAGE_SIZE}) pages (inventory: + 1 `GET /Warehouses`, pages per "
        f"warehouse); Smartsheet 1 column listing + 1 key-index read (one `GET /sheets/{{id}}` returns every "
        f"row) + ceil(adds/{SHEET_BATCH_SIZE}) + ceil(updates/{SHEET_BATCH_SIZE}) (adds and updates are "
        "different endpoints). Adds and updates are what the harness really changed, not what the engine "
        "planned. **Floor wall** = floor requests × latency, as if requests were serial and free.",
        "- **Wall s** is the sync's own time inside its process (imports excluded, as in a running code "
        "server); **CPU s** and **peak RSS** are the kernel's `rusage` of that child process alone "
        "(`os.wait4`), interpreter and imports included; the emulators run in the parent and are not counted.",
        f"- **Naive reference**: the same Bind reads and record mapping, then per record one key lookup "
        f"(a read of the sheet's key column(s); iPaaS tools also use the search endpoint, same one request) "
        f"and one single-row POST or PUT, never comparing values. It is measured at N = {info.naive_n:,} "
        f"(10,000 and 20,000 would take hours at {info.latency_ms} ms); larger N are **extrapolated "
        f"linearly**: requests = the engine's Bind requests + 1 column listing + 2 × records, wall = measured "
        f"wall × N / {info.naive_n:,}. Linear is optimistic: each lookup reads a key column that grows with "
        "the sheet.",
        "- **Sensor tick**: `sync_invoices_sensor` from the code location's own Definitions, evaluated with "
        "`evaluate_tick` against a SQLite `DagsterInstance` holding 200 finished runs, its ProcessConfig "
        "resource on a temp SQLite file with 10 processes; each tick reads the process's row and queries "
        "the run records, as the daemon's tick does (gRPC transport excluded). CPU is per tick "
        "(`time.process_time`); peak RSS is the whole process.",
        "",
    ]
    if missed:
        lines += ["## Targets missed", "", *[f"- {line}" for line in missed], ""]
    if NOTES_FILE.exists():
        lines += [NOTES_FILE.read_text().rstrip(), ""]
    return "\n".join(lines)


def _load(load: tuple[float, float, float] | None) -> str:
    return "/".join(f"{value:.1f}" for value in load) if load else "unknown"


def current_load() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def write_report(path: Path, rows: Sequence[ScenarioResult], info: RunInfo, micro: Sequence = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(rows, info, micro))
    return path


def run_info(latency_ms: int, quick: bool, naive_n: int, inventory_source: str) -> RunInfo:
    return RunInfo(
        started=now_cdmx(),
        latency_ms=latency_ms,
        quick=quick,
        naive_n=naive_n,
        inventory_source=inventory_source,
        load_before=current_load(),
        commit=code_commit(),
    )


def code_commit() -> str:
    """The commit the bench measures, with "+ changes" when the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{commit} + changes" if dirty else commit


def replace_marked_section(path: Path, section: str, start: str, end: str) -> Path:
    """Replace the text between ``start`` and ``end`` in ``path`` with ``section`` (which carries both
    markers), or append it; the rest of the file is left as it is."""
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    return path
