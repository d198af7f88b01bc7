from __future__ import annotations

import pytest

from smartbind_pipelines.core.processes import SHEET_ID_ENV


@pytest.fixture(autouse=True)
def _no_sheet_id_environment(monkeypatch):
    """Tests decide the fallback environment themselves; the worker's own must not leak in."""
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "processes.db"
