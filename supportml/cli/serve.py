"""The `serve` (Slack responder) and `replay` (backtest without Slack) commands."""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from supportml import csvsafe
from supportml.cli._common import (
    business_hours_of,
    business_hours_options,
    clean_errors,
    clock_range_of,
    database_option,
    err,
    key_value_table,
    load_teams,
    out,
    parse_moment,
    settings_of,
    stage,
    store_engine,
    teams_option,
)
from supportml.cli.model import docs_option, load_docs, model_option, resolve_model
from supportml.config import ConfigError, Settings

CATCH_UP_SECONDS = 300
FOLLOW_UP_SECONDS = 60  # how often unanswered requests are looked at for reminders
DRAIN_SECONDS = 5  # how often stored events nobody holds are looked for


def _required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {why}")
    return value


def _responder(
    ctx: click.Context,
    settings: Settings,
    model_ref: str | None,
    docs_ref: str | None,
    database_url: str | None,
    slack: Any = None,
    own_ids: frozenset[str] = frozenset(),
    **config: Any,
) -> Any:
    from supportml.slack.handlers import Responder, ResponderConfig
    from supportml.suggest import Suggester

    classifier, card = resolve_model(model_ref, settings)
    docs = load_docs(docs_ref, settings, card.labels)
    engine = store_engine(ctx, database_url)
    return Responder(
        engine,
        Suggester.from_card(classifier, card, docs, settings.redactor),
        ResponderConfig(
            staff=frozenset(settings.support_staff),
            resolved_reaction=settings.resolved_reaction,
            holdout=settings.docs_holdout,
            redactor=settings.redactor,
            effort=settings.effort_model,
            **config,
        ),
        slack=slack,
        own_ids=own_ids,
    )


def _watcher(responder: Any, model_ref: str | None, settings: Settings) -> Any:
    """A ModelWatcher on where ``--model`` points, or None when that can never change (a run).

    Reloaded models get the same documentation index: the catalogue is not part of a model.
    """
    from supportml.learning.sources import PublishedSource, model_source
    from supportml.learning.watcher import ModelWatcher
    from supportml.suggest import Suggester

    source = model_source(model_ref, settings)
    if not isinstance(source, PublishedSource):
        return None
    docs = responder.suggester.docs
    return ModelWatcher(
        source,
        lambda classifier, card: Suggester.from_card(classifier, card, docs, settings.redactor),
        responder.install,
        responder.suggester.model_version,
    )


def _logging(verbose: bool, log_format: str) -> None:
    """Our own events at INFO (one line per event's outcome; DEBUG with -v), as text or one JSON
    object per line; never the SDK's debug logs, which hold bodies."""
    from supportml.logformat import JsonFormatter
    from supportml.slack.server import rate_limit_errors

    handler = logging.StreamHandler()  # stderr: stdout carries only the `listening` line
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])

    for name in ("slack_sdk", "slack_bolt", "urllib3", "alembic", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING)
    rate_limit_errors("supportml.slack", "supportml.slack.server", "uvicorn.error")
    # Bolt warns that SLACK_BOT_TOKEN is unused because we hand it a configured client
    logging.getLogger("supportml.slack.bolt").setLevel(logging.ERROR)


def _follow_up_policy(
    hours: Any, remind_after: float | None, escalate_after: float | None, quiet: Any
) -> Any:
    """The follow-up `Policy` the options describe, or None when reminders are off."""
    from supportml.followup import Policy, QuietHours

    remind = hours.target_hours if remind_after is None else remind_after
    if not remind:
        return None
    return Policy(
        hours,
        remind,
        escalate_after or 2 * remind,
        None if quiet is None else QuietHours(quiet[0], quiet[1], hours.timezone),
    )


def _interrupt(*_: Any) -> None:
    """SIGTERM (docker stop, systemd) stops the server like Ctrl-C: in-flight events finish."""
    raise KeyboardInterrupt


