"""The ``smartbind`` command."""

from __future__ import annotations

import inspect

import click

from smartbind_pipelines.commands.admin_api import admin_api
from smartbind_pipelines.commands.config import config
from smartbind_pipelines.commands.doctor import doctor
from smartbind_pipelines.commands.sandbox import sandbox
from smartbind_pipelines.commands.sheets import sheets
from smartbind_pipelines.commands.sync import sync


class _Main(click.Group):
    """Turns a ProcessConfig file that cannot be used into one line naming the file and the problem."""

    def invoke(self, ctx: click.Context):
        from smartbind_pipelines.core.process_config import ProcessConfigUnavailable

        try:
            return super().invoke(ctx)
        except ProcessConfigUnavailable as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """smartbind: keep Smartsheet sheets in step with Bind ERP."""


main.add_command(sandbox)
main.add_command(admin_api)
main.add_command(config)
main.add_command(doctor)
main.add_command(sheets)
main.add_command(sync)


def _untruncated_short_help(group: click.Group) -> None:
    """Command lists show each command's whole first paragraph, wrapped, instead of click's default of
    about 45 characters cut with "..." (which hid what `admin-api`, `config` or `sync` do)."""
    for command in group.commands.values():
        if not command.short_help and command.help:
            paragraph = inspect.cleandoc(command.help).split("\n\n")[0]
            command.short_help = " ".join(paragraph.split())
        if isinstance(command, click.Group):
            _untruncated_short_help(command)


_untruncated_short_help(main)


if __name__ == "__main__":
    main()
