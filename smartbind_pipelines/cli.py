"""The ``smartbind`` command."""

from __future__ import annotations

import click

from smartbind_pipelines.commands.sandbox import sandbox
from smartbind_pipelines.commands.admin_api import admin_api
from smartbind_pipelines.commands.config import config
from smartbind_pipelines.commands.doctor import doctor
from smartbind_pipelines.commands.sheets import sheets
from smartbind_pipelines.commands.sync import sync


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """smartbind: keep Smartsheet sheets in step with Bind ERP."""


main.add_command(sandbox)
main.add_command(admin_api)
main.add_command(config)
main.add_command(doctor)
main.add_command(sheets)
main.add_command(sync)


if __name__ == "__main__":
    main()
