"""One builder for the Dagster side of every pull process: ``bind_<x>`` -> ``smartsheet_<x>``, its two checks,
its job and its sensor, with the same metadata names, failure rules, pool, run tags and stored reads.

What a process does differently is a hook (``PullHooks``): how it reads Bind into a ``SourceBatch`` and
what it shows about the read, how it writes the sheet (the default writes the records and fails on refused
rows), how its checks compare the sheet with the batch (the default reads the whole sheet back), and its
sensor. The invoices add a window, a sync state and a change-detecting sensor; the inventory stale rows,
renamed warehouses and the mass-retire override; a declared process adds nothing.
"""

# No `from __future__ import annotations`: Dagster reads config annotations at decoration time.

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.processes import Process
from smartbind_pipelines.defs.asset_keys import sheet_key, source_key
from smartbind_pipelines.defs.pull.checks import duplicate_keys, duplicates_result, mismatches, mismatches_result
from smartbind_pipelines.defs.pull.metadata import nothing_written, run_materialization_metadata
from smartbind_pipelines.defs.pull.report import column_schema, request_metadata, skipped_table
from smartbind_pipelines.defs.pull.sensor import build_cadence_sensor
from smartbind_pipelines.defs.pull.sheet_target import resolve_sheet
from smartbind_pipelines.defs.pull.stored import delete_used_read, process_reads, prune_reads, reads_io_manager_key
from smartbind_pipelines.defs.pull.write import refused_rows_failure, write_metadata, write_sheet

NO_DUPLICATES = "no_duplicate_key_in_sheet"
MATCHES_BIND = "fetched_rows_match_sheet"


class DryRunConfig(dg.Config):
    """How the sheet asset writes."""

    dry_run: bool = Field(default=False, description="Plan only: report what would change, write nothing.")


@dataclass(frozen=True)
class Step:
    """One step of a pull process's run, as a hook sees it."""

    process: Process
    context: Any  # dg.AssetExecutionContext or dg.AssetCheckExecutionContext
    config: Any = None  # the step's run config (None when the step takes none)
    batch: Optional[SourceBatch] = None  # the source's read (sheet asset and checks)
    started: float = field(default_factory=time.monotonic)

    @property
    def resources(self):
        return self.context.resources


# A read: the batch, and what the source asset shows about it beyond the shared counts.
Read = Callable[[Step], "tuple[SourceBatch, dict[str, Any]]"]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    description: str
    compares_source: bool = False  # the check also depends on the source asset (it compares with the read)


@dataclass(frozen=True)
class PullHooks:
    """Where a pull process differs from the others; every field but the three descriptions and ``read`` has
    the shared default."""

    source_description: str
    sheet_description: str
    job_description: str
    read: Read
    read_config: Optional[type] = None  # a dg.Config class for the source asset's launchpad
    read_resources: frozenset = frozenset({"bind"})
    skipped_name: str = "skipped_rows"  # the source metadata listing skipped rows
    write_config: type = DryRunConfig
    write: Optional[Callable[[Step], Any]] = None  # a MaterializeResult, or yields one; default write_records
    refused_what: str = "row(s)"
    next_run: str = "The next run compares again and finishes the job."
    checks: tuple = (
        CheckSpec(NO_DUPLICATES, "No key appears on more than one row."),
        CheckSpec(MATCHES_BIND, "Every row read from Bind in this run is in the sheet with the same values.", True),
    )
    check: Optional[Callable[[Step, dict], Iterator[dg.AssetCheckResult]]] = None  # default: check_whole_sheet
    io_manager_key: str = ""  # default: reads_io_manager_key(process), bound to process_reads(process)
    io_manager: Any = None
    sensor: Optional[Callable[[Process, Any], dg.SensorDefinition]] = None  # default: build_cadence_sensor


@dataclass(frozen=True)
class PullDefs:
    source_asset: dg.AssetsDefinition
    sheet_asset: dg.AssetsDefinition
    checks: dg.AssetChecksDefinition
    job: Any
    sensor: dg.SensorDefinition
    resources: Mapping[str, Any]

    def definitions(
        self, *, jobs: Iterable = (), schedules: Iterable = (), resources: Optional[Mapping[str, Any]] = None
    ) -> dg.Definitions:
        return dg.Definitions(
            assets=[self.source_asset, self.sheet_asset],
            asset_checks=[self.checks],
            jobs=[self.job, *jobs],
            sensors=[self.sensor],
            schedules=list(schedules),
            resources={**self.resources, **(resources or {})},
        )


def write_records(step: Step, hooks: PullHooks) -> dg.MaterializeResult:
    """The shared write: the batch's records upserted by key; refused rows fail the run, naming them, after
    every other row was written."""
    batch, mapping = step.batch, step.process.mapping
    target = resolve_sheet(step.resources.process_config, step.process)
    result = write_sheet(
        step.resources.smartsheet.gateway(),
        target,
        batch.records,
        mapping,
        dry_run=step.config.dry_run,
        next_run=hooks.next_run,
    )
    metadata: dict[str, Any] = {
        **write_metadata(target, result, mapping, started=step.started),
        "fetched": batch.fetched,
        "skipped": len(batch.skipped),
    }
    for warning in result.warnings:
        step.context.log.warning(warning)
    if result.failed:
        raise refused_rows_failure(hooks.refused_what, target, result, metadata)
    return dg.MaterializeResult(metadata=metadata)


