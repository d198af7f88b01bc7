"""The figures the scenarios write, and the table docs/faults.md is rendered from (pure; no emulators)."""

import json
import time

from .figures import ScenarioFigures, load, main, newest_run, render, totals
from .oracle import SheetVersusBind, compare


def test_figures_add_up_per_run_and_render_the_headline(tmp_path):
    stale = ScenarioFigures("test_old.py::test_x").to_json("passed")
    stale.update(run_uid="older", written_at=time.time() - 3_600, invoices_lost=9)
    (tmp_path / "old.json").write_text(json.dumps(stale))

    first = ScenarioFigures("test_a.py::test_one")
    first.fault("bind", "rate_limit", 3)
    first.fault("bind", "rate_limit", 0)  # nothing served, nothing counted
    first.incident("bad records from Bind", 4)
    first.runs, first.failed_runs = 5, 1
    first.record_check(SheetVersusBind(checked=40))
    first.write("passed", tmp_path)
    second = ScenarioFigures("test_b.py::test_two")
    second.fault("smartsheet", "drop_after", 1)
    second.record_check(SheetVersusBind(checked=10, lost=["u1"], duplicated={"u2": 3}))
    second.write("failed", tmp_path)

    records = newest_run(load(tmp_path))
    assert sorted(record["scenario"] for record in records) == ["test_a.py::test_one", "test_b.py::test_two"]
    summary = totals(records)
    assert summary["faults_injected"] == 4 and summary["faults_by_kind"] == {
        "bind rate_limit": 3,
        "smartsheet drop_after": 1,
    }
    assert (summary["records_checked"], summary["invoices_lost"], summary["duplicates"]) == (50, 1, 2)
    assert summary["passed"] == 1 and summary["runs"] == 5 and summary["failed_runs"] == 1
    table = render(records)
    assert "| 2 | 1 | 4 | 4 | 5 (1) | 2 | 50 | 1 | 2 | 0 |" in table
    assert "bind rate_limit × 3" in table and "`test_b.py::test_two`" in table


def test_render_command_reads_the_newest_run_and_writes_a_summary(tmp_path, capsys):
    folder = tmp_path / "faults"
    folder.mkdir()
    ScenarioFigures("test_a.py::test_one").write("passed", folder)
    assert main([str(folder)]) == 0
    assert "`test_a.py::test_one`" in capsys.readouterr().out
    assert json.loads((tmp_path / "faults-summary.json").read_text())["scenarios"] == 1
    assert main([str(tmp_path / "empty")]) == 1


def test_the_oracle_finds_lost_doubled_changed_and_leaked_rows():
    bind = [
        {"ID": "1", "UUID": "A", "Date": "2026-03-10T09:00:00", "Total": 100.004, "Status": 0},
        {"ID": "2", "UUID": "B", "Date": "2026-03-10T09:01:00", "Total": 50, "Status": 1},
        {"ID": "3", "UUID": "C", "Date": "2026-03-10T09:02:00", "Total": 7, "Status": 7},
        {"ID": "4", "UUID": None, "Date": "2026-03-10T09:03:00", "Total": 9, "Status": 0},
        {"ID": "5", "UUID": "b", "Date": "2026-03-10T09:04:00", "Total": 51, "Status": 0},  # B again, later
        {"ID": "6", "UUID": "D", "Date": "2026-03-10T09:05:00", "Total": "abc", "Status": 0},
    ]
    good = [
        {"UUID": "a", "Total": 100.0, "Estado": "Vigente"},
        {"UUID": "B", "Total": 50.0, "Estado": "Pagada"},
        {"UUID": "c", "Total": 7, "Estado": "Desconocido (7)"},
    ]
    assert compare(bind, good).equal and compare(bind, good).checked == 3

    bad = compare(
        bind,
        [
            good[0],
            good[0],
            {"UUID": "B", "Total": 51.0, "Estado": "Vigente"},
            {"UUID": "", "Total": 9, "Estado": "Vigente"},
            {"UUID": "Z", "Total": 1, "Estado": "Vigente"},
        ],
    )
    assert not bad.equal
    assert bad.lost == ["c"] and bad.duplicated == {"a": 2} and bad.rows_without_uuid == 1 and bad.unexpected == ["z"]
    assert "Total" in bad.mismatched["b"] and "Estado" in bad.mismatched["b"]
