"""What the sheet asset recorded in this run, for the checks that verify it (the sheet it wrote, whether it
was a dry run, the rows it wrote). Everything else a later step needs travels in the source's batch
(core/batch.py); run metadata is for people."""

from __future__ import annotations

from typing import Any

import dagster as dg


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)  # MetadataValue -> raw value


def run_materialization_metadata(
    instance: dg.DagsterInstance, run: dg.DagsterRun, asset_key: dg.AssetKey
) -> dict[str, Any]:
    """Metadata of ``asset_key``'s materialization in this run, or in the run it re-executes."""
    run_id: str | None = run.run_id
    while run_id:
        events = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        for record in reversed(events.records):
            materialization = record.event_log_entry.asset_materialization
            if materialization and materialization.asset_key == asset_key:
                return {key: _plain(value) for key, value in materialization.metadata.items()}
        parent = instance.get_run_by_id(run_id)
        run_id = parent.parent_run_id if parent else None
    return {}


def nothing_written(written: dict[str, Any], check_names: tuple[str, ...]) -> list[dg.AssetCheckResult]:
    """Passing results for a run that wrote nothing (a dry run), or [] when the sheet was written."""
    if not written.get("dry_run") and written.get("sheet_id"):
        return []
    note = "dry run: nothing was written, so there is nothing to verify"
    return [dg.AssetCheckResult(check_name=name, passed=True, metadata={"note": note}) for name in check_names]
