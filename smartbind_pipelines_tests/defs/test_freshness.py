"""Freshness checks on the sheet assets (issue 18): red when a sheet was not written within its expected
interval, derived from its process's ProcessConfig interval."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.definitions import defs as code_location
from smartbind_pipelines.defs import freshness

SHEETS = ["smartsheet_invoices", "smartsheet_inventory", "smartsheet_clients", "smartsheet_products"]


def test_every_sheet_asset_of_the_code_location_has_a_freshness_check_and_its_sensor():
    definitions = code_location()
    graph = definitions.resolve_asset_graph()
    check_keys = graph.asset_check_keys
    for sheet in SHEETS:
        assert dg.AssetCheckKey(dg.AssetKey(sheet), "freshness_check") in check_keys, sheet
    sensor = definitions.resolve_sensor_def(freshness.SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    # A sync run also runs its sheet's freshness check right after writing: green without extra runs.
    job = definitions.resolve_job_def("sync_invoices")
    assert (
        dg.AssetCheckKey(dg.AssetKey("smartsheet_invoices"), "freshness_check")
        in job.asset_layer.asset_graph.asset_check_keys
    )


def test_expected_interval_follows_the_process_config_interval(tmp_path):
    db = tmp_path / "processes.db"
    env = {"SMARTBIND_DB_PATH": str(db)}
    ProcessConfigStore(db, env=env).update("sync_inventory", {"interval_minutes": 7}, via="cli")
    by_job = {sheet.job_id: sheet for sheet in freshness.sheets(env)}
    assert by_job["sync_inventory"].interval_minutes == 7
    assert by_job["sync_inventory"].expected_within == timedelta(
        minutes=7 * freshness.MISSED_RUNS + freshness.SLACK_MINUTES
    )
    assert by_job["sync_clients"].interval_minutes == 60  # declared default, its row not seeded yet
    # No file: the declared defaults, and loading creates nothing.
    missing = tmp_path / "absent" / "processes.db"
    assert {s.job_id: s.interval_minutes for s in freshness.sheets({"SMARTBIND_DB_PATH": str(missing)})}[
        "sync_invoices"
    ] == 2
    assert not missing.exists()


def test_a_process_with_operating_hours_is_not_stale_while_its_window_is_shut(tmp_path):
    """08:00-20:00 Mon-Fri every 60 min: quiet from Friday night to Monday morning is expected, not red."""
    db = tmp_path / "processes.db"
    env = {"SMARTBIND_DB_PATH": str(db)}
    ProcessConfigStore(db, env=env).update(
        "sync_inventory", {"interval_minutes": 60, "operating_hours": "08:00-20:00 mon-fri"}, via="cli"
    )
    by_job = {sheet.job_id: sheet for sheet in freshness.sheets(env)}
    assert by_job["sync_inventory"].expected_within == timedelta(hours=60) + timedelta(
        minutes=60 * freshness.MISSED_RUNS + freshness.SLACK_MINUTES
    )
    assert by_job["sync_invoices"].closed_for == timedelta(0)  # no hours: the plain bound


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def _evaluate(instance, definitions, key):
    result = definitions.resolve_job_def("check_only").execute_in_process(instance=instance, raise_on_error=False)
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_a_sheet_never_or_long_ago_written_is_red_and_a_fresh_write_turns_it_green(instance):
    key = dg.AssetKey("smartsheet_invoices")

    @dg.asset(key=key)
    def sheet() -> None:
        return None

    checks = freshness.build_freshness_defs([freshness.SheetFreshness("sync_invoices", key, 2)])
    check_only = dg.define_asset_job(
        "check_only", selection=dg.AssetSelection.checks(dg.AssetCheckKey(key, "freshness_check"))
    )
    definitions = dg.Definitions(assets=[sheet], asset_checks=checks.asset_checks, jobs=[check_only])

    never = _evaluate(instance, definitions, key)
    assert never.passed is False and never.severity == dg.AssetCheckSeverity.ERROR

    dg.materialize([sheet], instance=instance)
    fresh = _evaluate(instance, definitions, key)
    assert fresh.passed is True
