"""definitions.py: the code location builds every process from the registry (core/processes). A process
defined in Python is its defs module plus its registry entry; the code location needs no line of its own."""

from __future__ import annotations

import importlib

import pytest

from smartbind_pipelines.core.processes import builtin
from smartbind_pipelines_tests import python_process
from smartbind_pipelines_tests.defs.support import ProcessSync


@pytest.fixture
def code_location(monkeypatch, tmp_path):
    """``defs()`` of the code location as shipped (no operator declarations, no developer's ProcessConfig)."""
    monkeypatch.delenv("SMARTBIND_PROCESSES_DIR", raising=False)
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(tmp_path / "absent" / "processes.db"))
    from smartbind_pipelines.definitions import defs

    return defs


def names(definitions) -> tuple[set[str], set[str], set[str]]:
    repository = definitions.get_repository_def()
    return (
        {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()},
        {job.name for job in repository.get_all_jobs()},
        {sensor.name for sensor in repository.sensor_defs},
    )


def test_every_built_in_process_comes_from_the_defs_module_it_names(code_location):
    assets, jobs, _ = names(code_location())
    for process in builtin.BUILT_IN:
        module = importlib.import_module(process.defs_module)
        assert process.job_id in {job.name for job in module.defs.jobs}, process.defs_module
        assert {process.source_asset, process.sheet_asset} <= assets and process.job_id in jobs


def test_a_python_process_needs_its_module_and_its_registry_entry_only(
    code_location, monkeypatch, bind_emulator, smartsheet_emulator, process_config, instance
):
    process = python_process.PROCESS
    assets, jobs, sensors = names(code_location())
    assert process.job_id not in jobs
    monkeypatch.setattr(builtin, "BUILT_IN", (*builtin.BUILT_IN, process))  # the registry entry

    assets, jobs, sensors = names(code_location())
    assert {process.source_asset, process.sheet_asset} <= assets
    assert process.job_id in jobs and process.sensor_name in sensors

    class CurrencySync(ProcessSync):
        job_id, source_asset, sheet_asset = process.job_id, process.source_asset, process.sheet_asset
        mapping, sheet_name = process.mapping, process.sheet_name

        def process_definitions(self):
            return python_process.defs

    sync = CurrencySync(bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    result = sync.execute()
    assert result.success
    currencies = {row["Code"] for row, _ in bind_emulator.state.rows("currencies")}
    assert {row["Código"] for row in sync.rows()} == currencies and currencies
