"""`classify`: give the stored history the current model's topics (people's labels stay)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from supportml.cli._common import (
    clean_errors,
    database_option,
    err,
    load_teams,
    out,
    parse_moment,
    settings_of,
    store_engine,
    teams_option,
)
from supportml.cli.model import model_option, resolve_model

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Engine

    from supportml.store.repository import ClassifySummary
    from supportml.suggest import Suggester


def classify_store(
    engine: Engine,
    suggester: Suggester,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = 5000,
    dry_run: bool = False,
    confusion: Mapping[str, Mapping[str, int]] | None = None,
) -> ClassifySummary:
    """`repository.classify_requests` under a progress bar on stderr (also used by `train`)."""
    from supportml.store.repository import classify_requests

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"classify with model {suggester.model_version}", total=None)
        return classify_requests(
            engine,
            suggester,
            since=since,
            until=until,
            batch_size=batch_size,
            dry_run=dry_run,
            confusion=confusion,
            total=lambda n: progress.update(task, total=n),
            advance=lambda n: progress.advance(task, n),
        )


def print_summary(summary: ClassifySummary, teams: bool = False) -> None:
    """The run's counts as a small table, skipped rows by reason."""
    verb = "dry run with" if summary.dry_run else "classified with"
    out.print(f"{verb} model {summary.model_version} in {summary.seconds:.2f} s")
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("classified (confident topic)", f"{summary.classified:,}")
    table.add_row("abstained (model unsure)", f"{summary.abstained:,}")
    table.add_row("unchanged (already done by this model)", f"{summary.unchanged:,}")
    table.add_row("skipped", f"{sum(summary.skipped.values()):,}")
    for reason, n in sorted(summary.skipped.items(), key=lambda item: -item[1]):
        table.add_row(f"  {reason}", f"{n:,}", style="dim")
    if teams:
        table.add_row("assigned to their topic's team", f"{summary.assigned:,}")
    out.print(table)
    if summary.dry_run:
        out.print("dry run: nothing was written")


@click.command()
@click.option("--since", help="Only requests created on or after this date (2026-03-01).")
@click.option("--until", help="Only requests created before this date.")
@model_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="Requests predicted and committed together (a killed run keeps finished batches).",
)
@click.option("--dry-run", is_flag=True, help="Predict and count, write nothing.")
@teams_option
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@clean_errors
def classify(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    model_ref: str | None,
    batch_size: int,
    dry_run: bool,
    teams_file: Path | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Give every stored request nobody labelled the model's topic, so reports count them all.

    A topic people gave (buttons, forms, an imported sheet) is never replaced. Requests the
    model already classified with this model version are left as they are, so re-running is
    cheap and an interrupted run picks up where it stopped; a newer model replaces only the
    older model's suggestions, and every row records the version that made it. A request the
    model is unsure about is counted as "Unclassified (model unsure)" in reports.

    With an ownership file (--teams), every request without a team is then assigned to its
    topic's owning team; a request a person reassigned keeps the team they chose.

    \b
    Examples:
      supportml classify
      supportml classify --since 2026-01-01 --dry-run
      supportml classify --teams datasets/teams.example.yaml
      supportml classify --model models:/supportml-topic@champion --json
      supportml classify --database-url postgresql+psycopg://support@db.internal/supportml
    """
    from supportml.suggest import Suggester

    start, end = parse_moment(since, "--since"), parse_moment(until, "--until")
    if start and end and start >= end:
        raise click.BadParameter("must be after --since", param_hint="--until")
    settings = settings_of(ctx)
    ownership = load_teams(ctx, teams_file)
    classifier, card = resolve_model(model_ref, settings)
    engine = store_engine(ctx, database_url)
    suggester = Suggester.from_card(classifier, card, redactor=settings.redactor)
    summary = classify_store(
        engine,
        suggester,
        since=start,
        until=end,
        batch_size=batch_size,
        dry_run=dry_run,
        confusion=card.confusion,
    )
    if ownership is not None:
        from supportml.store import transaction
        from supportml.store.repository import assign_owning_teams

        with transaction(engine) as session:
            summary.assigned = assign_owning_teams(session, ownership.team_for, dry_run)
    if as_json:
        click.echo(json.dumps(summary.to_dict()))
    else:
        print_summary(summary, teams=ownership is not None)
