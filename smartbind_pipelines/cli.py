"""The ``smartbind`` command."""

from __future__ import annotations

import click

from smartbind_pipelines.commands.sandbox import sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """smartbind: keep Smartsheet sheets in step with Bind ERP."""


main.add_command(sandbox)


if __name__ == "__main__":
    main()
