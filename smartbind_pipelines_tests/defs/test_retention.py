"""Run history retention (issue 16, point 7) on a real Dagster instance with real invoice syncs.

Runs made now are "older than 30 days" for a pruning dated 31 days ahead (``now=``): the cutoff is the
only thing the clock decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs import retention
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.invoices.sync_state import read_sync_state
from smartbind_pipelines.defs.pull.stored import reads_root
from smartbind_pipelines.defs.retention import prune_run_history, state_runs
from smartbind_pipelines_tests.defs.invoices.harness import InvoiceSync, metadata

T = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
LATER = datetime.now(timezone.utc) + timedelta(days=31)


@pytest.fixture
def demo_sync(bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InvoiceSync(bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync


def _shards(instance) -> set[str]:
    base = Path(instance.event_log_storage.path_for_shard("x")).parent
    return {path.stem for path in base.glob("*.db")}


def test_old_runs_go_the_sync_state_stays_and_the_next_sync_continues_from_it(demo_sync, instance):
    first = demo_sync.run(T)
    second = demo_sync.run(T + timedelta(minutes=5))
    dry = demo_sync.run(T + timedelta(minutes=10), dry_run=True)  # newest materialization, carries no state
    assert first.success and second.success and dry.success
    state = read_sync_state(instance, sheet_key(INVOICES))
    assert state.watermark is not None and state.pending_draft_ids  # the demo has unstamped drafts
    # a stored read of the first run, as a run the checks could not clean would leave it
    leftover = reads_root(instance) / first.run_id / "bind_invoices"
    leftover.mkdir(parents=True, exist_ok=True)
    (leftover / "result").write_bytes(b"client data")

    keep = state_runs(instance)
    report = prune_run_history(instance, 30, now=LATER)

    assert first.run_id in report.deleted_runs
    assert set(report.kept_for_state) == set(keep) and dry.run_id in keep and second.run_id in keep
    assert "watermark" in keep[second.run_id]
    assert instance.get_run_by_id(first.run_id) is None
    remaining = instance.fetch_materializations(sheet_key(INVOICES), limit=100).records
    assert first.run_id not in {record.run_id for record in remaining}  # its events left the index too
    assert not (reads_root(instance) / first.run_id).exists()
    assert first.run_id not in _shards(instance)  # the per-run SQLite file too
    assert report.stored_dirs_removed >= 1 and report.deleted_by_job == {"sync_invoices": len(report.deleted_runs)}
    # the state the pipeline needs is intact
    assert read_sync_state(instance, sheet_key(INVOICES)) == state

    after = demo_sync.run(T + timedelta(minutes=15))
    assert after.success
    bind_meta = metadata(after, "bind_invoices")
    assert bind_meta["watermark_before"] == state.watermark.isoformat()
    assert read_sync_state(instance, sheet_key(INVOICES)).watermark == T + timedelta(minutes=15)


def test_a_dry_run_deletes_nothing_and_recent_runs_are_kept(demo_sync, instance):
    run = demo_sync.run(T)
    demo_sync.run(T + timedelta(minutes=5))
    dry = prune_run_history(instance, 30, now=LATER, dry_run=True)
    assert dry.deleted_runs == [run.run_id] and instance.get_run_by_id(run.run_id) is not None
    recent = prune_run_history(instance, 30)  # now: nothing is 30 days old
    assert recent.deleted_runs == [] and instance.get_run_by_id(run.run_id) is not None


def test_runs_in_progress_are_never_deleted(demo_sync, instance):
    done = demo_sync.run(T)
    # a run that never finished (NOT_STARTED here; queued and started runs are just as unfinished)
    started = instance.create_run_for_job(dg.GraphDefinition("stuck").to_job(), run_id=None)
    report = prune_run_history(instance, 30, now=LATER)
    assert started.run_id not in report.deleted_runs and instance.get_run_by_id(started.run_id) is not None
    assert done.run_id in report.kept_for_state  # its materialization holds the state


def test_the_job_reports_what_it_removed_and_is_scheduled(instance):
    definitions = dg.Definitions.merge(retention.defs)
    job = definitions.resolve_job_def("prune_run_history")
    result = job.execute_in_process(
        instance=instance, run_config={"ops": {"prune_run_history": {"config": {"older_than_days": 30}}}}
    )
    assert result.success
    [output] = [event for event in result.all_events if event.is_successful_output]
    shown = output.event_specific_data.metadata
    assert shown["runs_deleted"].value == 0 and "cutoff" in shown and "runs_kept_for_sync_state" in shown
    [schedule] = definitions.schedules
    assert schedule.cron_schedule == "30 3 * * *" and schedule.execution_timezone == "America/Mexico_City"


def test_the_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMARTBIND_RUN_RETENTION_DAYS", "45")
    assert retention.default_retention_days() == 45
    monkeypatch.setenv("SMARTBIND_RUN_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="SMARTBIND_RUN_RETENTION_DAYS"):
        retention.default_retention_days()
    monkeypatch.delenv("SMARTBIND_RUN_RETENTION_DAYS")
    assert retention.default_retention_days() == 30
