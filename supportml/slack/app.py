"""Bolt wiring: the App, its listeners, the WebClient adapter and the two ways to run it.

Listeners only translate between Bolt and `handlers.Responder`. An Events API delivery is
stored in the inbox by a middleware before Bolt acks it; when the store cannot take it the answer
is 503 (in Socket Mode: no ack), so Slack delivers it again. Listeners then run after the ack
(``process_before_response=False``), so classification and posting never count against Slack's
3-second limit. A failure while handling one payload is logged with its event id and the
process carries on; a stored event it leaves behind is drained later.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.error import URLError

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from sqlalchemy import text as sql

from supportml.errors import UserError
from supportml.slack import blocks
from supportml.slack.handlers import NotPosted, Outcome, Responder, intake_errors
from supportml.slack.metrics import Metrics, kind_of
from supportml.slack.server import HttpServer, asgi_app
from supportml.store.db import urgent_work

if TYPE_CHECKING:
    from supportml.slack.followup import FollowUps

log = logging.getLogger("supportml.slack")

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


class SlackSetupError(UserError):
    """Missing credentials, an unknown channel, a Slack that refuses the token: one line."""


class _RefusedRetryHandler(ConnectionErrorRetryHandler):
    """Retries a connection that was refused (nothing was sent), never one reset or timed out
    after the request went out: that post may have reached Slack."""

    def _can_retry(self, *, error: Exception | None = None, **_: Any) -> bool:
        return isinstance(error, URLError) and isinstance(error.reason, ConnectionRefusedError)


@dataclass
class WebPort:
    """`handlers.SlackPort` over a WebClient."""

    client: WebClient
    # Posts retry only what certainly was not sent; after an ambiguous failure the claim's
    # expiry and the look in the thread (`find_reply`) decide instead.
    poster: WebClient = field(init=False)

    def __post_init__(self) -> None:
        handlers = [
            h for h in self.client.retry_handlers if not isinstance(h, ConnectionErrorRetryHandler)
        ]
        self.poster = WebClient(
            token=self.client.token, base_url=self.client.base_url, timeout=self.client.timeout,
            retry_handlers=[_RefusedRetryHandler(), *handlers],
        )  # fmt: skip

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        try:
            response = self.poster.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts,
                unfurl_links=False, metadata=metadata,
            )  # fmt: skip
        except SlackApiError as exc:  # Slack answered: nothing was posted
            raise NotPosted(describe(exc)) from exc
        return str(response["ts"])

    def find_reply(self, channel: str, thread_ts: str, request_id: int) -> str | None:
        response = self.client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
        )
        for message in response.get("messages") or ():
            if blocks.is_reply_to(message, request_id):
                return str(message["ts"])
        return None

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self.client.chat_postEphemeral(channel=channel, user=user, text=text)

    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        self.client.views_open(trigger_id=trigger_id, view=view)


def describe(exc: BaseException) -> str:
    """An error in one short line without message text or tokens (for logs)."""
    if isinstance(exc, SlackApiError):
        return f"Slack API error {exc.response.get('error')!r}"
    if isinstance(exc, NotPosted):
        return str(exc)
    return type(exc).__name__


def resolve_channels(client: WebClient, names: Iterable[str]) -> dict[str, str | None]:
    """Channel id -> name (None when configured by id) for configured ids or names, in the
    configured order (the first one is where /support posts); names are looked up with
    conversations.list, and kept so reports show channels by name."""
    wanted = list(dict.fromkeys(name.lstrip("#") for name in names))
    missing = [name for name in wanted if not CHANNEL_ID.match(name)]
    found: dict[str, str] = {}
    if missing:
        for page in client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000
        ):
            found.update({c["name"]: c["id"] for c in page.get("channels", [])})
        unknown = [name for name in missing if name not in found]
        if unknown:
            raise SlackSetupError(
                f"support channel(s) not found or the app is not in them: {', '.join(unknown)}"
            )
    if not wanted:
        raise SlackSetupError("no support channels: set SUPPORTML_CHANNELS or pass --channel")
    return {found.get(name, name): (name if name in found else None) for name in wanted}


def own_ids(client: WebClient) -> tuple[frozenset[str], str | None]:
    """The app's bot user id and bot id (its own messages are never requests), and the team."""
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        raise SlackSetupError(f"Slack refused the bot token (auth.test: {describe(exc)})") from None
    except OSError as exc:  # URLError, refused connection, DNS
        raise SlackSetupError(f"cannot reach Slack's Web API at {client.base_url}: {exc}") from None
    ids = {auth.get("user_id"), auth.get("bot_id")}
    return frozenset(i for i in ids if i), auth.get("team_id")


