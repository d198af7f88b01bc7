"""ProcessConfigStore on real SQLite files: seeding, fallbacks, audit, restart, migration, concurrency."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from smartbind_pipelines.core.process_config import (
    ConfigValidationError,
    ProcessConfig,
    ProcessConfigStore,
    UnknownProcessError,
)
from smartbind_pipelines.core.process_config.schema import SCHEMA_VERSION
from smartbind_pipelines_tests.core.process_config.cases import BAD_API_BODIES, audit_count, snapshot


def test_first_use_creates_the_file_and_seeds_the_seed_processes(db_path):
    store = ProcessConfigStore(db_path, env={})
    assert db_path.exists()
    invoices, inventory = store.get("sync_invoices"), store.get("sync_inventory")
    assert (invoices.name, invoices.interval_minutes, invoices.smartsheet_sheet_id) == (
        "Sincronización de Facturas",
        2,
        "4956740131966852",
    )
    assert (invoices.source_system, invoices.target_system, invoices.sync_direction, invoices.is_active) == (
        "bind",
        "smartsheet",
        "pull",
        True,
    )
    assert invoices.fields_mapping["smartsheet_columns"] == [
        "UUID",
        "Folio",
        "Fecha",
        "RFC Cliente",
        "Nombre Cliente",
        "Total",
        "Estado",
    ]
    assert (inventory.interval_minutes, inventory.smartsheet_sheet_id, inventory.sheet_id_int) == (60, "", None)
    assert inventory.fields_mapping["smartsheet_columns"] == [
        "ID Producto",
        "Código",
        "Nombre",
        "Existencias",
        "Almacén",
    ]
    assert invoices.created_at.endswith(("-06:00", "-05:00"))
    # invoice_from_sheet (issue 17) ships paused: a push process an operator activates
    assert [c.job_id for c in store.list()] == ["invoice_from_sheet", "sync_inventory", "sync_invoices"]
    assert store.get("invoice_from_sheet").is_active is False
    assert store.get("sync_nothing") is None


def test_file_is_in_wal_mode_with_the_current_schema_version(db_path):
    ProcessConfigStore(db_path, env={})
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_update_writes_the_row_and_an_audit_entry(db_path):
    store = ProcessConfigStore(db_path, env={})
    before = store.get("sync_invoices")
    updated = store.update("sync_invoices", {"interval_minutes": 5, "is_active": False}, via="cli", actor="ana")
    assert (updated.interval_minutes, updated.is_active) == (5, False)
    assert updated.updated_at >= before.updated_at and updated.created_at == before.created_at
    [entry, seeded] = store.history("sync_invoices")
    assert (entry["via"], entry["actor"]) == ("cli", "ana")
    assert entry["old"] == {"interval_minutes": 2, "is_active": True}
    assert entry["new"] == {"interval_minutes": 5, "is_active": False}
    assert seeded["via"] == "seed" and seeded["old"] == {}


def test_an_update_that_changes_nothing_writes_nothing(db_path):
    store = ProcessConfigStore(db_path, env={})
    before = snapshot(db_path)
    store.update("sync_invoices", {"interval_minutes": 2}, via="api")
    assert snapshot(db_path) == before


@pytest.mark.parametrize("field, changes", BAD_API_BODIES, ids=[f"{f}-{c}" for f, c in BAD_API_BODIES])
def test_a_bad_value_writes_nothing(db_path, field, changes):
    store = ProcessConfigStore(db_path, env={})
    before = snapshot(db_path)
    with pytest.raises(ConfigValidationError) as refused:
        store.update("sync_invoices", changes, via="api")
    assert refused.value.field == field
    assert snapshot(db_path) == before


def test_unknown_job_is_refused(db_path):
    store = ProcessConfigStore(db_path, env={})
    before = snapshot(db_path)
    with pytest.raises(UnknownProcessError) as refused:
        store.update("sync_clients", {"interval_minutes": 5}, via="cli")
    assert refused.value.field == "job_id" and "sync_clients" in str(refused.value)
    with pytest.raises(UnknownProcessError):
        store.history("sync_clients")
    assert snapshot(db_path) == before


def test_restart_keeps_changes(db_path):
    ProcessConfigStore(db_path, env={}).update(
        "sync_inventory", {"smartsheet_sheet_id": "346190987087748", "interval_minutes": 30}, via="api"
    )
    # A fresh OS process, as after a restart of the API or the code location.
    script = (
        "import sys, json; from smartbind_pipelines.core.process_config import ProcessConfigStore as S; "
        "print(json.dumps(S(sys.argv[1], env={}).get('sync_inventory').to_dict()))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(db_path)], capture_output=True, text=True, check=True)
    reread = json.loads(out.stdout)
    assert (reread["smartsheet_sheet_id"], reread["interval_minutes"]) == ("346190987087748", 30)


def test_seeding_never_overwrites_operator_changes(db_path):
    store = ProcessConfigStore(db_path, env={})
    store.update("sync_invoices", {"name": "Facturas (operador)", "smartsheet_sheet_id": "123"}, via="cli")
    before = snapshot(db_path)
    reopened = ProcessConfigStore(db_path, env={"SMARTSHEET_INVOICES_SHEET_ID": "999"})
    assert snapshot(db_path) == before
    assert (reopened.get("sync_invoices").name, reopened.get("sync_invoices").smartsheet_sheet_id) == (
        "Facturas (operador)",
        "123",
    )
    # ensure_process on an existing job is a no-op as well.
    reopened.ensure_process({"job_id": "sync_invoices", "name": "Otro", "interval_minutes": 99})
    assert snapshot(db_path) == before


def test_ensure_process_declares_a_new_process(db_path):
    store = ProcessConfigStore(db_path, env={})
    created = store.ensure_process(ProcessConfig(job_id="sync_clients", name="Clientes", interval_minutes=120))
    assert (created.job_id, created.interval_minutes, created.created_at != "") == ("sync_clients", 120, True)
    assert [e["via"] for e in store.history("sync_clients")] == ["seed"]
    with pytest.raises(ConfigValidationError) as refused:
        store.ensure_process({"job_id": "sync_bad", "name": "x", "interval_minutes": 0})
    assert refused.value.field == "interval_minutes"
    assert store.get("sync_bad") is None


class TestEnvironmentFallback:
    def test_empty_sheet_id_falls_back_to_the_environment(self, db_path):
        env = {"SMARTSHEET_INVENTORY_SHEET_ID": "777"}
        store = ProcessConfigStore(db_path, env={})  # seeded without the variable: stored sheet id ""
        store = ProcessConfigStore(db_path, env=env)
        assert store.get("sync_inventory").smartsheet_sheet_id == "777"
        assert store.get("sync_inventory").sheet_id_int == 777
        assert snapshot(db_path, "sync_inventory")[0][4] == ""  # stored value untouched

    def test_the_environment_is_taken_once_when_the_store_opens(self, db_path):
        env: dict[str, str] = {}
        store = ProcessConfigStore(db_path, env=env)
        env["SMARTSHEET_INVENTORY_SHEET_ID"] = "778"
        assert store.get("sync_inventory").smartsheet_sheet_id == ""
        # The next store (a sensor's next tick, the next command) sees the new value.
        assert ProcessConfigStore(db_path, env=env).get("sync_inventory").smartsheet_sheet_id == "778"

    def test_a_configured_sheet_id_wins_and_clearing_it_restores_the_fallback(self, db_path):
        store = ProcessConfigStore(db_path, env={"SMARTSHEET_INVENTORY_SHEET_ID": "777"})
        store.update("sync_inventory", {"smartsheet_sheet_id": "555"}, via="cli")
        assert store.get("sync_inventory").smartsheet_sheet_id == "555"
        store.update("sync_inventory", {"smartsheet_sheet_id": ""}, via="cli")
        assert store.get("sync_inventory").smartsheet_sheet_id == "777"

    def test_environment_at_first_start_is_seeded(self, db_path):
        store = ProcessConfigStore(db_path, env={"SMARTSHEET_INVOICES_SHEET_ID": "31337"})
        assert snapshot(db_path)[0][4] == "31337"
        assert store.get("sync_invoices").smartsheet_sheet_id == "31337"

    def test_a_non_numeric_environment_value_is_ignored(self, db_path):
        store = ProcessConfigStore(db_path, env={"SMARTSHEET_INVENTORY_SHEET_ID": "sheet-7"})
        assert store.get("sync_inventory").smartsheet_sheet_id == ""

    def test_default_env_is_the_process_environment(self, db_path, monkeypatch):
        monkeypatch.setenv("SMARTSHEET_INVENTORY_SHEET_ID", "606")
        assert ProcessConfigStore(db_path).get("sync_inventory").sheet_id_int == 606


def _delete_row(db_path, job_id):
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM process_configs WHERE job_id = ?", (job_id,))
    conn.close()


class TestDeletedRows:
    """Defaults are seeded once, when the file is created: a row an operator deletes stays deleted."""

    def test_a_deleted_paused_process_does_not_come_back_active(self, db_path):
        store = ProcessConfigStore(db_path, env={"SMARTSHEET_INVOICES_SHEET_ID": "4242"})
        store.update("sync_invoices", {"is_active": False}, via="cli")
        _delete_row(db_path, "sync_invoices")
        reopened = ProcessConfigStore(db_path, env={"SMARTSHEET_INVOICES_SHEET_ID": "4242"})  # a sensor tick
        assert reopened.get("sync_invoices") is None
        assert [c.job_id for c in reopened.list()] == ["invoice_from_sheet", "sync_inventory"]
        assert reopened.deleted("sync_invoices") and not reopened.deleted("sync_inventory")
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM process_configs WHERE job_id = 'sync_invoices'").fetchone() == (
                0,
            )
        conn.close()

    def test_restore_brings_it_back_paused_with_an_audit_entry(self, db_path):
        from smartbind_pipelines.core.process_config.defaults import default_processes

        store = ProcessConfigStore(db_path, env={})
        _delete_row(db_path, "sync_invoices")
        defaults = next(d for d in default_processes({}) if d["job_id"] == "sync_invoices")
        restored = store.restore(defaults, via="cli", actor="ana")
        assert (restored.is_active, restored.interval_minutes) == (False, 2)
        assert store.history("sync_invoices", 1)[0]["actor"] == "ana"
        store.update("sync_invoices", {"interval_minutes": 9}, via="cli")
        assert store.restore(defaults, via="cli").interval_minutes == 9  # an existing row is left alone

    def test_a_declared_process_deleted_is_not_declared_again(self, db_path):
        store = ProcessConfigStore(db_path, env={})
        declared = {"job_id": "sync_clients", "name": "Clientes", "is_active": True}
        assert store.ensure_process(declared).is_active is True
        _delete_row(db_path, "sync_clients")
        assert store.ensure_process(declared) is None
        assert ProcessConfigStore(db_path, env={}).get("sync_clients") is None

    def test_a_file_from_the_previous_release_keeps_its_deletions(self, db_path):
        ProcessConfigStore(db_path, env={})
        with sqlite3.connect(db_path) as conn:  # back to schema 2: no record of what was seeded
            conn.execute("DROP TABLE process_config_seeded")
            conn.execute("PRAGMA user_version = 2")
            conn.execute("DELETE FROM process_configs WHERE job_id = 'sync_inventory'")
        conn.close()
        store = ProcessConfigStore(db_path, env={})
        assert store.get("sync_inventory") is None and store.get("sync_invoices") is not None


class TestMigration:
    SEED_V1 = """
        CREATE TABLE process_configs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id VARCHAR(100) NOT NULL UNIQUE,
            name VARCHAR(200) NOT NULL,
            description TEXT,
            smartsheet_sheet_id VARCHAR(50),
            smartsheet_sheet_name VARCHAR(200),
            interval_minutes INTEGER,
            is_active BOOLEAN,
            source_system VARCHAR(50),
            target_system VARCHAR(50),
            sync_direction VARCHAR(20),
            fields_mapping TEXT
        )"""

    def _write_v1(self, path, extra_columns: str = "", extra_values: tuple = ()):
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as conn:
            conn.execute(self.SEED_V1.rstrip(")") + extra_columns + ")")
            columns = (
                "job_id, name, description, smartsheet_sheet_id, smartsheet_sheet_name, interval_minutes, "
                "is_active, source_system, target_system, sync_direction, fields_mapping"
            )
            conn.execute(
                f"INSERT INTO process_configs ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    "sync_invoices",
                    "Facturas Awalab",
                    "desc",
                    "111",
                    "Hoja Awalab",
                    7,
                    0,
                    "bind",
                    "smartsheet",
                    "pull",
                    json.dumps({"bind_fields": ["UUID"], "smartsheet_columns": ["UUID"]}),
                ),
            )
            conn.execute("INSERT INTO process_configs (job_id, name) VALUES ('sync_catalog_clients', 'Clientes')")
            if extra_values:
                conn.execute(*extra_values)
        conn.close()

    def test_a_seed_file_without_version_or_audit_is_migrated_without_loss(self, db_path):
        self._write_v1(db_path)
        store = ProcessConfigStore(db_path, env={})
        invoices = store.get("sync_invoices")
        assert (invoices.name, invoices.smartsheet_sheet_id, invoices.interval_minutes, invoices.is_active) == (
            "Facturas Awalab",
            "111",
            7,
            False,
        )
        assert invoices.fields_mapping == {"bind_fields": ["UUID"], "smartsheet_columns": ["UUID"]}
        assert invoices.created_at and invoices.updated_at  # new columns, filled
        legacy = store.get("sync_catalog_clients")  # NULL fields read as defaults
        assert (legacy.description, legacy.interval_minutes, legacy.fields_mapping) == ("", 60, {})
        assert store.get("sync_inventory").interval_minutes == 60  # the missing default is seeded
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            columns = {row[1] for row in conn.execute("PRAGMA table_info(process_configs)")}
            assert {"created_at", "updated_at"} <= columns
        conn.close()
        store.update("sync_invoices", {"is_active": True}, via="cli")
        assert store.history("sync_invoices")[0]["new"] == {"is_active": True}

    def test_a_later_seed_file_keeps_its_extra_columns_and_timestamps(self, db_path):
        self._write_v1(
            db_path,
            extra_columns=", company_id VARCHAR(50), created_at DATETIME, updated_at DATETIME",
            extra_values=(
                "UPDATE process_configs SET company_id = 'awalab', created_at = '2026-01-18 11:38:21.395587'",
            ),
        )
        store = ProcessConfigStore(db_path, env={})
        assert store.get("sync_invoices").created_at == "2026-01-18T11:38:21.395587-06:00"
        store.update("sync_invoices", {"interval_minutes": 3}, via="api")
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT company_id FROM process_configs WHERE job_id='sync_invoices'").fetchone() == (
                "awalab",
            )
        conn.close()

    def test_a_file_from_a_newer_release_is_refused(self, db_path):
        ProcessConfigStore(db_path, env={})
        with sqlite3.connect(db_path) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
        with pytest.raises(RuntimeError, match="newer"):
            ProcessConfigStore(db_path, env={})


WRITER = textwrap.dedent(
    """
    import sys, time
    from smartbind_pipelines.core.process_config import ProcessConfigStore
    db_path, field, rounds, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    store = ProcessConfigStore(db_path, env={})
    while time.time() < start_at:  # both writers start together
        time.sleep(0.001)
    for _ in range(rounds):
        current = getattr(store.get("sync_invoices"), field)
        bumped = current + 1 if field == "interval_minutes" else str(int(current) + 1)
        store.update("sync_invoices", {field: bumped}, via="cli", actor=field)
    """
)


def test_two_processes_updating_at_once_lose_nothing(db_path):
    rounds = 40
    store = ProcessConfigStore(db_path, env={})
    store.update("sync_invoices", {"interval_minutes": 1, "smartsheet_sheet_id": "1000"}, via="cli")
    audit_before = audit_count(store.db_path)
    start_at = time.time() + 1.0
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), field, str(rounds), str(start_at)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for field in ("interval_minutes", "smartsheet_sheet_id")
    ]
    reads = []
    while any(w.poll() is None for w in writers):  # a sensor reading meanwhile is never refused
        reads.append(store.get("sync_invoices").interval_minutes)
        time.sleep(0.002)
    for writer in writers:
        assert writer.wait() == 0, writer.stderr.read()
    final = store.get("sync_invoices")
    assert (final.interval_minutes, final.smartsheet_sheet_id) == (1 + rounds, str(1000 + rounds))
    assert audit_count(store.db_path) == audit_before + 2 * rounds
    assert reads == sorted(reads)
    for field, first in (("interval_minutes", 1), ("smartsheet_sheet_id", 1000)):
        chain = [e for e in reversed(store.history("sync_invoices", limit=1000)) if e["actor"] == field]
        assert [int(e["new"][field]) for e in chain] == list(range(first + 1, first + rounds + 1))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_opening_a_set_up_file_again_writes_nothing(db_path):
    # Sensors open it at every tick: a set-up file is only read. (The cost is measured by `make bench`.)
    ProcessConfigStore(db_path, env={})
    before = db_path.read_bytes()
    for _ in range(50):
        assert ProcessConfigStore(db_path, env={}).get("sync_invoices") is not None
    after = db_path.read_bytes()
    assert after == before


def test_an_unknown_job_is_reported_before_its_fields(db_path):
    store = ProcessConfigStore(db_path, env={})
    with pytest.raises(UnknownProcessError):
        store.update("sync_clients", {"interval_minutes": 0}, via="api")


class TestOperatingHoursSchema4:
    """Schema 4 adds operating_hours (issue 16); a schema-3 file keeps everything and runs day and night."""

    def _write_v3(self, db_path):
        from smartbind_pipelines.core.process_config.schema import MIGRATIONS

        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db_path, isolation_level=None)
        for migration in MIGRATIONS[:3]:  # exactly what the previous release built
            migration(conn)
        conn.execute("PRAGMA user_version = 3")
        conn.execute(
            "INSERT INTO process_configs (job_id, name, smartsheet_sheet_id, interval_minutes, is_active, "
            "source_system, target_system, sync_direction, fields_mapping, created_at, updated_at) "
            "VALUES ('sync_inventory', 'Inventario', '346190987087748', 15, 1, 'bind', 'smartsheet', 'pull', '{}', "
            "'2026-11-01T10:00:00-06:00', '2026-11-02T10:00:00-06:00')"
        )
        conn.execute("INSERT INTO process_config_seeded VALUES ('sync_inventory', '2026-11-01T10:00:00-06:00')")
        conn.execute("INSERT INTO process_config_seeded VALUES ('sync_invoices', '2026-11-01T10:00:00-06:00')")
        conn.execute(
            "INSERT INTO process_config_audit (job_id, changed_at, via, actor, old_values, new_values) "
            "VALUES ('sync_inventory', '2026-11-02T10:00:00-06:00', 'cli', 'ana', "
            "'{\"interval_minutes\": 60}', '{\"interval_minutes\": 15}')"
        )
        conn.close()

    def test_a_schema_3_file_is_migrated_keeping_rows_audit_and_deletions(self, db_path):
        self._write_v3(db_path)  # sync_invoices was deleted by an operator under schema 3
        store = ProcessConfigStore(db_path, env={})
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
            assert "operating_hours" in {row[1] for row in conn.execute("PRAGMA table_info(process_configs)")}
        conn.close()
        inventory = store.get("sync_inventory")
        assert (inventory.smartsheet_sheet_id, inventory.interval_minutes, inventory.operating_hours) == (
            "346190987087748",
            15,
            None,
        )  # NULL: no window, as before the upgrade
        assert inventory.updated_at == "2026-11-02T10:00:00-06:00"  # migrating is not an edit
        assert store.get("sync_invoices") is None  # still deleted
        assert [entry["actor"] for entry in store.history("sync_inventory")] == ["ana"]

        store.update("sync_inventory", {"operating_hours": "08:00-20:00 mon-fri"}, via="api", actor="luis")
        again = ProcessConfigStore(db_path, env={})  # a restart reads it back
        assert again.get("sync_inventory").hours.describe() == "08:00–20:00 Mon–Fri"
        assert again.history("sync_inventory")[0]["old"] == {"operating_hours": None}

    def test_a_legacy_files_hour_columns_are_left_alone_not_adopted(self, db_path):
        TestMigration()._write_v1(
            db_path,
            extra_columns=", operating_start_hour INTEGER, operating_end_hour INTEGER",
            extra_values=("UPDATE process_configs SET operating_start_hour = 7, operating_end_hour = 20",),
        )
        store = ProcessConfigStore(db_path, env={})
        assert store.get("sync_invoices").operating_hours is None
        with sqlite3.connect(db_path) as conn:
            assert conn.execute(
                "SELECT operating_start_hour, operating_end_hour FROM process_configs WHERE job_id = 'sync_invoices'"
            ).fetchone() == (7, 20)
        conn.close()

    def test_an_unreadable_stored_value_reads_as_no_window_with_a_warning(self, db_path, caplog):
        store = ProcessConfigStore(db_path, env={})
        with sqlite3.connect(db_path) as conn:
            conn.execute(
                "UPDATE process_configs SET operating_hours = '{\"start\": \"31:00\"' WHERE job_id = 'sync_invoices'"
            )
        conn.close()
        assert store.get("sync_invoices").operating_hours is None
        assert "ignoring stored operating_hours of sync_invoices" in caplog.text
