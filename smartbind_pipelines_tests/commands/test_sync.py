"""`smartbind sync`: submitting to a Dagster instance, and executing locally against the emulators, for every
process of the registry."""

import json
import os
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner
from dagster._core.instance.ref import InstanceRef

from smartbind_pipelines.cli import main
from smartbind_pipelines.commands.sync import launchable, run_config
from smartbind_pipelines.core.processes import get_process
from smartbind_pipelines.core.run_tags import DRY_RUN_TAG
from smartbind_pipelines.core.sheets import sheet_columns
from smartbind_pipelines.defs.process_config import ProcessConfigResource

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(bind_emulator, smartsheet_emulator, tmp_path, monkeypatch):
    """The environment a deployment sets, pointing at the emulators, and an empty invoices sheet."""
    created = smartsheet_emulator.state.create_sheet(
        "Registros Facturas Bind",
        [
            {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
            {"title": "Folio", "type": "TEXT_NUMBER"},
            {"title": "Fecha", "type": "DATE"},
            {"title": "RFC Cliente", "type": "TEXT_NUMBER"},
            {"title": "Nombre Cliente", "type": "TEXT_NUMBER"},
            {"title": "Total", "type": "TEXT_NUMBER"},
            {"title": "Estado", "type": "TEXT_NUMBER"},
        ],
    )
    db_path = str(tmp_path / "processes.db")
    ProcessConfigResource(db_path=db_path).store().update(
        "sync_invoices", {"smartsheet_sheet_id": str(created["id"])}, via="test"
    )
    for name, value in {
        "BIND_API_KEY": bind_emulator.token,
        "BIND_API_BASE_URL": bind_emulator.url,
        "SMARTSHEET_ACCESS_TOKEN": smartsheet_emulator.token,
        "SMARTSHEET_API_BASE": smartsheet_emulator.url,
        "SMARTBIND_DB_PATH": db_path,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return created["id"]


@pytest.fixture
def deployment_home(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the `make dev` instance file (one writer slot per sheet pool)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dev" / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def test_a_writing_local_run_without_dagster_home_is_refused_and_writes_nothing(configured, smartsheet_emulator):
    """A throwaway instance has no writer slot for the sheet: the run could write beside the deployment's."""
    result = CliRunner().invoke(main, ["sync", "sync_invoices", "--local", "--from", "2000-01-01"])
    assert result.exit_code == 1
    assert "DAGSTER_HOME is not set" in result.output and "writer slot" in result.output
    assert smartsheet_emulator.state.rows_as_dicts(configured) == []


def test_local_backfill_prints_what_it_wrote(configured, deployment_home, bind_emulator, smartsheet_emulator):
    result = CliRunner().invoke(main, ["sync", "sync_invoices", "--local", "--from", "2000-01-01"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    stamped = [invoice for invoice in bind_emulator.state.list_invoices() if invoice["UUID"]]
    assert summary["success"] is True and summary["mode"] == "backfill"
    assert summary["inserted"] == len(stamped) == len(smartsheet_emulator.state.rows_as_dicts(configured))
    assert summary["sheet_id"] == str(configured)
    assert bind_emulator.token not in result.output and smartsheet_emulator.token not in result.output


def test_local_dry_run_writes_nothing(configured, smartsheet_emulator):
    result = CliRunner().invoke(main, ["sync", "sync_invoices", "--local", "--dry-run", "--from", "2000-01-01"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["planned_inserts"] > 0 and summary["inserted"] == 0
    assert smartsheet_emulator.state.rows_as_dicts(configured) == []


def test_local_failure_exits_non_zero_with_the_reason(configured, deployment_home, bind_emulator):
    bind_emulator.admin.inject("server_error", path="/api/Invoices", count=50)
    result = CliRunner().invoke(main, ["sync", "sync_invoices", "--local"])
    assert result.exit_code == 1
    assert "Bind ERP request failed" in json.loads(result.stdout)["error"]


def test_submit_queues_a_run_on_the_instance_and_prints_its_id(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # The code server validates that the secrets' variables exist; submitting never calls Bind or Smartsheet.
    monkeypatch.setenv("BIND_API_KEY", "not-used")
    monkeypatch.setenv("SMARTSHEET_ACCESS_TOKEN", "not-used")
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(
        main, ["sync", "sync_invoices", "--from", "2026-01-01", "--to", "2026-01-31", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    run_id = result.stdout.strip().splitlines()[0]

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.job_name == "sync_invoices"
        assert run.status == dg.DagsterRunStatus.QUEUED  # the daemon starts it, under the process limit
        assert run.tags["process"] == "sync_invoices" and run.tags[DRY_RUN_TAG] == "true"
        assert run.run_config["ops"]["bind_invoices"]["config"] == {
            "window_start": "2026-01-01",
            "window_end": "2026-01-31",
        }
        assert run.run_config["ops"]["smartsheet_invoices"]["config"] == {"dry_run": True}


def test_submit_needs_dagster_home(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    result = CliRunner().invoke(main, ["sync", "sync_invoices"])
    assert result.exit_code != 0 and "DAGSTER_HOME is not set" in result.output


@pytest.mark.parametrize(
    "arguments, complaint",
    [(["--to", "2026-01-31"], "--to needs --from"), (["--from", "31/01/2026"], "is not YYYY-MM-DD")],
)
def test_bad_ranges_are_refused(arguments, complaint):
    result = CliRunner().invoke(main, ["sync", "sync_invoices", *arguments])
    assert result.exit_code == 2 and complaint in result.output


# --- every process of the registry (issue 15) --------------------------------------------------------------


def give_sheet(smartsheet_emulator, job_id: str) -> int:
    """The process's sheet, typed from its mapping, set in its ProcessConfig row (as `sheets create` leaves it)."""
    process = get_process(job_id)
    sheet_id = smartsheet_emulator.state.create_sheet(process.sheet_name, sheet_columns(process.mapping))["id"]
    store = ProcessConfigResource(db_path=os.environ["SMARTBIND_DB_PATH"]).store()
    process.effective_config(store, os.environ)  # seeded on first use, as its sensor does
    store.update(job_id, {"smartsheet_sheet_id": str(sheet_id), "is_active": True}, via="test")
    return sheet_id


def test_local_dry_run_of_inventory_plans_and_leaves_the_sheet_untouched(
    configured, bind_emulator, smartsheet_emulator, monkeypatch
):
    monkeypatch.setenv("BIND_WAREHOUSE_ID", bind_emulator.state.warehouse_ids()[0])
    sheet_id = give_sheet(smartsheet_emulator, "sync_inventory")
    result = CliRunner().invoke(main, ["sync", "sync_inventory", "--dry-run", "--local"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["job"] == "sync_inventory" and summary["success"] is True and summary["dry_run"] is True
    assert summary["planned_inserts"] > 0 and summary["inserted"] == 0
    assert summary["sheet_id"] == str(sheet_id)
    assert smartsheet_emulator.state.rows_as_dicts(sheet_id) == []


def test_local_dry_run_of_a_declared_process_leaves_the_sheet_untouched(configured, smartsheet_emulator):
    sheet_id = give_sheet(smartsheet_emulator, "sync_clients")
    result = CliRunner().invoke(main, ["sync", "sync_clients", "--dry-run", "--local"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["job"] == "sync_clients" and summary["success"] is True
    assert summary["planned_inserts"] > 0 and summary["inserted"] == 0
    assert smartsheet_emulator.state.rows_as_dicts(sheet_id) == []


def test_local_run_of_a_declared_process_writes_its_sheet(
    configured, deployment_home, bind_emulator, smartsheet_emulator
):
    sheet_id = give_sheet(smartsheet_emulator, "sync_products")
    result = CliRunner().invoke(main, ["sync", "sync_products", "--local"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    rows = smartsheet_emulator.state.rows_as_dicts(sheet_id)
    assert summary["success"] is True and summary["inserted"] == len(rows) > 0
    assert {row["cells"]["ID"] for row in rows} == {p["ID"] for p in bind_emulator.state.products.records.values()}


def test_local_dry_run_of_the_push_process_reports_what_it_would_invoice(
    configured, bind_emulator, smartsheet_emulator
):
    from smartbind_pipelines.core.invoicing import columns as C
    from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet
    from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway
    from smartbind_pipelines_tests.invoicing.support import SANDBOX_SETTINGS, valid_row

    sheet_id = give_sheet(smartsheet_emulator, "invoice_from_sheet")
    ProcessConfigResource(db_path=os.environ["SMARTBIND_DB_PATH"]).store().update(
        "invoice_from_sheet", {"fields_mapping": SANDBOX_SETTINGS}, via="test"
    )
    gateway = SheetGateway.connect(
        smartsheet_emulator.token, smartsheet_emulator.url, max_retry_time=FixedBackoff(0.01), retry_delay=0.01
    )
    sheet = InvoiceSheet(gateway, sheet_id)
    [row_id] = gateway.add_rows(sheet_id, [valid_row()], sheet.columns()).row_ids.values()
    result = CliRunner().invoke(main, ["sync", "invoice_from_sheet", "--dry-run", "--local"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["success"] is True and summary["dry_run"] is True and summary["would_invoice"] == 1
    assert bind_emulator.admin.counts().get("POST /api/Invoices", 0) == 0
    assert sheet.rows([row_id])[0].cells[C.ESTADO] == C.FACTURAR


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_a_window_is_refused_for_a_process_without_one(option):
    result = CliRunner().invoke(main, ["sync", "sync_inventory", option, "2026-01-01"])
    assert result.exit_code == 2 and option in result.output and "has no date window" in result.output


def test_an_unknown_job_is_refused_naming_the_known_ones():
    result = CliRunner().invoke(main, ["sync", "sync_payroll"])
    assert result.exit_code == 2 and "'sync_payroll' is not a process" in result.output
    for job_id in ("invoice_from_sheet", "reconcile_invoices", "sync_clients", "sync_inventory", "sync_products"):
        assert job_id in result.output


@pytest.mark.parametrize(
    "job_id, step",
    [
        ("sync_invoices", "smartsheet_invoices"),
        ("reconcile_invoices", "smartsheet_invoices"),
        ("sync_inventory", "smartsheet_inventory"),
        ("sync_clients", "smartsheet_clients"),
        ("sync_products", "smartsheet_products"),
        ("invoice_from_sheet", "invoice_from_sheet_rows"),
    ],
)
def test_every_process_gets_dry_run_in_the_step_that_writes(job_id, step):
    config = run_config(launchable(job_id), window_start=None, window_end=None, dry_run=True)
    assert config == {"ops": {step: {"config": {"dry_run": True}}}}
