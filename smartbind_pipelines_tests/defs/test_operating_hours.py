"""Operating hours in Dagster (issue 16, point 6): the launchpad face, the sensors' skip reason, and the
catch-up of the first run inside the window, against the emulators with the real jobs and a frozen clock.

The old middleware skipped outside its hours and then read "the last 10 minutes", so it lost what happened
overnight (107 of 110 invoices). Here the sensor skips, and the first run inside the window reads from the
invoice watermark (inventory is a snapshot), so nothing is lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import dagster as dg
import pytest

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime, now_cdmx
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines.defs.inventory import sync_inventory_sensor
from smartbind_pipelines.defs.invoices import sync_invoices_sensor
from smartbind_pipelines.defs.process_config import ProcessConfigResource, update_process_config
from smartbind_pipelines.defs.resources import ClockResource
from smartbind_pipelines_tests.core.process_config.cases import audit_count, snapshot
from smartbind_pipelines_tests.defs.inventory.harness import InventorySync
from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync, failure_text, metadata

OP = "apply_process_config_change"
OFFICE = {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}


def simulated_weekday() -> datetime:
    """Midnight (Mexico City) of a Monday-to-Thursday at least two days ahead, so the next day is a weekday too.

    Ahead of the real clock because the sensor measures "due" from the runs' real creation times.
    """
    day = (now_cdmx() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return day


def tick(sensor, instance, process_config, moment: datetime, resources: dict | None = None):
    """One evaluation of ``sensor`` at ``moment``; ``resources`` for a sensor that also looks at the source."""
    clock = ClockResource(frozen_at=moment.isoformat())
    with dg.build_sensor_context(
        instance=instance, resources={**(resources or {}), "process_config": process_config, "clock": clock}
    ) as context:
        return sensor(context)


def tick_invoices(sync, moment: datetime):
    # With the emulators' resources too: the invoices sensor may read Bind before asking for a run.
    return tick(sync_invoices_sensor, sync.instance, sync.process_config, moment, sync.resources(moment))


# -- the launchpad face ---------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "processes.db"


def launch(db_path, change: dict, instance):
    return update_process_config.execute_in_process(
        run_config={"ops": {OP: {"config": change}}},
        resources={"process_config": ProcessConfigResource(db_path=str(db_path))},
        instance=instance,
        raise_on_error=False,
    )


def step_output_metadata(result) -> dict:
    [output] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    return {key: value.value for key, value in output.step_output_data.metadata.items()}


def test_the_launchpad_sets_clears_and_audits_operating_hours(db_path):
    with dg.instance_for_test() as instance:
        result = launch(db_path, {"job_id": "sync_inventory", "operating_hours": "08:00-20:00 mon-fri"}, instance)
        assert result.success, failure_text(result)
        assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours == OFFICE
        entry = ProcessConfigStore(db_path).history("sync_inventory", 1)[0]
        assert (entry["via"], entry["actor"], entry["new"]) == ("dagster", result.run_id, {"operating_hours": OFFICE})
        shown = step_output_metadata(result)
        assert shown["changed_fields"] == "operating_hours" and shown["new"] == {"operating_hours": OFFICE}
        logs = [record.user_message for record in instance.all_logs(result.run_id)]
        assert any("sync_inventory.operating_hours: None -> {'start': '08:00'" in line for line in logs)

        # The same window typed again is no change (compared on the stored, normalised value).
        again = launch(db_path, {"job_id": "sync_inventory", "operating_hours": "8:00-20:00 mon-fri"}, instance)
        assert again.success and step_output_metadata(again)["changed_fields"] == "(none)"
        assert audit_count(db_path, "sync_inventory") == 2  # seed + the one change

        cleared = launch(db_path, {"job_id": "sync_inventory", "operating_hours": "always"}, instance)
        assert cleared.success and ProcessConfigStore(db_path).get("sync_inventory").operating_hours is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("22:00-22:00", "both 22:00"),
        ("08:00-20:00 weekdays", "'weekdays' is not a weekday"),
        ("8am-8pm", "start must be a time HH:MM"),
    ],
)
def test_bad_hours_fail_the_run_naming_the_field_and_write_nothing(db_path, value, words):
    ProcessConfigStore(db_path)
    before = snapshot(db_path, "sync_inventory")
    with dg.instance_for_test() as instance:
        result = launch(
            db_path, {"job_id": "sync_inventory", "interval_minutes": 5, "operating_hours": value}, instance
        )
        assert not result.success
        [failure] = [e for e in result.all_node_events if e.event_type_value == "STEP_FAILURE"]
        assert failure.step_failure_data.user_failure_data.metadata["field"].value == "operating_hours"
        assert words in failure_text(result)
    assert snapshot(db_path, "sync_inventory") == before  # the valid interval was not written either


# -- invoices: a night outside the window, caught up at 08:00 --------------------------------------------


@pytest.fixture
def invoice_sync(empty_bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InvoiceSync(empty_bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    process_config.store().update("sync_invoices", {"operating_hours": "08:00-20:00 mon-fri"}, via="test")
    return sync


def add(sync, when: datetime) -> dict:
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), UUID=str(uuid.uuid4()))


def test_invoices_issued_overnight_outside_the_window_are_all_written_by_the_first_run_at_0800(invoice_sync):
    sync, day = invoice_sync, simulated_weekday()
    evening = day + timedelta(hours=19, minutes=50)
    daytime = [add(sync, day + timedelta(hours=hour)) for hour in (9, 13, 19)]
    first = tick_invoices(sync, evening)
    assert isinstance(first, dg.RunRequest)
    ran = sync.run(evening)
    assert ran.success, failure_text(ran)
    assert sorted(sync.uuids()) == sorted(invoice["UUID"] for invoice in daytime)

    # 110 invoices between 20:00 and 07:59, among them 21:00 and 03:00 (the old middleware kept 3 of 110).
    night_start = day + timedelta(hours=20)
    overnight = [add(sync, day + timedelta(hours=21)), add(sync, day + timedelta(days=1, hours=3))]
    overnight += [add(sync, night_start + timedelta(minutes=6 * n + 1)) for n in range(108)]
    assert len(overnight) == 110 and all(
        night_start <= datetime.fromisoformat(i["Date"]).replace(tzinfo=CDMX) < night_start + timedelta(hours=12)
        for i in overnight
    )

    skips = []
    moment = night_start
    while moment < day + timedelta(days=1, hours=8):  # a tick every 30 minutes through the night
        outcome = tick_invoices(sync, moment)
        assert isinstance(outcome, dg.SkipReason), moment
        skips.append(outcome.skip_message)
        moment += timedelta(minutes=30)
    assert len(skips) == 24
    tomorrow = (day + timedelta(days=1)).strftime("%Y-%m-%d")
    assert all("outside operating hours 08:00–20:00 Mon–Fri" in skip for skip in skips)
    assert all(
        f"next window opens {(day + timedelta(days=1)).strftime('%a')} 08:00 ({tomorrow})" in skip for skip in skips
    )

    opening = day + timedelta(days=1, hours=8)
    request = tick_invoices(sync, opening)
    assert isinstance(request, dg.RunRequest)
    caught_up = sync.run(opening)
    assert caught_up.success, failure_text(caught_up)
    written = metadata(caught_up)
    assert written["inserted"] == 110 and written["failed"] == 0
    assert sorted(sync.uuids()) == sorted(i["UUID"] for i in daytime + overnight)  # 0 lost, none twice
    window = metadata(caught_up, "bind_invoices")
    assert window["watermark_before"] == evening.isoformat()


# -- inventory: a snapshot brought up to date by the first run inside the window -------------------------


@pytest.fixture
def inventory_sync(empty_bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InventorySync(empty_bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync


def test_inventory_changed_overnight_is_in_the_sheet_after_the_first_run_inside_the_window(inventory_sync):
    sync, state, day = inventory_sync, inventory_sync.bind.state, simulated_weekday()
    warehouse = state.warehouse_ids()[0]
    sync.use_warehouses([warehouse])
    drill = state.add_product(Title="Taladro", stock={warehouse: 5})
    sync.process_config.store().update("sync_inventory", {"operating_hours": "08:00-20:00 mon-fri"}, via="test")
    assert isinstance(
        tick(sync_inventory_sensor, sync.instance, sync.process_config, day + timedelta(hours=19)), dg.RunRequest
    )
    assert sync.run().success
    [row] = sync.rows()
    assert row["Existencias"] == 5

    state.set_stock(warehouse, drill["ID"], 42)  # at night
    saw = state.add_product(Title="Sierra", stock={warehouse: 3})
    for hour in (22, 27, 31):  # 22:00, 03:00, 07:00 next morning
        skip = tick(sync_inventory_sensor, sync.instance, sync.process_config, day + timedelta(hours=hour))
        assert isinstance(skip, dg.SkipReason) and "outside operating hours" in skip.skip_message
    assert sync.by_key()[(drill["ID"], sync.rows()[0]["Almacén"])]["Existencias"] == 5  # nothing ran

    request = tick(sync_inventory_sensor, sync.instance, sync.process_config, day + timedelta(days=1, hours=8))
    assert isinstance(request, dg.RunRequest)
    assert sync.run().success
    stock = {cells["ID Producto"]: cells["Existencias"] for cells in sync.rows()}
    assert stock == {drill["ID"]: 42, saw["ID"]: 3}


def test_a_process_without_hours_runs_at_night(inventory_sync):
    moment = simulated_weekday() + timedelta(hours=3)
    inventory_sync.process_config.store().update(
        "sync_inventory", {"smartsheet_sheet_id": str(inventory_sync.sheet_id)}, via="test"
    )
    assert isinstance(
        tick(sync_inventory_sensor, inventory_sync.instance, inventory_sync.process_config, moment), dg.RunRequest
    )
