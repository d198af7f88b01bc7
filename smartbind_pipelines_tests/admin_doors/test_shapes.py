"""The old API's shapes (admin_doors/shapes.py) as pure functions: a stand-in for the Dagster instance."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.admin_doors.shapes import audit_status, job_shape
from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV

OFFICE = {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}


class NoRuns:
    """A stand-in for the Dagster instance: no runs yet, so the process is due now."""

    def runs(self, job_id, limit):
        return []

    def in_flight(self, job_id):
        return []

    def link(self, path):
        return path


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "processes.db"


def test_an_hours_change_is_hours_changed_in_the_old_history_words():
    assert audit_status({"old": {"operating_hours": None}, "new": {"operating_hours": OFFICE}}) == "hours_changed"
    assert audit_status({"old": {"interval_minutes": 2}, "new": {"interval_minutes": 5}}) == "interval_changed"


def test_the_job_list_next_run_waits_for_the_operating_window(db_path):
    opens = (now_cdmx() + timedelta(hours=2)).replace(second=0, microsecond=0)
    closes = opens + timedelta(hours=1)
    store = ProcessConfigStore(db_path)
    config = store.update("sync_invoices", {"operating_hours": f"{opens:%H:%M}-{closes:%H:%M}"}, via="test")
    shape = job_shape(NoRuns(), config, set())
    assert datetime.fromisoformat(shape["next_run"]) == opens
    assert (
        shape["hours"]
        == f"{opens:%H:%M}–{closes:%H:%M}" + (" (crosses midnight)" if closes.hour < opens.hour else "") + " every day"
    )
    always = job_shape(NoRuns(), store.update("sync_invoices", {"operating_hours": None}, via="test"), set())
    assert datetime.fromisoformat(always["next_run"]) < opens and always["operating_hours"] is None
