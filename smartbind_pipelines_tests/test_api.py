"""The admin REST API over real HTTP (uvicorn on a loopback port)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest
import requests

from smartbind_pipelines.api import AdminTokenMissing, create_app
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import SHEET_ID_ENV
from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines_tests.core.process_config.cases import BAD_API_BODIES, snapshot

CONFIGS = "/api/admin/process-configs"


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return tmp_path / "processes.db"


@pytest.fixture(scope="module")
def _server(tmp_path_factory):
    token = "admin-" + secrets.token_hex(16)
    store = ProcessConfigStore(tmp_path_factory.mktemp("api") / "unused.db", env={})
    with BackgroundServer(create_app(store, token)) as server:
        yield server, token


@pytest.fixture
def admin(_server, db_path):
    """The running API, pointed at this test's own file, and a session authenticated as the operator."""
    server, token = _server
    server.app.state.store = ProcessConfigStore(db_path)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.base_url = server.url
    session.token = token
    yield session
    session.close()


def _url(admin, path):
    return admin.base_url + path


def _assert_envelope(body, success=True):
    assert body["success"] is success
    stamp = datetime.fromisoformat(body["timestamp"])
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() in (-6 * 3600, -5 * 3600)


def test_list_uses_the_seed_envelope(admin):
    response = admin.get(_url(admin, CONFIGS), timeout=5)
    assert response.status_code == 200
    body = response.json()
    _assert_envelope(body)
    assert [c["job_id"] for c in body["configs"]] == ["invoice_from_sheet", "sync_inventory", "sync_invoices"]
    assert set(body["configs"][0]) >= {
        "job_id",
        "name",
        "description",
        "smartsheet_sheet_id",
        "smartsheet_sheet_name",
        "interval_minutes",
        "is_active",
        "source_system",
        "target_system",
        "sync_direction",
        "fields_mapping",
        "created_at",
        "updated_at",
    }


def test_get_one(admin):
    body = admin.get(_url(admin, f"{CONFIGS}/sync_invoices"), timeout=5).json()
    _assert_envelope(body)
    assert body["config"]["smartsheet_sheet_id"] == "4956740131966852"
    assert body["config"]["interval_minutes"] == 2


