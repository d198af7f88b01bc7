"""`smartbind sheets create` against the Smartsheet emulator, through the real CLI and the real SDK."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines_tests.commands.support import DESIGN_VARIABLES
from smartbind_pipelines_tests.core.process_config.cases import audit_count


def crafted_env(**values: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in DESIGN_VARIABLES}
    env.update(values)
    return env


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "data" / "processes.db")


@pytest.fixture
def store(db_path):
    return ProcessConfigStore(db_path, env={})


def run_create(smartsheet, db_path, *args, token=None):
    env = crafted_env(
        SMARTSHEET_ACCESS_TOKEN=token or smartsheet.token, SMARTSHEET_API_BASE=smartsheet.url, SMARTBIND_DB_PATH=db_path
    )
    return CliRunner().invoke(main, ["sheets", "create", *args], env=env)


def sheet_columns(state, sheet_id: int) -> dict[str, dict]:
    return {column["title"]: column for column in state.list_columns(sheet_id)}


def test_creates_a_typed_sheet_in_a_folder_and_stores_it_audited(smartsheet_emulator, db_path, store):
    folder = smartsheet_emulator.state.create_container("folder", "Finanzas")
    store.update("sync_invoices", {"smartsheet_sheet_id": ""}, via="test")
    audits_before = audit_count(store.db_path, "sync_invoices")

    result = run_create(
        smartsheet_emulator,
        db_path,
        "sync_invoices",
        "--folder",
        str(folder["id"]),
        "--name",
        "Facturas 2026",
        "--actor",
        "ana",
    )

    assert result.exit_code == 0, result.output
    config = ProcessConfigStore(db_path, env={}).get("sync_invoices")
    sheet_id = int(config.smartsheet_sheet_id)
    assert config.smartsheet_sheet_name == "Facturas 2026"
    sheet = smartsheet_emulator.state.sheet(sheet_id)
    assert sheet.name == "Facturas 2026" and sheet.container_id == folder["id"]
    columns = sheet_columns(smartsheet_emulator.state, sheet_id)
    assert list(columns) == list(INVOICE_MAPPING.titles)
    assert columns["UUID"].get("primary") is True
    assert [t for t, c in columns.items() if c.get("primary")] == ["UUID"]
    assert columns["Fecha"]["type"] == "DATE"
    assert columns["Total"]["type"] == "TEXT_NUMBER"
    assert all(
        columns[t]["type"] == "TEXT_NUMBER" for t in ("UUID", "Folio", "RFC Cliente", "Nombre Cliente", "Estado")
    )

    history = store.history("sync_invoices")
    assert audit_count(store.db_path, "sync_invoices") == audits_before + 1
    assert history[0]["via"] == "cli" and history[0]["actor"] == "ana"
    assert history[0]["new"] == {"smartsheet_sheet_id": str(sheet_id), "smartsheet_sheet_name": "Facturas 2026"}
    assert str(sheet_id) in result.output
    assert smartsheet_emulator.token not in result.output


def test_creates_in_a_workspace_with_the_configured_name(smartsheet_emulator, db_path, store):
    workspace = smartsheet_emulator.state.create_container("workspace", "Operaciones")
    store.update("sync_invoices", {"smartsheet_sheet_id": "", "smartsheet_sheet_name": "Facturas Bind"}, via="test")

    result = run_create(smartsheet_emulator, db_path, "sync_invoices", "--workspace", str(workspace["id"]))

    assert result.exit_code == 0, result.output
    config = ProcessConfigStore(db_path, env={}).get("sync_invoices")
    sheet = smartsheet_emulator.state.sheet(int(config.smartsheet_sheet_id))
    assert sheet.name == "Facturas Bind" and sheet.container_id == workspace["id"]


def test_refuses_when_the_process_already_has_an_existing_sheet(smartsheet_emulator, db_path, store):
    existing = smartsheet_emulator.state.create_sheet(
        "Facturas viejas", [{"title": "UUID", "type": "TEXT_NUMBER", "primary": True}]
    )
    store.update("sync_invoices", {"smartsheet_sheet_id": str(existing["id"])}, via="test")
    folder = smartsheet_emulator.state.create_container("folder", "Finanzas")
    sheets_before = len(smartsheet_emulator.state.list_sheets())

    result = run_create(smartsheet_emulator, db_path, "sync_invoices", "--folder", str(folder["id"]))

    assert result.exit_code != 0
    assert f"already writes to sheet {existing['id']}" in result.output and "it exists" in result.output
    assert "--force" in result.output
    assert len(smartsheet_emulator.state.list_sheets()) == sheets_before
    assert ProcessConfigStore(db_path, env={}).get("sync_invoices").smartsheet_sheet_id == str(existing["id"])


def test_refusal_says_when_the_configured_sheet_is_not_there(smartsheet_emulator, db_path):
    # The seed's default sheet id does not exist in this account.
    result = run_create(smartsheet_emulator, db_path, "sync_invoices")
    assert result.exit_code != 0
    assert "not found with this token" in result.output
    assert smartsheet_emulator.state.list_sheets() == []


def test_force_replaces_the_configured_sheet(smartsheet_emulator, db_path, store):
    old_id = store.get("sync_invoices").smartsheet_sheet_id
    folder = smartsheet_emulator.state.create_container("folder", "Finanzas")

    result = run_create(smartsheet_emulator, db_path, "sync_invoices", "--folder", str(folder["id"]), "--force")

    assert result.exit_code == 0, result.output
    new_id = ProcessConfigStore(db_path, env={}).get("sync_invoices").smartsheet_sheet_id
    assert new_id != old_id and int(new_id) in {s["id"] for s in smartsheet_emulator.state.list_sheets()}
    assert store.history("sync_invoices")[0]["old"]["smartsheet_sheet_id"] == old_id


def test_unknown_folder_fails_cleanly_and_changes_nothing(smartsheet_emulator, db_path, store):
    store.update("sync_invoices", {"smartsheet_sheet_id": ""}, via="test")
    audits = audit_count(store.db_path)

    result = run_create(smartsheet_emulator, db_path, "sync_invoices", "--folder", "123456789")

    assert result.exit_code == 1
    assert "Smartsheet refused to create the sheet" in result.output and "1006" in result.output
    assert "Traceback" not in result.output
    assert audit_count(store.db_path) == audits and smartsheet_emulator.state.list_sheets() == []


def test_wrong_token_fails_without_printing_it(smartsheet_emulator, db_path, store):
    store.update("sync_invoices", {"smartsheet_sheet_id": ""}, via="test")
    wrong = "wrong-token-" + "x" * 20

    result = run_create(smartsheet_emulator, db_path, "sync_invoices", token=wrong)

    assert result.exit_code == 1
    assert "HTTP 401" in result.output
    assert wrong not in result.output and smartsheet_emulator.token not in result.output
    assert store.get("sync_invoices").smartsheet_sheet_id == ""


def test_unknown_process_and_both_containers_are_refused(smartsheet_emulator, db_path):
    unknown = run_create(smartsheet_emulator, db_path, "sync_payroll")
    assert unknown.exit_code == 1 and "unknown process 'sync_payroll'" in unknown.output
    both = run_create(smartsheet_emulator, db_path, "sync_invoices", "--folder", "1", "--workspace", "2")
    assert both.exit_code == 2 and "not both" in both.output


def test_creates_a_declared_process_sheet_seeding_its_row_on_first_use(smartsheet_emulator, store):
    """`sheets create sync_clients` before its sensor ever ran: the row is seeded from the registry, then pointed
    at the new sheet (it was refused as an unknown process until the sensor's first tick)."""
    from smartbind_pipelines.commands.sheets import create_process_sheet
    from smartbind_pipelines.core.processes import get_process
    from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway

    assert store.get("sync_clients") is None
    gateway = SheetGateway.connect(
        smartsheet_emulator.token, smartsheet_emulator.url, max_retry_time=FixedBackoff(0.01), retry_delay=0.01
    )
    config, sheet = create_process_sheet(store, gateway, "sync_clients")
    columns = smartsheet_emulator.state.list_columns(sheet["id"])
    assert [column["title"] for column in columns] == list(get_process("sync_clients", {}).mapping.titles)
    assert config.smartsheet_sheet_id == str(sheet["id"]) and config.smartsheet_sheet_name == "Clientes"
    assert store.history("sync_clients", 5)[-1]["via"] == "seed"
