"""`smartbind --help` lists what each command does without cutting it short (issue 18)."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from smartbind_pipelines.cli import main


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
