"""`teams check`: who is on support for each owning team, and what is wrong with the file."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from supportml.cli._common import clean_errors, err, out, parse_moment, settings_of
from supportml.errors import UserError

EXIT_FINDINGS = 1  # the file loads, but lint found problems


@click.group()
def teams() -> None:
    """The ownership file: topics -> owning teams -> who is on support (see README "Teams").

    \b
    Examples:
      supportml teams check datasets/teams.example.yaml
      supportml serve --channel platform-support --teams teams.yaml
    """


@teams.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--topics-from",
    "model_ref",
    help="Model whose topics the file's topics are checked against (a models/ directory or "
    "models:/supportml-topic@champion)  [default: $SUPPORTML_MODEL or models/supportml-topic, "
    "when it exists]",
)
@click.option("--at", "at", help="Who is on support at this time (ISO; UTC without a zone)  "
              "[default: now]")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@clean_errors
def check(ctx: click.Context, file: Path, model_ref: str | None, at: str | None,
          as_json: bool) -> None:  # fmt: skip
    """Validate an ownership file, print who is on support now per team, and lint it.

    Lint findings: a topic the model does not know, a team with nobody on its rotation, and a
    person on support for two teams at once within the coming weeks (up to a year, until
    every rotation has come round). Exit code 0: clean; 1: lint findings; 2: the file is
    invalid (every problem listed, one line each, naming its line and field).

    \b
    Examples:
      supportml teams check datasets/teams.example.yaml
      supportml teams check teams.yaml --at 2026-12-24T10:00+01:00
      supportml teams check teams.yaml --topics-from models:/supportml-topic@champion --json
    """
    from supportml.ownership import load_ownership

    moment = parse_moment(at, "--at") or datetime.now(UTC)
    owners = load_ownership(file)
    known, note = _known_topics(ctx, model_ref)
    findings = owners.lint(known, since=moment)
    rows = []
    for name in owners.teams:
        team = owners.team(name)
        assert team is not None
        rows.append(
            {
                "team": name,
                "on_support": owners.on_support(name, moment),
                "user_group": team.user_group,
                "topics": list(team.topics),
            }
        )
    if as_json:
        click.echo(json.dumps(
            {"at": moment.isoformat(), "teams": rows, "findings": findings, "note": note}
        ))  # fmt: skip
    else:
        table = Table(title=f"on support at {moment.isoformat()}", title_justify="left")
        for column in ("team", "on support", "user group", "topics"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                escape(str(row["team"])),
                str(row["on_support"] or "nobody"),
                str(row["user_group"] or ""),
                escape(", ".join(row["topics"])),  # type: ignore[arg-type]
            )
        out.print(table)
        if note:
            err.print(f"[yellow]note:[/yellow] {escape(note)}", soft_wrap=True)
        for finding in findings:
            out.print(f"[yellow]lint:[/yellow] {escape(finding)}", soft_wrap=True)
        if not findings:
            out.print("no lint findings")
    if findings:
        sys.exit(EXIT_FINDINGS)


def _known_topics(ctx: click.Context, model_ref: str | None) -> tuple[list[str] | None, str]:
    """The model's topics from its card, or None with why topics were not checked: a model
    asked for by name must load, the default one only when it is there."""
    from supportml.cli.model import model_card

    try:
        return list(model_card(model_ref, settings_of(ctx)).labels), ""
    except UserError:
        if model_ref is not None:
            raise
        return None, "no model found, topics not checked (pass --topics-from)"
