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
        "DAGSTER_PG_PASSWORD": "9f2c1e7a4b6d8e0f3a5c7b9d1e2f4a6c",
    }


def test_a_complete_environment_passes_every_setting(tmp_path):
    results = settings_checks(good_env(tmp_path))
    assert [r.name for r in results if not r.ok] == []
    assert {r.name for r in results} >= {
        "BIND_API_BASE_URL",
        "BIND_API_KEY",
        "SMARTSHEET_API_BASE",
        "SMARTSHEET_ACCESS_TOKEN",
        "SMARTBIND_DB_PATH",
        "SMARTBIND_ADMIN_TOKEN",
    }


def test_the_user_code_service_environment_passes_without_the_admin_token(tmp_path):
    """docker-compose.yml hands the admin token to admin_api alone; `docker compose run --rm user_code
    smartbind doctor` (the operator's guide) must not fail for want of it."""
    env = good_env(tmp_path)
    del env["SMARTBIND_ADMIN_TOKEN"]
    assert [r.name for r in settings_checks(env) if not r.ok] == []


def test_a_set_admin_token_is_still_checked(tmp_path):
    env = {**good_env(tmp_path), "SMARTBIND_ADMIN_TOKEN": "'admin-token-0123456789abcdef'"}
    [result] = [r for r in settings_checks(env) if r.name == "SMARTBIND_ADMIN_TOKEN"]
    assert not result.ok and "quote" in result.detail


def test_secrets_are_shown_by_length_only(tmp_path):
    env = good_env(tmp_path)
    lines = "\n".join(r.line() for r in settings_checks(env))
    for name in ("BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN"):
        assert env[name] not in lines
        assert env[name][:6] not in lines
        assert f"set ({len(env[name])} characters)" in lines


@pytest.mark.parametrize("name", ["BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN"])
def test_unset_secret_fails_with_a_fix(tmp_path, name):
    env = good_env(tmp_path)
    del env[name]
    result = next(r for r in settings_checks(env) if r.name == name)
    assert not result.ok and result.detail == "not set"
    assert f"export {name}=" in result.fix


@pytest.mark.parametrize(
    "value, problem",
    [
        (" token-with-space", "whitespace"),
        ("token\n", "whitespace"),
        ("Bearer abcdef123456", "Bearer"),
    ],
)
def test_secret_pasted_wrongly_fails(value, problem):
    result = check_secret({"BIND_API_KEY": value}, "BIND_API_KEY", "purpose")
    assert not result.ok and problem in result.detail
    assert value.strip() not in result.line()


@pytest.mark.parametrize(
    "raw, ok", [("three", False), ("0", False), ("2.5", False), (" 4 ", True), ("5", True), ("", True)]
)
def test_the_alert_threshold_is_named_with_its_bad_value(tmp_path, raw, ok):
    env = {**good_env(tmp_path), "SMARTBIND_ALERT_AFTER_FAILURES": raw}
    result = next(r for r in settings_checks(env) if r.name == "SMARTBIND_ALERT_AFTER_FAILURES")
    assert result.ok is ok, result.line()
    if not ok:
        assert repr(raw) in result.detail and "3" in result.detail


SECRETS = ["BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN", "DAGSTER_PG_PASSWORD"]
KEY = "k3yV4lue-0123456789abcdef"


@pytest.mark.parametrize("name", SECRETS)
@pytest.mark.parametrize(
    "value",
    [f'"{KEY}"', f"'{KEY}'", f"' {KEY} '", f'"{KEY}', f"{KEY}'", f" '{KEY}' ", f"`{KEY}`"],
    ids=["double", "single", "single-spaced", "open-double", "close-single", "spaces-around", "backticks"],
)
def test_a_secret_pasted_with_quotes_fails_without_showing_it(tmp_path, name, value):
    """Issue 14: BIND_API_KEY='"abc"' reaches Bind as "abc" with its quotes, and every call is a 401."""
    env = {**good_env(tmp_path), name: value}
    result = next(r for r in settings_checks(env) if r.name == name)
    assert not result.ok, result.line()
    assert "quote" in result.detail or "whitespace" in result.detail
    assert KEY not in result.line() and KEY[:6] not in result.line()


def _example_values() -> dict[str, str]:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / ".env.example"
    values = {}
    for raw in example.read_text().splitlines():
        line = raw.strip().lstrip("#").strip()
        name, sep, value = line.partition("=")
        if sep and name.isupper() and " " not in name:
            values[name] = value
    return values