def test_put_is_a_partial_update_and_is_audited_with_the_actor(admin, db_path):
    response = admin.put(
        _url(admin, f"{CONFIGS}/sync_invoices"),
        json={"smartsheet_sheet_id": "1234567890", "smartsheet_sheet_name": "Mi Nueva Hoja", "interval_minutes": 5},
        headers={"X-Actor": "maria@example.mx"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    config = response.json()["config"]
    assert (config["smartsheet_sheet_id"], config["smartsheet_sheet_name"], config["interval_minutes"]) == (
        "1234567890",
        "Mi Nueva Hoja",
        5,
    )
    assert config["is_active"] is True  # untouched fields stay
    assert ProcessConfigStore(db_path).get("sync_invoices").interval_minutes == 5
    history = admin.get(_url(admin, f"{CONFIGS}/sync_invoices/history"), timeout=5).json()
    _assert_envelope(history)
    latest = history["history"][0]
    assert (latest["via"], latest["actor"]) == ("api", "maria@example.mx")
    assert latest["old"]["interval_minutes"] == 2 and latest["new"]["interval_minutes"] == 5


def test_actor_defaults_to_api(admin):
    admin.put(_url(admin, f"{CONFIGS}/sync_inventory"), json={"is_active": False}, timeout=5)
    latest = admin.get(_url(admin, f"{CONFIGS}/sync_inventory/history?limit=1"), timeout=5).json()["history"]
    assert len(latest) == 1 and latest[0]["actor"] == "api"


@pytest.mark.parametrize("field, body", BAD_API_BODIES, ids=[f"{f}-{b}" for f, b in BAD_API_BODIES])
def test_invalid_body_is_422_naming_the_field_and_writes_nothing(admin, db_path, field, body):
    before = snapshot(db_path)
    response = admin.put(_url(admin, f"{CONFIGS}/sync_invoices"), json=body, timeout=5)
    assert response.status_code == 422, response.text
    payload = response.json()
    _assert_envelope(payload, success=False)
    assert payload["field"] == field
    assert payload["error"]
    assert snapshot(db_path) == before


@pytest.mark.parametrize("raw", [b"not json", b'{"interval_minutes": ', b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(admin, db_path, raw):
    before = snapshot(db_path)
    response = admin.put(
        _url(admin, f"{CONFIGS}/sync_invoices"), data=raw, headers={"Content-Type": "application/json"}, timeout=5
    )
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"{CONFIGS}/sync_clients"),
        ("PUT", f"{CONFIGS}/sync_clients"),
        ("GET", f"{CONFIGS}/sync_clients/history"),
    ],
)
def test_unknown_job_is_404(admin, db_path, method, path):
    before = snapshot(db_path)
    response = admin.request(method, _url(admin, path), json={"interval_minutes": 5}, timeout=5)
    assert response.status_code == 404
    assert response.json()["field"] == "job_id" and "sync_clients" in response.json()["error"]
    assert snapshot(db_path) == before


@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "Bearer wrong-token", "Basic abc", "token"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", CONFIGS),
        ("GET", f"{CONFIGS}/sync_invoices"),
        ("PUT", f"{CONFIGS}/sync_invoices"),
        ("GET", f"{CONFIGS}/sync_invoices/history"),
    ],
)
def test_without_the_right_token_is_401_and_writes_nothing(admin, db_path, authorization, method, path):
    before = snapshot(db_path)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.request(method, _url(admin, path), json={"interval_minutes": 9}, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert admin.token not in response.text
    assert snapshot(db_path) == before


def test_token_with_a_suffix_or_prefix_is_refused(admin):
    for wrong in (admin.token + "x", admin.token[:-1], "x" + admin.token):
        response = requests.get(_url(admin, CONFIGS), headers={"Authorization": f"Bearer {wrong}"}, timeout=5)
        assert response.status_code == 401


def test_healthz_needs_no_token(admin):
    response = requests.get(_url(admin, "/healthz"), timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_history_limit_is_validated(admin):
    response = admin.get(_url(admin, f"{CONFIGS}/sync_invoices/history?limit=0"), timeout=5)
    assert response.status_code == 422 and response.json()["field"] == "limit"


def test_the_token_is_never_logged(admin, caplog):
    caplog.set_level(logging.DEBUG)
    admin.put(_url(admin, f"{CONFIGS}/sync_invoices"), json={"interval_minutes": 4}, timeout=5)
    requests.get(_url(admin, CONFIGS), headers={"Authorization": "Bearer nope"}, timeout=5)
    assert "ProcessConfig sync_invoices changed via api" in caplog.text
    assert admin.token not in caplog.text


@pytest.mark.parametrize("token", [None, "", "   "])
def test_create_app_refuses_without_a_token(db_path, token):
    with pytest.raises(AdminTokenMissing, match="SMARTBIND_ADMIN_TOKEN"):
        create_app(ProcessConfigStore(db_path), token)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _admin_api_process(db_path, token: str | None, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "SMARTBIND_ADMIN_TOKEN"}
    if token is not None:
        env["SMARTBIND_ADMIN_TOKEN"] = token
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartbind_pipelines.cli",
            "admin-api",
            "--port",
            str(port),
            "--db-path",
            str(db_path),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("token", [None, ""])
def test_admin_api_command_refuses_to_start_without_a_token(db_path, token):
    process = _admin_api_process(db_path, token, _free_port())
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "SMARTBIND_ADMIN_TOKEN" in stderr
    assert not db_path.exists()  # refused before touching anything


def test_admin_api_command_serves_the_api(db_path):
    token = "admin-" + secrets.token_hex(16)
    port = _free_port()
    process = _admin_api_process(db_path, token, port)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "admin-api did not start"
            time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        response = requests.put(
            f"{base}{CONFIGS}/sync_inventory", json={"interval_minutes": 15}, headers=auth, timeout=5
        )
        assert response.status_code == 200 and response.json()["config"]["interval_minutes"] == 15
        assert requests.get(f"{base}{CONFIGS}", timeout=5).status_code == 401
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert token not in stderr
    assert ProcessConfigStore(db_path).get("sync_inventory").interval_minutes == 15


# -- issue 14: every answer is JSON; a file that cannot be used is a 503 naming it; bad input a 422 ----------


def _assert_json_error(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    _assert_envelope(body, success=False)
    assert body["error"]
    if field is not None:
        assert body["field"] == field
    return body


@pytest.mark.parametrize(
    "limit",
    ["²", "١٢", "1" + "0" * 5000, "-1", "1e3", ""],
    ids=["superscript", "arabic-indic", "5001-digits", "negative", "exponent", "empty"],
)
def test_a_history_limit_that_is_not_a_plain_integer_is_422(admin, limit):
    response = admin.get(_url(admin, f"{CONFIGS}/sync_invoices/history"), params={"limit": limit}, timeout=5)
    _assert_json_error(response, 422, "limit")


@pytest.mark.parametrize(
    "field, raw",
    [
        ("interval_minutes", '{"interval_minutes": 1' + "0" * 5000 + "}"),
        ("smartsheet_sheet_id", '{"smartsheet_sheet_id": 9' + "9" * 5000 + "}"),
        ("fields_mapping", '{"fields_mapping": {"n": 1' + "0" * 5000 + "}}"),
        ("fields_mapping", '{"fields_mapping": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("fields_mapping", '{"is_active": false, "fields_mapping": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}"),
        ("fields_mapping", '{"fields_mapping": ' + "[" * 500 + "]" * 500 + "}"),  # parses, but far too deep
    ],
    ids=[
        "5001-digit-interval",
        "5001-digit-sheet-id",
        "5001-digit-in-mapping",
        "100000-deep-lists",
        "50000-deep-objects-second-key",
        "500-deep-lists",
    ],
)
def test_a_huge_number_or_deep_nesting_is_422_naming_the_field_and_writes_nothing(admin, db_path, field, raw):
    before = snapshot(db_path)
    response = admin.put(
        _url(admin, f"{CONFIGS}/sync_invoices"),
        data=raw.encode(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    _assert_json_error(response, 422, field)
    assert snapshot(db_path) == before


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_bearer_scheme_is_case_insensitive(admin, scheme):
    response = requests.get(_url(admin, CONFIGS), headers={"Authorization": f"{scheme} {admin.token}"}, timeout=5)
    assert response.status_code == 200, response.text


def test_the_token_itself_stays_case_sensitive(admin):
    response = requests.get(_url(admin, CONFIGS), headers={"Authorization": f"Bearer {admin.token.upper()}"}, timeout=5)
    assert response.status_code == 401


@pytest.fixture
def holder(db_path):
    """Another process's connection holding the ProcessConfig file locked until the test ends."""
    connections = []

    def lock():
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("UPDATE process_configs SET name = name")
        connections.append(conn)

    yield lock
    for conn in connections:
        conn.execute("ROLLBACK")
        conn.close()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", CONFIGS),
        ("GET", f"{CONFIGS}/sync_invoices"),
        ("PUT", f"{CONFIGS}/sync_invoices"),
        ("GET", f"{CONFIGS}/sync_invoices/history"),
    ],
)
def test_a_locked_file_is_503_naming_it_after_a_bounded_wait(_server, admin, db_path, holder, method, path):
    _server[0].app.state.store = ProcessConfigStore(db_path, busy_timeout=0.2)
    holder()
    response = admin.request(method, _url(admin, path), json={"interval_minutes": 5}, timeout=30)
    body = _assert_json_error(response, 503)
    assert str(db_path) in body["error"] and "locked" in body["error"]
    assert response.headers["Retry-After"]


def test_a_missing_file_is_503_and_is_not_recreated(admin, db_path):
    admin.get(_url(admin, CONFIGS), timeout=5)
    db_path.unlink()
    for method in ("GET", "PUT"):
        response = admin.request(method, _url(admin, f"{CONFIGS}/sync_invoices"), json={"is_active": True}, timeout=5)
        body = _assert_json_error(response, 503)
        assert str(db_path) in body["error"] and "does not exist" in body["error"]
    assert not db_path.exists()


def test_a_corrupt_file_is_503(admin, db_path):
    admin.get(_url(admin, CONFIGS), timeout=5)
    db_path.write_bytes(b"garbage " * 1000)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    body = _assert_json_error(admin.get(_url(admin, CONFIGS), timeout=5), 503)
    assert "not a readable SQLite database" in body["error"]
    assert admin.token not in body["error"]


def test_warehouse_ids_are_checked_when_set(admin, db_path):
    good = ["a860b1f4-2c9e-4d47-9c55-0f6a1b2c3d4e"]
    response = admin.put(
        _url(admin, f"{CONFIGS}/sync_inventory"), json={"fields_mapping": {"warehouse_ids": good}}, timeout=5
    )
    assert response.status_code == 200 and response.json()["config"]["fields_mapping"]["warehouse_ids"] == good
    response = admin.put(
        _url(admin, f"{CONFIGS}/sync_inventory"),
        json={"fields_mapping": {"warehouse_ids": ["Almacén Centro"]}},
        timeout=5,
    )
    body = _assert_json_error(response, 422, "fields_mapping")
    assert "warehouse_ids[0]" in body["error"] and "GUID" in body["error"]
    assert ProcessConfigStore(db_path).get("sync_inventory").fields_mapping["warehouse_ids"] == good


# -- operating hours (issue 16) ------------------------------------------------------------------------

OFFICE = {"start": "08:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]}


def test_operating_hours_are_put_read_back_audited_and_cleared(admin, db_path):
    body = {"operating_hours": {"start": "8:00", "end": "20:00", "days": "mon-fri"}}
    response = admin.put(_url(admin, f"{CONFIGS}/sync_inventory"), json=body, headers={"X-Actor": "luis"}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["config"]["operating_hours"] == OFFICE  # normalised
    assert admin.get(_url(admin, f"{CONFIGS}/sync_inventory"), timeout=5).json()["config"]["operating_hours"] == OFFICE
    listed = {c["job_id"]: c for c in admin.get(_url(admin, CONFIGS), timeout=5).json()["configs"]}
    assert listed["sync_inventory"]["operating_hours"] == OFFICE and listed["sync_invoices"]["operating_hours"] is None
    assert ProcessConfigStore(db_path).get("sync_inventory").hours.describe() == "08:00–20:00 Mon–Fri"
    latest = admin.get(_url(admin, f"{CONFIGS}/sync_inventory/history?limit=1"), timeout=5).json()["history"][0]
    assert (latest["actor"], latest["old"], latest["new"]) == (
        "luis",
        {"operating_hours": None},
        {"operating_hours": OFFICE},
    )

    text = admin.put(
        _url(admin, f"{CONFIGS}/sync_inventory"), json={"operating_hours": "22:00-06:00 sat-sun"}, timeout=5
    )
    assert text.json()["config"]["operating_hours"] == {"start": "22:00", "end": "06:00", "days": ["sat", "sun"]}
    cleared = admin.put(_url(admin, f"{CONFIGS}/sync_inventory"), json={"operating_hours": None}, timeout=5)
    assert cleared.status_code == 200 and cleared.json()["config"]["operating_hours"] is None
    assert ProcessConfigStore(db_path).get("sync_inventory").operating_hours is None
