"""bind_inventory -> smartsheet_inventory: how the inventory reads Bind's stock and writes it, as hooks of the
shared builder (defs/pull/builder.py). What differs from a declared process: the warehouses to read, the
rows that left stock (zeroed or deleted), a renamed warehouse's rows and the mass-retire override."""

from __future__ import annotations

import dataclasses
from typing import Any

import dagster as dg

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.inventory import (
    InventoryConfigError,
    apply_rekey,
    batch_totals,
    read_inventory,
    renamed_warehouses,
    stale_policy,
    warehouse_names,
    warehouses_to_sync,
)
from smartbind_pipelines.core.inventory.state import WAREHOUSE_NAMES
from smartbind_pipelines.core.sheets import MissingColumnError, SheetUpsertError
from smartbind_pipelines.core.sync_state import SyncStateStore
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.pull.builder import Step
from smartbind_pipelines.defs.pull.report import request_metadata, write_requests
from smartbind_pipelines.defs.pull.sheet_target import resolve_sheet
from smartbind_pipelines.defs.pull.write import refused_rows_failure, write_metadata, write_sheet

from .config import RESOURCE_KEY
from .report import warehouse_table
from .sync_state import load_warehouse_names, record_warehouse_names


def read_stock(step: Step) -> tuple[SourceBatch, dict[str, Any]]:
    """The stock of the configured warehouses (ProcessConfig fields_mapping.warehouse_ids, else
    BIND_WAREHOUSE_ID), with each warehouse's name."""
    context, config, process = step.context, step.config, step.process
    row = step.resources.process_config.store().get(process.job_id)
    try:
        warehouse_ids, source = warehouses_to_sync(
            row.fields_mapping if row else {}, getattr(step.resources, RESOURCE_KEY).fallback_warehouse_id
        )
    except InventoryConfigError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc

    client = step.resources.bind.client()
    try:
        batch = read_inventory(client, warehouse_ids, only_in_stock=not config.include_zero_stock)
    except InventoryConfigError as exc:
        raise dg.Failure(description=f"{exc} (warehouses from {source})", allow_retries=False) from exc
    except BindApiError as exc:
        raise dg.Failure(description=f"Bind ERP request failed: {exc}") from exc
    finally:
        client.close()

    names = ", ".join(f"{w.name} ({w.id})" for w in batch.warehouses)
    context.log.info("read %d inventory rows from %s (%s)", batch.fetched, names, source)
    batch = dataclasses.replace(batch, run_id=context.run.run_id, requests=dict(client.request_counts))
    return batch, {
        "warehouses": warehouse_table(batch),
        "warehouse_source": source,
        "only_in_stock": not config.include_zero_stock,
        "left_out_without_stock": batch.fetched - len(batch.records) - len(batch.skipped),
        "bind_stock_by_warehouse": dg.MetadataValue.json(batch_totals(batch.records)),
    }


def write_stock(step: Step) -> dg.MaterializeResult:
    """Renamed warehouses' rows moved to the new name, then the upsert with the stale policy of the synced
    warehouses; rows Smartsheet refused (in either step) fail the run after every other row was written."""
    context, config, batch, process = step.context, step.config, step.batch, step.process
    target = resolve_sheet(step.resources.process_config, process)
    try:
        policy = stale_policy(config.stale_action(), [w.name for w in batch.warehouses])
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    store = SyncStateStore.beside(step.resources.process_config.db_path)
    previous, names_from = load_warehouse_names(context.instance, store, process.job_id, sheet_key(process))
    renames = renamed_warehouses(previous, batch.warehouses)

    gateway = step.resources.smartsheet.gateway()
    try:
        rekey = apply_rekey(gateway, target.sheet_id, renames, dry_run=config.dry_run)
    except (MissingColumnError, SheetUpsertError) as exc:
        raise dg.Failure(description=f"sheet {target.label}: moving a renamed warehouse's rows: {exc}") from exc
    result = write_sheet(
        gateway,
        target,
        batch.records,
        process.mapping,
        stale=policy,
        dry_run=config.dry_run,
        next_run="The next run compares again and finishes the job.",
        allow_mass_retire=config.allow_mass_retire,
        override_hint=f"allow_mass_retire: true in {process.sheet_asset}'s run config (launchpad)",
    )

    plan = result.plan
    stale_rows = {change["row_id"] for change in result.changes if change.get("stale")}
    metadata: dict[str, Any] = {
        **write_metadata(target, result, process.mapping, started=step.started),
        "warehouses": ", ".join(w.name for w in batch.warehouses),
        "stale_rows": policy.action,
        "fetched": batch.fetched,
        "records": len(batch.records),
        "skipped": len(batch.skipped),
        "updated": result.updated - len(stale_rows),
        "zeroed": len(stale_rows),
        "deleted": result.deleted,
        "failed": len(result.failed) + len(rekey.failed),
        "planned_updates": sum(1 for update in plan.updates if not update.stale),
        "planned_zeroed": sum(1 for update in plan.updates if update.stale),
        "planned_deletes": len(plan.deletes),
        "renamed_warehouses": dg.MetadataValue.json(renames),
        "warehouse_names_from": names_from,
        "rows_moved_to_new_name": len(rekey.updates),
        # the rename step's requests count too
        **request_metadata("smartsheet", gateway.request_counts),
        "smartsheet_writes": write_requests(gateway.request_counts),
    }
    for warning in result.warnings:
        context.log.warning(warning)
    if renames:
        context.log.info(
            "renamed warehouse(s) %s: %d row(s) moved to the new name, %d old copies deleted",
            renames,
            len(rekey.updates),
            len(rekey.deletes),
        )
    if result.failed or rekey.failed:
        raise refused_rows_failure("inventory row(s)", target, result, metadata, also_refused=rekey.failed)
    if not config.dry_run:
        # What the sheet now shows per warehouse id: the next run recognises a renamed warehouse by it.
        metadata[WAREHOUSE_NAMES] = dg.MetadataValue.json(
            record_warehouse_names(store, process.job_id, warehouse_names(batch.warehouses), run_id=context.run.run_id)
        )
    return dg.MaterializeResult(metadata=metadata)