@pytest.mark.parametrize("name", SECRETS)
def test_the_example_files_values_never_pass_for_a_secret(tmp_path, name):
    """Every secret .env.example fills in (DAGSTER_PG_PASSWORD=change-me) is refused, naming the variable."""
    example = _example_values()
    assert "DAGSTER_PG_PASSWORD" in example and all(name in example for name in SECRETS)
    env = {**good_env(tmp_path), name: example[name]}
    result = next(r for r in settings_checks(env) if r.name == name)
    if not example[name] and name == "SMARTBIND_ADMIN_TOKEN":
        # left empty in the example: only admin_api needs it, and that service refuses to start without it
        assert result.detail.startswith("not set in this environment"), result.line()
        return
    assert not result.ok, result.line()
    if example[name]:
        assert "placeholder" in result.detail and example[name] not in result.line()


@pytest.mark.parametrize(
    "placeholder",
    [
        "change-me",
        "CHANGEME",
        "changeme123",
        "your-api-key",
        "<token>",
        "xxxxxxxx",
        "password",
        "secret",
        "TODO",
        "replace_me",
    ],
)
@pytest.mark.parametrize("name", SECRETS)
def test_known_placeholders_are_refused(tmp_path, name, placeholder):
    result = next(r for r in settings_checks({**good_env(tmp_path), name: placeholder}) if r.name == name)
    assert not result.ok and "placeholder" in result.detail, result.line()
    assert placeholder not in result.line()


@pytest.mark.parametrize(
    "url, problem",
    [
        ("api.bind.com.mx/api", "scheme"),
        ("ftp://api.bind.com.mx/api", "scheme"),
        ("https:///api", "host"),
        ("https://api.bind.com.mx", "path must end in '/api'"),
        ("https://api.bind.com.mx/api?x=1", "query"),
        ("https://api.bind.com.mx:port/api", "port"),
    ],
)
def test_bad_bind_url_fails(url, problem):
    result = check_api_base({"BIND_API_BASE_URL": url}, "BIND_API_BASE_URL", "https://api.bind.com.mx/api", "/api")
    assert not result.ok
    assert problem in result.detail
    assert "https://api.bind.com.mx/api" in result.fix


def test_unset_url_uses_the_default_and_a_trailing_slash_is_tolerated():
    unset = check_api_base({}, "SMARTSHEET_API_BASE", "https://api.smartsheet.com/2.0", "/2.0")
    assert unset.ok and "default" in unset.detail
    slash = check_api_base(
        {"SMARTSHEET_API_BASE": "http://127.0.0.1:8702/2.0/"},
        "SMARTSHEET_API_BASE",
        "https://api.smartsheet.com/2.0",
        "/2.0",
    )
    assert slash.ok
    wrong = check_api_base(
        {"SMARTSHEET_API_BASE": "https://api.smartsheet.com/"},
        "SMARTSHEET_API_BASE",
        "https://api.smartsheet.com/2.0",
        "/2.0",
    )
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


MAPPING = SheetMapping(
    key=("UUID",), columns=(ColumnSpec("UUID"), ColumnSpec("Fecha", "date"), ColumnSpec("Total", "number"))
)


def test_column_types_accepted_and_refused():
    good = {"UUID": {"type": "TEXT_NUMBER"}, "Fecha": {"type": "DATE"}, "Total": {"type": "TEXT_NUMBER"}}
    assert column_problems(good, MAPPING) == []
    bad = {"UUID": {"type": "TEXT_NUMBER"}, "Fecha": {"type": "TEXT_NUMBER"}}
    problems = column_problems(bad, MAPPING)
    assert "'Total' is missing" in problems
    fecha = next(p for p in problems if p.startswith("'Fecha'"))
    assert "is TEXT_NUMBER, needs" in fecha and "DATE" in fecha
    assert len(problems) == 2


# --------------------------------------------------------------------------------------------------
# `smartbind doctor` end to end: the real CLI, our Bind client and the smartsheet SDK, both emulators
# --------------------------------------------------------------------------------------------------

import socket  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from smartbind_pipelines.cli import main  # noqa: E402
from smartbind_pipelines.core import doctor as doctor_module  # noqa: E402
from smartbind_pipelines.core.process_config import ProcessConfigStore  # noqa: E402
from smartbind_pipelines.sandbox.sheets import INVENTORY_COLUMNS, INVOICE_COLUMNS  # noqa: E402
from smartbind_pipelines_tests.commands.support import DESIGN_VARIABLES  # noqa: E402

ADMIN_TOKEN = "admin-" + "k" * 30


