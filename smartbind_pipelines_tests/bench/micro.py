"""Micro-benchmarks of the emulators and the ProcessConfig store, moved out of the test suite (issue 14).

These figures used to be asserts in the tests (`min(timings) < 0.1`, `elapsed < 3`, ...) and failed CI on
a loaded machine. The tests now check what the code does; how fast it does it is measured here, by
`make bench`, and shown with its budget in docs/benchmarks.md.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests


@dataclass(frozen=True)
class MicroFigure:
    name: str
    seconds: float  # best of the repeats
    budget_s: float  # what the tests used to assert
    what: str

    @property
    def met(self) -> bool:
        return self.seconds < self.budget_s


def _best(repeats: int, run: Callable[[], None]) -> float:
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        timings.append(time.perf_counter() - began)
    return min(timings)


def smartsheet_add_500_rows() -> MicroFigure:
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState

    state = SmartsheetState()
    columns = [
        {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
        {"title": "Fecha", "type": "DATE"},
        *({"title": f"C{n}", "type": "TEXT_NUMBER"} for n in range(5)),
    ]
    sheet = state.create_sheet("Facturas", columns)
    ids = [column["id"] for column in sheet["columns"]]
    payload = [
        {
            "toBottom": True,
            "cells": [
                {"columnId": ids[0], "value": f"K{n}"},
                {"columnId": ids[1], "value": "2024-05-01"},
                *({"columnId": cid, "value": f"v{n}"} for cid in ids[2:]),
            ],
        }
        for n in range(500)
    ]
    seconds = _best(3, lambda: state.add_rows(sheet["id"], payload))
    return MicroFigure(
        "Smartsheet emulator: add 500 rows (server time, in memory)",
        seconds,
        0.1,
        "best of 3 calls of SmartsheetState.add_rows",
    )


def smartsheet_key_read_20000_rows() -> MicroFigure:
    from smartbind_pipelines.sandbox.server import BackgroundServer
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app

    token = "bench-token"
    state = SmartsheetState()
    sheet = state.create_sheet("Facturas", [{"title": "UUID", "type": "TEXT_NUMBER", "primary": True}])
    key = sheet["columns"][0]["id"]
    for start in range(0, 20_000, 500):
        state.add_rows(
            sheet["id"], [{"cells": [{"columnId": key, "value": f"K{n}"}]} for n in range(start, start + 500)]
        )
    with BackgroundServer(create_smartsheet_app(state, tokens={token})) as server:
        auth = {"Authorization": f"Bearer {token}"}

        def read() -> None:
            for page in range(1, 6):
                requests.get(
                    f"{server.url}/2.0/sheets/{sheet['id']}?columnIds={key}&pageSize=4000&page={page}",
                    headers=auth,
                    timeout=30,
                ).raise_for_status()

        seconds = _best(1, read)
    return MicroFigure(
        "Smartsheet emulator: key column of 20,000 rows over HTTP (5 pages)",
        seconds,
        3.0,
        "raw HTTP on loopback, no SDK parsing",
    )


def bind_page_20000_invoices() -> MicroFigure:
    from smartbind_pipelines.sandbox.bind import BindState
    from smartbind_pipelines.sandbox.bind.query import page_body, parse_options, select_rows
    from smartbind_pipelines.sandbox.bind.schema import INVOICE_LIST_ITEM

    state = BindState.empty()
    state.generate_invoices(20_000, start="2026-01-01T00:00:00", end="2026-04-01T00:00:00")
    rows = state.rows("invoices")
    queries = (
        [],
        [("$skip", "19900")],
        [("$filter", "Status eq 1")],
        [("$filter", "Date ge datetime'2026-02-01T00:00:00' and Date lt datetime'2026-02-02T00:00:00'")],
        [("$orderby", "Date desc")],
    )
    slowest = 0.0
    for query in queries:
        options = parse_options(query, INVOICE_LIST_ITEM)
        slowest = max(
            slowest, _best(3, lambda: page_body(select_rows(rows, options), options, "http://h/api/Invoices"))
        )
    return MicroFigure(
        "Bind emulator: one page of 20,000 invoices (slowest of 5 OData queries)",
        slowest,
        0.25,
        "query parse + select + page body",
    )


def process_config_open() -> MicroFigure:
    from smartbind_pipelines.core.process_config import ProcessConfigStore

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "processes.db"
        ProcessConfigStore(db_path, env={})
        seconds = _best(1, lambda: [ProcessConfigStore(db_path, env={}).get("sync_invoices") for _ in range(50)]) / 50
    return MicroFigure(
        "ProcessConfig store: open + read one row (what a sensor tick does)",
        seconds,
        0.05,
        "mean of 50 opens of a set-up file",
    )


MICRO_BENCHMARKS = (
    smartsheet_add_500_rows,
    smartsheet_key_read_20000_rows,
    bind_page_20000_invoices,
    process_config_open,
)


def run_micro() -> list[MicroFigure]:
    return [benchmark() for benchmark in MICRO_BENCHMARKS]


def render_micro(figures: list[MicroFigure]) -> list[str]:
    if not figures:
        return []
    lines = [
        "## Emulator and store micro-benchmarks",
        "",
        "Figures the test suite no longer asserts (a loaded CI machine broke them); the budget is what "
        "the tests used to demand.",
        "",
        "| Measure | Seconds | Budget | Met | How |",
        "|---|---:|---:|---|---|",
    ]
    lines += [
        f"| {f.name} | {f.seconds:.3f} | {f.budget_s:g} | {'yes' if f.met else '**no**'} | {f.what} |" for f in figures
    ]
    return [*lines, ""]
