"""The invoice objects as the code location registers them, and the nightly schedule."""

from datetime import datetime

import dagster as dg
import pytest

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.definitions import defs
from smartbind_pipelines.defs.invoices.schedules import reconcile_invoices_nightly
from smartbind_pipelines.defs.process_config import ProcessConfigResource


@pytest.fixture(scope="module")
def definitions():
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    return loaded


def test_assets_form_the_lineage_bind_to_smartsheet(definitions):
    graph = definitions.resolve_asset_graph()
    source, sheet = dg.AssetKey("bind_invoices"), dg.AssetKey("smartsheet_invoices")
    assert graph.get(sheet).parent_keys == {source}
    assert graph.get(source).group_name == graph.get(sheet).group_name == "invoices"
    assert graph.get(source).kinds == {"bind"} and graph.get(sheet).kinds == {"smartsheet"}
    assert {check.name for check in graph.get(sheet).check_keys} == {
        "no_duplicate_uuid_in_sheet",
        "fetched_invoices_match_sheet",
        "freshness_check",  # defs/freshness.py
    }


def test_both_jobs_share_the_process_tag_and_run_the_checks(definitions):
    for name in ("sync_invoices", "reconcile_invoices"):
        job = definitions.resolve_job_def(name)
        assert job.tags["process"] == "sync_invoices" and "owner" in job.tags
        assert {"bind_invoices", "smartsheet_invoices", "invoices_sheet_checks"} <= set(job.graph.node_dict)


def test_reconcile_reads_35_days_by_default(definitions):
    job = definitions.resolve_job_def("reconcile_invoices")
    config = job.run_config_schema.config_type.fields["ops"].config_type.fields["bind_invoices"]
    assert config.default_value["config"]["reconcile_days"] == 35


def test_sensor_and_schedule_are_registered_and_on(definitions):
    sensor = definitions.resolve_sensor_def("sync_invoices_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    schedule = definitions.resolve_schedule_def("reconcile_invoices_nightly")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "America/Mexico_City"
    assert schedule.job_name == "reconcile_invoices"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_secrets_are_env_vars_not_values(definitions):
    assert definitions.resources["bind"].api_key == dg.EnvVar("BIND_API_KEY")
    assert definitions.resources["smartsheet"].access_token == dg.EnvVar("SMARTSHEET_ACCESS_TOKEN")


def test_the_nightly_schedule_requests_a_reconcile_unless_paused(tmp_path):
    process_config = ProcessConfigResource(db_path=str(tmp_path / "processes.db"))
    at = datetime(2026, 3, 11, 2, 0, tzinfo=CDMX)
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=at, resources={"process_config": process_config}
        ) as context:
            request = reconcile_invoices_nightly(context)
            assert isinstance(request, dg.RunRequest) and request.run_key == at.isoformat()

            process_config.store().update("sync_invoices", {"is_active": False}, via="test")
            skip = reconcile_invoices_nightly(context)
            assert isinstance(skip, dg.SkipReason) and "paused" in skip.skip_message


def test_a_launch_with_no_config_uses_the_documented_defaults(definitions, monkeypatch):
    monkeypatch.setenv("BIND_API_KEY", "x")
    monkeypatch.setenv("SMARTSHEET_ACCESS_TOKEN", "y")
    regular = dg.validate_run_config(definitions.resolve_job_def("sync_invoices"), {})["ops"]
    assert regular["bind_invoices"]["config"]["reconcile_days"] is None
    assert regular["bind_invoices"]["config"]["overlap_minutes"] == 10 and regular["smartsheet_invoices"]["config"] == {
        "dry_run": False
    }
    reconcile = dg.validate_run_config(definitions.resolve_job_def("reconcile_invoices"), {})["ops"]
    assert reconcile["bind_invoices"]["config"]["reconcile_days"] == 35
