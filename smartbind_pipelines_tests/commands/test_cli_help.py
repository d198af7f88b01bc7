"""`smartbind --help` lists what each command does without cutting it short (issue 18)."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main
from smartbind_pipelines.core.process_config import DB_PATH_ENV, DEFAULT_DB_PATH


def _groups(group: click.Group, path=()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _groups(command, (*path, name))


@pytest.mark.parametrize(
    "path,group", list(_groups(main)), ids=lambda value: " ".join(value) if isinstance(value, tuple) else ""
)
def test_command_lists_show_each_first_paragraph_whole(path, group):
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:", 1)[1]
    flat = " ".join(listing.split())
    assert "..." not in listing
    for name, command in group.commands.items():
        first = " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())
        assert f"{name} {first}" in flat, name


@pytest.mark.parametrize("command", ["config", "admin-api"])
def test_every_command_that_opens_process_config_takes_the_same_db_path_option(command):
    """`config` and `admin-api` share one declaration of --db-path: same env var, default and help."""
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    help_text = " ".join(result.output.split())
    assert (
        f"--db-path FILE ProcessConfig SQLite file. [env var: {DB_PATH_ENV}; default: {DEFAULT_DB_PATH}]" in help_text
    )
