"""Store commands: `db` (schema, status, retention), `import` (history), `export` (training)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from supportml import csvsafe
from supportml.cli._common import (
    clean_errors,
    database_option,
    err,
    key_value_table,
    out,
    parse_moment,
    settings_of,
    stage,
    store_engine,
)
from supportml.config import Settings

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group()
def db() -> None:
    """Create, upgrade and inspect the request store.

    \b
    Examples:
      supportml db upgrade
      supportml db status --json
    """


@db.command("upgrade")
@database_option
@click.pass_context
@clean_errors
def db_upgrade(ctx: click.Context, database_url: str | None) -> None:
    """Apply the store's migrations (an empty database gets the whole schema).

    \b
    Examples:
      supportml db upgrade
      supportml db upgrade --database-url postgresql+psycopg://support@db.internal/supportml
    """
    from supportml.store import current_revision, upgrade

    engine = store_engine(ctx, database_url, create=False)
    before = current_revision(engine)
    after = upgrade(engine)
    verb = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    url = engine.url.render_as_string(hide_password=True)
    out.print(f"{url}: {verb} schema {after}", soft_wrap=True)


@db.command("status")
@database_option
@json_option
@click.pass_context
@clean_errors
def db_status(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """Schema version and rows per table.

    \b
    Examples:
      supportml db status
      supportml db status --json
    """
    from supportml.store import current_revision, repository, transaction

    engine = store_engine(ctx, database_url)
    with transaction(engine) as session:
        counts = repository.table_counts(session)
    payload = {"revision": current_revision(engine), "rows": counts}
    if as_json:
        click.echo(json.dumps(payload))
        return
    out.print(f"schema {payload['revision']}")
    out.print(key_value_table("rows", [(name, f"{n:,}") for name, n in sorted(counts.items())]))


@db.command("prune-events")
@database_option
@click.option(
    "--days", type=click.IntRange(min=1), default=7, show_default=True, help="Keep this many days."
)
@click.pass_context
@clean_errors
def db_prune_events(ctx: click.Context, database_url: str | None, days: int) -> None:
    """Forget processed Slack event ids older than --days (run daily; retries stop after minutes).

    \b
    Examples (the second as a cron entry, every night at 03:00):
      supportml db prune-events --days 7
      0 3 * * *  supportml db prune-events --days 7
    """
    from supportml.store import repository, transaction

    engine = store_engine(ctx, database_url)
    with transaction(engine) as session:
        removed = repository.prune_events(session, datetime.now(UTC) - timedelta(days=days))
    out.print(f"removed {removed:,} event ids older than {days} days")


@db.command("refresh-effort")
@database_option
@click.pass_context
@clean_errors
def db_refresh_effort(ctx: click.Context, database_url: str | None) -> None:
    """Recompute every request's estimated staff time from its stored replies, with the current
    SUPPORTML_EFFORT_REPLY_MINUTES / SUPPORTML_EFFORT_GAP_MINUTES (after changing them).

    \b
    Examples (the second after setting SUPPORTML_EFFORT_GAP_MINUTES=20 in the environment):
      supportml db refresh-effort --database-url postgresql+psycopg://supportml@db/supportml
      supportml db refresh-effort
    """
    from supportml.store import repository, transaction

    model = settings_of(ctx).effort_model
    engine = store_engine(ctx, database_url)
    with transaction(engine) as session:
        done = repository.refresh_effort(session, repository.requests_with_replies(session), model)
    out.print(f"recomputed the effort of {done:,} requests ({model.describe()})")


@click.group("import")
def import_() -> None:
    """Import history: a tracking spreadsheet, a Slack export, a topic map.

    \b
    Examples:
      supportml import spreadsheet datasets/sample_tracking_sheet.csv --workspace T0SYNTH01
      supportml import slack-export export.zip --channel platform-support
      supportml import topics-map datasets/topics_map.example.yaml
    """


def _cleaner(settings: Settings) -> Callable[[str], str]:
    """Slack mrkdwn to plain text, then PII redaction as configured: what the store keeps."""
    from supportml.text import store_text

    redactor = settings.redactor
    return lambda raw: store_text(raw, redactor)


def _run_import(
    ctx: click.Context,
    database_url: str | None,
    kind: str,
    source: Path,
    items: Iterable[Any],
    as_json: bool,
) -> None:
    from supportml.ingest.load import import_records
    from supportml.store import repository, transaction

    settings = settings_of(ctx)
    clean = _cleaner(settings)
    engine = store_engine(ctx, database_url)
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"importing {source.name}", total=None)
        summary = import_records(
            engine, kind, str(source), items, clean,
            advance=lambda n: progress.advance(task, n), effort=settings.effort_model,
        )  # fmt: skip
    with transaction(engine) as session:
        unclassified = repository.unclassified_count(session)
    payload = summary.to_dict() | {"unclassified": unclassified}
    if as_json:
        click.echo(json.dumps(payload))
        return
    err.print(
        f"[green]✓[/green] {source}: {summary.read:,} read in {summary.seconds:.2f} s "
        f"({summary.read / max(summary.seconds, 1e-9):,.0f}/s)"
    )
    table = Table(title="import summary", title_justify="left", box=None, pad_edge=False)
    for column in ("", "rows", "e.g."):
        table.add_column(column, justify="right" if column == "rows" else "left")
    table.add_row("read", f"{summary.read:,}", "")
    table.add_row("imported", f"{summary.imported:,}", "")
    table.add_row("duplicate", f"{summary.duplicate:,}", "")
    table.add_row("  filled in missing fields", f"{summary.enriched:,}", "", style="dim")
    if summary.replies:
        table.add_row("thread replies stored", f"{summary.replies:,}", "")
    if summary.merged:
        closest = f" ({summary.merged_closest:,} matched several; took the closest)"
        table.add_row(
            "  merged with an exported message" + (closest if summary.merged_closest else ""),
            f"{summary.merged:,}",
            summary.merged_examples[0],
            style="dim",
        )
    table.add_row("skipped", f"{sum(summary.skipped.values()):,}", "")
    for reason, n in summary.skipped.most_common():
        table.add_row(f"  {reason}", f"{n:,}", summary.examples[reason][0], style="dim")
    out.print(table)
    if unclassified:
        command = "supportml classify"
        if database_url:
            command += f" --database-url {engine.url.render_as_string(hide_password=True)}"
        out.print(
            f"{unclassified:,} stored requests have no topic yet; next, run: "
            f"[bold]{escape(command)}[/bold]",
            soft_wrap=True,
        )


workspace_option = click.option(
    "--workspace",
    help="Slack workspace (team) id to file requests under; use the same one for every source "
    "so a request seen in a sheet and in an export is one row.",
)


@import_.command("spreadsheet")
@click.argument("sheet", type=click.Path(path_type=Path))
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Which column holds which field (repeatable). Fields: external_id, requester, "
    "created_at, requester_team, topic, text, permalink, first_response_at.",
)
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file.")
@click.option("--delimiter", help="Field separator: ',' (default), ';', '|' or 'tab'.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="Zone of dates written without one."
)
@click.option("--dayfirst", is_flag=True, help="Read 03/04/2026 as 3 April, not March 4.")
@click.option(
    "--strict", is_flag=True, help="Stop at the first unreadable row instead of skipping."
)
@workspace_option
@database_option
@json_option
@click.pass_context
@clean_errors
def import_spreadsheet(
    ctx: click.Context,
    sheet: Path,
    pairs: tuple[str, ...],
    encoding: str,
    delimiter: str | None,
    timezone: str,
    dayfirst: bool,
    strict: bool,
    workspace: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Import the manual tracking sheet teams keep today (CSV).

    Columns are matched by their usual names (Ticket ID, Submitted by, Date, Team, Topic,
    Summary, Link, First reply time); --map names others. Rows with a Slack link are keyed by
    that message, so the sheet and a Slack export of the same channel never double count.

    
    Examples:
      supportml import spreadsheet datasets/sample_tracking_sheet.csv --workspace T0SYNTH01
      supportml import spreadsheet tracker.csv --map "Request=text" --map "Opened=created_at"
      supportml import spreadsheet export.csv --delimiter ';' --encoding cp1252 --dayfirst
    """
    from supportml.ingest.spreadsheet import parse_map, read_spreadsheet

    items = read_spreadsheet(
        sheet,
        parse_map(pairs) if pairs else None,
        encoding=encoding,
        delimiter=delimiter,
        timezone=timezone,
        workspace=workspace or "default",
        dayfirst=dayfirst,
        strict=strict,
    )
    _run_import(ctx, database_url, "spreadsheet", sheet, items, as_json)


