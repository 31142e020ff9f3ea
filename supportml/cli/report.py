"""`report` (support KPIs for a period as markdown, JSON, CSV files or one HTML page), `digest`
(the week's numbers posted to Slack) and `digest-schedule`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click

from supportml.cli._common import (
    business_hours_of,
    business_hours_options,
    clean_errors,
    database_option,
    err,
    key_value_table,
    load_teams,
    out,
    parse_moment,
    schedule_options,
    schedule_text,
    stage,
    store_engine,
    teams_option,
)

FORMATS = ("md", "json", "html", "csv")
DEFAULT_OUT = {"html": Path("reports") / "report.html", "csv": Path("reports") / "report"}


@click.command("report")
@click.option(
    "--since", help="First day of the period (2026-03-01)  [default: 90 days before --until]"
)
@click.option("--until", help="Day after the period, excluded (2026-04-01)  [default: now]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="md and json print to stdout unless --out; html is one file; csv is a folder of files.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="Where to write  [default: stdout; reports/report.html; reports/report/ for csv]",
)
@click.option("--channel", help="Only this channel: its name (platform-support) or id.")
@click.option("--team", help="Only this requesting team (any case).")
@click.option("--topic", help="Only this effective topic (any case).")
@click.option(
    "--slack-domain",
    envvar="SUPPORTML_SLACK_DOMAIN",
    help="The workspace's <domain>.slack.com, to link threads stored without a permalink "
    "(env SUPPORTML_SLACK_DOMAIN).",
)
@business_hours_options
@click.option(
    "--open-after",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="List unresolved requests older than this many hours.",
)
@click.option(
    "--post-to",
    metavar="CHANNEL",
    help="Also upload the HTML report to this Slack channel ID (C0123ABCD) with a short summary. "
    "Needs SLACK_BOT_TOKEN (scope files:write, bot in the channel); SLACK_API_URL for GovSlack "
    "or a proxy.",
)
@teams_option
@database_option
@click.pass_context
@clean_errors
def report(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    fmt: str,
    out_path: Path | None,
    channel: str | None,
    team: str | None,
    topic: str | None,
    slack_domain: str | None,
    business_hours: tuple[time, time],
    timezone: str,
    target_hours: float,
    open_after: float,
    post_to: str | None,
    teams_file: Path | None,
    database_url: str | None,
) -> None:
    """Support KPIs for a period: six headline numbers with their change against the previous
    period, where support goes (topics with corrected shares), then the details.

    Requests created in [--since, --until) count; dates without a zone are UTC. Every KPI's
    definition is in the glossary at the end. An unknown --channel, --team or --topic fails
    with the closest known values.

    \b
    Examples:
      supportml report --since 2026-03-01 --until 2026-04-01
      supportml report --since 2026-03-01 --format html --out reports/march.html
      supportml report --format csv --out reports/q1 --team identity --channel platform-support
      supportml report --format json --timezone Europe/London --business-hours 08:30-17:30
      supportml report --teams datasets/teams.example.yaml     (requests by owning team)
      SLACK_BOT_TOKEN=xoxb-… supportml report --since 2026-03-01 --post-to C0123ABCD
    """
    from supportml.report import (
        Filters,
        build_report,
        render,
        request_rows,
        resolve_filters,
    )

    client = None
    if post_to:  # before any work: a missing token fails at once and posts nothing
        from supportml.report import post

        client = post.slack_client(
            os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_API_URL")
        )

    ownership = load_teams(ctx, teams_file)
    end = parse_moment(until, "--until") or datetime.now(UTC)
    start = parse_moment(since, "--since") or end - timedelta(days=90)
    hours = business_hours_of(business_hours, timezone, target_hours)
    engine = store_engine(ctx, database_url)
    filters = resolve_filters(engine, Filters(channel=channel, team=team, topic=topic))
    with stage("compute KPIs"):
        result = build_report(
            engine, start, end, filters, hours, open_after_hours=open_after,
            slack_domain=slack_domain, ownership=ownership,
        )  # fmt: skip
    target = out_path or DEFAULT_OUT.get(fmt)
    page = None
    if fmt == "csv":
        assert target is not None
        with stage(f"write {target}/"):
            written = render.write_csv(result, target, request_rows(engine, start, end, filters))
        out.print(f"wrote {len(written)} CSV files to {target}/", soft_wrap=True)
    else:
        text = {"md": render.to_markdown, "json": render.to_json, "html": render.to_html}[fmt](
            result
        )
        page = text if fmt == "html" else None
        if target is None:
            click.echo(text, nl=False)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            out.print(f"wrote {target}", soft_wrap=True)
    if client is not None:
        assert post_to is not None
        with stage(f"post the HTML report to {post_to}"):
            file_id = post.post_report(client, post_to, result, page or render.to_html(result))
        # stdout may be the report itself: then the confirmation goes with the progress lines
        (err if target is None else out).print(f"posted to {post_to} (file {file_id})")
    if target is None:
        return
    rows = [
        (
            m.label,
            f"{render.format_value(m.value, m.unit)} ({render.format_change(m)})"
            if m.value is not None
            else m.note,
        )
        for m in (result.metrics[key] for key in result.headline)
    ]
    out.print(key_value_table("headline", rows))


def last_full_week(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to Monday 00:00 of the last complete week in ``timezone``."""
    from supportml.business_time import check_timezone

    local = now.astimezone(check_timezone(timezone))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(), local.tzinfo)
    return monday - timedelta(days=7), monday


