"""Declared processes end to end: sync_clients, sync_products and a process added by a TOML file alone,
each run as its real job against the emulators; the sensor seeds ProcessConfig and waits for a sheet."""

import dagster as dg

from smartbind_pipelines.core.processes import declared_processes, get_process
from smartbind_pipelines.defs import declared
from smartbind_pipelines.defs.resources import ClockResource
from smartbind_pipelines_tests.defs.support import check_results as checks
from smartbind_pipelines_tests.defs.support import materialized

CLIENTS, PRODUCTS = (get_process(job_id, {}).declaration for job_id in ("sync_clients", "sync_products"))
CURRENCIES_TOML = """
job_id = "sync_currencies"
name = "Sincronización de Monedas"
endpoint = "Currencies"
key = "Código"
sheet_name = "Monedas"
sheet_id_env = "SMARTSHEET_CURRENCIES_SHEET_ID"
interval_minutes = 1440

[[columns]]
title = "Código"
source = "Code"

[[columns]]
title = "Nombre"
source = "Name"

[[columns]]
title = "Tipo de cambio"
source = "ExchangeRate"
kind = "number"
decimals = 4
"""


def test_clients_sync_by_id_then_a_rerun_writes_nothing_then_a_new_client_is_one_add(declared_sync):
    sync = declared_sync(CLIENTS)
    state = sync.bind.state
    sync.create_sheet()
    first = sync.run()
    assert first.success
    clients = {client["ID"]: client for client, _ in state.rows("clients")}
    rows = {row["ID"]: row for row in sync.rows()}
    assert set(rows) == set(clients) and len(rows) >= 40
    some = next(iter(clients.values()))
    assert rows[some["ID"]]["Razón Social"] == some["LegalName"] and rows[some["ID"]]["RFC"] == some["RFC"]
    assert all(evaluation.passed for evaluation in checks(first).values()) and len(checks(first)) == 2
    assert materialized(first, "smartsheet_clients")["inserted"] == len(clients)

    sync.smartsheet.admin.reset_requests()
    again = sync.run()
    assert (
        again.success and sync.writes() == 0 and materialized(again, "smartsheet_clients")["unchanged"] == len(clients)
    )

    new = state.add_client(ClientName="Ferretería O'Brien", LegalName="Ferretería O'Brien SA de CV")
    sync.smartsheet.admin.reset_requests()
    third = sync.run()
    written = materialized(third, "smartsheet_clients")
    assert (written["inserted"], written["updated"]) == (1, 0)
    assert {row["ID"]: row["Nombre"] for row in sync.rows()}[new["ID"]] == "Ferretería O'Brien"


def test_products_sync_with_number_columns_and_a_cost_change_is_one_cell(declared_sync):
    sync = declared_sync(PRODUCTS)
    state = sync.bind.state
    sync.create_sheet()
    assert sync.run().success
    products = {product["ID"]: product for product, _ in state.rows("products")}
    rows = {row["ID"]: row for row in sync.rows()}
    assert set(rows) == set(products) and len(products) > 100  # more than one Bind page
    product = next(iter(products.values()))
    assert rows[product["ID"]]["Costo"] == product["Cost"]
    assert rows[product["ID"]]["Existencias"] == product["CurrentInventory"]

    state.set_stock(state.warehouse_ids()[0], product["ID"], 4321)
    sync.smartsheet.admin.reset_requests()
    result = sync.run()
    written = materialized(result, "smartsheet_products")
    assert (written["inserted"], written["updated"], written["smartsheet_writes"]) == (0, 1, 1)
    assert "Existencias" in written["changes"]


def test_a_process_added_by_a_declaration_file_alone_syncs(declared_sync, tmp_path, monkeypatch):
    directory = tmp_path / "processes"
    directory.mkdir()
    (directory / "currencies.toml").write_text(CURRENCIES_TOML, encoding="utf-8")
    monkeypatch.setenv("SMARTBIND_PROCESSES_DIR", str(directory))

    # what a reload of the code location does: the new job and sensor appear next to the others
    from smartbind_pipelines.definitions import defs

    location = defs()
    assert location.resolve_job_def("sync_currencies").tags["process"] == "sync_currencies"
    assert location.resolve_sensor_def("sync_currencies_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    graph = location.resolve_asset_graph()
    assert graph.get(dg.AssetKey("smartsheet_currencies")).parent_keys == {dg.AssetKey("bind_currencies")}

    declarations, problems = declared_processes()
    [currencies] = [d for d in declarations if d.job_id == "sync_currencies"]
    assert problems == []
    sync = declared_sync(currencies, declarations)
    sync.create_sheet()
    result = sync.run()
    assert result.success
    rows = {row["Código"]: row for row in sync.rows()}
    assert rows["USD"]["Tipo de cambio"] == 17.2345 and rows["MXN"]["Nombre"] == "Peso Mexicano"
    assert all(evaluation.passed for evaluation in checks(result).values())


def test_a_broken_declaration_file_is_left_out_and_named_while_the_others_load(tmp_path, monkeypatch):
    (tmp_path / "bad.toml").write_text(
        CURRENCIES_TOML.replace('endpoint = "Currencies"', 'endpoint = "Currencies?$top=1"')
    )
    monkeypatch.setenv("SMARTBIND_PROCESSES_DIR", str(tmp_path))
    declarations, problems = declared_processes()
    assert [d.job_id for d in declarations] == ["sync_clients", "sync_products"]
    assert len(problems) == 1 and "bad.toml" in problems[0] and "endpoint" in problems[0]
    assert {job.name for job in declared.load_defs().jobs} == {"sync_clients", "sync_products"}


def tick(instance, process_config, declaration):
    definitions = declared.build_all([declaration])
    [sensor] = definitions.sensors
    with dg.build_sensor_context(
        instance=instance, resources={"process_config": process_config, "clock": ClockResource()}
    ) as context:
        return sensor(context)


def test_the_sensor_seeds_an_inactive_row_and_says_a_sheet_is_needed(instance, process_config, monkeypatch):
    monkeypatch.delenv("SMARTSHEET_CLIENTS_SHEET_ID", raising=False)
    skip = tick(instance, process_config, CLIENTS)
    assert isinstance(skip, dg.SkipReason) and "smartbind sheets create sync_clients" in skip.skip_message
    seeded = process_config.store().get("sync_clients")
    assert seeded is not None and not seeded.is_active and seeded.interval_minutes == 60
    assert seeded.fields_mapping["bind_endpoint"] == "Clients" and seeded.smartsheet_sheet_name == "Clientes"

    process_config.store().update("sync_clients", {"smartsheet_sheet_id": "5550001", "is_active": True}, via="test")
    request = tick(instance, process_config, CLIENTS)
    assert isinstance(request, dg.RunRequest) and request.tags["smartsheet_sheet_id"] == "5550001"


def test_a_sheet_in_the_environment_makes_the_seeded_row_active(instance, process_config, monkeypatch):
    monkeypatch.setenv("SMARTSHEET_PRODUCTS_SHEET_ID", "7770001")
    request = tick(instance, process_config, PRODUCTS)
    assert isinstance(request, dg.RunRequest) and request.tags["smartsheet_sheet_id"] == "7770001"
    assert process_config.store().get("sync_products").is_active
