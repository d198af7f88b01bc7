"""`smartbind sandbox`: both emulators on loopback, printed as shell `export` lines."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import click


@click.command()
@click.option("--bind-port", default=8701, show_default=True, help="Bind ERP emulator port (0 = any free port).")
@click.option("--smartsheet-port", default=8702, show_default=True, help="Smartsheet emulator port (0 = any).")
@click.option("--seed", default=7, show_default=True, help="Seed of the deterministic demo data.")
@click.option("--invoices", default=250, show_default=True, help="Demo invoices to create in Bind.")
@click.option(
    "--activity-seconds",
    default=0.0,
    show_default=True,
    help="Every N seconds play a business event in Bind (new invoice, stamp, payment, "
    "cancellation); 0 keeps the data still.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the export lines to this file (written last, once both emulators answer).",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the emulators' state (Bind data, sheets, ids, rows, tokens) in this file: loaded at "
    "start when it exists, written on change and at exit. Delete it to start over.",
)
def sandbox(
    bind_port: int,
    smartsheet_port: int,
    seed: int,
    invoices: int,
    activity_seconds: float,
    env_file: Path | None,
    state_file: Path | None,
) -> None:
    """Start the Bind ERP and Smartsheet emulators on 127.0.0.1 until interrupted.

    Prints the environment that points the pipeline at them as `export` lines: paste them into another
    shell, or pass --env-file and `source` that file. Each emulator's admin API (faults, latency, rate
    limit, request counts, business events) lives under http://127.0.0.1:PORT/_sandbox/ (see docs/sandbox.md);
    its pages to watch under http://127.0.0.1:PORT/_sandbox/view/. With --state-file, a restart resumes
    where the last run stopped (same sheets, ids, rows and tokens).
    """
    from smartbind_pipelines.sandbox.runner import Sandbox, export_lines
    from smartbind_pipelines.sandbox.snapshot import SandboxSnapshotError

    try:
        box = Sandbox(
            bind_port=bind_port, smartsheet_port=smartsheet_port, seed=seed, invoices=invoices, state_file=state_file
        )
        box.start()
    except SandboxSnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a port in use, named
        raise click.ClickException(f"the sandbox could not start: {exc.strerror or exc}") from None
    if activity_seconds > 0:
        box.start_business_activity(activity_seconds)
    exports = export_lines(box.env())
    pages = box.page_urls()
    click.echo(f"# Bind ERP emulator:   {box.bind_url}  (invoices and events: {pages['bind']})")
    click.echo(f"# Smartsheet emulator: {box.smartsheet_url}  (sheets: {pages['sheets']})")
    if state_file is not None:
        click.echo(f"# State: {'resumed from' if box.resumed else 'new, kept in'} {state_file}")
    click.echo(exports, nl=False)
    if env_file is not None:
        env_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = env_file.with_suffix(".tmp")
        tmp.write_text(exports)
        os.chmod(tmp, 0o600)
        tmp.replace(env_file)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    box.stop()