@click.command("serve")
@click.option(
    "--http",
    "http_mode",
    is_flag=True,
    help="Serve the Events API over HTTP instead of Socket Mode.",
)
@click.option(
    "--host", default="0.0.0.0", show_default=True, help="HTTP mode: address to listen on."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=3000,
    show_default=True,
    envvar="PORT",
    help="HTTP mode: port (0 picks a free one; env PORT).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    help="Support channel id or name (repeatable)  [default: $SUPPORTML_CHANNELS]",
)
@click.option("--shadow", is_flag=True, help="Record requests and suggestions, post nothing.")
@click.option("--slack-api-url", help="Web API base URL  [default: $SLACK_API_URL or Slack's]")
@click.option(
    "--catch-up-minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="At start and every 5 minutes, reply to requests this recent that got no reply "
    "(a Slack outage, a restart); 0 turns it off.",
)
@click.option(
    "--reload-minutes",
    type=click.FloatRange(min=0),
    default=5,
    show_default=True,
    help="Every this many minutes, look for a new model where --model points (a new export in "
    "the directory, the registry alias moved); swap to it between events once it loads and its "
    "sha256 checks out, else keep the current one. 0 turns it off.",
)
@click.option(
    "--remind-after",
    type=click.FloatRange(min=0),
    envvar="SUPPORTML_REMIND_AFTER_HOURS",
    help="Post one reminder in the thread of a request still unanswered after this many "
    "business hours, mentioning who is on support; 0 turns it off (env "
    "SUPPORTML_REMIND_AFTER_HOURS).  [default: --target-hours, the acknowledgement target]",
)
@click.option(
    "--escalate-after",
    type=click.FloatRange(min=0, min_open=True),
    envvar="SUPPORTML_ESCALATE_AFTER_HOURS",
    help="With --escalation-channel: post one line with the thread link there once a reminded "
    "request has waited this many business hours (env SUPPORTML_ESCALATE_AFTER_HOURS).  "
    "[default: twice --remind-after]",
)
@click.option(
    "--escalation-channel",
    envvar="SUPPORTML_ESCALATION_CHANNEL",
    help="Channel id or name for escalations (env SUPPORTML_ESCALATION_CHANNEL).  [default: none]",
)
@click.option(
    "--quiet-hours",
    envvar="SUPPORTML_QUIET_HOURS",
    callback=clock_range_of,
    help="Post no reminder or escalation in this daily window, in --timezone, e.g. 19:00-08:00; "
    "what falls due then goes out when it ends (env SUPPORTML_QUIET_HOURS).  [default: none]",
)
@business_hours_options
# Timings the fault benchmark shortens (benchmarks/fault_benchmark.py); not for operators.
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=120, hidden=True)
@click.option("--catch-up-seconds", type=click.FloatRange(min=0.1), default=CATCH_UP_SECONDS,
              hidden=True)  # fmt: skip
@click.option("--slack-timeout", type=click.IntRange(min=1), default=30, hidden=True)
@click.option("--follow-up-seconds", type=click.FloatRange(min=0.1), default=FOLLOW_UP_SECONDS,
              hidden=True)  # fmt: skip
