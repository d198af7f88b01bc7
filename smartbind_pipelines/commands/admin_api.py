"""`smartbind admin-api`: serve the admin API (ProcessConfig REST and the old middleware's doors) with uvicorn."""

from __future__ import annotations

import os

import click

from smartbind_pipelines.commands.config import db_path_option


@click.command("admin-api")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@db_path_option
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def admin_api(host: str, port: int, db_path: str, log_level: str) -> None:
    """Serve the admin API: /api/admin/process-configs, and the old middleware's /api/admin/jobs, history,
    stats and /admin page, backed by Dagster (bearer token from SMARTBIND_ADMIN_TOKEN).

    The old doors read the Dagster instance under DAGSTER_HOME and launch runs through the webserver's
    GraphQL API (SMARTBIND_DAGSTER_GRAPHQL_URL, default SMARTBIND_DAGSTER_URL + /graphql). Refuses to start
    when SMARTBIND_ADMIN_TOKEN is unset or empty.
    """
    import uvicorn

    from smartbind_pipelines.api import ADMIN_TOKEN_ENV, API_BUSY_TIMEOUT_SECONDS, AdminTokenMissing, create_app
    from smartbind_pipelines.core.process_config import ProcessConfigStore, ProcessConfigUnavailable

    try:
        # Checked before the store is opened so a misconfigured start touches nothing.
        admin_token = os.environ.get(ADMIN_TOKEN_ENV, "")
        if not admin_token.strip():
            raise AdminTokenMissing()
        # A request waits at most API_BUSY_TIMEOUT_SECONDS for another writer, then gets a 503.
        app = create_app(ProcessConfigStore(db_path, busy_timeout=API_BUSY_TIMEOUT_SECONDS), admin_token)
    except (AdminTokenMissing, ProcessConfigUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"smartbind admin API on http://{host}:{port} (ProcessConfig file {db_path})", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