def build_app(
    responder: Responder,
    client: WebClient,
    signing_secret: str | None,
    listener_executor: Executor | None = None,
    metrics: Metrics | None = None,
) -> App:
    """The Bolt App with supportml's listeners; ``signing_secret`` None means Socket Mode.

    Each payload is counted in ``metrics`` and its outcome logged at INFO in one line: its
    event id, kind, outcome and duration, never its text."""
    metrics = metrics or Metrics()
    app = App(
        listener_executor=listener_executor,
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # auth.test already ran in own_ids()
        logger=logging.getLogger("supportml.slack.bolt"),
    )

    def store_first(body: Mapping[str, Any], context: BoltContext, next: Callable[[], Any]) -> Any:
        """Events are stored before Bolt acks them; a store that fails refuses the event."""
        kind = context["kind"] = kind_of(body)
        context["started"] = time.monotonic()
        metrics.received.labels(kind).inc()
        if body.get("type") == "event_callback":
            try:
                with urgent_work():  # Socket Mode: only the inbox write (HTTP: all of dispatch)
                    context["inbox_id"] = responder.receive(body)
            except Exception as exc:
                metrics.refused.labels(kind).inc()
                log.error(
                    "event %s refused, not stored: %s", body.get("event_id"), describe(exc),
                    extra={"event_id": body.get("event_id"), "kind": kind, "outcome": "refused"},
                )  # fmt: skip
                return BoltResponse(status=503, body='{"ok":false,"error":"store_unavailable"}')
            metrics.acked.labels(kind).inc()  # Bolt acks once the listener is started
        return next()

    app.use(store_first)

    def done(context: BoltContext, what: str, outcome: Outcome, event_id: Any = None) -> None:
        """Count one handled payload and log its outcome in one line (``what`` it was)."""
        started, kind = context.get("started"), context.get("kind", "other")
        metrics.handled_one(kind, outcome, started)
        ms = None if started is None else round((time.monotonic() - started) * 1000)
        log.info(
            "%s: %s (%s ms)", what, outcome.done, ms,
            extra={"event_id": event_id, "kind": kind, "outcome": outcome.done, "duration_ms": ms},
        )  # fmt: skip

    def failed(context: BoltContext, what: str, exc: Exception, event_id: Any = None) -> None:
        kind = context.get("kind", "other")
        metrics.failed.labels(kind).inc()
        log.error(
            "%s failed: %s", what, describe(exc),
            extra={"event_id": event_id, "kind": kind, "outcome": "failed"},
        )  # fmt: skip

    def acked(context: BoltContext) -> None:
        metrics.acked.labels(context.get("kind", "other")).inc()

    def on_event(body: Mapping[str, Any], context: BoltContext) -> None:
        event_id, inbox_id = body.get("event_id"), context.get("inbox_id")
        if inbox_id is None:  # a retry of a stored event: its first delivery is handled
            return
        try:
            done(context, f"event {event_id}", responder.handle_stored(inbox_id), event_id)
        except Exception as exc:  # one bad event must not stop the others; drained later
            failed(context, f"event {event_id}", exc, event_id)

    app.event("message")(on_event)
    app.event("reaction_added")(on_event)

    @app.action(re.compile(r"^supportml_"))
    def on_action(ack: Ack, body: Mapping[str, Any], context: BoltContext) -> None:
        ack()
        acked(context)
        action = f"action {(body.get('actions') or [{}])[0].get('action_id')}"
        try:
            done(context, action, responder.handle_action(body))
        except Exception as exc:
            failed(context, action, exc)

    def open_intake(ack: Ack, body: Mapping[str, Any], context: BoltContext) -> None:
        if responder.config.shadow:
            ack("supportml runs in shadow mode: post your request in the support channel.")
            acked(context)
            done(context, "intake form", Outcome("ignored: shadow mode"))
            return
        ack()
        acked(context)
        try:
            responder.slack.open_modal(  # type: ignore[union-attr]
                body["trigger_id"], responder.intake_view(str(body.get("text") or ""))
            )
        except Exception as exc:
            failed(context, "opening the intake form", exc)
            return
        done(context, "intake form", Outcome("form opened"))

    app.command("/support")(open_intake)
    app.shortcut(blocks.SHORTCUT)(open_intake)

    @app.view(blocks.INTAKE_VIEW)
    def on_submit(ack: Ack, body: Mapping[str, Any], context: BoltContext) -> None:
        values = body.get("view", {}).get("state", {}).get("values", {})
        model = responder.model  # the topic is checked and the request answered by one model
        errors = intake_errors(values, model.topics)
        if errors:
            ack(response_action="errors", errors=errors)
            acked(context)
            done(context, "intake form", Outcome("refused: invalid form"))
            return
        ack()
        acked(context)
        try:
            done(context, "intake form", responder.submit_intake(body, model))
        except Exception as exc:
            failed(context, "posting an intake form", exc)

    return app


