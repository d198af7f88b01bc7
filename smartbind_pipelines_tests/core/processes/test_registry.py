"""core/processes/registry.py: every process smartbind runs, each defined once, and the operator's declarations."""

from smartbind_pipelines.core.doctor import process_mapping
from smartbind_pipelines.core.processes import (
    BUILT_IN,
    SHEET_ID_ENV,
    all_processes,
    declared_processes,
    get_process,
    processes_and_problems,
)

CURRENCIES = """job_id = "sync_currencies"\nname = "Monedas"\nendpoint = "Currencies"
key = "Code"\nsheet_name = "Monedas"\nsheet_id_env = "SMARTSHEET_CURRENCIES_SHEET_ID"
columns = [{title = "Code", source = "Code"}]\n"""


def test_the_shipped_processes_load_with_no_problem():
    processes, problems = processes_and_problems({})
    assert problems == []
    assert [p.job_id for p in processes] == [
        "sync_invoices",
        "sync_inventory",
        "invoice_from_sheet",
        "sync_clients",
        "sync_products",
    ]
    assert [(p.job_id, p.direction) for p in BUILT_IN] == [
        ("sync_invoices", "pull"),
        ("sync_inventory", "pull"),
        ("invoice_from_sheet", "push"),
    ]
    assert SHEET_ID_ENV == {
        "sync_invoices": "SMARTSHEET_INVOICES_SHEET_ID",
        "sync_inventory": "SMARTSHEET_INVENTORY_SHEET_ID",
        "invoice_from_sheet": "SMARTSHEET_INVOICING_SHEET_ID",
        "sync_clients": "SMARTSHEET_CLIENTS_SHEET_ID",
        "sync_products": "SMARTSHEET_PRODUCTS_SHEET_ID",
    }


def test_every_process_has_its_own_job_id_sheet_variable_assets_pool_and_sensor(tmp_path):
    (tmp_path / "currencies.toml").write_text(CURRENCIES, encoding="utf-8")
    processes = all_processes({"SMARTBIND_PROCESSES_DIR": str(tmp_path)})
    assert len(processes) == 6
    for name in ("job_id", "sheet_id_env", "pool", "sensor_name", "source_asset", "sheet_asset"):
        values = [getattr(process, name) for process in processes]
        assert len(set(values)) == len(values), name
    assets = [asset for p in processes for asset in (p.source_asset, p.sheet_asset, p.bind_asset) if asset]
    assert len(set(assets)) == len(assets)


def test_an_operator_file_cannot_take_a_built_in_or_a_shipped_job_id(tmp_path):
    (tmp_path / "a.toml").write_text(CURRENCIES.replace("sync_currencies", "sync_inventory"), encoding="utf-8")
    (tmp_path / "b.toml").write_text(CURRENCIES.replace("sync_currencies", "sync_clients"), encoding="utf-8")
    (tmp_path / "c.toml").write_text(CURRENCIES, encoding="utf-8")
    declarations, problems = declared_processes({"SMARTBIND_PROCESSES_DIR": str(tmp_path)})
    assert [d.job_id for d in declarations] == ["sync_clients", "sync_products", "sync_currencies"]
    assert len(problems) == 2
    assert "a.toml" in problems[0] and "job_id" in problems[0] and "cannot be declared" in problems[0]
    assert "sync_clients" in problems[1] and "already declared" in problems[1]
    assert get_process("sync_inventory", {"SMARTBIND_PROCESSES_DIR": str(tmp_path)}).declaration is None


def test_doctor_finds_the_mapping_of_every_process_declared_ones_included(tmp_path, monkeypatch):
    (tmp_path / "x.toml").write_text(CURRENCIES, encoding="utf-8")
    monkeypatch.setenv("SMARTBIND_PROCESSES_DIR", str(tmp_path))
    assert process_mapping("sync_inventory").key == ("ID Producto", "Almacén")
    assert process_mapping("invoice_from_sheet").titles[0] == "RFC"
    assert process_mapping("sync_products").titles == ("ID", "Código", "Nombre", "SKU", "Costo", "Existencias")
    assert process_mapping("sync_currencies").titles == ("Code",)
    assert process_mapping("sync_payroll") is None
