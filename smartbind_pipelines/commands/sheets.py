"""`smartbind sheets create`: create a process's target sheet, typed, and point ProcessConfig at it."""

from __future__ import annotations

import getpass
import logging
import os
from typing import Any

import click


class SheetCreationRefused(click.ClickException):
    """The process already has a sheet, is unknown, or its row was deleted; nothing was created."""


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return None


def create_process_sheet(
    store,
    gateway,
    job_id: str,
    *,
    name: str | None = None,
    folder_id: int | None = None,
    workspace_id: int | None = None,
    force: bool = False,
    actor: str | None = None,
) -> tuple[Any, dict]:
    """Create ``job_id``'s sheet with its mapped columns and store its id and name (audited, via "cli").

    Returns (updated ProcessConfig, created sheet). Raises SheetCreationRefused before creating
    anything when the process is unknown, its row was deleted, or it already has a sheet and ``force`` is off.
    """
    from smartbind_pipelines.core.doctor import smartsheet_error_parts
    from smartbind_pipelines.core.processes import all_processes

    processes = {process.job_id: process for process in all_processes(os.environ)}
    process = processes.get(job_id)
    if process is None:
        raise SheetCreationRefused(f"unknown process {job_id!r}; known processes: {', '.join(processes)}")
    config = process.effective_config(store, os.environ)  # a row never seeded is seeded now
    if config is None:
        raise SheetCreationRefused(
            f"{job_id}: its ProcessConfig row was deleted; `smartbind config restore {job_id}` re-creates it (paused)"
        )
    mapping = process.mapping
    if config.smartsheet_sheet_id and not force:
        current = config.smartsheet_sheet_id + (
            f" ({config.smartsheet_sheet_name})" if config.smartsheet_sheet_name else ""
        )
        try:
            gateway.sheet_columns(config.sheet_id_int)
            state = "it exists"
        except Exception as exc:  # noqa: BLE001 - only used to word the refusal
            status, code, _ = smartsheet_error_parts(exc)
            state = (
                "it was not found with this token"
                if status == 404 or code == 1006
                else f"it could not be read (HTTP {status}, errorCode {code})"
            )
        raise SheetCreationRefused(
            f"{job_id} already writes to sheet {current}; {state}. To keep it, run `smartbind doctor` and "
            f"adopt it (see docs/going-live.md). To create a new sheet and point {job_id} at it instead, "
            "re-run with --force (the old id stays in the audit history)."
        )

    sheet_name = name or config.smartsheet_sheet_name or config.name
    sheet = gateway.create_sheet(sheet_name, mapping, folder_id=folder_id, workspace_id=workspace_id)
    try:
        updated = store.update(
            job_id,
            {"smartsheet_sheet_id": str(sheet["id"]), "smartsheet_sheet_name": sheet.get("name") or sheet_name},
            via="cli",
            actor=actor or _os_user(),
        )
    except Exception as exc:
        raise click.ClickException(
            f"sheet {sheet['id']} ({sheet_name}) was created but ProcessConfig could not be updated: {exc}. "
            f"Point the process at it by hand: smartbind config set {job_id} "
            f"--sheet-id {sheet['id']}"
        ) from exc
    return updated, sheet


def _column_summary(mapping) -> str:
    from smartbind_pipelines.core.sheets.mapping import SHEET_COLUMN_TYPE

    parts = []
    for position, column in enumerate(mapping.columns):
        kind = SHEET_COLUMN_TYPE[column.kind] + (" number" if column.kind == "number" else "")
        parts.append(f"{column.title} ({kind}{', primary' if position == 0 else ''})")
    return ", ".join(parts)


@click.group("sheets")
def sheets() -> None:
    """Create the Smartsheet sheets the sync processes write to."""


@sheets.command("create")
@click.argument("job_id")
@click.option("--folder", "folder_id", type=int, default=None, help="Create the sheet in this folder (id).")
@click.option(
    "--workspace", "workspace_id", type=int, default=None, help="Create the sheet at the top of this workspace (id)."
)
@click.option("--name", default=None, help="Sheet name; default: the name in ProcessConfig.")
@click.option("--force", is_flag=True, help="Create a new sheet even if the process already has one.")
@click.option("--actor", default=None, help="Who is making the change (audit); default: the OS user.")
def create(
    job_id: str, folder_id: int | None, workspace_id: int | None, name: str | None, force: bool, actor: str | None
) -> None:
    """Create JOB_ID's target sheet with its columns typed and store its id and name in ProcessConfig.

    Columns: the process's mapped columns, the key column first and primary; dates as DATE, numbers
    in TEXT_NUMBER (Smartsheet has no separate number type). Needs SMARTSHEET_ACCESS_TOKEN
    (and SMARTSHEET_API_BASE outside the default region). Refuses when the process already has a
    sheet, unless --force.
    """
    from smartbind_pipelines.core.doctor import connect_smartsheet, env_secrets, redact
    from smartbind_pipelines.core.process_config import ProcessConfigStore, default_db_path
    from smartbind_pipelines.core.processes import get_process

    if folder_id is not None and workspace_id is not None:
        raise click.UsageError("give --folder or --workspace, not both")
    env = dict(os.environ)
    if not env.get("SMARTSHEET_ACCESS_TOKEN", "").strip():
        raise click.ClickException("SMARTSHEET_ACCESS_TOKEN is not set; run `smartbind doctor`")
    # The SDK logs every refusal as raw JSON on stderr; the one-line error below says it all.
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)
    store = ProcessConfigStore(default_db_path(env), env=env)
    gateway = connect_smartsheet(env)
    try:
        updated, sheet = create_process_sheet(
            store, gateway, job_id, name=name, folder_id=folder_id, workspace_id=workspace_id, force=force, actor=actor
        )
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - an operator sees one line, never a traceback or a token
        from smartbind_pipelines.core.doctor import smartsheet_error_parts

        status, code, message = smartsheet_error_parts(exc)
        raise click.ClickException(
            redact(
                f"Smartsheet refused to create the sheet (HTTP {status}, errorCode {code}): {message}", env_secrets(env)
            )
        ) from None
    click.echo(f"Created sheet {sheet['id']} ({updated.smartsheet_sheet_name})")
    if sheet.get("permalink"):  # Smartsheet's link; in the sandbox, the emulator's page of the sheet
        click.echo(f"Open it: {sheet['permalink']}")
    click.echo(f"Columns: {_column_summary(get_process(job_id, env).mapping)}")
    click.echo(f"ProcessConfig {job_id}: smartsheet_sheet_id={updated.smartsheet_sheet_id} (audited, via cli)")
    click.echo(f"Next: `smartbind doctor`, then a dry run: `smartbind sync {job_id} --dry-run`.")