def http_server(
    app: App, responder: Responder, signing_secret: str, host: str, port: int,
    metrics: Metrics | None = None,
) -> HttpServer:  # fmt: skip
    """Events API, interactivity and /support on POST /slack/events; GET /livez (or /healthz)
    and /readyz for probes; GET /metrics when given ``metrics``. Port 0 picks a free port
    (``server.server_address[1]``).

    Ready means the store answers: when it does not, events are refused (503) anyway, and the
    load balancer can send them to a replica that can store them.
    """

    def ready() -> tuple[int, dict[str, Any]]:
        try:
            with responder.engine.connect() as connection:
                connection.execute(sql("SELECT 1"))
        except Exception as exc:
            return 503, {"ok": False, "store": describe(exc)}
        return 200, {"ok": True}

    def live() -> dict[str, Any]:
        return {"model_version": responder.suggester.model_version}

    registry = None if metrics is None else metrics.registry
    asgi = asgi_app(app, signing_secret, ready, live, registry, urgent=urgent_work)
    return HttpServer(asgi, host, port)


def _every(
    thread_name: str, what: str, seconds: float, stop: threading.Event, work: Callable[[], None]
) -> threading.Thread:
    """Run ``work`` now and then every ``seconds`` until ``stop`` is set, in a daemon thread; a
    failure is logged ("``what`` failed: …") and the next round tries again."""

    def loop() -> None:
        while True:
            try:
                work()
            except Exception as exc:
                log.error("%s failed: %s", what, describe(exc))
            if stop.wait(seconds):
                return

    thread = threading.Thread(target=loop, name=f"supportml-{thread_name}", daemon=True)
    thread.start()
    return thread


def drain_every(
    responder: Responder, seconds: float, stop: threading.Event, metrics: Metrics
) -> threading.Thread:
    """Handle stored events nobody holds (a dead process's, a failed attempt's) now and then
    every ``seconds`` until ``stop`` is set."""

    def drain() -> None:
        drained = responder.drain()
        metrics.drained.inc(drained)
        if drained:
            log.info("handled %d stored event(s) left behind", drained)

    return _every("drain", "draining stored events", seconds, stop, drain)


def catch_up_every(
    responder: Responder, seconds: float, stop: threading.Event, metrics: Metrics
) -> threading.Thread:
    """Post missing replies (and forget event ids older than a week) now and then every
    ``seconds`` until ``stop`` is set."""

    def catch_up() -> None:
        responder.forget_old_events()
        posted = responder.catch_up()
        metrics.caught_up.inc(posted)
        if posted:
            log.info("caught up: posted %d missing repl%s", posted, "y" if posted == 1 else "ies")

    return _every("catch-up", "catching up on missing replies", seconds, stop, catch_up)


def follow_up_every(
    follow_ups: FollowUps, seconds: float, stop: threading.Event, metrics: Metrics
) -> threading.Thread:
    """Post the reminders and escalations due (`slack/followup.py`) now and then every
    ``seconds`` until ``stop`` is set."""

    def follow_up() -> None:
        for kind, posted in follow_ups.run().items():
            metrics.follow_ups.labels(str(kind)).inc(posted)

    return _every("follow-up", "following up unanswered requests", seconds, stop, follow_up)


def serve_in_thread(server: HttpServer) -> threading.Thread:
    """Run an http_server in a daemon thread (tests and benchmarks); ``shutdown()`` stops it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
