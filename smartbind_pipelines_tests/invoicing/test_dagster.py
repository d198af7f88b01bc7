"""invoice_from_sheet in Dagster: the job against the emulators (metadata, dry run, failure), the sensor, names."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET
from smartbind_pipelines.defs.invoicing import defs as invoicing_defs
from smartbind_pipelines.defs.invoicing.sensors import invoice_from_sheet_sensor
from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines_tests.defs.support import emulator_resources

from .support import SANDBOX_SETTINGS, valid_row


class Harness:
    def __init__(self, bind, ss, process_config, instance):
        self.bind, self.ss, self.process_config, self.instance = bind, ss, process_config, instance
        store = process_config.store()
        assert (
            INVOICE_FROM_SHEET.effective_config(store, os.environ).is_active is False
        )  # seeded paused: inactive until an operator activates it
        self.sheet_id = ss.state.create_sheet(
            "Facturación",
            [
                {"title": column.title, "type": "TEXT_NUMBER", **({"primary": True} if i == 0 else {})}
                for i, column in enumerate(C.REQUEST_MAPPING.columns)
            ],
        )["id"]
        store.update(
            INVOICE_FROM_SHEET.job_id,
            {
                "smartsheet_sheet_id": str(self.sheet_id),
                "is_active": True,
                "fields_mapping": {**SANDBOX_SETTINGS, "stamp_wait_seconds": 1},
            },
            via="test",
        )
        self.resources = emulator_resources(bind, ss, process_config)
        self.definitions = dg.Definitions.merge(invoicing_defs, dg.Definitions(resources=self.resources))

    def add(self, *cell_sets):
        from smartbind_pipelines.core.invoicing.sheet import InvoiceSheet

        sheet = InvoiceSheet(self.resources["smartsheet"].gateway(), self.sheet_id)
        outcome = sheet.gateway.add_rows(self.sheet_id, list(cell_sets), sheet.columns())
        return [outcome.row_ids[i] for i in range(len(cell_sets))], sheet

    def run(self, dry_run: bool = False):
        return self.definitions.resolve_job_def(INVOICE_FROM_SHEET.job_id).execute_in_process(
            run_config={"ops": {"invoice_from_sheet_rows": {"config": {"dry_run": dry_run}}}},
            instance=self.instance,
            raise_on_error=False,
        )


@pytest.fixture
def harness(bind_emulator, smartsheet_emulator, process_config, instance):
    return Harness(bind_emulator, smartsheet_emulator, process_config, instance)


def metadata(result, asset):
    [event] = [
        m for m in result.asset_materializations_for_node("invoice_from_sheet_rows") if m.asset_key.path == [asset]
    ]
    return {key: getattr(value, "value", value) for key, value in event.metadata.items()}


def test_a_run_invoices_refuses_and_skips_and_its_metadata_lists_them(harness):
    (good, bad), sheet = harness.add(valid_row(), valid_row(**{C.PRECIO: -5}))
    first = harness.run()
    assert first.success
    bind_meta = metadata(first, "bind_sheet_invoices")
    rows_meta = metadata(first, "invoice_request_results")
    assert bind_meta["invoiced"] == 1 and bind_meta["posts"] == 1 and str(good) in bind_meta["invoiced_rows"]
    assert rows_meta["refused"] == 1 and "Precio Unitario: no puede ser negativo" in rows_meta["refused_rows"]
    sheet.update([(good, {C.ESTADO: C.FACTURAR})])
    second = harness.run()
    assert metadata(second, "invoice_request_results")["skipped_already_invoiced"] == 1
    assert metadata(second, "bind_sheet_invoices")["posts"] == 0


def test_dry_run_validates_and_creates_nothing(harness):
    (good,), sheet = harness.add(valid_row())
    result = harness.run(dry_run=True)
    assert result.success and metadata(result, "bind_sheet_invoices")["would_invoice"] == 1
    assert harness.bind.admin.counts().get("POST /api/Invoices", 0) == 0
    assert sheet.rows([good])[0].cells[C.ESTADO] == C.FACTURAR


def test_a_failed_invoice_fails_the_run_like_a_failed_sync(harness):
    (row,), sheet = harness.add(valid_row())
    harness.bind.admin.inject("server_error", r"/api/Invoices$", method="POST")
    result = harness.run()
    assert not result.success  # run_failure_alerts (a run failure sensor over every job) announces it
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "Bind no confirmó" in failure.step_failure_data.user_failure_data.description
    assert sheet.rows([row])[0].cells[C.ESTADO] == C.ERROR


def test_the_sensor_starts_a_run_only_when_rows_wait_and_reads_processconfig_every_tick(harness):
    def tick(cursor=None):
        context = dg.build_sensor_context(
            instance=harness.instance, cursor=cursor, resources=harness.resources, definitions=harness.definitions
        )
        return invoice_from_sheet_sensor(context), context.cursor

    result, cursor = tick()
    assert isinstance(result, dg.SkipReason) and "no row waits" in result.skip_message and cursor
    (row,), sheet = harness.add(valid_row())
    result, _ = tick(cursor)
    assert isinstance(result, dg.RunRequest)
    harness.process_config.store().update(INVOICE_FROM_SHEET.job_id, {"is_active": False}, via="test")
    result, _ = tick(cursor)
    assert isinstance(result, dg.SkipReason) and "paused" in result.skip_message


def test_names_pool_and_registration():
    from smartbind_pipelines.core.doctor import process_mapping
    from smartbind_pipelines.definitions import defs

    repo = defs()
    assert repo.resolve_job_def(INVOICE_FROM_SHEET.job_id).tags["process"] == INVOICE_FROM_SHEET.job_id
    assert {"invoice_requests", "bind_sheet_invoices", "invoice_request_results"} <= {
        key.path[-1] for key in repo.resolve_asset_graph().get_all_asset_keys()
    }
    assert repo.resolve_sensor_def("invoice_from_sheet_sensor")
    node = repo.resolve_assets_def("bind_sheet_invoices")
    assert node.op.pool == INVOICE_FROM_SHEET.pool == "smartsheet_invoice_from_sheet"
    assert process_mapping(INVOICE_FROM_SHEET.job_id) is C.REQUEST_MAPPING
    assert demo.SERVICE_MANTENIMIENTO  # the sandbox settings name real emulator ids
