"""core/declarations.py: validation, Bind rows -> records, the seeded ProcessConfig row, TOML loading and the
mapping registry that doctor and `smartbind sheets create` use."""

import pytest

from smartbind_pipelines.core.declarations import (
    CLIENTS,
    PRODUCTS,
    DeclarationError,
    DeclaredColumn,
    ProcessDeclaration,
    declaration_from_dict,
    load_declarations,
    process_mappings,
)
from smartbind_pipelines.core.doctor import process_mapping
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway

BASE = dict(job_id="sync_things", name="Cosas", endpoint="Things", key=("ID",),
            columns=(DeclaredColumn("ID", "ID"), DeclaredColumn("Fecha", "Date", "date"),
                     DeclaredColumn("Monto", "Amount", "number")),
            sheet_name="Cosas", sheet_id_env="SMARTSHEET_THINGS_SHEET_ID")


def declare(**changes) -> ProcessDeclaration:
    return ProcessDeclaration(**{**BASE, **changes})


@pytest.mark.parametrize("changes, field", [
    ({"job_id": "things"}, "job_id"),
    ({"job_id": "sync_invoices"}, "job_id"),
    ({"endpoint": "Things?$top=1"}, "endpoint"),
    ({"endpoint": "https://evil.example/Things"}, "endpoint"),
    ({"sheet_id_env": "sheet id"}, "sheet_id_env"),
    ({"interval_minutes": 0}, "interval_minutes"),
    ({"key": ("Nope",)}, "key"),
    ({"columns": (DeclaredColumn("Monto", "Amount", "number"), DeclaredColumn("ID", "ID"))}, "columns"),
    ({"columns": (DeclaredColumn("ID", "ID", "money"),)}, "columns"),
    ({"sheet_name": " "}, "sheet_name"),
])
def test_a_bad_declaration_is_refused_naming_the_field(changes, field):
    with pytest.raises(DeclarationError) as refused:
        declare(**changes)
    assert refused.value.field == field


def test_names_follow_the_job_id():
    things = declare()
    assert (things.source_asset, things.sheet_asset, things.slug) == ("bind_things", "smartsheet_things", "things")
    assert things.mapping.key == ("ID",) and things.mapping.column("Monto").kind == "number"


def test_rows_become_typed_records_and_bad_rows_are_skipped_with_a_reason():
    batch = declare().records([
        {"ID": "a", "Date": "2026-01-19T23:59:00", "Amount": "12.345"},
        {"ID": "b", "Date": None, "Amount": 3},
        {"ID": "c", "Date": "ayer", "Amount": 1},
        {"ID": "d", "Date": "2026-01-19T10:00:00", "Amount": "mucho"},
        {"ID": None, "Date": "2026-01-19T10:00:00", "Amount": 1},
        {"ID": "a", "Date": "2026-01-20T10:00:00", "Amount": 9},
        "not a row",
    ])
    assert batch.records == [{"ID": "a", "Fecha": "2026-01-19", "Monto": 12.35},
                             {"ID": "b", "Fecha": "", "Monto": 3.0}]
    assert [item["reason"] for item in batch.skipped] == [
        "Date 'ayer' is not a date", "Amount 'mucho' is not a number", "no ID in Bind",
        "listed twice: first row kept", "not an object"]
    assert batch.fetched == 7


def test_the_seeded_row_is_inactive_until_a_sheet_is_known(tmp_path):
    store = ProcessConfigStore(tmp_path / "processes.db", env={})
    config = CLIENTS.effective_config(store, {})
    assert (config.is_active, config.smartsheet_sheet_id, config.interval_minutes) == (False, "", 60)
    assert config.fields_mapping["key_columns"] == ["ID"] and config.fields_mapping["bind_endpoint"] == "Clients"
    # an existing row is never changed by the declaration; the environment only fills an empty sheet id
    store.update("sync_clients", {"interval_minutes": 15}, via="test")
    again = CLIENTS.effective_config(store, {"SMARTSHEET_CLIENTS_SHEET_ID": "123456"})
    assert (again.interval_minutes, again.smartsheet_sheet_id) == (15, "123456")
    assert store.get("sync_clients").smartsheet_sheet_id == ""
    fresh = ProcessConfigStore(tmp_path / "other.db", env={})
    assert PRODUCTS.effective_config(fresh, {"SMARTSHEET_PRODUCTS_SHEET_ID": "99"}).is_active


def test_toml_files_load_in_name_order_and_bad_ones_are_named(tmp_path):
    good = '''job_id = "sync_things"\nname = "Cosas"\nendpoint = "Things"\nkey = ["ID"]\nsheet_name = "Cosas"
sheet_id_env = "SMARTSHEET_THINGS_SHEET_ID"\ninterval_minutes = 30\nfilter = "Status eq 0"
columns = [{title = "ID", source = "ID"}, {title = "Monto", source = "Amount", kind = "number"}]\n'''
    (tmp_path / "a.toml").write_text(good, encoding="utf-8")
    (tmp_path / "b.toml").write_text("job_id = ", encoding="utf-8")
    (tmp_path / "c.toml").write_text(good.replace("sync_things", "sync_more") + 'colour = "red"\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    found, problems = load_declarations(tmp_path)
    assert [d.job_id for d in found] == ["sync_things"]
    assert found[0].params() == {"$filter": "Status eq 0"} and found[0].interval_minutes == 30
    assert "b.toml" in problems[0] and "TOML" in problems[0]
    assert "c.toml" in problems[1] and "colour" in problems[1]
    with pytest.raises(DeclarationError, match="columns\\[0\\]"):
        declaration_from_dict({**{k: v for k, v in BASE.items() if k != "columns"}, "columns": [{"title": "ID"}]})


def test_the_registry_knows_every_process_and_doctor_finds_declared_ones(tmp_path):
    (tmp_path / "x.toml").write_text('''job_id = "sync_currencies"\nname = "Monedas"\nendpoint = "Currencies"
key = "Code"\nsheet_name = "Monedas"\nsheet_id_env = "SMARTSHEET_CURRENCIES_SHEET_ID"
columns = [{title = "Code", source = "Code"}]\n''', encoding="utf-8")
    mappings = process_mappings({"SMARTBIND_PROCESSES_DIR": str(tmp_path)})
    assert list(mappings) == ["sync_invoices", "sync_inventory", "sync_clients", "sync_products", "sync_currencies"]
    assert mappings["sync_inventory"].key == ("ID Producto", "Almacén")
    assert process_mapping("sync_products").titles == ("ID", "Código", "Nombre", "SKU", "Costo", "Existencias")


def test_sheets_create_makes_the_clientes_sheet_from_the_declaration(smartsheet_emulator, tmp_path):
    from smartbind_pipelines.commands.sheets import create_process_sheet

    store = ProcessConfigStore(tmp_path / "processes.db", env={})
    CLIENTS.effective_config(store, {})
    gateway = SheetGateway.connect(smartsheet_emulator.token, smartsheet_emulator.url,
                                   max_retry_time=FixedBackoff(0.01), retry_delay=0.01)
    config, sheet = create_process_sheet(store, gateway, "sync_clients")
    columns = smartsheet_emulator.state.list_columns(sheet["id"])
    assert [column["title"] for column in columns] == list(CLIENTS.mapping.titles)
    assert config.smartsheet_sheet_id == str(sheet["id"]) and config.smartsheet_sheet_name == "Clientes"