def closed_port_url(suffix: str) -> str:
    """A loopback URL where nothing listens: the service is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{suffix}"


class Account:
    """Both emulators, a typed invoices sheet and a ProcessConfig file that points at it."""

    def __init__(self, bind, smartsheet, tmp_path):
        self.bind, self.smartsheet = bind, smartsheet
        self.db_path = str(tmp_path / "data" / "processes.db")
        self.store = ProcessConfigStore(self.db_path, env={})
        self.invoices_sheet = smartsheet.state.create_sheet("Facturas Bind", INVOICE_COLUMNS)
        self.store.update("sync_invoices", {"smartsheet_sheet_id": str(self.invoices_sheet["id"])}, via="test")
        self.store.update("sync_inventory", {"is_active": False}, via="test")
        self.env = {
            "BIND_API_BASE_URL": bind.url,
            "BIND_API_KEY": bind.token,
            "BIND_WAREHOUSE_ID": bind.state.warehouse_ids()[0],
            "SMARTSHEET_API_BASE": smartsheet.url,
            "SMARTSHEET_ACCESS_TOKEN": smartsheet.token,
            "SMARTBIND_DB_PATH": self.db_path,
            "SMARTBIND_ADMIN_TOKEN": ADMIN_TOKEN,
        }

    @property
    def invoices_sheet_id(self) -> int:
        return self.invoices_sheet["id"]

    def column_id(self, sheet: dict, title: str) -> int:
        return next(c["id"] for c in self.smartsheet.state.list_columns(sheet["id"]) if c["title"] == title)

    def add_rows(self, sheet: dict, rows: list[dict]) -> None:
        body = [
            {
                "toBottom": True,
                "cells": [{"columnId": self.column_id(sheet, title), "value": value} for title, value in row.items()],
            }
            for row in rows
        ]
        self.smartsheet.state.add_rows(sheet["id"], body)

    def doctor(self, **overrides: str | None):
        env = {name: None for name in DESIGN_VARIABLES}
        env.update(self.env)
        env.update(overrides)
        result = CliRunner().invoke(main, ["doctor"], env=env)
        secrets = [
            self.bind.token,
            self.smartsheet.token,
            ADMIN_TOKEN,
            *(v for k, v in overrides.items() if v and k in doctor_module.SECRET_VARIABLES),
        ]
        for secret in secrets:
            assert secret not in result.output, "a token was printed"
            assert secret[-8:] not in result.output, "part of a token was printed"
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result


def line(output: str, name: str) -> str:
    """The doctor's line for check ``name`` (plus its fix line, if any)."""
    lines = output.splitlines()
    for index, text in enumerate(lines):
        if text[2:].startswith(f"{name}: "):
            fix = lines[index + 1] if index + 1 < len(lines) and lines[index + 1].startswith("    → ") else ""
            return f"{text}\n{fix}".rstrip()
    raise AssertionError(f"no line for {name!r} in:\n{output}")


@pytest.fixture
def account(bind_emulator, smartsheet_emulator, tmp_path):
    return Account(bind_emulator, smartsheet_emulator, tmp_path)


def test_a_healthy_setup_passes_every_check(account):
    result = account.doctor()
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    for name in (
        "BIND_API_KEY",
        "SMARTBIND_DB_PATH",
        "Bind API key",
        "Bind invoices read",
        "Bind warehouses",
        "Smartsheet access token",
        "sync_invoices sheet",
        "sync_invoices columns",
        "sync_invoices key UUID",
    ):
        assert line(result.output, name).startswith("✓"), name
    assert "All " in result.output and "checks passed" in result.output


def test_inventory_sheet_and_its_composite_key_are_checked(account):
    sheet = account.smartsheet.state.create_sheet("Inventario Bind", INVENTORY_COLUMNS)
    account.store.update("sync_inventory", {"is_active": True, "smartsheet_sheet_id": str(sheet["id"])}, via="test")
    account.add_rows(
        sheet,
        [
            {"ID Producto": "P1", "Almacén": "Central", "Existencias": 3},
            {"ID Producto": "P1", "Almacén": "Norte", "Existencias": 4},
        ],
    )
    result = account.doctor()
    assert result.exit_code == 0, result.output
    assert line(result.output, "sync_inventory key ID Producto + Almacén").startswith("✓")
    assert "unique across 2 row(s)" in result.output

    account.add_rows(sheet, [{"ID Producto": "P1", "Almacén": "Norte", "Existencias": 9}])
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "sync_inventory key ID Producto + Almacén").startswith(
        "✗ sync_inventory key ID Producto + Almacén: 1 key(s) appear on more than one row (2 rows in all"
    )


