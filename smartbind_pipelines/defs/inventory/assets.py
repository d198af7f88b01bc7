"""bind_inventory -> smartsheet_inventory: warehouse stock upserted by ID Producto + Almacén."""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import json
import time
from typing import Any

import dagster as dg

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.inventory import (
    INVENTORY_MAPPING,
    InventoryBatch,
    InventoryConfigError,
    apply_rekey,
    read_inventory,
    renamed_warehouses,
    stale_policy,
    warehouses_to_sync,
)
from smartbind_pipelines.core.sheets import MissingColumnError, SheetSyncError
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, SmartsheetResource
from smartbind_pipelines.defs.sync.report import failure_summary, request_metadata, write_requests
from smartbind_pipelines.defs.sync.sheet_target import resolve_sheet
from smartbind_pipelines.defs.sync.stored import prune_reads, reads_io_manager_key
from smartbind_pipelines.defs.sync.write import write_metadata, write_sheet

from .config import InventoryReadConfig, InventorySettings, InventoryWriteConfig
from .process import INVENTORY
from .report import skipped_table, warehouse_table

WAREHOUSE_NAMES = "warehouse_names"  # sheet-asset metadata: warehouse id -> the name its rows carry
STATE_SCAN = 20


@dg.asset(
    name=INVENTORY.source_asset,
    group_name=INVENTORY.group,
    kinds={"bind"},
    owners=[INVENTORY.owner],
    io_manager_key=reads_io_manager_key(INVENTORY),  # stored per run: a re-execution writes its own run's read
    description=(
        "Stock of the warehouses configured for sync_inventory (ProcessConfig fields_mapping.warehouse_ids, "
        "else BIND_WAREHOUSE_ID), read from Bind's /api/Inventory, every page, with each warehouse's name "
        "from /api/Warehouses. By default only products with Existencias > 0."
    ),
)
def bind_inventory(
    context: dg.AssetExecutionContext,
    config: InventoryReadConfig,
    bind: BindResource,
    process_config: ProcessConfigResource,
    inventory_settings: InventorySettings,
) -> dg.Output[InventoryBatch]:
    process = process_config.store().get(INVENTORY.job_id)
    try:
        warehouse_ids, source = warehouses_to_sync(
            process.fields_mapping if process else {}, inventory_settings.fallback_warehouse_id
        )
    except InventoryConfigError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc

    client = bind.client()
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
    pruned = prune_reads(context.instance, step_key=INVENTORY.source_asset, keep_run_id=context.run.run_id,
                         legacy_paths=(INVENTORY.source_asset,))
    if pruned:
        context.log.info("deleted the stored Bind reads of %d earlier run(s): %s", len(pruned), ", ".join(pruned))
    return dg.Output(
        batch,
        metadata={
            "warehouses": warehouse_table(batch),
            "warehouse_source": source,
            "only_in_stock": not config.include_zero_stock,
            "fetched": batch.fetched,
            "dagster/row_count": len(batch.records),
            "left_out_without_stock": batch.fetched - len(batch.records) - len(batch.skipped),
            "skipped": len(batch.skipped),
            "skipped_rows": skipped_table(batch.skipped),
            "bind_stock_by_warehouse": dg.MetadataValue.json(batch.totals()),
            **request_metadata("bind", client.request_counts),
        },
    )


def previous_warehouse_names(instance: dg.DagsterInstance) -> dict[str, str]:
    """Warehouse id -> name as the last writing sync left the sheet (empty before the first one)."""
    records = instance.fetch_materializations(INVENTORY.sheet_key, limit=STATE_SCAN).records
    for record in records:  # newest first
        materialization = record.asset_materialization
        value = materialization.metadata.get(WAREHOUSE_NAMES) if materialization else None
        if value is not None:
            raw = getattr(value, "value", value)
            return dict(json.loads(raw) if isinstance(raw, str) else raw or {})
    return {}


@dg.asset(
    name=INVENTORY.sheet_asset,
    group_name=INVENTORY.group,
    kinds={"smartsheet"},
    pool=INVENTORY.pool,  # one writer per sheet on every path (dagster.yaml: one slot per pool)
    owners=[INVENTORY.owner],
    description=(
        "The inventory sheet in Smartsheet (the sheet id set in ProcessConfig for sync_inventory), kept in step "
        "with bind_inventory by ID Producto + Almacén: new stock is added, changed cells are updated, and a "
        "product that left stock in a synced warehouse is set to Existencias 0 (or deleted, stale_rows=delete). "
        "Rows of other warehouses are never touched; a renamed warehouse's rows move to its new name."
    ),
)
def smartsheet_inventory(
    context: dg.AssetExecutionContext,
    config: InventoryWriteConfig,
    bind_inventory: InventoryBatch,
    smartsheet: SmartsheetResource,
    process_config: ProcessConfigResource,
) -> dg.MaterializeResult:
    started = time.monotonic()
    batch = bind_inventory
    target = resolve_sheet(process_config, INVENTORY)
    try:
        policy = stale_policy(config.stale_action(), [w.name for w in batch.warehouses])
    except ValueError as exc:
        raise dg.Failure(description=f"invalid run config: {exc}", allow_retries=False) from exc
    previous = previous_warehouse_names(context.instance)
    renames = renamed_warehouses(previous, batch.warehouses)

    gateway = smartsheet.gateway()
    try:
        rekey = apply_rekey(gateway, target.sheet_id, renames, dry_run=config.dry_run)
    except (MissingColumnError, SheetSyncError) as exc:
        raise dg.Failure(description=f"sheet {target.label}: moving a renamed warehouse's rows: {exc}") from exc
    result = write_sheet(gateway, target, batch.sheet_records(), INVENTORY_MAPPING, stale=policy,
                         dry_run=config.dry_run, next_run="The next run compares again and finishes the job.",
                         allow_mass_retire=config.allow_mass_retire,
                         override_hint="allow_mass_retire: true in smartsheet_inventory's run config (launchpad)")

    plan = result.plan
    stale_rows = {change["row_id"] for change in result.changes if change.get("stale")}
    metadata: dict[str, Any] = {
        **write_metadata(target, result, INVENTORY_MAPPING, started=started),
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
        "rows_moved_to_new_name": len(rekey.updates),
        # the rename step's requests count too
        **request_metadata("smartsheet", gateway.request_counts),
        "smartsheet_writes": write_requests(gateway.request_counts),
    }
    for warning in result.warnings:
        context.log.warning(warning)
    if renames:
        context.log.info("renamed warehouse(s) %s: %d row(s) moved to the new name, %d old copies deleted",
                         renames, len(rekey.updates), len(rekey.deletes))
    if result.failed or rekey.failed:
        failures = failure_summary(result.failed) if result.failed else "; ".join(rekey.failed[:20])
        raise dg.Failure(
            description=(
                f"{len(result.failed) + len(rekey.failed)} inventory row(s) could not be written to sheet "
                f"{target.label}; every other row was written: {failures}"
            ),
            metadata=metadata,
        )
    if not config.dry_run:
        # What the sheet now shows per warehouse id: the next run recognises a renamed warehouse by it.
        metadata[WAREHOUSE_NAMES] = dg.MetadataValue.json({**previous, **batch.names()})
    return dg.MaterializeResult(metadata=metadata)