@click.command("digest")
@click.option(
    "--post-to",
    metavar="CHANNEL",
    envvar="SUPPORTML_DIGEST_CHANNEL",
    help="Slack channel ID to post to (env SUPPORTML_DIGEST_CHANNEL). Needs SLACK_BOT_TOKEN "
    "(scopes chat:write, files:write; bot in the channel).",
)
@click.option("--since", help="First day of the period  [default: Monday of last full week]")
@click.option("--until", help="Day after the period, excluded  [default: the Monday after]")
@click.option(
    "--top",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="How many topics to list (the rest are counted; all are in the attached report).",
)
@click.option("--dry-run", is_flag=True, help="Print the Block Kit JSON instead of posting.")
@click.option(
    "--slack-domain",
    envvar="SUPPORTML_SLACK_DOMAIN",
    help="The workspace's <domain>.slack.com, for thread links in the attached report.",
)
@business_hours_options
@database_option
@click.pass_context
@clean_errors
def digest(
    ctx: click.Context,
    post_to: str | None,
    since: str | None,
    until: str | None,
    top: int,
    dry_run: bool,
    slack_domain: str | None,
    business_hours: tuple[time, time],
    timezone: str,
    target_hours: float,
    database_url: str | None,
) -> None:
    """Post the week's support digest to a Slack channel: the headline numbers with their change,
    the top topics, the top problem areas by staff time, and the full HTML report in the
    message's thread.

    Weeks run Monday to Monday in --timezone; `supportml digest-schedule` prints the cron line
    or systemd timer that posts it every week. Posting needs SLACK_BOT_TOKEN.

    \b
    Examples:
      supportml digest --post-to C0123ABCD
      supportml digest --since 2026-03-02 --until 2026-03-09 --dry-run
    """
    import json

    from supportml.report import build_report, render
    from supportml.report.digest import digest_blocks

    if not post_to and not dry_run:
        raise click.UsageError("give --post-to CHANNEL (or SUPPORTML_DIGEST_CHANNEL), or --dry-run")
    client = None
    if not dry_run:  # before any work: a missing token fails at once and posts nothing
        from supportml.report import post

        client = post.slack_client(
            os.environ.get("SLACK_BOT_TOKEN"), os.environ.get("SLACK_API_URL")
        )
    hours = business_hours_of(business_hours, timezone, target_hours)
    start, end = last_full_week(datetime.now(UTC), timezone)
    start = parse_moment(since, "--since") or start
    end = parse_moment(until, "--until") or end
    engine = store_engine(ctx, database_url)
    with stage("compute KPIs"):
        result = build_report(engine, start, end, hours=hours, slack_domain=slack_domain)
    blocks = digest_blocks(result, top)
    if client is None:
        click.echo(json.dumps({"blocks": blocks}, indent=2))
        return
    assert post_to is not None
    with stage(f"post the digest to {post_to}"):
        ts, file_id = post.post_digest(client, post_to, result, render.to_html(result), blocks)
    out.print(f"posted the digest to {post_to} (message {ts}, report file {file_id})")


@click.command("digest-schedule", context_settings={"ignore_unknown_options": True})
@schedule_options(
    "post the digest",
    8,
    "File with SUPPORTML_DATABASE_URL, SLACK_BOT_TOKEN, SUPPORTML_DIGEST_CHANNEL, …",
    "digest_args",
)
def digest_schedule(weekday: str, hour: int, env_file: str, digest_args: tuple[str, ...]) -> None:
    """Print a cron line, or the settings for the systemd units in deploy/systemd/, that post
    the digest of the week before every week (to $SUPPORTML_DIGEST_CHANNEL). Arguments after
    the options are passed on to `supportml digest`.

    \b
    Examples:
      supportml digest-schedule
      supportml digest-schedule --weekday mon --hour 9 -- --top 5 --timezone Europe/London
    """
    click.echo(
        schedule_text(
            "digest", weekday, hour, env_file, ["digest"], "SUPPORTML_DIGEST_ARGS", digest_args
        )
    )