def check_whole_sheet(step: Step, written: dict, hooks: PullHooks) -> Iterator[dg.AssetCheckResult]:
    """The shared checks: the whole sheet read back once, its keys counted and its rows compared with the read."""
    mapping = step.process.mapping
    sheet_id = int(written["sheet_id"])
    rows, _ = step.resources.smartsheet.gateway().read_rows(sheet_id, mapping.titles)
    cells = [row.cells for row in rows]
    duplicates, matches = (spec.name for spec in hooks.checks)
    yield duplicates_result(duplicates, sheet_id, duplicate_keys(mapping, cells), rows=len(rows))
    problems = mismatches(mapping, step.batch.records, cells)
    yield mismatches_result(matches, sheet_id, problems, checked=len(step.batch.records))


def source_metadata(batch: SourceBatch, process: Process, hooks: PullHooks) -> dict[str, Any]:
    """What every source asset shows: the counts, the column schema, the skipped rows and Bind's requests."""
    return {
        "fetched": batch.fetched,
        "dagster/row_count": len(batch.records),
        "dagster/column_schema": column_schema(process.mapping),
        "skipped": len(batch.skipped),
        hooks.skipped_name: skipped_table(batch.skipped),
        **request_metadata("bind", batch.requests),
    }


def build_pull_defs(process: Process, hooks: PullHooks) -> PullDefs:
    """The process's source asset, sheet asset, checks, job and sensor, and the I/O manager its read is stored
    with (the other resources come from the code location)."""
    io_manager_key = hooks.io_manager_key or reads_io_manager_key(process)
    resources = {io_manager_key: hooks.io_manager} if hooks.io_manager is not None else process_reads(process)

    def read(context: dg.AssetExecutionContext, config) -> dg.Output:
        batch, shown = hooks.read(Step(process, context, config))
        pruned = prune_reads(
            context.instance,
            step_key=process.source_asset,
            keep_run_id=context.run.run_id,
            legacy_paths=(process.source_asset,),
        )
        if pruned:
            context.log.info("deleted the stored Bind reads of %d earlier run(s): %s", len(pruned), ", ".join(pruned))
        return dg.Output(batch, metadata={**shown, **source_metadata(batch, process, hooks)})

    source_args = dict(
        name=process.source_asset,
        group_name=process.group,
        kinds={"bind"},
        owners=[process.owner],
        io_manager_key=io_manager_key,  # stored per run: a re-execution writes its own run's read
        required_resource_keys=set(hooks.read_resources),
        description=hooks.source_description,
    )
    if hooks.read_config is None:

        @dg.asset(**source_args)
        def source_asset(context: dg.AssetExecutionContext) -> dg.Output[SourceBatch]:
            return read(context, None)
    else:

        @dg.asset(**source_args)
        def source_asset(context: dg.AssetExecutionContext, config: hooks.read_config) -> dg.Output[SourceBatch]:
            return read(context, config)

    @dg.asset(
        name=process.sheet_asset,
        group_name=process.group,
        kinds={"smartsheet"},
        pool=process.pool,  # one writer per sheet on every path (dagster.yaml: one slot per pool)
        owners=[process.owner],
        ins={"batch": dg.AssetIn(source_key(process))},
        required_resource_keys={"smartsheet", "process_config"},
        description=hooks.sheet_description,
    )
    def sheet_asset(
        context: dg.AssetExecutionContext, config: hooks.write_config, batch: SourceBatch
    ) -> Iterator[dg.MaterializeResult]:
        step = Step(process, context, config, batch)
        written = hooks.write(step) if hooks.write else write_records(step, hooks)
        # A write hook returns its result, or yields it and then fails (the invoices record the state of a
        # run whose refused rows fail it).
        if isinstance(written, dg.MaterializeResult):
            yield written
        else:
            yield from written

    @dg.multi_asset_check(
        name=f"{process.group}_sheet_checks",
        specs=[
            dg.AssetCheckSpec(
                spec.name,
                asset=sheet_key(process),
                description=spec.description,
                additional_deps=[source_key(process)] if spec.compares_source else None,
            )
            for spec in hooks.checks
        ],
        ins={"batch": dg.AssetIn(source_key(process))},
        required_resource_keys={"smartsheet"},
    )
    def sheet_checks(context: dg.AssetCheckExecutionContext, batch: SourceBatch) -> Iterator[dg.AssetCheckResult]:
        written = run_materialization_metadata(context.instance, context.run, sheet_key(process))
        skipped = nothing_written(written, tuple(spec.name for spec in hooks.checks))
        if skipped:
            yield from skipped
        else:
            step = Step(process, context, None, batch)
            yield from (hooks.check(step, written) if hooks.check else check_whole_sheet(step, written, hooks))
        # The last step that reads the stored Bind read (client data): nothing needs it any more. It is this
        # run's read, or the read of the run it re-executes.
        delete_used_read(context.instance, context.run, process.source_asset)

    job = dg.define_asset_job(
        process.job_id,
        selection=dg.AssetSelection.assets(source_key(process), sheet_key(process)),  # also runs their checks
        description=hooks.job_description,
        tags=process.run_tags,
    )
    sensor = hooks.sensor(process, job) if hooks.sensor else build_cadence_sensor(process, job)
    return PullDefs(source_asset, sheet_asset, sheet_checks, job, sensor, resources)
