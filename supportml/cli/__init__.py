"""The `supportml` command: parse options, call the library, turn its errors into one-line messages.

Human-readable results go to stdout, progress and timings to stderr, and ``--json`` prints exactly
one JSON object on stdout for scripts. Each submodule registers one family of commands.
"""

from __future__ import annotations

import click

from supportml import __version__
from supportml.cli import model, store


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="supportml")
def cli() -> None:
    """Track, categorise and report support requests that arrive in Slack.

    \b
    Quick start on the bundled sample data:
      supportml train --data datasets/sample_requests.csv
      supportml predict "my deploy to staging failed with exit code 137"
    """


for command in (*model.COMMANDS, *store.COMMANDS):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="supportml")
