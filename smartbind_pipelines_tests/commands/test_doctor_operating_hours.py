"""`smartbind doctor` shows each examined process's operating hours (issue 16)."""

from smartbind_pipelines.core.doctor import _processes_to_examine
from smartbind_pipelines.core.process_config import ProcessConfigStore


def test_the_process_config_line_shows_each_process_hours(tmp_path):
    db_path = tmp_path / "processes.db"
    store = ProcessConfigStore(db_path, env={})
    store.update(
        "sync_inventory",
        {"smartsheet_sheet_id": "346190987087748", "operating_hours": "22:00-06:00 mon-fri"},
        via="test",
    )
    examined, [result] = _processes_to_examine({"SMARTBIND_DB_PATH": str(db_path)}, db_ok=True)
    assert {config.job_id for config in examined} == {"sync_inventory", "sync_invoices"}
    assert result.ok
    assert "sync_invoices (active, runs day and night)" in result.detail
    assert "sync_inventory (active, runs 22:00–06:00 (crosses midnight) Mon–Fri Mexico City time)" in result.detail
