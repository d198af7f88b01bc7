"""Builds a declared process's Dagster objects: bind_<x> -> smartsheet_<x>, two checks, sync_<x>, its sensor.

Everything specific to the process comes from its ``ProcessDeclaration`` (core/processes/declared.py); this
module only wires it, the same way defs/invoices and defs/inventory are wired, with the same metadata
names, failure rules and cadence sensor.
"""

# No `from __future__ import annotations`: Dagster reads config and resource annotations at decoration time.

import os
import time
from collections import Counter
from typing import Any, Iterator

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.processes import DeclaredBatch, ProcessDeclaration
from smartbind_pipelines.core.sheets import comparable
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.resources import BindResource, SmartsheetResource
from smartbind_pipelines.defs.sync.metadata import nothing_written, run_materialization_metadata
from smartbind_pipelines.defs.sync.process import SyncProcess
from smartbind_pipelines.defs.sync.report import request_metadata
from smartbind_pipelines.defs.sync.sensor import build_sync_sensor
from smartbind_pipelines.defs.sync.sheet_target import SheetTarget
from smartbind_pipelines.defs.sync.stored import delete_used_read, process_reads, prune_reads, reads_io_manager_key
from smartbind_pipelines.defs.sync.write import refused_rows_failure, write_metadata, write_sheet

LISTED = 20


class DeclaredWriteConfig(dg.Config):
    """How the sheet asset writes."""

    dry_run: bool = Field(default=False, description="Plan only: report what would change, write nothing.")


def sync_process(declaration: ProcessDeclaration) -> SyncProcess:
    return SyncProcess(declaration.process)


def resolve_target(process_config: ProcessConfigResource, declaration: ProcessDeclaration) -> SheetTarget:
    """The sheet read now (seeding the ProcessConfig row on first use), so a change applies to the next run."""
    config = declaration.effective_config(process_config.store(), os.environ)
    if config is None:
        raise dg.Failure(description=f"{declaration.job_id}: its ProcessConfig row was deleted; "
                                     f"`smartbind config restore {declaration.job_id}` re-creates it (paused)",
                         allow_retries=False)
    if config.sheet_id_int is None:
        raise dg.Failure(
            description=(
                f"{declaration.job_id} has no Smartsheet sheet: run `smartbind sheets create {declaration.job_id}` "
                f"or set {declaration.sheet_id_env}, or `smartbind config set {declaration.job_id} --sheet-id <id>`"
            ),
            allow_retries=False,
        )
    return SheetTarget(config.sheet_id_int, config.smartsheet_sheet_name)


def _skipped_table(skipped: list[dict]) -> dg.MetadataValue:
    if not skipped:
        return dg.MetadataValue.md("No Bind row was skipped.")
    lines = ["| clave | motivo |", "|---|---|"]
    lines += [f"| {item.get('key') or ''} | {item.get('reason')} |" for item in skipped[:50]]
    if len(skipped) > 50:
        lines.append(f"\n… and {len(skipped) - 50} more.")
    return dg.MetadataValue.md("\n".join(lines))


def mismatches(declaration: ProcessDeclaration, records: list[dict], sheet_rows: list[dict]) -> dict[str, str]:
    """Key -> what differs, for records missing from the sheet or different in it (pure)."""
    mapping = declaration.mapping
    by_key: dict[tuple, dict] = {}
    for cells in sheet_rows:
        key = mapping.key_of(cells)
        if key is not None:
            by_key.setdefault(key, cells)
    problems: dict[str, str] = {}
    for record in records:
        key = mapping.key_of(record)
        shown = " / ".join(map(str, key))
        row = by_key.get(key)
        if row is None:
            problems[shown] = "missing from the sheet"
            continue
        diffs = [f"{column.title} sheet={row.get(column.title)!r} bind={record.get(column.title)!r}"
                 for column in mapping.columns
                 if comparable(row.get(column.title), column) != comparable(record.get(column.title), column)]
        if diffs:
            problems[shown] = "; ".join(diffs)
    return problems