@model_option
@docs_option
@teams_option
@database_option
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object per line (time, level, logger, message, event_id, kind, outcome, "
    "duration_ms); never message texts or tokens.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    help="Socket Mode: serve Prometheus metrics on GET /metrics at this port (0 picks one); "
    "--http serves them on its own port.  [default: off]",
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port."
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logs too (never message texts).")
@click.pass_context
@clean_errors
def serve(
    ctx: click.Context,
    http_mode: bool,
    host: str,
    port: int,
    channels: tuple[str, ...],
    shadow: bool,
    slack_api_url: str | None,
    catch_up_minutes: int,
    reload_minutes: float,
    remind_after: float | None,
    escalate_after: float | None,
    escalation_channel: str | None,
    quiet_hours: tuple[Any, Any] | None,
    business_hours: tuple[Any, Any],
    timezone: str,
    target_hours: float,
    lease_seconds: float,
    catch_up_seconds: float,
    slack_timeout: int,
    follow_up_seconds: float,
    model_ref: str | None,
    docs_ref: str | None,
    teams_file: Path | None,
    database_url: str | None,
    log_format: str,
    metrics_port: int | None,
    metrics_host: str,
    verbose: bool,
) -> None:
    """Run the Slack responder: track every new request in the support channels, reply in its
    thread with the suggested topic and documentation links, record the clicks. With an
    ownership file (--teams), the reply names the topic's owning team and mentions its
    on-support person, and offers a select to reassign it.

    Credentials come from the environment only: SLACK_BOT_TOKEN always, SLACK_APP_TOKEN for
    Socket Mode (the default; no public URL needed), SLACK_SIGNING_SECRET for --http, where
    Slack's requests go to POST /slack/events, GET /livez (or /healthz) says the process is up
    (with the model version answering now: a model published later is swapped in without a
    restart), GET /readyz whether the store answers and GET /metrics has Prometheus metrics
    (in Socket Mode: --metrics-port). Every event is stored before it is acknowledged; when the
    store is down, events are refused so that Slack delivers them again. A request nobody
    answered within --remind-after business hours gets one reminder in its thread; with
    --escalation-channel, one line there after --escalate-after (never in --quiet-hours).

    \b
    Examples:
      supportml serve --channel platform-support
      supportml serve --http --port 3000 --channel C0123ABCD --shadow
      supportml serve --channel platform-support --teams teams.yaml
      SLACK_API_URL=https://slack-gov.com/api/ supportml serve --http
    """
    from slack_sdk.errors import SlackApiError

    from supportml.slack.app import (
        SlackSetupError,
        WebPort,
        build_app,
        catch_up_every,
        describe,
        drain_every,
        follow_up_every,
        http_server,
        own_ids,
        resolve_channels,
    )
    from supportml.slack.client import web_client
    from supportml.slack.metrics import Metrics, serve_metrics
    from supportml.slack.server import EVENTS_PATH, METRICS_PATH
    from supportml.store import repository, transaction

    _logging(verbose, log_format)
    settings = settings_of(ctx)
    ownership = load_teams(ctx, teams_file)  # a bad file fails before Slack is contacted
    policy = _follow_up_policy(
        business_hours_of(business_hours, timezone, target_hours), remind_after, escalate_after,
        quiet_hours,
    )  # fmt: skip
    token = _required("SLACK_BOT_TOKEN", "the bot token (xoxb-…) from the app's OAuth page")
    secret = (
        _required("SLACK_SIGNING_SECRET", "--http needs the app's signing secret")
        if http_mode
        else None
    )
    app_token = None if http_mode else _required(
        "SLACK_APP_TOKEN", "Socket Mode needs an app-level token (xapp-…) with connections:write; "
        "or run with --http"
    )  # fmt: skip
    client = web_client(token, slack_api_url or settings.slack_api_url, slack_timeout)
    with stage("connect to Slack"):
        ids, team = own_ids(client)
        watched = resolve_channels(client, channels or settings.channels)
        escalation = (
            next(iter(resolve_channels(client, [escalation_channel])))
            if escalation_channel and policy is not None
            else None
        )
    web_port = WebPort(client)
    metrics = Metrics()
    metrics.instrument(client)
    metrics.instrument(web_port.poster)
    responder = _responder(
        ctx, settings, model_ref, docs_ref, database_url, slack=web_port, own_ids=ids,
        channels=frozenset(watched), intake_channel=next(iter(watched)), shadow=shadow,
        workspace=team or "default", catch_up=timedelta(minutes=catch_up_minutes),
        lease=timedelta(seconds=lease_seconds), ownership=ownership,
    )  # fmt: skip
    if ownership is not None:
        for finding in ownership.lint(responder.topics):
            err.print(f"[yellow]teams:[/yellow] {escape(finding)}", soft_wrap=True)
    named = {(team or "default", cid): name for cid, name in watched.items() if name}
    with transaction(responder.engine) as session:
        repository.save_channel_names(session, named)  # reports show channels by name
    metrics.watch(responder)
    app = build_app(responder, client, secret, metrics=metrics)
    stop = threading.Event()
    drain_every(responder, min(DRAIN_SECONDS, lease_seconds / 4), stop, metrics)
    catch_up_every(responder, catch_up_seconds, stop, metrics)
    if policy is not None and not shadow:
        from supportml import followup
        from supportml.slack.followup import FollowUps

        follow_ups = FollowUps(
            responder.engine, web_port, policy, watched, escalation_channel=escalation,
            lease=timedelta(seconds=lease_seconds),
            who=followup.nobody if ownership is None else followup.on_support(ownership),
        )  # fmt: skip
        follow_up_every(follow_ups, follow_up_seconds, stop, metrics)
    watcher = _watcher(responder, model_ref, settings) if reload_minutes else None
    if watcher is not None:
        watcher.start(reload_minutes * 60, stop)
        reload = f"reloading from {watcher.source.description} every {reload_minutes:g} min"
    else:
        reload = "no reload"
    mode = "shadow mode, posting nothing" if shadow else "replying in threads"
    if policy is not None and not shadow:
        mode += f", reminding after {policy.remind_after:g} business hours" + (
            f", escalating to {escalation} after {policy.escalate_after:g}" if escalation else ""
        )
    summary = (
        f"model {responder.suggester.model_version} ({reload}), {len(watched)} channel(s), {mode}"
    )
    signal.signal(signal.SIGTERM, _interrupt)
    # The libraries, the model and the catalogue live as long as the process: out of the
    # collector's reach, a full collection no longer walks them while every thread waits (it
    # took 100-450 ms on PostgreSQL runs of benchmarks/fault_benchmark.py, acks included).
    gc.collect()
    gc.freeze()
    run: Callable[[], Any]
    if http_mode:
        assert secret is not None
        server = http_server(app, responder, secret, host, port, metrics)
        bound = server.server_address[1]
        err.print(
            f"supportml serving on http://{host}:{bound}{EVENTS_PATH} ({summary}); Ctrl-C stops",
            markup=False,
            soft_wrap=True,
        )
        click.echo(json.dumps({"listening": f"http://{host}:{bound}"}))
        run, close = server.serve_forever, server.server_close
    else:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token)
        if metrics_port is not None:
            bound = serve_metrics(metrics, metrics_host, metrics_port)
            summary += f"; metrics on http://{metrics_host}:{bound}{METRICS_PATH}"
        err.print(
            f"supportml serving over Socket Mode ({summary}); Ctrl-C stops",
            markup=False,
            soft_wrap=True,
        )

        def run() -> None:  # handler.start() would also print Bolt's banner on stdout
            handler.connect()
            stop.wait()

        close = handler.close
    try:
        run()
    except KeyboardInterrupt:
        pass
    except SlackApiError as exc:  # apps.connections.open refused the app-level token
        raise SlackSetupError(f"Slack refused SLACK_APP_TOKEN ({describe(exc)})") from None
    finally:
        stop.set()
        close()
        app.listener_runner.listener_executor.shutdown(wait=True)  # let in-flight events finish
        err.print("stopped")


