"""core/processes/declared.py: a declaration's validation, its names, Bind rows -> records, and the ProcessConfig
row its process seeds."""

import pytest

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import (
    RESERVED_JOB_IDS,
    DeclarationError,
    DeclaredColumn,
    ProcessDeclaration,
    get_process,
)

CLIENTS, PRODUCTS = (get_process(job_id, {}).declaration for job_id in ("sync_clients", "sync_products"))

BASE = dict(
    job_id="sync_things",
    name="Cosas",
    endpoint="Things",
    key=("ID",),
    columns=(
        DeclaredColumn("ID", "ID"),
        DeclaredColumn("Fecha", "Date", "date"),
        DeclaredColumn("Monto", "Amount", "number"),
    ),
    sheet_name="Cosas",
    sheet_id_env="SMARTSHEET_THINGS_SHEET_ID",
)


def declare(**changes) -> ProcessDeclaration:
    return ProcessDeclaration(**{**BASE, **changes})


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"job_id": "things"}, "job_id"),
        ({"job_id": "sync_invoices"}, "job_id"),
        ({"job_id": "sync_inventory"}, "job_id"),
        ({"endpoint": "Things?$top=1"}, "endpoint"),
        ({"endpoint": "https://evil.example/Things"}, "endpoint"),
        ({"sheet_id_env": "sheet id"}, "sheet_id_env"),
        ({"interval_minutes": 0}, "interval_minutes"),
        ({"key": ("Nope",)}, "key"),
        ({"columns": (DeclaredColumn("Monto", "Amount", "number"), DeclaredColumn("ID", "ID"))}, "columns"),
        ({"columns": (DeclaredColumn("ID", "ID", "money"),)}, "columns"),
        ({"sheet_name": " "}, "sheet_name"),
    ],
)
def test_a_bad_declaration_is_refused_naming_the_field(changes, field):
    with pytest.raises(DeclarationError) as refused:
        declare(**changes)
    assert refused.value.field == field


def test_names_follow_the_job_id():
    things = declare()
    assert (things.source_asset, things.sheet_asset, things.slug) == ("bind_things", "smartsheet_things", "things")
    assert things.mapping.key == ("ID",) and things.mapping.column("Monto").kind == "number"


def test_rows_become_typed_records_and_bad_rows_are_skipped_with_a_reason():
    batch = declare().batch(
        [
            {"ID": "a", "Date": "2026-01-19T23:59:00", "Amount": "12.345"},
            {"ID": "b", "Date": None, "Amount": 3},
            {"ID": "c", "Date": "ayer", "Amount": 1},
            {"ID": "d", "Date": "2026-01-19T10:00:00", "Amount": "mucho"},
            {"ID": None, "Date": "2026-01-19T10:00:00", "Amount": 1},
            {"ID": "a", "Date": "2026-01-20T10:00:00", "Amount": 9},
            "not a row",
        ]
    )
    assert batch.records == [{"ID": "a", "Fecha": "2026-01-19", "Monto": 12.35}, {"ID": "b", "Fecha": "", "Monto": 3.0}]
    assert [item["reason"] for item in batch.skipped] == [
        "Date 'ayer' is not a date",
        "Amount 'mucho' is not a number",
        "no ID in Bind",
        "listed twice: first row kept",
        "not an object",
    ]
    assert batch.fetched == 7 and isinstance(batch, SourceBatch)  # the one batch shape of every pull process


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


def test_every_built_in_job_id_is_reserved():
    assert RESERVED_JOB_IDS == ("sync_invoices", "sync_inventory", "invoice_from_sheet")
    for job_id in RESERVED_JOB_IDS:
        with pytest.raises(DeclarationError) as refused:
            declare(job_id=job_id)
        assert refused.value.field == "job_id"


def test_a_declaration_is_a_pull_process_with_its_names():
    process = declare(interval_minutes=15).process
    assert (process.job_id, process.direction, process.group, process.source_asset, process.sheet_asset) == (
        "sync_things",
        "pull",
        "things",
        "bind_things",
        "smartsheet_things",
    )
    assert (process.sheet_id_env, process.interval_minutes, process.windowed) == (
        "SMARTSHEET_THINGS_SHEET_ID",
        15,
        False,
    )
    assert process.declaration == declare(interval_minutes=15) and process.mapping == declare().mapping
