"""The doctor's settings checks: pure functions of the environment (no network)."""

from __future__ import annotations

import os

import pytest

from smartbind_pipelines.core.doctor import (
    check_api_base,
    check_db_path,
    check_secret,
    check_sheet_id_variable,
    check_warehouse_variable,
    column_problems,
    settings_checks,
)
from smartbind_pipelines.core.sheets.mapping import ColumnSpec, SheetMapping


def good_env(tmp_path) -> dict[str, str]:
    return {
        "BIND_API_BASE_URL": "https://api.bind.com.mx/api",
        "BIND_API_KEY": "eyJhbGciOiJIUzI1NiJ9.payload.signature",
        "BIND_WAREHOUSE_ID": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "SMARTSHEET_API_BASE": "https://api.smartsheet.com/2.0",
        "SMARTSHEET_ACCESS_TOKEN": "abcdefghijklmnopqrstuvwxyz0123456789",
        "SMARTSHEET_INVOICES_SHEET_ID": "4956740131966852",
        "SMARTBIND_DB_PATH": str(tmp_path / "data" / "processes.db"),
        "SMARTBIND_ADMIN_TOKEN": "admin-token-0123456789abcdef",
    }


def test_a_complete_environment_passes_every_setting(tmp_path):
    results = settings_checks(good_env(tmp_path))
    assert [r.name for r in results if not r.ok] == []
    assert {r.name for r in results} >= {"BIND_API_BASE_URL", "BIND_API_KEY", "SMARTSHEET_API_BASE",
                                          "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_DB_PATH", "SMARTBIND_ADMIN_TOKEN"}


def test_secrets_are_shown_by_length_only(tmp_path):
    env = good_env(tmp_path)
    lines = "\n".join(r.line() for r in settings_checks(env))
    for name in ("BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN"):
        assert env[name] not in lines
        assert env[name][:6] not in lines
        assert f"set ({len(env[name])} characters)" in lines


@pytest.mark.parametrize("name", ["BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN"])
def test_unset_secret_fails_with_a_fix(tmp_path, name):
    env = good_env(tmp_path)
    del env[name]
    result = next(r for r in settings_checks(env) if r.name == name)
    assert not result.ok and result.detail == "not set"
    assert f"export {name}=" in result.fix


@pytest.mark.parametrize("value, problem", [
    (" token-with-space", "whitespace"),
    ("token\n", "whitespace"),
    ("Bearer abcdef123456", "Bearer"),
])
def test_secret_pasted_wrongly_fails(value, problem):
    result = check_secret({"BIND_API_KEY": value}, "BIND_API_KEY", "purpose")
    assert not result.ok and problem in result.detail
    assert value.strip() not in result.line()


@pytest.mark.parametrize("url, problem", [
    ("api.bind.com.mx/api", "scheme"),
    ("ftp://api.bind.com.mx/api", "scheme"),
    ("https:///api", "host"),
    ("https://api.bind.com.mx", "path must end in '/api'"),
    ("https://api.bind.com.mx/api?x=1", "query"),
    ("https://api.bind.com.mx:port/api", "port"),
])
def test_bad_bind_url_fails(url, problem):
    result = check_api_base({"BIND_API_BASE_URL": url}, "BIND_API_BASE_URL", "https://api.bind.com.mx/api", "/api")
    assert not result.ok
    assert problem in result.detail
    assert "https://api.bind.com.mx/api" in result.fix


def test_unset_url_uses_the_default_and_a_trailing_slash_is_tolerated():
    unset = check_api_base({}, "SMARTSHEET_API_BASE", "https://api.smartsheet.com/2.0", "/2.0")
    assert unset.ok and "default" in unset.detail
    slash = check_api_base({"SMARTSHEET_API_BASE": "http://127.0.0.1:8702/2.0/"}, "SMARTSHEET_API_BASE",
                           "https://api.smartsheet.com/2.0", "/2.0")
    assert slash.ok
    wrong = check_api_base({"SMARTSHEET_API_BASE": "https://api.smartsheet.com/"}, "SMARTSHEET_API_BASE",
                           "https://api.smartsheet.com/2.0", "/2.0")
    assert not wrong.ok and "'/2.0'" in wrong.detail


def test_sheet_id_variables_must_be_digits_when_set():
    assert check_sheet_id_variable({}, "SMARTSHEET_INVOICES_SHEET_ID").ok
    assert check_sheet_id_variable({"SMARTSHEET_INVOICES_SHEET_ID": "123"}, "SMARTSHEET_INVOICES_SHEET_ID").ok
    bad = check_sheet_id_variable({"SMARTSHEET_INVOICES_SHEET_ID": "12a4"}, "SMARTSHEET_INVOICES_SHEET_ID")
    assert not bad.ok and "'12a4'" in bad.detail
    unicode_digits = check_sheet_id_variable({"SMARTSHEET_INVENTORY_SHEET_ID": "١٢٣"}, "SMARTSHEET_INVENTORY_SHEET_ID")
    assert not unicode_digits.ok


def test_warehouse_variable_must_be_a_guid_when_set():
    assert check_warehouse_variable({}).ok
    assert not check_warehouse_variable({"BIND_WAREHOUSE_ID": "Almacén General"}).ok


def test_db_path_in_a_missing_but_creatable_directory_passes(tmp_path):
    result = check_db_path({"SMARTBIND_DB_PATH": str(tmp_path / "a" / "b" / "processes.db")})
    assert result.ok and "will be created" in result.detail
    assert not (tmp_path / "a").exists()  # the doctor creates nothing


def test_db_path_that_is_a_directory_fails(tmp_path):
    result = check_db_path({"SMARTBIND_DB_PATH": str(tmp_path)})
    assert not result.ok and "directory" in result.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_db_path_in_a_read_only_directory_fails(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = check_db_path({"SMARTBIND_DB_PATH": str(locked / "processes.db")})
    finally:
        locked.chmod(0o700)
    assert not result.ok


def test_db_path_under_a_file_fails(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = check_db_path({"SMARTBIND_DB_PATH": str(blocker / "processes.db")})
    assert not result.ok


MAPPING = SheetMapping(key=("UUID",), columns=(ColumnSpec("UUID"), ColumnSpec("Fecha", "date"),
                                               ColumnSpec("Total", "number")))


def test_column_types_accepted_and_refused():
    good = {"UUID": {"type": "TEXT_NUMBER"}, "Fecha": {"type": "DATE"}, "Total": {"type": "TEXT_NUMBER"}}
    assert column_problems(good, MAPPING) == []
    bad = {"UUID": {"type": "TEXT_NUMBER"}, "Fecha": {"type": "TEXT_NUMBER"}}
    problems = column_problems(bad, MAPPING)
    assert "'Total' is missing" in problems
    fecha = next(p for p in problems if p.startswith("'Fecha'"))
    assert "is TEXT_NUMBER, needs" in fecha and "DATE" in fecha
    assert len(problems) == 2
