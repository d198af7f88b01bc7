"""`smartbind config`: read and change ProcessConfig from a shell.

Every change goes through ProcessConfigStore.update, so the CLI validates exactly as the API and the
Dagster job do, and leaves an audit entry (via "cli", actor = --actor or the OS user).
"""

from __future__ import annotations

import getpass
import json
import os
import re

import click

from smartbind_pipelines.core.process_config import (
    DB_PATH_ENV,
    DEFAULT_DB_PATH,
    ConfigValidationError,
    ProcessConfig,
    ProcessConfigStore,
)
from smartbind_pipelines.core.process_config.hours import describe as describe_hours

_INTEGER = re.compile(r"^[+-]?\d+$")

# The ProcessConfig SQLite file, for every command that opens it (`config`, `admin-api`).
db_path_option = click.option(
    "--db-path",
    envvar=DB_PATH_ENV,
    default=DEFAULT_DB_PATH,
    show_default=True,
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help="ProcessConfig SQLite file.",
)


def _store(ctx: click.Context) -> ProcessConfigStore:
    return ProcessConfigStore(ctx.obj["db_path"])


def _fail(exc: ConfigValidationError) -> click.ClickException:
    return click.ClickException(str(exc))


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return None


@click.group("config")
@db_path_option
@click.pass_context
def config(ctx: click.Context, db_path: str) -> None:
    """Show and change per-process settings (sheet id, interval, active, operating hours) without a deploy."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = db_path


@config.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """A table of every process."""
    configs = _store(ctx).list()
    header = ("JOB_ID", "ACTIVE", "EVERY", "HOURS", "SHEET_ID", "SHEET_NAME", "FLOW", "UPDATED_AT")
    rows = [
        (
            c.job_id,
            "yes" if c.is_active else "no",
            f"{c.interval_minutes} min",
            describe_hours(c.operating_hours),
            c.smartsheet_sheet_id or "-",
            c.smartsheet_sheet_name or "-",
            f"{c.source_system} -> {c.target_system} ({c.sync_direction})",
            c.updated_at,
        )
        for c in configs
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@config.command("show")
@click.argument("job_id")
@click.pass_context
def show(ctx: click.Context, job_id: str) -> None:
    """One process as JSON (effective values: environment fallbacks applied), with its sync state.

    "sync_state" is what sync_state.db (beside the ProcessConfig file) holds for the process: watermark,
    drafts followed, refused ids, the followed set's size (invoices), the warehouse names (inventory); null until
    a run records it.
    """
    found = _store(ctx).get(job_id)
    if found is None:
        raise click.ClickException(f"job_id: unknown process {job_id!r}: no ProcessConfig row exists")
    shown = {**found.to_dict(), "sync_state": _sync_state(ctx.obj["db_path"], job_id)}
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def _sync_state(db_path: str, job_id: str) -> dict | None:
    from smartbind_pipelines.core.sync_state import SyncStateError, read_stored

    try:
        stored = read_stored(db_path, job_id)
    except SyncStateError as exc:  # the config is still worth showing
        return {"error": str(exc)}
    return stored.summary() if stored else None


@config.command("set")
@click.argument("job_id")
@click.option("--interval-minutes", help="Run every N minutes (1..1440).")
@click.option("--sheet-id", help='Smartsheet sheet id (digits); "" clears it (environment fallback applies).')
@click.option("--sheet-name", help="Smartsheet sheet name (informational).")
@click.option("--active/--inactive", "is_active", default=None, help="Resume or pause the process.")
@click.option(
    "--hours",
    help="Operating hours, Mexico City time: a daily window HH:MM-HH:MM (22:00-06:00 crosses "
    'midnight; end 24:00 = end of day), optionally followed by weekdays; "always" removes '
    "the window (runs day and night).",
)
@click.option(
    "--days",
    help="Weekdays of the operating hours: mon-fri, mon,wed,fri, sat-sun, all. Without --hours "
    "it changes only the days of the current window.",
)
@click.option("--name", help="Display name.")
@click.option("--description", help="Description.")
@click.option("--source-system", help="bind or smartsheet.")
@click.option("--target-system", help="bind or smartsheet.")
@click.option("--sync-direction", help="pull, push or bidirectional.")
@click.option("--fields-mapping", help='A JSON object, e.g. \'{"warehouse_ids": ["..."]}\'. Replaces the old one.')
@click.option("--actor", default=None, help="Who is making the change (audit); default: the OS user.")
@click.pass_context
def set_(
    ctx: click.Context,
    job_id: str,
    interval_minutes,
    sheet_id,
    sheet_name,
    is_active,
    hours,
    days,
    name,
    description,
    source_system,
    target_system,
    sync_direction,
    fields_mapping,
    actor,
) -> None:
    """Change some fields of JOB_ID; nothing is written unless every field is valid.

    Operating hours: `--hours 08:00-20:00 --days mon-fri`; `--hours always` removes them.
    """
    changes: dict = {}
    if hours is not None or days is not None:
        changes["operating_hours"] = _operating_hours(ctx, job_id, hours, days)
    if interval_minutes is not None:
        # Parsed here, validated by the store, so the message is the same one the API gives.
        changes["interval_minutes"] = (
            int(interval_minutes) if _INTEGER.match(interval_minutes.strip()) else interval_minutes
        )
    options = {
        "smartsheet_sheet_id": sheet_id,
        "smartsheet_sheet_name": sheet_name,
        "is_active": is_active,
        "name": name,
        "description": description,
        "source_system": source_system,
        "target_system": target_system,
        "sync_direction": sync_direction,
    }
    changes.update({field: value for field, value in options.items() if value is not None})
    if fields_mapping is not None:
        try:
            changes["fields_mapping"] = json.loads(fields_mapping)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"fields_mapping: not valid JSON: {exc}") from None
        except RecursionError:
            raise click.ClickException("fields_mapping: nested far too deeply") from None
        except ValueError as exc:  # e.g. an integer beyond Python's digit limit
            raise click.ClickException(f"fields_mapping: {str(exc)[:120]}") from None
    if not changes:
        raise click.UsageError("nothing to change: pass at least one option (see --help)")
    try:
        updated = _store(ctx).update(job_id, changes, via="cli", actor=actor or _os_user())
    except ConfigValidationError as exc:
        raise _fail(exc) from None
    click.echo(_json(updated))


@config.command("history")
@click.argument("job_id")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Entries to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_context
def history(ctx: click.Context, job_id: str, limit: int, as_json: bool) -> None:
    """Changes to JOB_ID, newest first: when, through which face, who, old -> new."""
    try:
        entries = _store(ctx).history(job_id, limit)
    except ConfigValidationError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        who = f"{entry['via']}" + (f" by {entry['actor']}" if entry["actor"] else "")
        click.echo(f"{entry['changed_at']}  {who}")
        for field, new in entry["new"].items():
            new_text = json.dumps(new, ensure_ascii=False)
            if field in entry["old"]:
                click.echo(f"    {field}: {json.dumps(entry['old'][field], ensure_ascii=False)} -> {new_text}")
            else:  # a seeded row has no old value
                click.echo(f"    {field} = {new_text}")


@config.command("restore")
@click.argument("job_id")
@click.option("--actor", default=None, help="Who is restoring it (audit); default: the OS user.")
@click.pass_context
def restore(ctx: click.Context, job_id: str, actor) -> None:
    """Re-create JOB_ID's deleted row from its defaults, PAUSED; resume it with `set JOB_ID --active`.

    Defaults are seeded once, when the file is created: a deleted row stays deleted (its sensor skips with
    "no ProcessConfig row") until it is restored here.
    """
    store = _store(ctx)
    if store.get(job_id) is not None:
        raise click.ClickException(f"job_id: {job_id} has a ProcessConfig row; nothing to restore")
    defaults = _defaults_of(job_id)
    if defaults is None:
        raise click.ClickException(f"job_id: unknown process {job_id!r}: smartbind ships no defaults for it")
    click.echo(_json(store.restore(defaults, via="cli", actor=actor or _os_user())))


def _operating_hours(ctx: click.Context, job_id: str, hours: str | None, days: str | None):
    """--hours/--days as the value the store validates (its message names operating_hours)."""
    if days is not None and not days.strip():
        raise click.ClickException("operating_hours: --days must name at least one weekday, e.g. mon-fri")
    if hours is not None:
        if hours.strip().lower() == "always":
            if days is not None:
                raise click.ClickException("operating_hours: --days needs a window; --hours always removes it")
            return None
        return f"{hours.strip()} {days.strip()}" if days is not None else hours
    current = _store(ctx).get(job_id)
    if current is None:
        raise click.ClickException(f"job_id: unknown process {job_id!r}: no ProcessConfig row exists")
    if current.operating_hours is None:
        raise click.ClickException(f"operating_hours: {job_id} has no operating hours yet; give --hours with --days")
    return {**current.operating_hours, "days": days}


def _defaults_of(job_id: str) -> dict | None:
    from smartbind_pipelines.core.processes import get_process

    process = get_process(job_id, os.environ)
    return process.default_row(os.environ) if process else None


def _json(config: ProcessConfig) -> str:
    return json.dumps(config.to_dict(), ensure_ascii=False, indent=2)
