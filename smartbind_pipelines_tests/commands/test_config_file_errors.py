"""Issue 14: a ProcessConfig file the CLI cannot use (corrupt, locked, read-only, newer schema) is one clear
line naming the file and the problem, exit status 1 - never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.process_config.schema import SCHEMA_VERSION
from smartbind_pipelines.core.processes import SHEET_ID_ENV

COMMANDS = [
    ["config", "list"],
    ["config", "show", "sync_invoices"],
    ["config", "set", "sync_invoices", "--interval-minutes", "5"],
    ["config", "history", "sync_invoices"],
]
IDS = ["list", "show", "set", "history"]


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    for variable in SHEET_ID_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "processes.db"
    monkeypatch.setenv("SMARTBIND_DB_PATH", str(path))
    ProcessConfigStore(path, env={})
    return path


def _one_clear_line(result, db_path, problem):
    output = result.output
    assert result.exit_code == 1, output
    assert "Traceback" not in output and not isinstance(result.exception, AssertionError)
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert str(db_path) in lines[0] and problem in lines[0], lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_corrupt_file(db_path, args):
    db_path.write_bytes(b"not a database at all " * 500)
    result = CliRunner().invoke(main, args)
    _one_clear_line(result, db_path, "not a readable SQLite database")


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_newer_schema(db_path, args):
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    result = CliRunner().invoke(main, args)
    _one_clear_line(result, db_path, "newer than this smartbind understands")


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_locked_file(db_path, args, monkeypatch):
    from smartbind_pipelines.core.process_config import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)  # the operator's wait, shortened for the test
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE process_configs SET name = name")
    try:
        result = CliRunner().invoke(main, args)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _one_clear_line(result, db_path, "is locked by another process")


def _make_read_only(path: Path) -> None:
    """chmod a-w; root ignores permissions, so there the file is made immutable instead."""
    os.chmod(path, 0o444)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root on a filesystem without chattr +i: a file cannot be made read-only")


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], check=False)
    os.chmod(path, 0o644)


def test_a_read_only_file_from_a_real_shell(db_path):
    """A subprocess, as an operator runs it."""
    _make_read_only(db_path)
    try:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(db_path.parent), "SMARTBIND_DB_PATH": str(db_path)}
        completed = subprocess.run(
            [sys.executable, "-m", "smartbind_pipelines.cli", "config", "set", "sync_invoices", "--inactive"],
            env=env,
            cwd=db_path.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        _make_writable(db_path)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert str(db_path) in lines[0] and "cannot be written" in lines[0]
    assert ProcessConfigStore(db_path, env={}).get("sync_invoices").is_active is True  # nothing written


@pytest.mark.parametrize(
    "mapping",
    ['{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", '{"n": 1' + "0" * 5000 + "}"],
    ids=["deep", "huge-integer"],
)
def test_a_fields_mapping_too_deep_or_too_big_is_one_line_naming_the_field(db_path, mapping):
    result = CliRunner().invoke(main, ["config", "set", "sync_inventory", "--fields-mapping", mapping])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: fields_mapping") and len(result.output.strip().splitlines()) == 1
