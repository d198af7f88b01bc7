"""ProcessConfig in Dagster: the resource, and the update_process_config job run in-process."""

from __future__ import annotations

import dagster as dg
import pytest

from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines.defs import process_config as process_config_defs
from smartbind_pipelines.defs.process_config import ProcessConfigResource, update_process_config
from smartbind_pipelines_tests.core.process_config.cases import WH_A, snapshot

OP = "apply_process_config_change"


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


def test_the_job_changes_the_row_and_audits_the_run(db_path):
    with dg.instance_for_test() as instance:
        result = launch(
            db_path,
            {
                "job_id": "sync_invoices",
                "interval_minutes": 10,
                "is_active": False,
                "fields_mapping": {"warehouse_ids": [WH_A]},
            },
            instance,
        )
        assert result.success
        stored = ProcessConfigStore(db_path).get("sync_invoices")
        assert (stored.interval_minutes, stored.is_active, stored.fields_mapping) == (
            10,
            False,
            {"warehouse_ids": [WH_A]},
        )
        [entry, _seed] = ProcessConfigStore(db_path).history("sync_invoices")
        assert (entry["via"], entry["actor"]) == ("dagster", result.run_id)
        [output] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
        metadata = output.step_output_data.metadata
        assert metadata["changed_fields"].value == "interval_minutes, is_active, fields_mapping"
        assert metadata["old"].value["interval_minutes"] == 2 and metadata["new"].value["interval_minutes"] == 10
        logs = [r.user_message for r in instance.all_logs(result.run_id)]
        assert any("sync_invoices.interval_minutes: 2 -> 10" in message for message in logs)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"job_id": "sync_invoices", "interval_minutes": 0}, "interval_minutes"),
        ({"job_id": "sync_invoices", "interval_minutes": 5, "smartsheet_sheet_id": "12ab"}, "smartsheet_sheet_id"),
        ({"job_id": "sync_invoices", "target_system": "bind"}, "target_system"),
        ({"job_id": "sync_invoices", "sync_direction": "sideways"}, "sync_direction"),
        ({"job_id": "sync_invoices", "name": " "}, "name"),
        ({"job_id": "sync_clients", "interval_minutes": 5}, "job_id"),
    ],
)
def test_a_bad_value_fails_the_run_naming_the_field_and_writes_nothing(db_path, change, field):
    ProcessConfigStore(db_path)
    before = snapshot(db_path)
    with dg.instance_for_test() as instance:
        result = launch(db_path, change, instance)
        assert not result.success
        [failure] = [e for e in result.all_node_events if e.event_type_value == "STEP_FAILURE"]
        error = failure.step_failure_data.error
        assert field in error.message
        assert failure.step_failure_data.user_failure_data.metadata["field"].value == field
    assert snapshot(db_path) == before


def test_a_value_of_the_wrong_type_is_refused_before_the_run(db_path):
    with pytest.raises(dg.DagsterInvalidConfigError, match="interval_minutes"):
        update_process_config.execute_in_process(
            run_config={"ops": {OP: {"config": {"job_id": "sync_invoices", "interval_minutes": "soon"}}}},
            resources={"process_config": ProcessConfigResource(db_path=str(db_path))},
        )


def test_the_launchpad_schema_shows_every_editable_field_with_a_description():
    config_type = update_process_config.run_config_schema.config_type
    fields = config_type.fields["ops"].config_type.fields[OP].config_type.fields["config"].config_type.fields
    assert set(fields) == {
        "job_id",
        "interval_minutes",
        "is_active",
        "smartsheet_sheet_id",
        "smartsheet_sheet_name",
        "name",
        "description",
        "source_system",
        "target_system",
        "sync_direction",
        "fields_mapping",
        "operating_hours",
    }
    assert fields["job_id"].is_required and not fields["interval_minutes"].is_required
    assert all(field.description for field in fields.values())


def test_resource_store_reads_the_file(db_path):
    store = ProcessConfigResource(db_path=str(db_path)).store()
    assert store.get("sync_invoices").interval_minutes == 2


def test_the_resource_comes_from_smartbind_db_path(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(tmp_path / "x.db"))
    assert process_config_defs.process_config_resource_from_env().db_path == str(tmp_path / "x.db")
    monkeypatch.delenv("SMARTBIND_DB_PATH")
    assert process_config_defs.process_config_resource_from_env().db_path == "data/processes.db"


def test_module_defs_load():
    dg.Definitions.validate_loadable(process_config_defs.defs)
    assert process_config_defs.defs.resources["process_config"] is process_config_defs.process_config_resource


def test_the_code_location_has_the_job():
    from smartbind_pipelines.definitions import defs

    assert defs().resolve_job_def("update_process_config").name == "update_process_config"


def test_the_launchpad_opens_on_a_valid_config_that_changes_nothing(db_path):
    """The UI's launchpad scaffolds the job's default config: it must validate (no red "Missing required
    config") and, launched as it opens, write nothing (issue 18)."""
    assert dg.validate_run_config(update_process_config, None)  # raises DagsterInvalidConfigError if not
    ProcessConfigStore(db_path)  # the seeded file
    before = snapshot(db_path)
    with dg.instance_for_test() as instance:
        result = update_process_config.execute_in_process(
            resources={"process_config": ProcessConfigResource(db_path=str(db_path))}, instance=instance
        )
    assert result.success
    assert snapshot(db_path) == before


def test_every_job_carries_the_same_owner_tag():
    from smartbind_pipelines.definitions import defs

    owners = {job.name: job.tags.get("owner") for job in defs().resolve_all_job_defs() if not job.name.startswith("__")}
    assert "update_process_config" in owners and "sync_invoices" in owners
    assert set(owners.values()) == {"team:operaciones"}, owners
