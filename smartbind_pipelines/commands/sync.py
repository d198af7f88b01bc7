"""`smartbind sync JOB_ID`: start a run of any process now, outside its sensor's cadence.

JOB_ID is a process of the registry (core/processes: built-in or declared, pull or push) or invoices'
``reconcile_invoices``. By default the run is submitted to the Dagster instance (DAGSTER_HOME) through
`dagster job launch`, so it waits in the same queue as the sensor's runs and never overlaps another run of
its process. ``--local`` executes it in this process instead and prints what it did.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from smartbind_pipelines.core.run_tags import DRY_RUN_TAG

SUMMARY_KEYS = (
    "sheet_id",
    "sheet_name",
    "mode",
    "window_start",
    "window_end",
    "fetched",
    "skipped",
    "inserted",
    "updated",
    "unchanged",
    "failed",
    "planned_inserts",
    "planned_updates",
    "bind_requests",
    "smartsheet_requests",
    "duration_seconds",
    "dry_run",
    "invoiced",
    "would_invoice",
    "posts",
)


def launchable(job_id: str):
    """The registry process that job ``job_id`` runs (its own job, or its reconcile job); BadParameter if none."""
    from smartbind_pipelines.core.processes import all_processes

    processes = all_processes(os.environ)
    for process in processes:
        if job_id in (process.job_id, process.reconcile_job):
            return process
    known = sorted(name for process in processes for name in (process.job_id, process.reconcile_job) if name)
    raise click.BadParameter(f"{job_id!r} is not a process; known: {', '.join(known)}", param_hint="'JOB_ID'")


def run_config(process, *, window_start: str | None, window_end: str | None, dry_run: bool) -> dict[str, Any]:
    """The run config of one run: dry_run to the writing step, a backfill window to the source asset."""
    config: dict[str, Any] = {"ops": {process.dry_run_step: {"config": {"dry_run": dry_run}}}}
    window = {name: value for name, value in (("window_start", window_start), ("window_end", window_end)) if value}
    if window:
        config["ops"][process.source_asset] = {"config": window}
    return config


def _bound(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        (date if len(value) == 10 else datetime).fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", param_hint=option) from None
    return value


def _dagster_executable() -> str:
    beside = Path(sys.executable).with_name("dagster")
    return str(beside) if beside.exists() else (shutil.which("dagster") or "dagster")


@click.command("sync")
@click.argument("job_id")
@click.option(
    "--from",
    "window_start",
    help="Backfill from this Mexico City date or datetime (YYYY-MM-DD[THH:MM:SS]); invoices only.",
)
@click.option("--to", "window_end", help="Backfill up to this date (included) or datetime (excluded). Default: now.")
@click.option("--dry-run", is_flag=True, help="Plan only: report what would change, write nothing.")
@click.option("--local", is_flag=True, help="Execute in this process instead of submitting to the instance.")
@click.option(
    "-w",
    "--workspace",
    default="workspace.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Dagster workspace used to submit the run.",
)
def sync(
    job_id: str, window_start: str | None, window_end: str | None, dry_run: bool, local: bool, workspace: str
) -> None:
    """Start JOB_ID now: a run of any process, a backfill (--from/--to) or a dry run.

    A backfill never moves the watermark, so the regular sync carries on where it was.
    """
    process = launchable(job_id)
    if not process.windowed:
        for option, value in (("--from", window_start), ("--to", window_end)):
            if value is not None:
                raise click.BadParameter(
                    f"{job_id} has no date window (only the invoice jobs take --from/--to)", param_hint=option
                )
    if window_end and not window_start:
        raise click.BadParameter("--to needs --from", param_hint="--to")
    config = run_config(
        process, window_start=_bound(window_start, "--from"), window_end=_bound(window_end, "--to"), dry_run=dry_run
    )
    tags = {"trigger": "smartbind-cli"}
    if dry_run:
        tags[DRY_RUN_TAG] = "true"
    if local:
        if not dry_run and not os.environ.get("DAGSTER_HOME"):
            # The sheet's one-writer pool lives in the instance: a throwaway one would let this run write
            # the sheet beside a run of the deployment.
            raise click.ClickException(
                "DAGSTER_HOME is not set: a writing --local run takes the sheet's writer slot in the "
                "deployment's instance, so point DAGSTER_HOME at it (a --dry-run needs none)"
            )
        _execute_locally(job_id, process.report_asset, config, tags)
    else:
        _submit(job_id, config, tags, workspace)


def _submit(job_id: str, run_config: dict, tags: dict, workspace: str) -> None:
    if not os.environ.get("DAGSTER_HOME"):
        raise click.ClickException(
            "DAGSTER_HOME is not set: point it at the instance the daemon uses (a --dry-run --local needs none)"
        )
    if not Path(workspace).is_file():
        raise click.ClickException(f"workspace file {workspace} not found (use -w PATH)")
    run_id = str(uuid.uuid4())
    command = [
        _dagster_executable(),
        "job",
        "launch",
        "-w",
        workspace,
        "-j",
        job_id,
        "--config-json",
        json.dumps(run_config),
        "--tags",
        json.dumps(tags),
        "--run-id",
        run_id,
    ]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise click.ClickException(f"dagster job launch failed for {job_id}:\n" + "\n".join(detail))
    click.echo(run_id)
    click.echo(
        f"Submitted {job_id} run {run_id}; it starts when the Dagster daemon takes it from the queue "
        "(after any running run of its process). Follow it in the UI under Runs.",
        err=True,
    )


def _execute_locally(job_id: str, report_asset: str, run_config: dict, tags: dict) -> None:
    import dagster as dg

    from smartbind_pipelines.core.process_config import default_db_path
    from smartbind_pipelines.definitions import defs
    from smartbind_pipelines.defs.inventory.config import (
        RESOURCE_KEY as INVENTORY_SETTINGS,
    )
    from smartbind_pipelines.defs.inventory.config import (
        inventory_settings_from_env,
    )
    from smartbind_pipelines.defs.process_config import RESOURCE_KEY as PROCESS_CONFIG
    from smartbind_pipelines.defs.process_config import ProcessConfigResource
    from smartbind_pipelines.defs.resources import sync_resources_from_env

    # The instance under DAGSTER_HOME holds the sheet's writer slot the deployment uses (the sync state lives
    # in sync_state.db beside ProcessConfig); only a dry run, which writes nothing, may use a throwaway one.
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    # The code location as the deployment loads it, with the resources read from the environment as it is now
    # (the secrets stay EnvVars, resolved at run start).
    location = defs()
    resources = {
        **(location.resources or {}),
        **sync_resources_from_env(),
        PROCESS_CONFIG: ProcessConfigResource(db_path=default_db_path(os.environ)),
        INVENTORY_SETTINGS: inventory_settings_from_env(),
    }
    definitions = dg.Definitions(
        assets=location.assets,
        asset_checks=location.asset_checks,
        jobs=location.jobs,
        sensors=location.sensors,
        schedules=location.schedules,
        executor=location.executor,
        resources=resources,
    )
    result = definitions.resolve_job_def(job_id).execute_in_process(
        run_config=run_config, instance=instance, tags=tags, raise_on_error=False
    )
    summary: dict[str, Any] = {"job": job_id, "run_id": result.run_id, "success": result.success}
    for event in result.get_asset_materialization_events():
        if event.asset_key != dg.AssetKey(report_asset):  # push: one step materializes two assets
            continue
        metadata = event.materialization.metadata
        summary.update({key: getattr(metadata[key], "value", metadata[key]) for key in SUMMARY_KEYS if key in metadata})
    if not result.success:
        summary["error"] = _failure_text(result)
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    if not result.success:
        sys.exit(1)


def _failure_text(result) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error:
                return data.error.message.strip()
    return "run failed"