def _shown(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if isinstance(value, float) else f"{value:,}"


@click.command("replay")
@click.option("--since", help="Only requests created on or after this day (2026-03-01).")
@click.option("--until", help="Only requests created before this day.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="CSV with one row per request: what would have been replied.",
)
@model_option
@docs_option
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
@clean_errors
def replay(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    out_path: Path | None,
    model_ref: str | None,
    docs_ref: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Backtest the responder on stored or imported history, without Slack.

    Runs the same suggestion and holdout logic as `serve` over every stored request and reports
    topic accuracy against known labels (people's and imported, never the model's own), the
    abstention rate, the share of requests that would get links, and how often a link shown is
    one that people said helped. The store is not changed.

    \b
    Examples:
      supportml replay
      supportml replay --since 2026-09-01 --out reports/replay.csv
      supportml replay --model models:/supportml-topic@champion --json
    """
    from supportml.slack.replay import count
    from supportml.slack.replay import replay as run

    settings = settings_of(ctx)
    start, end = parse_moment(since, "--since"), parse_moment(until, "--until")
    responder = _responder(
        ctx, settings, model_ref, docs_ref, database_url, channels=frozenset(), shadow=True
    )
    total = count(responder, start, end)
    columns = [TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("replay", total=total)
        rows, summary = run(responder, start, end, lambda n: progress.advance(task, n))
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with out_path.open("w", newline="", encoding="utf-8") as handle:
            records = [row.to_record() for row in rows]
            writer = csvsafe.DictWriter(handle, fieldnames=list(records[0]) if records else ["ts"])
            writer.writeheader()
            writer.writerows(records)
        err.print(f"wrote {len(rows)} rows to {out_path}")
    metrics = summary.metrics()
    if as_json:
        click.echo(json.dumps(metrics))
        return
    if not rows:
        out.print("no stored requests in the period: import history first (`supportml import`)")
        return
    shown = [(name.replace("_", " "), _shown(value)) for name, value in metrics.items()]
    out.print(key_value_table("replay", [("model", responder.suggester.model_version), *shown]))