def test_unset_variables_each_fail(account):
    result = account.doctor(BIND_API_KEY=None, SMARTSHEET_ACCESS_TOKEN=None, SMARTBIND_ADMIN_TOKEN=None)
    assert result.exit_code == 1
    assert line(result.output, "SMARTBIND_ADMIN_TOKEN").startswith(
        "✓ SMARTBIND_ADMIN_TOKEN: not set in this environment"
    )
    for name in ("BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN"):
        assert line(result.output, name).startswith(f"✗ {name}: not set\n    → export {name}=")
    assert line(result.output, "Bind API key").startswith("✗ Bind API key: not checked")
    assert line(result.output, "Smartsheet access token").startswith("✗ Smartsheet access token: not checked")


def test_bad_url_fails_and_bind_is_not_called(account):
    result = account.doctor(BIND_API_BASE_URL=account.bind.url.replace("http://", ""))
    assert result.exit_code == 1
    assert line(result.output, "BIND_API_BASE_URL").startswith("✗ BIND_API_BASE_URL:")
    assert "not a valid API base: scheme must be https" in result.output
    assert line(result.output, "Bind API key").startswith("✗ Bind API key: not checked")


def test_wrong_bind_key_is_a_401_line(account):
    wrong = "eyJ-wrong-bind-key-" + "z" * 24
    result = account.doctor(BIND_API_KEY=wrong)
    assert result.exit_code == 1
    text = line(result.output, "Bind API key")
    assert text.startswith("✗ Bind API key: Bind refused the API key (HTTP 401")
    assert "Generar API Key" in text
    assert "Bind warehouses: not checked: the Bind checks above failed" in result.output


def test_bind_down_is_an_unreachable_line(account):
    result = account.doctor(BIND_API_BASE_URL=closed_port_url("/api"))
    assert result.exit_code == 1
    assert line(result.output, "Bind API key").startswith("✗ Bind API key: Bind is unreachable at http://127.0.0.1:")
    # Smartsheet is still examined
    assert line(result.output, "sync_invoices sheet").startswith("✓")


def test_bind_failing_reads_are_reported(account):
    account.bind.admin.inject("server_error", "/api/Invoices", count=5)
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "Bind API key").startswith("✓")
    assert line(result.output, "Bind invoices read").startswith("✗ Bind invoices read: Bind answered HTTP 500")


def test_wrong_smartsheet_token_is_a_401_line(account):
    wrong = "wrong-smartsheet-token-" + "q" * 20
    result = account.doctor(SMARTSHEET_ACCESS_TOKEN=wrong)
    assert result.exit_code == 1
    text = line(result.output, "Smartsheet access token")
    assert text.startswith("✗ Smartsheet access token: Smartsheet refused the access token (HTTP 401, errorCode 1002")
    assert "API Access" in text
    assert "sync_invoices sheet" not in result.output  # nothing sheet-related can be judged with a bad token


def test_smartsheet_down_is_an_unreachable_line(account):
    result = account.doctor(SMARTSHEET_API_BASE=closed_port_url("/2.0"))
    assert result.exit_code == 1
    assert line(result.output, "Smartsheet access token").startswith(
        "✗ Smartsheet access token: not verified: Smartsheet is unreachable at http://127.0.0.1:"
    )


def test_missing_sheet(account):
    account.smartsheet.state.delete_sheet(account.invoices_sheet_id)
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "Smartsheet access token").startswith("✓")  # a 404 still proves the token
    text = line(result.output, "sync_invoices sheet")
    assert text.startswith(f"✗ sync_invoices sheet: sheet {account.invoices_sheet_id} not found")
    assert "smartbind sheets create" in text


def test_process_without_a_sheet(account):
    account.store.update("sync_invoices", {"smartsheet_sheet_id": ""}, via="test")
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "sync_invoices sheet").startswith("✗ sync_invoices sheet: no sheet configured")
    assert line(result.output, "Smartsheet access token").startswith("✗ Smartsheet access token: not verified")


def test_missing_column(account):
    account.smartsheet.state.delete_column(
        account.invoices_sheet_id, account.column_id(account.invoices_sheet, "Total")
    )
    result = account.doctor()
    assert result.exit_code == 1
    text = line(result.output, "sync_invoices columns")
    assert text.startswith("✗ sync_invoices columns: 'Total' is missing")
    assert "dates (Fecha): DATE" in text and "numbers (Total): TEXT_NUMBER" in text  # what is accepted


def test_wrong_column_type(account):
    columns = [dict(c, type="TEXT_NUMBER") if c["title"] == "Fecha" else c for c in INVOICE_COLUMNS]
    sheet = account.smartsheet.state.create_sheet("Facturas (Fecha como texto)", columns)
    account.store.update("sync_invoices", {"smartsheet_sheet_id": str(sheet["id"])}, via="test")
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "sync_invoices columns").startswith(
        "✗ sync_invoices columns: 'Fecha' is TEXT_NUMBER, needs"
    )