def build_declared_defs(declaration: ProcessDeclaration) -> dg.Definitions:
    """The process's assets, checks, job and sensor, and the I/O manager its Bind read is stored with (the other
    resources come from the code location)."""
    process = sync_process(declaration)
    mapping = declaration.mapping
    where = f"/api/{declaration.endpoint}" + (f"?$filter={declaration.filter}" if declaration.filter else "")

    @dg.asset(
        name=process.source_asset,
        group_name=process.group,
        kinds={"bind"},
        owners=[process.owner],
        io_manager_key=reads_io_manager_key(process),  # stored per run: a re-execution writes its own run's read
        description=f"{declaration.name}: every row of Bind {where}, every page, as the sheet's columns.",
    )
    def source_asset(context: dg.AssetExecutionContext, bind: BindResource) -> dg.Output[DeclaredBatch]:
        client = bind.client()
        try:
            rows = client.get_all(declaration.endpoint, declaration.params())
        except BindApiError as exc:
            raise dg.Failure(description=f"Bind ERP request failed: {exc}") from exc
        finally:
            client.close()
        batch = declaration.records(rows)
        context.log.info("read %d rows from Bind %s; %d skipped", batch.fetched, where, len(batch.skipped))
        pruned = prune_reads(context.instance, step_key=process.source_asset, keep_run_id=context.run.run_id,
                             legacy_paths=(process.source_asset,))
        if pruned:
            context.log.info("deleted the stored Bind reads of %d earlier run(s): %s", len(pruned), ", ".join(pruned))
        return dg.Output(batch, metadata={
            "endpoint": where,
            "fetched": batch.fetched,
            "dagster/row_count": len(batch.records),
            "skipped": len(batch.skipped),
            "skipped_rows": _skipped_table(batch.skipped),
            **request_metadata("bind", client.request_counts),
        })

    @dg.asset(
        name=process.sheet_asset,
        group_name=process.group,
        kinds={"smartsheet"},
        pool=process.pool,  # one writer per sheet on every path (dagster.yaml: one slot per pool)
        owners=[process.owner],
        ins={"batch": dg.AssetIn(process.source_key)},
        description=(
            f"The '{declaration.sheet_name}' sheet (ProcessConfig {declaration.job_id}), kept in step with "
            f"{process.source_asset} by {' + '.join(declaration.key)}: new rows added, changed cells updated, "
            "nothing else touched."
        ),
    )
    def sheet_asset(context: dg.AssetExecutionContext, config: DeclaredWriteConfig, batch: DeclaredBatch,
                    smartsheet: SmartsheetResource, process_config: ProcessConfigResource) -> dg.MaterializeResult:
        started = time.monotonic()
        target = resolve_target(process_config, declaration)
        result = write_sheet(smartsheet.gateway(), target, batch.records, mapping, dry_run=config.dry_run,
                             next_run="The next run compares again and finishes the job.")
        metadata: dict[str, Any] = {
            **write_metadata(target, result, mapping, started=started),
            "fetched": batch.fetched,
            "skipped": len(batch.skipped),
        }
        for warning in result.warnings:
            context.log.warning(warning)
        if result.failed:
            raise refused_rows_failure("row(s)", target, result, metadata)
        return dg.MaterializeResult(metadata=metadata)

    no_duplicates, matches = "no_duplicate_key_in_sheet", "fetched_rows_match_sheet"

    @dg.multi_asset_check(
        name=f"{declaration.slug}_sheet_checks",
        specs=[
            dg.AssetCheckSpec(no_duplicates, asset=process.sheet_key,
                              description=f"No {' + '.join(declaration.key)} appears on more than one row."),
            dg.AssetCheckSpec(matches, asset=process.sheet_key, additional_deps=[process.source_key],
                              description="Every row read from Bind in this run is in the sheet with the same values."),
        ],
        ins={"batch": dg.AssetIn(process.source_key)},
    )
    def sheet_checks(context: dg.AssetCheckExecutionContext, batch: DeclaredBatch,
                     smartsheet: SmartsheetResource) -> Iterator[dg.AssetCheckResult]:
        yield from check(context, batch, smartsheet)
        # The last step that reads the stored Bind read (client or product data): nothing needs it any more.
        # It is this run's read, or the read of the run it re-executes.
        delete_used_read(context.instance, context.run, process.source_asset)

    def check(context: dg.AssetCheckExecutionContext, batch: DeclaredBatch,
              smartsheet: SmartsheetResource) -> Iterator[dg.AssetCheckResult]:
        written = run_materialization_metadata(context.instance, context.run, process.sheet_key)
        skipped = nothing_written(written, (no_duplicates, matches))
        if skipped:
            yield from skipped
            return
        sheet_id = int(written["sheet_id"])
        rows, _ = smartsheet.gateway().read_rows(sheet_id, mapping.titles)
        cells = [row.cells for row in rows]
        counts = Counter(key for key in (mapping.key_of(c) for c in cells) if key is not None)
        duplicates = sorted(" / ".join(map(str, key)) for key, n in counts.items() if n > 1)
        yield dg.AssetCheckResult(
            check_name=no_duplicates, passed=not duplicates, severity=dg.AssetCheckSeverity.WARN,
            description=f"keys on more than one row: {', '.join(duplicates[:LISTED])}" if duplicates else None,
            metadata={"sheet_id": str(sheet_id), "sheet_rows": len(rows), "duplicate_keys": len(duplicates)},
        )
        problems = mismatches(declaration, batch.records, cells)
        yield dg.AssetCheckResult(
            check_name=matches, passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
            description=(f"{len(problems)} row(s) differ: "
                         + ", ".join(f"{key} ({why})" for key, why in sorted(problems.items())[:LISTED])
                         if problems else None),
            metadata={"sheet_id": str(sheet_id), "rows_checked": len(batch.records), "mismatched": len(problems)},
        )

    job = dg.define_asset_job(
        declaration.job_id,
        selection=dg.AssetSelection.assets(process.source_key, process.sheet_key),
        description=(f"{declaration.name}: reads Bind {where} and upserts it by {' + '.join(declaration.key)} "
                     f"into the '{declaration.sheet_name}' sheet. Declared in "
                     f"{declaration.job_id}.toml; started by {process.sensor_name}."),
        tags=process.run_tags,
    )
    sensor = build_sync_sensor(
        process, job, read_config=lambda store: declaration.effective_config(store, os.environ))
    return dg.Definitions(assets=[source_asset, sheet_asset], asset_checks=[sheet_checks], jobs=[job],
                          sensors=[sensor], resources=process_reads(process))
