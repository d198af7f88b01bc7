"""core/processes/files.py: declarations read from TOML, the operator's and the ones shipped in the package."""

import pytest

from smartbind_pipelines.core.processes import (
    DeclarationError,
    DeclaredColumn,
    ProcessDeclaration,
    declaration_from_dict,
    load_declarations,
)
from smartbind_pipelines.core.processes.files import SHIPPED_DIR


def test_toml_files_load_in_name_order_and_bad_ones_are_named(tmp_path):
    good = """job_id = "sync_things"\nname = "Cosas"\nendpoint = "Things"\nkey = ["ID"]\nsheet_name = "Cosas"
sheet_id_env = "SMARTSHEET_THINGS_SHEET_ID"\ninterval_minutes = 30\nfilter = "Status eq 0"
columns = [{title = "ID", source = "ID"}, {title = "Monto", source = "Amount", kind = "number"}]\n"""
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
        declaration_from_dict(
            {
                "job_id": "sync_things",
                "name": "Cosas",
                "endpoint": "Things",
                "key": "ID",
                "sheet_name": "Cosas",
                "sheet_id_env": "SMARTSHEET_THINGS_SHEET_ID",
                "columns": [{"title": "ID"}],
            }
        )


def test_the_shipped_files_load_with_no_problem_as_the_clients_and_products_processes():
    found, problems = load_declarations(SHIPPED_DIR)
    assert problems == []
    assert found == [
        ProcessDeclaration(
            job_id="sync_clients",
            name="Sincronización de Clientes",
            description="Copia el catálogo de clientes de Bind ERP a la hoja Clientes, por ID.",
            endpoint="Clients",
            key=("ID",),
            columns=(
                DeclaredColumn("ID", "ID"),
                DeclaredColumn("Número", "Number"),
                DeclaredColumn("Nombre", "ClientName"),
                DeclaredColumn("Razón Social", "LegalName"),
                DeclaredColumn("RFC", "RFC"),
                DeclaredColumn("Correo", "Email"),
                DeclaredColumn("Teléfono", "Phone"),
            ),
            sheet_name="Clientes",
            sheet_id_env="SMARTSHEET_CLIENTS_SHEET_ID",
            interval_minutes=60,
        ),
        ProcessDeclaration(
            job_id="sync_products",
            name="Sincronización de Productos",
            description="Copia el catálogo de productos de Bind ERP a la hoja Productos, por ID.",
            endpoint="Products",
            key=("ID",),
            columns=(
                DeclaredColumn("ID", "ID"),
                DeclaredColumn("Código", "Code"),
                DeclaredColumn("Nombre", "Title"),
                DeclaredColumn("SKU", "SKU"),
                DeclaredColumn("Costo", "Cost", "number"),
                DeclaredColumn("Existencias", "CurrentInventory", "number"),
            ),
            sheet_name="Productos",
            sheet_id_env="SMARTSHEET_PRODUCTS_SHEET_ID",
            interval_minutes=60,
        ),
    ]
