"""`smartbind doctor`: check settings, credentials and target sheets before the first real sync."""

from __future__ import annotations

import os
import sys

import click


@click.command()
def doctor() -> None:
    """Check every setting, reach Bind and Smartsheet, and inspect each active process's sheet.

    Prints one line per check (✓ or ✗, with what to do when it fails) and exits with status 1 when
    any check fails. Read-only: nothing is written to Bind or Smartsheet. Tokens are never printed,
    only their length.
    """
    from smartbind_pipelines.core.doctor import env_secrets, examine, redact

    env = dict(os.environ)
    secrets = env_secrets(env)
    results = examine(env)
    for result in results:
        click.echo(redact(result.line(), secrets))
    failures = sum(not result.ok for result in results)
    if failures:
        click.echo(f"\n{failures} of {len(results)} checks failed.")
        sys.exit(1)
    click.echo(f"\nAll {len(results)} checks passed.")
