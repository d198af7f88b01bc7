"""Issue 16 (light version of "a business day"): what a quiet interval costs, and how fast each kind of
change reaches the sheet, with the real sync_invoices_sensor and the real sync_invoices job against both
emulators with latency.

    python -m smartbind_pipelines_tests.bench.changes [--latency-ms 50] [--invoices 2000] [--repeat 5]

Measured: for each quiet look, Bind and Smartsheet requests (the emulators' own request logs), runs
launched, wall and CPU ms of the sensor evaluation; for each kind of change (new, stamped old draft, paid,
cancelled, backdated), the sensor's look that detects it plus the one regular run that writes it, wall
seconds, with the row verified in the sheet. Not compressed in time: the wait until the next look is at
most one interval plus one 30-second tick by construction (the sensor looks once per interval), so
freshness <= interval + 30 s + the measured detect-and-write time; the table states that bound.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg

from smartbind_pipelines.core.cdmx import format_bind_datetime, now_cdmx
from smartbind_pipelines.defs.invoices import sync_invoices_sensor
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import ClockResource
from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer

KINDS = ("new", "stamped old draft", "paid", "cancelled", "backdated")
TICK_SECONDS = 30


@dataclass
class Emulator:
    url: str
    token: str
    state: object
    admin: SandboxAdmin
    server: BackgroundServer


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(latency_ms: int = 50, invoices: int = 2000, repeat: int = 5) -> dict:
    from smartbind_pipelines.sandbox.bind import BindState, create_bind_app
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app
    from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync

    bind_token, sheet_token = "bench-" + secrets.token_hex(8), "bench-" + secrets.token_hex(8)
    bind_state, sheet_state = BindState.empty(), SmartsheetState()
    t0 = now_cdmx().replace(microsecond=0)
    bind_state.generate_invoices(invoices, start=t0 - timedelta(days=60), end=t0 - timedelta(hours=4))
    drafts = [
        bind_state.add_invoice(Date=format_bind_datetime(t0 - timedelta(days=40 + i)), UUID=None) for i in range(repeat)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="smartbind-bench-changes-") as scratch,
        BackgroundServer(create_bind_app(bind_state, tokens={bind_token})) as bind_server,
        BackgroundServer(create_smartsheet_app(sheet_state, tokens={sheet_token})) as sheet_server,
        dg.instance_for_test(temp_dir=scratch) as instance,
    ):
        bind = Emulator(f"{bind_server.url}/api", bind_token, bind_state, SandboxAdmin(bind_server.url), bind_server)
        sheet = Emulator(
            f"{sheet_server.url}/2.0", sheet_token, sheet_state, SandboxAdmin(sheet_server.url), sheet_server
        )
        config = ProcessConfigResource(db_path=str(Path(scratch) / "processes.db"))
        sync = InvoiceSync(bind, sheet, config, instance)
        sync.create_sheet()
        config.store().update("sync_invoices", {"is_active": True, "interval_minutes": 2}, via="bench")
        interval = timedelta(minutes=2)
        backfill = {
            "window_start": format_bind_datetime(t0 - timedelta(days=61))[:19],
            "window_end": format_bind_datetime(t0)[:19],
        }
        assert sync.run(t0, window=backfill).success
        assert sync.run(t0).success
        for emulator in (bind, sheet):
            emulator.admin.set_latency(latency_ms)

        def look(at):
            resources = sync.resources(None)
            resources["clock"] = ClockResource(frozen_at=at.isoformat())
            bind.admin.reset_requests()
            sheet.admin.reset_requests()
            started, cpu = time.perf_counter(), time.process_time()
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                result = sync_invoices_sensor(context)
            return (
                result,
                (time.perf_counter() - started) * 1000,
                (time.process_time() - cpu) * 1000,
                sum(bind.admin.counts().values()),
                sum(sheet.admin.counts().values()),
            )

        quiet = []
        runs_before = len(instance.get_runs())
        for i in range(repeat):
            result, wall, cpu, bind_requests, sheet_requests = look(now_cdmx() + interval + timedelta(seconds=30 + i))
            assert isinstance(result, dg.SensorResult) and not result.run_requests, result
            quiet.append((wall, cpu, bind_requests, sheet_requests, len(result.run_requests or [])))
        launched = len(instance.get_runs()) - runs_before + sum(q[4] for q in quiet)
        followed = len(
            sync.instance.fetch_materializations(dg.AssetKey("smartsheet_invoices"), limit=1)
            .records[0]
            .asset_materialization.metadata["followed_set"]
            .value["members"]
        )

        old_open = [row for row in bind_state.list_invoices() if row["Status"] == 0 and row["UUID"]]
        freshness: dict[str, list[float]] = {kind: [] for kind in KINDS}
        run_requests: dict[str, list[int]] = {kind: [] for kind in KINDS}
        for i in range(repeat):
            for kind in KINDS:
                if kind == "new":
                    changed = bind_state.add_invoice(Date=format_bind_datetime(now_cdmx()), UUID=str(uuid.uuid4()))
                elif kind == "stamped old draft":
                    changed = bind_state.stamp_invoice(drafts[i]["ID"])
                elif kind == "paid":
                    changed = bind_state.pay_invoice(old_open.pop()["ID"])
                elif kind == "cancelled":
                    changed = bind_state.cancel_invoice(old_open.pop()["ID"])
                else:
                    changed = bind_state.add_invoice(
                        Date=format_bind_datetime(now_cdmx() - timedelta(hours=2)), UUID=str(uuid.uuid4())
                    )
                started = time.perf_counter()
                at = now_cdmx() + interval + timedelta(seconds=30)
                result, *_ = look(at)
                assert isinstance(result, dg.RunRequest), (kind, result)
                done = sync.run(at)
                assert done.success, kind
                took = time.perf_counter() - started
                folio = changed["Number"]
                [row] = [r for r in sync.rows() if str(r["Folio"]).endswith(f"-{folio}")]
                expected = {"paid": "Pagada", "cancelled": "Cancelada"}.get(kind, "Vigente")
                assert row["Estado"] == expected and row["UUID"], (kind, row)
                freshness[kind].append(took)
                run_requests[kind].append(
                    int(done.asset_materializations_for_node("bind_invoices")[0].metadata["bind_requests"].value)
                )
        return {
            "latency_ms": latency_ms,
            "invoices": invoices,
            "repeat": repeat,
            "followed": followed,
            "interval_s": interval.total_seconds(),
            "quiet": quiet,
            "quiet_runs": launched,
            "freshness": freshness,
            "bind_requests_per_run": run_requests,
        }


def report(figures: dict) -> str:
    quiet = figures["quiet"]
    bound = figures["interval_s"] + TICK_SECONDS
    lines = [
        f"Bind {figures['invoices']:,} invoices over 60 days, {figures['followed']} in the followed set, "
        f"{figures['latency_ms']} ms latency per request on both emulators, interval 2 min, "
        f"{figures['repeat']} repetitions.",
        "",
        "| quiet look (no change in Bind) | measured | target |",
        "|---|---|---|",
        f"| Bind requests | {max(q[2] for q in quiet)} (ceil({figures['followed']}/100)) | ≤ 2, or ceil(open/100) |",
        f"| Smartsheet requests | {max(q[3] for q in quiet)} | 0 |",
        f"| runs launched or requested ({len(quiet)} looks) | {figures['quiet_runs']} | 0 |",
        f"| sensor evaluation, wall ms (median) | {statistics.median(q[0] for q in quiet):.0f} | — |",
        f"| sensor evaluation, CPU ms (median) | {statistics.median(q[1] for q in quiet):.0f} | — |",
        "",
        "| kind of change | detect + write, s (p50 / p95 / max) | freshness bound, s (interval + tick + p95) | "
        "target p95 ≤ interval + 60 s | Bind requests of the run |",
        "|---|---|---|---|---|",
    ]
    for kind, values in figures["freshness"].items():
        p95 = _pct(values, 0.95)
        lines.append(
            f"| {kind} | {_pct(values, 0.5):.1f} / {p95:.1f} / {max(values):.1f} | {bound + p95:.0f} | "
            f"{'met' if bound + p95 <= figures['interval_s'] + 60 else 'NOT met'} | "
            f"{max(figures['bind_requests_per_run'][kind])} |"
        )
    return "\n".join(lines)


SECTION = "## Change detection: quiet intervals and freshness per kind of change (issue 16)"


def section(latency_ms: int, quick: bool = False) -> str:
    try:
        body = report(run(latency_ms, invoices=300 if quick else 2000, repeat=2 if quick else 5))
    except Exception as exc:  # noqa: BLE001 - the rest of the report is written; say what failed here
        body = f"- the measurement failed: {type(exc).__name__}: {exc}"
    return "\n".join(
        ["", SECTION, "", "`python -m smartbind_pipelines_tests.bench.changes` (bench/changes.py):", "", body, ""]
    )


def append_section(path: Path, latency_ms: int, quick: bool = False) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(section(latency_ms, quick))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m smartbind_pipelines_tests.bench.changes")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(report(run(args.latency_ms, args.invoices, args.repeat)))


if __name__ == "__main__":
    main()
