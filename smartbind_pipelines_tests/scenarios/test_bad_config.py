"""Mid-day, operators send invalid ProcessConfig changes through the admin API and the CLI.

Each is refused with an error naming the field; the database (both rows, the audit trail) is unchanged;
and the sync carries on with the configuration it had. The values differ from the unit-level tables in
core/process_config/cases.py: these are the typos and copy-paste accidents of a working day.
"""

import secrets

import pytest
import requests
from click.testing import CliRunner

from smartbind_pipelines.api import create_app
from smartbind_pipelines.cli import main
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines_tests.core.process_config.cases import snapshot
from smartbind_pipelines_tests.defs.invoices.harness import failure_text

from .driver import sheet_metadata

# (field the error must name, raw JSON body of PUT /api/admin/process-configs/sync_invoices)
BAD_API_UPDATES = [
    ("interval_minutes", '{"interval_minutes": "15 min"}'),
    ("interval_minutes", '{"interval_minutes": 1e3}'),
    ("interval_minutes", '{"interval_minutes": 100000000000000000000}'),
    ("smartsheet_sheet_id", '{"smartsheet_sheet_id": "4956 7401 3196 6852"}'),
    ("smartsheet_sheet_id", '{"smartsheet_sheet_id": "0"}'),
    ("smartsheet_sheet_id", '{"smartsheet_sheet_id": "4956740131966852; DROP TABLE process_configs"}'),
    ("is_active", '{"is_active": "false"}'),
    ("is_active", '{"is_active": 0}'),
    ("sync_direction", '{"sync_direction": "PULL"}'),
    ("source_system", '{"source_system": ""}'),
    ("fields_mapping", '{"fields_mapping": {"warehouse_ids": NaN}}'),
    ("name", '{"name": "' + "x" * 2_001 + '"}'),
    ("description", '{"description": 42}'),
    ("interval", '{"interval": 5}'),
    ("updated_at", '{"updated_at": "2026-03-10T12:00:00-06:00"}'),
    ("is_active", '{"interval_minutes": 30, "is_active": "no"}'),  # the valid half is not written either
]

# (field the error must name, arguments after `smartbind config set sync_invoices`)
BAD_CLI_UPDATES = [
    ("interval_minutes", ["--interval-minutes", ""]),
    ("interval_minutes", ["--interval-minutes", "1e3"]),
    ("interval_minutes", ["--interval-minutes", "99999999999999999999999"]),
    ("smartsheet_sheet_id", ["--sheet-id", "4956 7401 3196 6852"]),
    ("smartsheet_sheet_id", ["--sheet-id", "0"]),
    ("smartsheet_sheet_id", ["--sheet-id", "4956740131966852'; DROP TABLE process_configs;--"]),
    ("source_system", ["--source-system", "BIND"]),
    ("sync_direction", ["--sync-direction", "push,pull"]),
    ("fields_mapping", ["--fields-mapping", '"warehouse_ids"']),
    ("fields_mapping", ["--fields-mapping", '{"warehouse_ids": NaN}']),
    ("name", ["--name", "   "]),
    ("description", ["--description", "z" * 2_001]),
    ("target_system", ["--target-system", "bind"]),
    ("interval_minutes", ["--interval-minutes", "30", "--inactive", "--interval-minutes", "0"]),
]


def database(db_path):
    """Both processes' rows exactly as stored, and the audit count."""
    return snapshot(db_path, "sync_invoices"), snapshot(db_path, "sync_inventory")


@pytest.fixture
def admin_api(day, tmp_path):
    token = "admin-" + secrets.token_hex(16)
    store = ProcessConfigStore(day.sync.process_config.db_path)
    with BackgroundServer(create_app(store, token)) as server:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-Actor": "ana.hernandez"}
        )
        session.url = f"{server.url}/api/admin/process-configs/sync_invoices"
        yield session
        session.close()


def test_invalid_updates_through_the_api_and_the_cli_change_nothing_and_the_day_goes_on(day, admin_api, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    db_path = day.sync.process_config.db_path
    day.trade(ticks=2)
    before = database(db_path)

    for field, body in BAD_API_UPDATES:
        answer = admin_api.put(admin_api.url, data=body.encode())
        assert answer.status_code == 422, (field, answer.text)
        refusal = answer.json()
        assert refusal["success"] is False and refusal["field"] == field, (field, refusal)
        assert field in refusal["error"] or refusal["field"] == field
        assert database(db_path) == before, f"{field}: the database changed"
    day.sell(3)
    assert day.tick().success  # the sync reads the same, unchanged configuration

    runner = CliRunner()
    for field, args in BAD_CLI_UPDATES:
        result = runner.invoke(main, ["config", "--db-path", str(db_path), "set", "sync_invoices", *args])
        assert result.exit_code == 1, (field, result.output)
        assert f"{field}:" in result.output, (field, result.output)
        assert database(db_path) == before, f"{field}: the database changed"
    day.figures.incident("invalid ProcessConfig updates", len(BAD_API_UPDATES) + len(BAD_CLI_UPDATES))
    assert len(BAD_API_UPDATES) + len(BAD_CLI_UPDATES) >= 20

    day.sell(3)
    carried_on = day.tick()
    assert carried_on.success, failure_text(carried_on)
    assert sheet_metadata(carried_on)["sheet_id"] == str(day.sync.sheet_id)

    # The same channels still work: one valid change is written, with its audit entry.
    accepted = admin_api.put(admin_api.url, json={"interval_minutes": 5})
    assert accepted.status_code == 200 and accepted.json()["config"]["interval_minutes"] == 5
    (row, audit), _ = database(db_path)
    assert audit == before[0][1] + 1 and row != before[0][0]

    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=12)
