"""Every command's --help ends in runnable examples, including commands added later."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from supportml.cli import cli

# An "Examples…:" heading followed (after blank lines) by an indented `supportml …` line.
EXAMPLES = re.compile(r"^ *Examples\b[^\n]*:\n(?: *\n)*(?: +supportml \S)", re.MULTILINE)


def command_paths(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The root, every group and every command below it, as the words that invoke them."""
    yield path
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=" ".join(("supportml", *path)))
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from command_paths(sub, (*path, name))


PATHS = list(command_paths(cli))


def test_the_walk_reaches_nested_commands() -> None:
    assert {(), ("train",), ("db",), ("db", "status"), ("import", "slack-export")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(("supportml", *path)))
def test_help_has_examples(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert EXAMPLES.search(result.output), result.output
