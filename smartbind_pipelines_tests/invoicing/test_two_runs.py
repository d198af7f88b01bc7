"""Two Dagster runs of invoice_from_sheet at once on the same rows: one invoice per row (issue 17).

Two real runs (`dagster job execute` processes, outside the run queue, so the queue's one-run-per-process
limit does not keep them apart) on one DAGSTER_HOME with the `make dev` instance file (dev/dagster.yaml: one
slot per pool). The test holds the pool's slot the way a running writer does, starts both, sees both wait
for it with nothing claimed on the sheet, then frees it: the invoicing steps run one after the other, the
first invoices every row, the second finds them invoiced and posts nothing. Counted in Bind by each row's
reference: rows, invoices, duplicates (0), rows without an outcome (0).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster import DagsterEventType

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET
from smartbind_pipelines_tests.defs.test_one_writer import (
    _cli_env,
    dev_home,  # noqa: F401 - a fixture
    dev_instance,  # noqa: F401 - a fixture
    hold_slot,
    release_slot,
    wait_until_waiting,
)
from smartbind_pipelines_tests.invoicing.support import SANDBOX_SETTINGS, InvoicingBench, valid_row

pytestmark = pytest.mark.slow

STEP = "invoice_from_sheet_rows"  # the multi-asset step in the pool: claim, create, write back


def _step_span(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float, str]:
    entries = [r.event_log_entry for r in instance.get_records_for_run(run_id).records]
    stamps = [(e.timestamp, e.dagster_event_type) for e in entries if e.step_key == STEP]
    start = [t for t, kind in stamps if kind == DagsterEventType.STEP_START]
    end = [t for t, kind in stamps if kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)]
    assert start and end, f"run {run_id} never ran {STEP}"
    return start[0], end[-1], run_id


def _invoiced(instance: dg.DagsterInstance, run_id: str) -> tuple[int, int]:
    """(invoiced, posts) from the run's bind_sheet_invoices materialization."""
    [record] = [
        r
        for r in instance.get_records_for_run(run_id).records
        if r.event_log_entry.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION
        and r.event_log_entry.asset_materialization.asset_key.path == ["bind_sheet_invoices"]
    ]
    metadata = record.event_log_entry.asset_materialization.metadata
    return metadata["invoiced"].value, metadata["posts"].value


def test_two_dagster_runs_at_once_on_the_same_rows_invoice_each_row_once(
    tmp_path,
    dev_home,  # noqa: F811 - fixtures imported from test_one_writer
    dev_instance,  # noqa: F811
    bind_emulator,
    smartsheet_emulator,
    process_config,
):
    bench = InvoicingBench(bind_emulator, smartsheet_emulator, tmp_path)
    rows = bench.add(*[valid_row(**{C.CANTIDAD: n + 1}) for n in range(5)])
    process_config.store().update(
        INVOICE_FROM_SHEET.job_id,
        {
            "smartsheet_sheet_id": str(bench.sheet_id),
            "is_active": True,
            "fields_mapping": {**SANDBOX_SETTINGS, "stamp_wait_seconds": 1},
        },
        via="test",
    )
    env = _cli_env(dev_home, bind_emulator, smartsheet_emulator, process_config)
    argv = [
        str(Path(sys.executable).parent / "dagster"),
        "job",
        "execute",
        "-m",
        "smartbind_pipelines.definitions",
        "-j",
        INVOICE_FROM_SHEET.job_id,
    ]
    posts_before = bind_emulator.admin.counts().get("POST /api/Invoices", 0)

    hold_slot(dev_instance, INVOICE_FROM_SHEET.pool)
    runs = [
        subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    try:
        waiting = wait_until_waiting(
            dev_instance, INVOICE_FROM_SHEET.pool, 2, lambda: all(p.poll() is None for p in runs)
        )
        # both runs are at the pool's door: nothing claimed, nothing posted
        assert {cells[C.ESTADO] for cells in bench.rows().values()} == {C.FACTURAR}
        assert bind_emulator.admin.counts().get("POST /api/Invoices", 0) == posts_before
    finally:
        release_slot(dev_instance, INVOICE_FROM_SHEET.pool)
        outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output[-3000:]

    spans = sorted(_step_span(dev_instance, run_id) for run_id in waiting)
    (_, first_end, first), (second_start, _, second) = spans
    assert second_start > first_end, f"{second}'s invoicing step started while {first}'s was running"
    assert [_invoiced(dev_instance, first), _invoiced(dev_instance, second)] == [(5, 5), (0, 0)]
    assert bind_emulator.admin.counts().get("POST /api/Invoices", 0) == posts_before + 5
    assert bench.tally(rows) == {"rows": 5, "invoices": 5, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 5}
