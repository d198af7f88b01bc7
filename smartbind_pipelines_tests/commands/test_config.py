"""`smartbind config ...` through click's runner, on a real SQLite file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines_tests.core.process_config.cases import BAD_CLI_ARGS, WH_A, snapshot


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "processes.db"
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(path))
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["config", *args], catch_exceptions=False)


def test_list_is_a_table_of_every_process(db_path):
    result = run("list")
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split()[:3] == ["JOB_ID", "ACTIVE", "EVERY"]
    assert [row.split()[0] for row in rows] == ["invoice_from_sheet", "sync_inventory", "sync_invoices"]
    assert "4956740131966852" in rows[2] and "2 min" in rows[2]


def test_show_prints_json(db_path):
    result = run("show", "sync_invoices")
    assert result.exit_code == 0
    config = json.loads(result.output)
    assert (config["job_id"], config["interval_minutes"], config["smartsheet_sheet_id"]) == (
        "sync_invoices",
        2,
        "4956740131966852",
    )


def test_db_path_option_wins_over_the_environment(db_path, tmp_path):
    other = tmp_path / "other" / "p.db"
    result = CliRunner().invoke(
        main, ["config", "--db-path", str(other), "set", "sync_invoices", "--interval-minutes", "9"]
    )
    assert result.exit_code == 0, result.output
    assert ProcessConfigStore(other).get("sync_invoices").interval_minutes == 9
    assert ProcessConfigStore(db_path).get("sync_invoices").interval_minutes == 2


def test_set_changes_fields_and_records_who(db_path):
    result = run(
        "set",
        "sync_inventory",
        "--interval-minutes",
        "30",
        "--sheet-id",
        "346190987087748",
        "--sheet-name",
        "Inventario",
        "--inactive",
        "--fields-mapping",
        json.dumps({"warehouse_ids": [WH_A]}),
        "--actor",
        "luis",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["interval_minutes"] == 30
    stored = ProcessConfigStore(db_path).get("sync_inventory")
    assert (stored.interval_minutes, stored.sheet_id_int, stored.smartsheet_sheet_name, stored.is_active) == (
        30,
        346190987087748,
        "Inventario",
        False,
    )
    assert stored.fields_mapping == {"warehouse_ids": [WH_A]}
    history = run("history", "sync_inventory", "--json")
    latest = json.loads(history.output)[0]
    assert (latest["via"], latest["actor"]) == ("cli", "luis")
    assert latest["new"]["interval_minutes"] == 30 and latest["old"]["interval_minutes"] == 60
    resumed = run("set", "sync_inventory", "--active")
    assert resumed.exit_code == 0 and ProcessConfigStore(db_path).get("sync_inventory").is_active is True


def test_history_text_shows_old_and_new(db_path):
    run("set", "sync_invoices", "--interval-minutes", "5")
    result = run("history", "sync_invoices")
    assert result.exit_code == 0
    assert "interval_minutes: 2 -> 5" in result.output
    assert result.output.index("cli") < result.output.index("seed")  # newest first


@pytest.mark.parametrize("field, args", BAD_CLI_ARGS, ids=[" ".join(a) for _, a in BAD_CLI_ARGS])
def test_a_bad_value_exits_non_zero_naming_the_field_and_writes_nothing(db_path, field, args):
    ProcessConfigStore(db_path)
    before = snapshot(db_path)
    result = CliRunner().invoke(main, ["config", "set", "sync_invoices", *args])
    assert result.exit_code != 0
    assert field in result.output
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    "command",
    [["show", "sync_clients"], ["set", "sync_clients", "--interval-minutes", "5"], ["history", "sync_clients"]],
)
def test_unknown_job_exits_non_zero(db_path, command):
    ProcessConfigStore(db_path)
    before = snapshot(db_path)
    result = run(*command)
    assert result.exit_code != 0
    assert "job_id" in result.output and "sync_clients" in result.output
    assert snapshot(db_path) == before


def test_set_without_options_is_a_usage_error(db_path):
    result = run("set", "sync_invoices")
    assert result.exit_code == 2 and "nothing to change" in result.output


def _delete(db_path, job_id):
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM process_configs WHERE job_id = ?", (job_id,))
    conn.close()


@pytest.mark.parametrize("job_id", ["sync_invoices", "sync_clients"])
def test_a_deleted_process_stays_deleted_until_restored_paused(db_path, job_id):
    run("set", "sync_invoices", "--inactive")
    if job_id == "sync_clients":  # a declared process: seeded by its sensor's first read
        from smartbind_pipelines.core.processes import get_process

        get_process(job_id, {}).effective_config(ProcessConfigStore(db_path), {})
    _delete(db_path, job_id)
    listed = run("list")
    assert job_id not in listed.output  # not re-created from the defaults
    assert run("show", job_id).exit_code == 1
    restored = run("restore", job_id, "--actor", "ana")
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.output)["is_active"] is False
    assert ProcessConfigStore(db_path).history(job_id, 1)[0]["actor"] == "ana"
    again = CliRunner().invoke(main, ["config", "restore", job_id])
    assert again.exit_code == 1 and "nothing to restore" in again.output
    assert CliRunner().invoke(main, ["config", "restore", "sync_nothing"]).exit_code == 1


# -- operating hours (issue 16) ------------------------------------------------------------------------


def test_operating_hours_are_set_shown_listed_audited_and_removed(db_path):
    result = run("set", "sync_inventory", "--hours", "08:00-20:00", "--days", "mon-fri", "--actor", "luis")
    assert result.exit_code == 0, result.output
    office = {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert json.loads(result.output)["operating_hours"] == office
    assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours == office
    assert json.loads(run("show", "sync_inventory").output)["operating_hours"] == office
    listed = {row.split()[0]: row for row in run("list").output.splitlines()}
    assert "HOURS" in listed["JOB_ID"]
    assert "08:00–20:00 Mon–Fri" in listed["sync_inventory"] and "always" in listed["sync_invoices"]
    latest = json.loads(run("history", "sync_inventory", "--json").output)[0]
    assert (latest["via"], latest["actor"], latest["old"], latest["new"]) == (
        "cli",
        "luis",
        {"operating_hours": None},
        {"operating_hours": office},
    )

    # --days alone changes the days of the current window; a window may cross midnight
    assert run("set", "sync_inventory", "--days", "sat-sun").exit_code == 0
    assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours["days"] == ["sat", "sun"]
    assert run("set", "sync_inventory", "--hours", "22:00-06:00 mon,wed").exit_code == 0
    assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours == {
        "start": "22:00",
        "end": "06:00",
        "days": ["mon", "wed"],
    }

    removed = run("set", "sync_inventory", "--hours", "always")
    assert removed.exit_code == 0 and json.loads(removed.output)["operating_hours"] is None
    assert "operating_hours" in run("history", "sync_inventory").output


@pytest.mark.parametrize(
    "args, words",
    [
        (["--days", "mon-fri"], "has no operating hours yet"),
        (["--hours", "always", "--days", "mon"], "--days needs a window"),
        (["--hours", "24:00-06:00"], "start '24:00' is not a time of day"),
    ],
)
def test_bad_operating_hours_exit_1_with_one_line_naming_the_field(db_path, args, words):
    ProcessConfigStore(db_path)
    before = snapshot(db_path)
    result = CliRunner().invoke(main, ["config", "set", "sync_invoices", *args])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: operating_hours: ") and words in line
    assert snapshot(db_path) == before
