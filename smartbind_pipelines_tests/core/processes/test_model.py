"""core/processes/model.py: the ProcessConfig row each process seeds, and its effective configuration.

The expected rows are literal copies of the rows smartbind seeded before the registry existed
(core/process_config/defaults.py, core/invoicing/defaults.py and core/declarations.py), so a change to any
process's definition that changes what a new ProcessConfig file holds fails here."""

import sqlite3

import pytest

from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.process_config.defaults import default_processes
from smartbind_pipelines.core.processes import INVENTORY, INVOICE_FROM_SHEET, INVOICES, get_process

INVOICING_COLUMNS = [
    "RFC",
    "Razon Social",
    "Concepto",
    "Descripcion",
    "Cantidad",
    "Precio Unitario",
    "Clave SAT Producto",
    "Clave SAT Unidad",
    "Código Producto",
    "Metodo Pago",
    "Forma Pago",
    "Uso CFDI",
    "Regimen Fiscal",
    "Codigo Postal",
    "Estado",
    "UUID",
    "Folio Fiscal",
    "Fecha Facturacion",
    "Resultado",
    "ID Bind",
    "Reclamo",
]


def expected_rows(invoices_sheet="4956740131966852", inventory_sheet="", invoicing_sheet=""):
    return [
        {
            "job_id": "sync_invoices",
            "name": "Sincronización de Facturas",
            "description": (
                "Sincroniza facturas de Bind ERP hacia Smartsheet: consulta las facturas en Bind "
                "(zona horaria CDMX), busca cada una en la hoja por UUID y hace UPSERT "
                "(actualiza las existentes o inserta las nuevas)."
            ),
            "smartsheet_sheet_id": invoices_sheet,
            "smartsheet_sheet_name": "Registros Facturas Bind",
            "interval_minutes": 2,
            "is_active": True,
            "source_system": "bind",
            "target_system": "smartsheet",
            "sync_direction": "pull",
            "fields_mapping": {
                "bind_fields": ["UUID", "Number", "Date", "RFC", "ClientName", "Total", "Status"],
                "smartsheet_columns": ["UUID", "Folio", "Fecha", "RFC Cliente", "Nombre Cliente", "Total", "Estado"],
                "key_columns": ["UUID"],
            },
        },
        {
            "job_id": "sync_inventory",
            "name": "Sincronización de Inventario",
            "description": (
                "Sincroniza el inventario de Bind ERP hacia Smartsheet: obtiene los productos con "
                "existencias de los almacenes configurados y actualiza la hoja de inventario."
            ),
            "smartsheet_sheet_id": inventory_sheet,
            "smartsheet_sheet_name": "Registros Inventario Bind",
            "interval_minutes": 60,
            "is_active": True,
            "source_system": "bind",
            "target_system": "smartsheet",
            "sync_direction": "pull",
            "fields_mapping": {
                "bind_fields": ["ProductID", "Code", "Title", "CurrentInventory", "WarehouseID"],
                "smartsheet_columns": ["ID Producto", "Código", "Nombre", "Existencias", "Almacén"],
                "key_columns": ["ID Producto", "Almacén"],
            },
        },
        {
            "job_id": "invoice_from_sheet",
            "name": "Facturación desde Smartsheet",
            "description": (
                'Crea en Bind ERP una factura (CFDI) por cada fila de la hoja marcada "Facturar", una '
                "sola vez, y escribe en la fila el UUID, el folio y la fecha, o el error."
            ),
            "smartsheet_sheet_id": invoicing_sheet,
            "smartsheet_sheet_name": "Facturación",
            "interval_minutes": 1,
            "is_active": False,
            "source_system": "smartsheet",
            "target_system": "bind",
            "sync_direction": "push",
            "fields_mapping": {"smartsheet_columns": INVOICING_COLUMNS},
        },
    ]


def expected_declared_row(job_id, sheet_id=""):
    if job_id == "sync_clients":
        name, description, endpoint, sheet = (
            "Sincronización de Clientes",
            "Copia el catálogo de clientes de Bind ERP a la hoja Clientes, por ID.",
            "Clients",
            "Clientes",
        )
        fields = ["ID", "Number", "ClientName", "LegalName", "RFC", "Email", "Phone"]
        columns = ["ID", "Número", "Nombre", "Razón Social", "RFC", "Correo", "Teléfono"]
    else:
        name, description, endpoint, sheet = (
            "Sincronización de Productos",
            "Copia el catálogo de productos de Bind ERP a la hoja Productos, por ID.",
            "Products",
            "Productos",
        )
        fields = ["ID", "Code", "Title", "SKU", "Cost", "CurrentInventory"]
        columns = ["ID", "Código", "Nombre", "SKU", "Costo", "Existencias"]
    return {
        "job_id": job_id,
        "name": name,
        "description": description,
        "smartsheet_sheet_id": sheet_id,
        "smartsheet_sheet_name": sheet,
        "interval_minutes": 60,
        "is_active": bool(sheet_id),
        "source_system": "bind",
        "target_system": "smartsheet",
        "sync_direction": "pull",
        "fields_mapping": {
            "bind_endpoint": endpoint,
            "bind_fields": fields,
            "smartsheet_columns": columns,
            "key_columns": ["ID"],
            "declared": True,
        },
    }