@import_.command("slack-export")
@click.argument("export_path", metavar="EXPORT", type=click.Path(path_type=Path))
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help="Support channel to import, by name (repeatable).",
)
@click.option(
    "--response-reaction",
    multiple=True,
    help="Reaction that counts as a first response (repeatable)  [default: eyes]",
)
@click.option(
    "--resolution-reaction",
    multiple=True,
    help="Reaction that marks a request resolved (repeatable)  "
    "[default: white_check_mark, heavy_check_mark]",
)
@click.option(
    "--resolution-keyword",
    multiple=True,
    help="Reply phrase that marks a request resolved (repeatable)  [default: resolved, "
    "fixed now, closing this, …]",
)
@click.option(
    "--max-bytes",
    help="Refuse a zip that expands to more than this (2GiB, 500MiB, bytes)  "
    "[default: SUPPORTML_EXPORT_MAX_BYTES or 2GiB]",
)
@click.option(
    "--max-members",
    type=click.IntRange(min=1),
    help="Refuse a zip with more files than this  "
    "[default: SUPPORTML_EXPORT_MAX_MEMBERS or 100000]",
)
@click.option(
    "--max-ratio",
    type=click.FloatRange(min=1),
    help="Refuse a zip member compressed more than this many to one  "
    "[default: SUPPORTML_EXPORT_MAX_RATIO or 100]",
)
@workspace_option
@database_option
@json_option
@click.pass_context
@clean_errors
def import_slack_export(
    ctx: click.Context,
    export_path: Path,
    channels: tuple[str, ...],
    response_reaction: tuple[str, ...],
    resolution_reaction: tuple[str, ...],
    resolution_keyword: tuple[str, ...],
    max_bytes: str | None,
    max_members: int | None,
    max_ratio: float | None,
    workspace: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Import a standard Slack workspace export (.zip or its folder).

    Top-level human messages and Workflow Builder form posts become requests; threads give the
    first response and the resolution; joins, bot chatter, edits and replies are counted, not
    imported. Re-running adds nothing. A zip that would expand too far (size, file count,
    compression ratio) is refused before anything is read.

    
    Examples:
      supportml import slack-export export.zip --channel platform-support
      supportml import slack-export export/ --channel platform-support --channel devops-help \
          --response-reaction eyes --resolution-reaction complete
    """
    from supportml.config import parse_bytes
    from supportml.ingest.slack_export import ExportOptions, ZipLimits, read_slack_export

    settings = settings_of(ctx)
    limits = ZipLimits(
        max_bytes=settings.export_max_bytes
        if max_bytes is None
        else parse_bytes(max_bytes, "--max-bytes"),
        max_members=max_members or settings.export_max_members,
        max_ratio=max_ratio or settings.export_max_ratio,
    )
    defaults = ExportOptions()
    options = ExportOptions(
        response_reactions=frozenset(response_reaction) or defaults.response_reactions,
        resolution_reactions=frozenset(resolution_reaction) or defaults.resolution_reactions,
        resolution_keywords=resolution_keyword or defaults.resolution_keywords,
        workspace=workspace,
        limits=limits,
    )
    items = read_slack_export(export_path, channels, options)
    _run_import(ctx, database_url, "slack-export", export_path, items, as_json)


@import_.command("topics-map")
@click.argument("map_file", type=click.Path(path_type=Path))
@database_option
@click.pass_context
@clean_errors
def import_topics_map(ctx: click.Context, map_file: Path, database_url: str | None) -> None:
    """Rename/merge historical topic labels (`old: new` YAML) and keep the map for later imports.

    \b
    Examples:
      supportml import topics-map datasets/topics_map.example.yaml
    """
    from supportml.ingest.topics_map import read_topic_map
    from supportml.store import repository, transaction

    topic_map = read_topic_map(map_file)
    engine = store_engine(ctx, database_url)
    with transaction(engine) as session:
        if repository.has_topic_map(session, topic_map.sha256):
            out.print(f"{map_file}: this map was applied before; nothing to do", soft_wrap=True)
            return
        changed = repository.apply_topic_map(
            session, topic_map.name, topic_map.sha256, topic_map.mapping
        )
    out.print(
        f"{map_file}: {len(topic_map.mapping)} renames, {changed:,} stored labels changed; "
        "later imports get this map too",
        soft_wrap=True,
    )


@click.group()
def export() -> None:
    """Export data from the store.

    \b
    Examples:
      supportml export training --out history.csv
    """


@export.command("training")
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), help="CSV file.")
@click.option("--since", help="Only requests created on or after this date (2026-03-01).")
@database_option
@json_option
@click.pass_context
@clean_errors
def export_training(
    ctx: click.Context, out_path: Path, since: str | None, database_url: str | None, as_json: bool
) -> None:
    """Write people-labelled requests as a CSV that `supportml train` reads.

    Human- and form-confirmed topics come first, imported labels next; the model's own
    unconfirmed guesses and deleted requests are never exported.

    \b
    Examples (export, then train on the file):
      supportml export training --out history.csv --since 2026-01-01
      supportml train --data history.csv
    """
    from supportml.store import repository, transaction

    start = parse_moment(since, "--since")  # before the file is opened: a bad date writes nothing
    engine = store_engine(ctx, database_url)
    fields = ["id", "created_at", "channel", "requester_team", "text", "topic", "label_source"]
    written = 0
    with stage(f"export to {out_path}"), transaction(engine) as session:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with out_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csvsafe.Writer(handle)
            writer.writerow(fields)
            for request in session.scalars(repository.labelled_requests(start)):
                writer.writerow(
                    [
                        f"{request.workspace}/{request.channel}/{request.ts}",
                        request.created_at.isoformat(),
                        request.channel,
                        request.requester_team or "",
                        request.text,
                        request.final_topic,
                        request.label_source,
                    ]
                )
                written += 1
    if as_json:
        click.echo(json.dumps({"rows": written, "out": str(out_path)}))
    else:
        out.print(f"wrote {written:,} labelled requests to {out_path}")
