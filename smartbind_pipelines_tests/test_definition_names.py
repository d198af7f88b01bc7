"""Every name of the code location that operators, scripts and the UI's bookmarks rely on — asset keys, asset
check names, jobs, sensors, schedules — against a stored snapshot (smartbind_pipelines_tests/snapshots/
definition_names.json). A rename, a lost or an added definition fails here, naming what changed, until the
snapshot is updated on purpose:

    SMARTBIND_UPDATE_SNAPSHOT=1 .venv/bin/pytest -q smartbind_pipelines_tests/test_definition_names.py

then review `git diff smartbind_pipelines_tests/snapshots/` and commit it with the change that caused it.

The code location is loaded as shipped: no SMARTBIND_PROCESSES_DIR (an operator's declarations would add
names), and a ProcessConfig path that does not exist (so loading reads no developer's file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "definition_names.json"
UPDATE_ENV = "SMARTBIND_UPDATE_SNAPSHOT"


def definition_names(definitions: dg.Definitions) -> dict[str, list[str]]:
    """The names of `definitions`, sorted per kind; Dagster's implicit `__ASSET_JOB` is left out."""
    repository = definitions.get_repository_def()
    graph = repository.asset_graph
    return {
        "assets": sorted(key.to_user_string() for key in graph.get_all_asset_keys()),
        "asset_checks": sorted(f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys),
        "jobs": sorted(job.name for job in repository.get_all_jobs() if not job.name.startswith("__")),
        "sensors": sorted(sensor.name for sensor in repository.sensor_defs),
        "schedules": sorted(schedule.name for schedule in repository.schedule_defs),
    }


def differences(stored: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    lines = []
    for kind in sorted(set(stored) | set(now)):
        before, after = set(stored.get(kind, [])), set(now.get(kind, []))
        lines += [f"{kind}: lost {name}" for name in sorted(before - after)]
        lines += [f"{kind}: new {name}" for name in sorted(after - before)]
    return lines


@pytest.fixture
def shipped_code_location(monkeypatch, tmp_path):
    monkeypatch.delenv("SMARTBIND_PROCESSES_DIR", raising=False)
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(tmp_path / "absent" / "processes.db"))
    from smartbind_pipelines.definitions import defs

    return defs()


def test_every_definition_name_matches_the_snapshot(shipped_code_location):
    names = definition_names(shipped_code_location)
    assert all(names.values()), f"a kind of definition is empty, did the code location load? {names}"
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.write_text(json.dumps(names, indent=2, ensure_ascii=False) + "\n")
        pytest.skip(f"{SNAPSHOT.name} written; review `git diff` and commit it")
    stored = json.loads(SNAPSHOT.read_text())
    changed = differences(stored, names)
    assert not changed, (
        "the code location's names changed (operators, scripts and run history use them):\n  "
        + "\n  ".join(changed)
        + f"\nIf this is deliberate: {UPDATE_ENV}=1 pytest {Path(__file__).name}"
    )
    assert stored == names  # same names, same order per kind


def test_a_renamed_job_is_reported_by_name():
    stored = {"jobs": ["sync_invoices", "sync_inventory"], "sensors": ["sync_invoices_sensor"]}
    now = {"jobs": ["sync_inventory", "sync_facturas"], "sensors": ["sync_invoices_sensor"]}
    assert differences(stored, now) == ["jobs: lost sync_invoices", "jobs: new sync_facturas"]
