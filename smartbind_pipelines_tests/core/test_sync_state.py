"""core/sync_state.py: the per-process sync state in sync_state.db beside ProcessConfig (real SQLite files)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.sync_state import (
    FROM_HISTORY,
    STATE_DB_NAME,
    StoredState,
    SyncStateError,
    SyncStateStore,
    read_stored,
    state_path,
)

T = datetime(2026, 3, 10, 12, 0, 0, 123000, tzinfo=CDMX)
FOLLOWED = {"filter": "Date ge datetime'2026-03-10T11:50:00'", "read_at": T.isoformat(), "members": {"a": "1"}}


def test_the_file_sits_beside_process_config(tmp_path):
    assert state_path(tmp_path / "data" / "processes.db") == (tmp_path / "data" / STATE_DB_NAME).resolve()
    assert read_stored(tmp_path / "data" / "processes.db", "sync_invoices") is None
    assert not (tmp_path / "data").exists()  # reading never creates the file


def test_a_state_round_trips_per_process(tmp_path):
    store = SyncStateStore.beside(tmp_path / "processes.db")
    state = StoredState(T, ("d2", "d1"), ("r1",), FOLLOWED, run_id="run-1")
    written = store.put("sync_invoices", state, now=T)
    got = store.get("sync_invoices")
    assert got == written
    assert (got.watermark, got.pending_draft_ids, got.refused_ids, got.followed, got.run_id) == (
        T,
        ("d1", "d2"),
        ("r1",),
        FOLLOWED,
        "run-1",
    )
    assert store.get("sync_inventory") is None and store.job_ids() == ["sync_invoices"]
    assert read_stored(tmp_path / "processes.db", "sync_invoices") == got
    summary = got.summary()
    assert summary["watermark"] == T.isoformat() and summary["followed_set"]["invoices"] == 1
    assert "members" not in summary["followed_set"]


def test_put_if_absent_never_overwrites_what_a_run_wrote(tmp_path):
    store = SyncStateStore(tmp_path / STATE_DB_NAME)
    assert store.put_if_absent("sync_invoices", StoredState(T, origin=FROM_HISTORY), now=T)
    store.put("sync_invoices", StoredState(T + timedelta(hours=1), run_id="newer"), now=T)
    assert not store.put_if_absent("sync_invoices", StoredState(T, origin=FROM_HISTORY), now=T)
    assert store.get("sync_invoices").run_id == "newer"


def test_concurrent_updates_merge_and_lose_nothing(tmp_path):
    store = SyncStateStore(tmp_path / STATE_DB_NAME)
    store.put("sync_invoices", StoredState(T), now=T)

    def add(draft: str) -> None:
        def change(current: StoredState | None) -> StoredState:
            return StoredState(current.watermark, (*current.pending_draft_ids, draft))

        SyncStateStore(tmp_path / STATE_DB_NAME).update("sync_invoices", change, now=T)

    threads = [threading.Thread(target=add, args=(f"d{n:02d}",)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("sync_invoices").pending_draft_ids == tuple(f"d{n:02d}" for n in range(12))


def test_an_update_that_raises_leaves_the_row_as_it_was(tmp_path):
    store = SyncStateStore(tmp_path / STATE_DB_NAME)
    before = store.put("sync_invoices", StoredState(T, ("d1",)), now=T)

    def broken(current):
        raise RuntimeError("the run's merge failed")

    with pytest.raises(RuntimeError):
        store.update("sync_invoices", broken, now=T)
    assert store.get("sync_invoices") == before


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("watermark", "ayer", "watermark"),
        ("pending_draft_ids", "{not json", "pending_draft_ids"),
        ("refused_ids", "[1, 2]", "refused_ids"),
        ("followed", "[]", "followed"),
        ("warehouse_names", '{"1": 2}', "warehouse_names"),
    ],
)
def test_a_damaged_field_is_named_with_the_process_and_the_file(tmp_path, column, value, named):
    store = SyncStateStore(tmp_path / STATE_DB_NAME)
    store.put("sync_invoices", StoredState(T, ("d1",), (), FOLLOWED), now=T)
    with sqlite3.connect(store.path) as conn:
        conn.execute(f"UPDATE sync_state SET {column} = ?", (value,))
    conn.close()
    with pytest.raises(SyncStateError) as raised:
        store.get("sync_invoices")
    assert named in str(raised.value) and "sync_invoices" in str(raised.value) and str(store.path) in str(raised.value)


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    state_path(tmp_path / "processes.db").write_bytes(b"garbage " * 200)
    with pytest.raises(SyncStateError, match=STATE_DB_NAME):
        read_stored(tmp_path / "processes.db", "sync_invoices")


def test_a_file_written_before_warehouse_names_gains_the_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / STATE_DB_NAME
    with sqlite3.connect(path) as conn:  # the version-1 schema, with one invoice row
        conn.execute(
            "CREATE TABLE sync_state (job_id TEXT PRIMARY KEY, watermark TEXT, pending_draft_ids TEXT "
            "NOT NULL, refused_ids TEXT NOT NULL, followed TEXT, run_id TEXT NOT NULL, origin TEXT NOT NULL, "
            "updated_at TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO sync_state VALUES ('sync_invoices', ?, '[\"d1\"]', '[]', NULL, 'r', 'run', 'x')",
            (T.isoformat(),),
        )
    conn.close()
    assert read_stored(tmp_path / "processes.db", "sync_invoices").warehouse_names is None  # read as it is
    store = SyncStateStore(path)
    assert store.get("sync_invoices").pending_draft_ids == ("d1",)
    store.put("sync_inventory", StoredState(warehouse_names={"7": "Almacén Sur"}, run_id="r2"), now=T)
    assert store.get("sync_inventory").warehouse_names == {"7": "Almacén Sur"}
    assert read_stored(tmp_path / "processes.db", "sync_inventory").summary()["warehouse_names"] == {"7": "Almacén Sur"}