def test_the_built_in_rows_are_the_ones_smartbind_always_seeded():
    assert [p.default_row({}) for p in (INVOICES, INVENTORY, INVOICE_FROM_SHEET)] == expected_rows()
    assert default_processes({}) == expected_rows()


def test_the_environment_supplies_sheet_ids_and_garbage_is_ignored():
    env = {
        "SMARTSHEET_INVOICES_SHEET_ID": "111",
        "SMARTSHEET_INVENTORY_SHEET_ID": " 222 ",
        "SMARTSHEET_INVOICING_SHEET_ID": "333",
    }
    assert default_processes(env) == expected_rows("111", "222", "333")
    assert default_processes({"SMARTSHEET_INVOICES_SHEET_ID": "12ab"}) == expected_rows()


@pytest.mark.parametrize("job_id", ["sync_clients", "sync_products"])
def test_a_declared_row_is_seeded_active_only_with_a_sheet(job_id):
    process = get_process(job_id, {})
    assert process.default_row({}) == expected_declared_row(job_id)
    variable = process.sheet_id_env
    assert process.default_row({variable: "444"}) == expected_declared_row(job_id, "444")


def test_the_invoicing_seed_variable_changes_only_what_it_may():
    seed = (
        '{"is_active": true, "interval_minutes": 5, "fields_mapping": {"bind_ids": {"a": 1}}, '
        '"job_id": "other", "smartsheet_sheet_name": 7}'
    )
    row = INVOICE_FROM_SHEET.default_row({"SMARTBIND_INVOICING_SEED": seed})
    expected = expected_rows()[2]
    assert row == {
        **expected,
        "is_active": True,
        "interval_minutes": 5,
        "fields_mapping": {"smartsheet_columns": INVOICING_COLUMNS, "bind_ids": {"a": 1}},
    }
    assert INVOICE_FROM_SHEET.default_row({"SMARTBIND_INVOICING_SEED": "{not json"}) == expected


def test_effective_config_seeds_once_keeps_a_deleted_row_deleted_and_falls_back_to_the_environment(tmp_path):
    db_path = tmp_path / "processes.db"
    store = ProcessConfigStore(db_path, env={})
    products = get_process("sync_products", {})
    assert products.effective_config(store, {}).smartsheet_sheet_id == ""
    store.update("sync_products", {"interval_minutes": 15}, via="test")
    again = products.effective_config(store, {"SMARTSHEET_PRODUCTS_SHEET_ID": "555"})
    assert (again.interval_minutes, again.smartsheet_sheet_id) == (15, "555")  # the row is not re-seeded
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM process_configs WHERE job_id = 'invoice_from_sheet'")
    conn.close()
    assert INVOICE_FROM_SHEET.effective_config(store, {}) is None
    assert store.get("invoice_from_sheet") is None


def test_the_names_every_layer_uses():
    assert (INVOICES.sensor_name, INVOICES.pool, INVOICES.run_tags) == (
        "sync_invoices_sensor",
        "smartsheet_sync_invoices",
        {"process": "sync_invoices", "owner": "team:operaciones"},
    )
    assert (INVOICE_FROM_SHEET.source_asset, INVOICE_FROM_SHEET.bind_asset, INVOICE_FROM_SHEET.sheet_asset) == (
        "invoice_requests",
        "bind_sheet_invoices",
        "invoice_request_results",
    )
    assert (INVOICE_FROM_SHEET.report_asset, INVOICE_FROM_SHEET.dry_run_step) == (
        "bind_sheet_invoices",
        "invoice_from_sheet_rows",
    )
    assert (INVENTORY.report_asset, INVENTORY.dry_run_step) == ("smartsheet_inventory", "smartsheet_inventory")
    assert [p.windowed for p in (INVOICES, INVENTORY, INVOICE_FROM_SHEET)] == [True, False, False]
