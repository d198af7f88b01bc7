"""Database growth per day of steady state, before and after the retention job (issue 16, point 7).

A SQLite Dagster instance of its own (as `make dev` and the stack use), the demo Bind data and a sheet in
the Smartsheet emulator; quiet ``sync_invoices`` runs (nothing new in Bind) executed in process, as the
regular sync runs all day long. Measured: the instance directory (run storage, event index, per-run event
shards, stored reads, captured logs) after each batch of runs.

- **before**: bytes added per quiet run, times 720 runs a day (one every 2 minutes): the instance grows
  by that every day, for ever.
- **after**: the same batch again after ``prune_run_history`` deleted the earlier batch (pruning dated
  N days ahead makes them "old"): what the steady state adds per day once retention deletes a day for
  every day added (SQLite reuses the freed pages; the per-run shard files go with their runs).
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

log = logging.getLogger("smartbind.bench")

RUNS_PER_DAY = 720  # one every 2 minutes
BATCH = 30


@dataclass
class GrowthFigure:
    runs: int
    bytes_per_run_before: float
    per_day_before_mb: float
    growth_after_prune_bytes: int  # a second batch of runs after the first was pruned
    per_day_after_mb: float
    deleted: int
    kept_for_state: int


def _size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def measure_growth(runs: int = BATCH) -> GrowthFigure:
    import dagster as dg

    from smartbind_pipelines.core.cdmx import CDMX
    from smartbind_pipelines.defs.process_config import ProcessConfigResource
    from smartbind_pipelines.defs.retention import prune_run_history
    from smartbind_pipelines.sandbox.bind import BindState, create_bind_app
    from smartbind_pipelines.sandbox.faults import SandboxAdmin
    from smartbind_pipelines.sandbox.server import BackgroundServer
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app
    from smartbind_pipelines_tests.conftest import RunningEmulator
    from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync

    bind_token, sheet_token = "bind-" + secrets.token_hex(8), "sheet-" + secrets.token_hex(8)
    bind_state, sheet_state = BindState.demo(seed=7), SmartsheetState()
    with (
        tempfile.TemporaryDirectory() as home,
        BackgroundServer(create_bind_app(bind_state, tokens={bind_token})) as bind_server,
        BackgroundServer(create_smartsheet_app(sheet_state, tokens={sheet_token})) as sheet_server,
    ):
        bind = RunningEmulator(
            f"{bind_server.url}/api", bind_token, bind_state, SandboxAdmin(bind_server.url), bind_server
        )
        sheet = RunningEmulator(
            f"{sheet_server.url}/2.0", sheet_token, sheet_state, SandboxAdmin(sheet_server.url), sheet_server
        )
        root = Path(home) / "dagster_home"
        root.mkdir()
        with dg.DagsterInstance.from_config(str(root)) as instance:
            sync = InvoiceSync(bind, sheet, ProcessConfigResource(db_path=str(Path(home) / "processes.db")), instance)
            sync.create_sheet()
            start = datetime(2026, 3, 10, 8, 0, tzinfo=CDMX)
            moment = start

            def batch() -> None:
                nonlocal moment
                for _ in range(runs):
                    moment += timedelta(minutes=2)
                    if not sync.run(moment).success:
                        raise RuntimeError("a quiet sync failed during the growth measurement")

            sync.run(start)  # the first sync writes the sheet; the steady state starts after it
            base = _size(root)
            batch()
            first = _size(root)
            per_run = (first - base) / runs
            # retention: every run of the first batch is now "older than 30 days", except the state's
            report = prune_run_history(instance, 30, now=datetime.now(timezone.utc) + timedelta(days=31))
            pruned = _size(root)
            batch()
            second = _size(root)
            report2 = prune_run_history(instance, 30, now=datetime.now(timezone.utc) + timedelta(days=31))
            after = _size(root)
    log.info(
        "retention: %d quiet runs add %.0f bytes each; pruned %d; a second batch after pruning grew "
        "%d bytes (%d -> %d), pruned again -> %d",
        runs,
        per_run,
        len(report.deleted_runs),
        second - pruned,
        pruned,
        second,
        after,
    )
    growth_after = max(0, after - pruned)  # one batch added, one batch deleted: the steady state's net growth
    return GrowthFigure(
        runs=runs,
        bytes_per_run_before=per_run,
        per_day_before_mb=per_run * RUNS_PER_DAY / 1e6,
        growth_after_prune_bytes=growth_after,
        per_day_after_mb=growth_after / runs * RUNS_PER_DAY / 1e6,
        deleted=len(report.deleted_runs) + len(report2.deleted_runs),
        kept_for_state=len(report2.kept_for_state),
    )


def summary_lines(figure: GrowthFigure) -> list[str]:
    return [
        f"- Without retention: a quiet `sync_invoices` run adds {figure.bytes_per_run_before / 1e3:.0f} kB to a SQLite "
        f"instance; at 720 runs a day that is **{figure.per_day_before_mb:.0f} MB a day**, for ever.",
        f"- With `prune_run_history`: after deleting the earlier runs, {figure.runs} more quiet runs and a second "
        f"pruning leave the instance {figure.growth_after_prune_bytes / 1e3:.0f} kB larger: "
        f"**{figure.per_day_after_mb:.1f} MB a day** once the history is 30 days deep "
        f"({figure.deleted} runs deleted, {figure.kept_for_state} kept because they hold the sync state).",
    ]
