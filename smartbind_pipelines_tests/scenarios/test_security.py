"""Security in a working day: the admin API's token check, secrets kept out of every output, injections refused."""

import json
import logging
import secrets
import sqlite3
from urllib.parse import quote

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

from .driver import source_metadata

CONFIGS = "/api/admin/process-configs"
INJECTED_JOB_IDS = [
    "sync_invoices' OR '1'='1",
    "sync_invoices'; DROP TABLE process_configs;--",
    'sync_invoices" OR ""="',
    "../../etc/passwd",
    "..\\..\\processes.db",
    "sync_invoices\x00",
    "sync_invoices/../sync_inventory",
    "%2e%2e%2fsync_inventory",
    "x" * 5_000,
]


@pytest.fixture
def admin_token():
    return "admin-" + secrets.token_hex(16)


@pytest.fixture
def admin_api(day, admin_token):
    store = ProcessConfigStore(day.sync.process_config.db_path)
    with BackgroundServer(create_app(store, admin_token)) as server:
        yield server.url


def everything_run_wrote(day) -> str:
    """The event log of every run (what Dagit's run pages show: messages, failures, metadata), the run
    records (config and tags, as the Runs page shows them) and the error of each failed run."""
    parts = []
    for run in day.instance.get_runs():
        parts.append(json.dumps({"config": run.run_config, "tags": run.tags}, default=str))
        parts += [repr(record) for record in day.instance.all_logs(run.run_id)]
    parts += [failure_text(result) for result in day.results if not result.success]
    for result in day.results:
        for materialization in result.get_asset_materialization_events():
            parts.append(repr(materialization.event_specific_data))
    return "\n".join(parts)


def test_tokens_never_appear_in_logs_metadata_errors_or_run_pages(day, admin_api, admin_token, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.DEBUG)  # the SDK logs request and error bodies
    secrets_kept = {"Bind key": day.bind.token, "Smartsheet token": day.smartsheet.token, "admin token": admin_token}

    # The admin API: no token, a wrong one, another scheme, the token with a suffix -> 401, and never echoed.
    url = f"{admin_api}{CONFIGS}/sync_invoices"
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {admin_token}"},
        {"Authorization": f"Bearer {admin_token}x"},
        {"Authorization": admin_token},
    ):
        for method in ("GET", "PUT"):
            answer = requests.request(method, url, headers=headers, json={"is_active": False}, timeout=10)
            assert answer.status_code == 401, (headers, answer.text)
            assert admin_token not in answer.text
    assert requests.get(url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10).status_code == 200
    day.figures.incident("admin API calls without a valid token", 10)

    day.trade(ticks=1)
    # Servers that echo the credential back in their error message, and runs that fail for good.
    day.sell(2)
    day.inject(
        "smartsheet",
        "custom",
        r"/rows$",
        method="POST",
        count=1,
        status=400,
        body={"errorCode": 1002, "message": f"Your Access Token {day.smartsheet.token} is invalid."},
    )
    echoed_sheet = day.tick()
    assert not echoed_sheet.success and "[redacted]" in failure_text(echoed_sheet)
    day.inject(
        "bind",
        "custom",
        r"/api/Invoices$",
        method="GET",
        count=1,
        status=401,
        body={"Message": f"Authorization has been denied for key {day.bind.token}."},
    )
    echoed_bind = day.tick()
    assert not echoed_bind.success and "[redacted]" in failure_text(echoed_bind)
    day.inject("bind", "server_error", r"/api/Invoices$", count=6)
    assert not day.tick().success
    day.inject("smartsheet", "unavailable", r"/sheets/\d+/columns$", count=20)
    assert not day.tick().success
    day.settle_faults()

    day.sell(2)
    assert day.tick().success
    day.close_of_day()
    day.assert_sheet_equals_bind(minimum=7)

    out, err = capfd.readouterr()
    searched = {
        "captured log records": caplog.text,
        "stdout and stderr": out + err,
        "Dagster event logs, run records, errors and metadata": everything_run_wrote(day),
    }
    assert "errorCode 1002" in searched["Dagster event logs, run records, errors and metadata"]
    for where, text in searched.items():
        assert len(text) > 1_000, where
        for name, secret in secrets_kept.items():
            assert secret not in text, f"the {name} appears in the {where}"


def test_job_id_injection_is_refused_through_the_api_and_the_cli(day, admin_api, admin_token, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    db_path = day.sync.process_config.db_path
    before = snapshot(db_path, "sync_invoices"), snapshot(db_path, "sync_inventory")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {admin_token}"
    runner = CliRunner()
    for job_id in INJECTED_JOB_IDS:
        path = f"{admin_api}{CONFIGS}/{quote(job_id, safe='')}"
        for method in ("GET", "PUT"):
            answer = session.request(method, path, json={"interval_minutes": 5, "is_active": False}, timeout=10)
            assert answer.status_code == 404, (job_id[:40], method, answer.status_code)
        for args in (["set", job_id, "--interval-minutes", "5", "--inactive"], ["show", job_id], ["history", job_id]):
            result = runner.invoke(main, ["config", "--db-path", str(db_path), *args])
            assert result.exit_code == 1 and "unknown process" in result.output, (job_id[:40], result.output)
        assert (snapshot(db_path, "sync_invoices"), snapshot(db_path, "sync_inventory")) == before
    launched = runner.invoke(main, ["sync", "../../etc/passwd", "--local"])
    assert launched.exit_code == 2 and "Invalid value" in launched.output
    with sqlite3.connect(db_path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert {"process_configs", "process_config_audit"} <= tables
    day.figures.incident("injection attempts through job_id", len(INJECTED_JOB_IDS) * 6 + 1)

    day.trade(ticks=1)  # the process is untouched: still active, same interval, same sheet
    day.assert_sheet_equals_bind()


def test_a_draft_id_carrying_an_odata_quote_never_reaches_a_filter_and_the_day_goes_on(day):
    day.trade(ticks=1)
    real_draft = day.draft()
    poisoned = dict(day.bind.state.list_invoices()[0], ID="x' or 1 eq 1 or ID eq '", UUID=None, Number=777)
    page = sorted(day.bind.state.list_invoices(), key=lambda invoice: invoice["Date"]) + [poisoned]
    day.inject(
        "bind",
        "custom",
        "/api/Invoices$",
        method="GET",
        count=1,
        status=200,
        body={"value": page, "nextLink": None, "count": len(page)},
    )
    day.figures.incident("OData injection attempts through a Bind id")
    seen = day.tick()
    assert seen.success, failure_text(seen)
    assert source_metadata(seen)["skipped"] == 2  # both drafts listed

    # Later runs follow the real draft by id; the poisoned id is never put in a filter, so none fails.
    day.stamp(real_draft)
    for _ in range(2):
        day.sell(1)
        later = day.tick()
        assert later.success, failure_text(later)
    assert real_draft["ID"] not in str(source_metadata(later)["pending_draft_ids"])
    assert "or 1 eq 1" not in str(source_metadata(later)["pending_draft_ids"])
    day.close_of_day()
    day.assert_sheet_equals_bind()
