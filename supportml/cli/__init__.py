"""The `supportml` command: parse options, call the library, turn its errors into one-line messages.

Human-readable results go to stdout, progress and timings to stderr, and ``--json`` prints exactly
one JSON object on stdout for scripts. Each submodule holds one family of commands and is imported
only when one of its commands runs, so `supportml db status` does not pay for scikit-learn.
"""

from __future__ import annotations

import importlib

import click

from supportml import __version__

COMMANDS = {
    "train": "supportml.cli.train:train",
    "retrain-schedule": "supportml.cli.train:retrain_schedule",
    "evaluate": "supportml.cli.model:evaluate",
    "predict": "supportml.cli.model:predict",
    "model": "supportml.cli.model:model",
    "docs": "supportml.cli.docs:docs",
    "db": "supportml.cli.store:db",
    "import": "supportml.cli.store:import_",
    "classify": "supportml.cli.classify:classify",
    "export": "supportml.cli.store:export",
    "report": "supportml.cli.report:report",
    "digest": "supportml.cli.report:digest",
    "digest-schedule": "supportml.cli.report:digest_schedule",
    "serve": "supportml.cli.serve:serve",
    "replay": "supportml.cli.serve:replay",
    "teams": "supportml.cli.teams:teams",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="supportml")
def cli() -> None:
    """Track, categorise and report support requests that arrive in Slack.

    \b
    Examples (a quick start on the bundled sample data):
      supportml train --data datasets/sample_requests.csv
      supportml predict "my deploy to staging failed with exit code 137"
      supportml import slack-export export.zip --channel platform-support
      supportml classify
      supportml report --format html --out reports/report.html
      supportml serve --channel platform-support      (needs the Slack app: see README)
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="supportml")
