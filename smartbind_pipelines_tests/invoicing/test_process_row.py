"""invoice_from_sheet's ProcessConfig row (a shipped default: push, paused), `config restore`, and the doctor.

The doctor runs for real against the emulators (our Bind client, the real smartsheet SDK)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.doctor import examine
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET, SHEET_ID_ENV
from smartbind_pipelines.core.sheets import SheetGateway
from smartbind_pipelines.core.sheets.mapping import ColumnSpec, SheetMapping
from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines_tests.invoicing.support import SANDBOX_SETTINGS, valid_row

JOB = INVOICE_FROM_SHEET.job_id


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "processes.db"
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(path))
    return path


def test_a_new_processconfig_file_has_the_invoicing_row_push_and_paused(db_path):
    store = ProcessConfigStore(db_path, env={})
    config = store.get(JOB)
    assert config is not None
    assert (config.source_system, config.target_system, config.sync_direction, config.is_active) == (
        "smartsheet",
        "bind",
        "push",
        False,
    )
    assert config.fields_mapping["smartsheet_columns"] == list(C.ALL_COLUMNS)
    assert store.history(JOB)[-1]["via"] == "seed"


def test_the_sheet_id_variable_is_seeded_with_the_row(db_path):
    store = ProcessConfigStore(db_path, env={"SMARTSHEET_INVOICING_SHEET_ID": "123456789"})
    assert store.get(JOB).smartsheet_sheet_id == "123456789"


def test_config_restore_brings_a_deleted_invoicing_row_back_paused(db_path):
    ProcessConfigStore(db_path, env={})
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM process_configs WHERE job_id = ?", (JOB,))
    conn.close()
    assert CliRunner().invoke(main, ["config", "show", JOB]).exit_code == 1  # deleted stays deleted
    restored = CliRunner().invoke(main, ["config", "restore", JOB, "--actor", "ana"])
    assert restored.exit_code == 0, restored.output
    body = json.loads(restored.output)
    assert (body["is_active"], body["sync_direction"], body["target_system"]) == (False, "push", "bind")


# -- the doctor -----------------------------------------------------------------------------------


@pytest.fixture
def doctor_env(db_path, bind_emulator, smartsheet_emulator):
    env = {
        "BIND_API_BASE_URL": bind_emulator.url,
        "BIND_API_KEY": bind_emulator.token,
        "SMARTSHEET_API_BASE": smartsheet_emulator.url,
        "SMARTSHEET_ACCESS_TOKEN": smartsheet_emulator.token,
        "SMARTBIND_DB_PATH": str(db_path),
    }
    gateway = SheetGateway.connect(smartsheet_emulator.token, smartsheet_emulator.url, timeout=10)
    return env, gateway


def _invoicing_lines(env) -> dict[str, object]:
    return {r.name: r for r in examine(env) if r.name.startswith(JOB)}


def _configure(db_path, env, **changes):
    ProcessConfigStore(db_path, env=env).update(JOB, changes, via="test")


def test_the_doctor_leaves_a_paused_invoicing_process_without_a_sheet_alone(doctor_env):
    env, _ = doctor_env
    assert _invoicing_lines(env) == {}


def test_the_doctor_checks_an_active_invoicing_process_sheet_and_settings(doctor_env, db_path):
    env, gateway = doctor_env
    sheet = gateway.create_sheet("Facturación", C.REQUEST_MAPPING)
    columns = gateway.sheet_columns(sheet["id"])
    gateway.add_rows(sheet["id"], [valid_row(), valid_row()], columns)  # the same RFC twice is fine here
    _configure(
        db_path,
        env,
        is_active=True,
        smartsheet_sheet_id=str(sheet["id"]),
        fields_mapping={"smartsheet_columns": list(C.ALL_COLUMNS), **SANDBOX_SETTINGS},
    )
    lines = _invoicing_lines(env)
    assert {name: r.ok for name, r in lines.items()} == {
        f"{JOB} sheet": True,
        f"{JOB} columns": True,
        f"{JOB} settings": True,
        f"{JOB} Bind ids": True,
    }
    assert "2 row(s)" in lines[f"{JOB} sheet"].detail
    assert "guessed" in lines[f"{JOB} settings"].detail  # the default CFDI-use table is a guess [G]


def test_the_doctor_names_missing_settings_and_unknown_bind_ids(doctor_env, db_path):
    env, gateway = doctor_env
    sheet = gateway.create_sheet("Facturación", C.REQUEST_MAPPING)
    unknown = "0badc0de-0000-4000-8000-000000000000"
    _configure(
        db_path,
        env,
        smartsheet_sheet_id=str(sheet["id"]),  # paused, with a sheet: examined
        fields_mapping={"price_list_id": demo.DEFAULT_PRICE_LIST, "services": {"72101500/E48": unknown}},
    )
    lines = _invoicing_lines(env)
    settings = lines[f"{JOB} settings"]
    assert not settings.ok and "warehouse_id" in settings.detail and "smartbind config set" in settings.fix
    bind_ids = lines[f"{JOB} Bind ids"]
    assert not bind_ids.ok and "services.72101500/E48" in bind_ids.detail and unknown in bind_ids.detail
    assert lines[f"{JOB} columns"].ok


def test_the_doctor_refuses_an_unreadable_setting_naming_it(doctor_env, db_path):
    env, gateway = doctor_env
    sheet = gateway.create_sheet("Facturación", C.REQUEST_MAPPING)
    _configure(
        db_path,
        env,
        smartsheet_sheet_id=str(sheet["id"]),
        fields_mapping={**SANDBOX_SETTINGS, "cfdi_use_codes": {"G03": "tres"}},
    )
    lines = _invoicing_lines(env)
    assert not lines[f"{JOB} settings"].ok and "cfdi_use_codes" in lines[f"{JOB} settings"].detail


def test_the_doctor_names_a_missing_or_mistyped_column(doctor_env, db_path):
    env, gateway = doctor_env
    kept = [c for c in C.REQUEST_MAPPING.columns if c.title not in (C.UUID, C.CANTIDAD)]
    wrong = SheetMapping(key=(C.RFC,), columns=(*kept, ColumnSpec(C.CANTIDAD, "date")))
    sheet = gateway.create_sheet("Facturación", wrong)
    _configure(
        db_path, env, is_active=True, smartsheet_sheet_id=str(sheet["id"]), fields_mapping=dict(SANDBOX_SETTINGS)
    )
    columns = _invoicing_lines(env)[f"{JOB} columns"]
    assert not columns.ok
    assert "'UUID' is missing" in columns.detail and "'Cantidad' is DATE" in columns.detail
    assert f"smartbind sheets create {JOB}" in columns.fix and "Cantidad" in columns.fix  # the accepted types


# -- the seed variable (make dev's sandbox sets it; production does not) ---------------------------------


def test_the_seed_variable_seeds_the_row_active_with_settings_merged(db_path):
    seed = json.dumps({"is_active": True, "fields_mapping": {"warehouse_id": demo.WAREHOUSE_GENERAL}})
    config = ProcessConfigStore(db_path, env={"SMARTBIND_INVOICING_SEED": seed}).get(JOB)
    assert config.is_active is True
    assert config.fields_mapping["warehouse_id"] == demo.WAREHOUSE_GENERAL
    assert config.fields_mapping["smartsheet_columns"] == list(C.ALL_COLUMNS)  # the default's, kept


def test_the_seed_variable_never_changes_a_stored_row(db_path):
    ProcessConfigStore(db_path, env={})
    again = ProcessConfigStore(db_path, env={"SMARTBIND_INVOICING_SEED": '{"is_active": true}'})
    assert again.get(JOB).is_active is False


@pytest.mark.parametrize("seed", ["not json", "[1]", '{"is_active": "yes", "interval_minutes": 0, "job_id": "x"}'])
def test_an_unusable_seed_variable_is_ignored_and_processconfig_still_opens(db_path, seed):
    store = ProcessConfigStore(db_path, env={"SMARTBIND_INVOICING_SEED": seed})
    config = store.get(JOB)
    assert (config.job_id, config.is_active, config.interval_minutes) == (JOB, False, 1)
