"""Issue 15: the invoice sync state (watermark, drafts to follow, refused ids, followed set) lives in
sync_state.db beside ProcessConfig, so it outlives Dagster's run history (a new instance, a pruned history),
and the state earlier runs recorded as materialization metadata is migrated into it once.

Real HTTP against both emulators, the real jobs; "a new Dagster instance" is a fresh dg.instance_for_test
with the same ProcessConfig file (the data volume survives, the run history does not).
"""

import json
import uuid
from datetime import datetime, timedelta

import dagster as dg
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime, now_cdmx
from smartbind_pipelines.core.invoices.state import SyncState, from_stored, state_from_history
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.core.sync_state import FROM_HISTORY, SyncStateStore, read_stored, state_path
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.invoices.sync_state import load_sync_state, read_sync_state, state_metadata

from .harness import failure_text, invoice_columns, metadata
from .test_changes import tick

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
LATER = T0 + timedelta(days=3)  # far past the 24 h a run without a watermark reads back


def add(sync, when: datetime, *, draft: bool = False, **fields) -> dict:
    fields.setdefault("UUID", None if draft else str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(when), **fields)


def stored(sync):
    return read_stored(sync.process_config.db_path, INVOICES.job_id)


def test_a_new_dagster_instance_continues_from_the_stored_watermark_drafts_and_refused_ids(
    empty_sync, smartsheet_emulator
):
    # Estado refuses "Cancelada": the cancelled invoice is refused and carried as a refused id.
    empty_sync.create_sheet(
        invoice_columns(Estado={"type": "PICKLIST", "options": ["Vigente", "Pagada"]}), name="Facturas (lista)"
    )
    good = add(empty_sync, T0 - timedelta(minutes=20))
    draft = add(empty_sync, T0 - timedelta(minutes=15), draft=True)
    cancelled = add(empty_sync, T0 - timedelta(minutes=10), Status=2)
    first = empty_sync.run(T0)
    assert not first.success and cancelled["UUID"] in failure_text(first)
    state = stored(empty_sync)
    assert state.watermark == T0 and state.pending_draft_ids == (draft["ID"],)
    assert state.refused_ids == (cancelled["ID"],) and state.run_id == first.run_id
    assert state.followed and {good["ID"], draft["ID"]} <= set(state.followed["members"])
    # The UI still shows the same state on the materialization.
    shown = metadata(first)
    assert (shown["watermark"], shown["pending_draft_ids"], shown["refused_invoice_ids"]) == (
        T0.isoformat(),
        [draft["ID"]],
        [cancelled["ID"]],
    )

    # Days pass; meanwhile the draft is stamped, the operator fixes the column, a new invoice arrives.
    stamped = empty_sync.bind.state.stamp_invoice(draft["ID"])
    estado = [c for c in smartsheet_emulator.state.list_columns(empty_sync.sheet_id) if c["title"] == "Estado"][0]
    smartsheet_emulator.state.update_column(
        empty_sync.sheet_id, estado["id"], {"type": "PICKLIST", "options": ["Vigente", "Pagada", "Cancelada"]}
    )
    new = add(empty_sync, LATER - timedelta(minutes=5))

    with dg.instance_for_test() as fresh:  # a new PostgreSQL: no run, no materialization
        empty_sync.instance = fresh
        assert read_sync_state(fresh, sheet_key(INVOICES)).watermark is None
        result = empty_sync.run(LATER)
        assert result.success, failure_text(result)
        read = metadata(result, "bind_invoices")
        assert read["sync_state_from"] == "store"
        assert read["watermark_before"] == T0.isoformat()
        assert read["window_start"] == (T0 - timedelta(minutes=10)).isoformat()  # not 24 h before LATER
        assert read["drafts_stamped_since"] == 1 and read["refused_retried"] == 1
        assert sorted(empty_sync.uuids()) == sorted([good["UUID"], stamped["UUID"], cancelled["UUID"], new["UUID"]])
        written = metadata(result)
        assert (written["watermark"], written["pending_draft_ids"], written["refused_invoice_ids"]) == (
            LATER.isoformat(),
            [],
            [],
        )
        after = stored(empty_sync)
        assert (after.watermark, after.pending_draft_ids, after.refused_ids, after.run_id) == (
            LATER,
            (),
            (),
            result.run_id,
        )