def test_duplicate_keys_are_counted(account):
    account.add_rows(
        account.invoices_sheet,
        [
            {"UUID": "aaaaaaaa-0000-4000-8000-000000000001", "Total": 1},
            {"UUID": "aaaaaaaa-0000-4000-8000-000000000001", "Total": 2},
            {"UUID": "aaaaaaaa-0000-4000-8000-000000000002", "Total": 3},
            {"UUID": " aaaaaaaa-0000-4000-8000-000000000002 ", "Total": 4},  # a stray space is the same key
            {"UUID": "aaaaaaaa-0000-4000-8000-000000000002", "Total": 5},
            {"UUID": "aaaaaaaa-0000-4000-8000-000000000003", "Total": 6},
            {"Folio": "sin UUID", "Total": 7},
        ],
    )
    result = account.doctor()
    assert result.exit_code == 1
    text = line(result.output, "sync_invoices key UUID")
    assert text.startswith("✗ sync_invoices key UUID: 2 key(s) appear on more than one row (5 rows in all")
    assert "1 row(s) without a key" in text


def test_unknown_warehouse(account):
    result = account.doctor(BIND_WAREHOUSE_ID="0badc0de-0000-4000-8000-000000000000")
    assert result.exit_code == 1
    text = line(result.output, "Bind warehouses")
    assert text.startswith("✗ Bind warehouses: unknown in Bind (BIND_WAREHOUSE_ID): 0badc0de-")
    assert account.bind.state.warehouse_ids()[0] in text  # the fix lists the real ones


def test_configured_warehouses_come_from_process_config(account):
    sheet = account.smartsheet.state.create_sheet("Inventario Bind", INVENTORY_COLUMNS)
    real = account.bind.state.warehouse_ids()[0]
    account.store.update(
        "sync_inventory",
        {
            "is_active": True,
            "smartsheet_sheet_id": str(sheet["id"]),
            "fields_mapping": {"warehouse_ids": [real, "0badc0de-0000-4000-8000-000000000000"]},
        },
        via="test",
    )
    result = account.doctor(BIND_WAREHOUSE_ID=None)
    assert result.exit_code == 1
    assert line(result.output, "Bind warehouses").startswith(
        "✗ Bind warehouses: unknown in Bind (ProcessConfig fields_mapping.warehouse_ids): 0badc0de-"
    )


def test_inventory_active_without_any_warehouse(account):
    sheet = account.smartsheet.state.create_sheet("Inventario Bind", INVENTORY_COLUMNS)
    account.store.update("sync_inventory", {"is_active": True, "smartsheet_sheet_id": str(sheet["id"])}, via="test")
    result = account.doctor(BIND_WAREHOUSE_ID=None)
    assert result.exit_code == 1
    assert line(result.output, "Bind warehouses").startswith("✗ Bind warehouses: inventory has no warehouse configured")


def test_unwritable_db_path(account, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = account.doctor(SMARTBIND_DB_PATH=str(blocker / "processes.db"))
    assert result.exit_code == 1
    assert line(result.output, "SMARTBIND_DB_PATH").startswith("✗ SMARTBIND_DB_PATH:")
    assert line(result.output, "ProcessConfig").startswith("✗ ProcessConfig: not checked")


def test_a_malformed_answer_is_a_failed_line_not_a_traceback(account):
    # served for both of the doctor's attempts (a malformed answer is retried like a 5xx)
    account.bind.admin.inject("custom", "/api/UserProfile", count=2, status=200, body=["not", "a", "profile"])
    result = account.doctor()
    assert result.exit_code == 1
    assert line(result.output, "Bind API key").startswith("✗ Bind API key: Bind answered HTTP 200")
    assert "not a user profile" in line(result.output, "Bind API key")
    assert line(result.output, "sync_invoices key UUID").startswith("✓")  # the rest still ran


def test_the_installed_command_in_a_bare_environment(tmp_path):
    """As an operator runs it: a subprocess whose environment holds none of the variables."""
    import subprocess
    import sys

    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SMARTBIND_DB_PATH": str(tmp_path / "p.db")}
    completed = subprocess.run(
        [sys.executable, "-m", "smartbind_pipelines.cli", "doctor"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    for name in ("BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN"):
        assert f"✗ {name}: not set" in completed.stdout
    assert "✓ BIND_API_BASE_URL: https://api.bind.com.mx/api (default)" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
