"""The ProcessConfig file that cannot be used: corrupt, locked, removed, newer; one line naming it and why."""

from __future__ import annotations

import sqlite3

import pytest

from smartbind_pipelines.core.process_config import ProcessConfigStore, ProcessConfigUnavailable
from smartbind_pipelines.core.process_config.schema import SCHEMA_VERSION


class TestUnusableFile:
    """A file that cannot be used raises ProcessConfigUnavailable: one line naming the file and the problem."""

    def test_a_corrupt_file(self, db_path):
        db_path.parent.mkdir(parents=True)
        db_path.write_bytes(b"this is not sqlite " * 300)
        with pytest.raises(ProcessConfigUnavailable, match="not a readable SQLite database") as refused:
            ProcessConfigStore(db_path, env={})
        assert str(db_path) in str(refused.value) and "\n" not in str(refused.value)

    def test_a_file_locked_by_another_process(self, db_path):
        store = ProcessConfigStore(db_path, env={}, busy_timeout=0.2)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE process_configs SET name = name")
        try:
            with pytest.raises(ProcessConfigUnavailable, match="locked by another process") as refused:
                store.get("sync_invoices")
            assert str(db_path) in str(refused.value)
            with pytest.raises(ProcessConfigUnavailable, match="locked"):
                store.update("sync_invoices", {"interval_minutes": 5}, via="cli")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert store.get("sync_invoices").interval_minutes == 2

    def test_a_file_removed_under_a_running_service_is_not_recreated(self, db_path):
        store = ProcessConfigStore(db_path, env={})
        db_path.unlink()
        with pytest.raises(ProcessConfigUnavailable, match="does not exist"):
            store.list()
        assert not db_path.exists()

    def test_a_newer_schema(self, db_path):
        ProcessConfigStore(db_path, env={})
        with sqlite3.connect(db_path) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
        with pytest.raises(ProcessConfigUnavailable, match="newer than this smartbind"):
            ProcessConfigStore(db_path, env={})