def test_config_show_has_a_sync_state_section(empty_sync):
    draft = add(empty_sync, T0 - timedelta(minutes=15), draft=True)
    add(empty_sync, T0 - timedelta(minutes=20))
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)

    def show(job_id):
        shown = CliRunner().invoke(main, ["config", "--db-path", empty_sync.process_config.db_path, "show", job_id])
        assert shown.exit_code == 0, shown.output
        return json.loads(shown.output)

    invoices = show("sync_invoices")
    assert invoices["job_id"] == "sync_invoices"
    state = invoices["sync_state"]
    assert (state["watermark"], state["pending_draft_ids"], state["refused_ids"]) == (T0.isoformat(), [draft["ID"]], [])
    assert state["recorded_by_run"] == result.run_id and state["followed_set"]["invoices"] == 2
    assert show("sync_inventory")["sync_state"] is None  # nothing recorded for it


def test_the_state_earlier_runs_recorded_is_migrated_once_into_the_store(empty_sync):
    add(empty_sync, T0 - timedelta(minutes=20))
    draft = add(empty_sync, T0 - timedelta(minutes=15), draft=True)
    assert empty_sync.run(T0).success
    history = read_sync_state(empty_sync.instance, sheet_key(INVOICES))
    assert history.watermark == T0 and history.pending_draft_ids == (draft["ID"],)
    # A deployment from before the store: the state is only in the run history.
    state_path(empty_sync.process_config.db_path).unlink()
    assert stored(empty_sync) is None

    store = SyncStateStore.beside(empty_sync.process_config.db_path)
    state, origin = load_sync_state(empty_sync.instance, store, INVOICES.job_id, sheet_key(INVOICES))
    assert (state, origin) == (history, FROM_HISTORY)
    migrated = stored(empty_sync)
    assert migrated.origin == FROM_HISTORY and from_stored(migrated) == history
    # Once: the next read takes the store (a run history that changes afterwards is not read again).
    assert load_sync_state(empty_sync.instance, store, INVOICES.job_id, sheet_key(INVOICES))[1] == "store"

    # The migrated state outlives the run history it came from.
    stamped = empty_sync.bind.state.stamp_invoice(draft["ID"])
    with dg.instance_for_test() as fresh:
        empty_sync.instance = fresh
        result = empty_sync.run(LATER)
        assert result.success, failure_text(result)
        assert metadata(result, "bind_invoices")["watermark_before"] == T0.isoformat()
        assert stamped["UUID"] in empty_sync.uuids()
        assert stored(empty_sync).watermark == LATER and stored(empty_sync).origin == "run"


def test_a_run_migrates_the_history_when_the_store_has_no_entry(empty_sync):
    add(empty_sync, T0 - timedelta(minutes=20))
    assert empty_sync.run(T0).success
    state_path(empty_sync.process_config.db_path).unlink()
    later = empty_sync.run(T0 + timedelta(hours=1))
    assert later.success, failure_text(later)
    read = metadata(later, "bind_invoices")
    assert read["sync_state_from"] == FROM_HISTORY and read["watermark_before"] == T0.isoformat()
    assert stored(empty_sync).watermark == T0 + timedelta(hours=1)


def test_after_a_new_instance_a_quiet_interval_still_launches_no_run(empty_sync):
    t0 = now_cdmx().replace(microsecond=0)
    for minutes in (50, 20):
        add(empty_sync, t0 - timedelta(minutes=minutes))
    add(empty_sync, t0 - timedelta(days=5), draft=True)
    assert empty_sync.run(t0).success
    interval = int(empty_sync.process_config.store().get("sync_invoices").interval_minutes)
    with dg.instance_for_test() as fresh:
        empty_sync.instance = fresh
        quiet = tick(empty_sync, t0 + timedelta(minutes=interval, seconds=30))
        # The followed set comes from the store: Bind is compared with it, nothing changed, no run.
        assert isinstance(quiet, dg.SensorResult) and not quiet.run_requests, quiet
        assert "nothing changed" in quiet.skip_reason.skip_message


def test_metadata_round_trip():
    state = SyncState(T0, ("x", "y"), ("refused",))
    assert state_from_history([state_metadata(state)]) == state
