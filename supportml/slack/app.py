"""Bolt wiring: the App, its listeners, the WebClient adapter and the two ways to run it.

Listeners only translate between Bolt and `handlers.Responder`. Every listener acks first
(events are acked by Bolt before the listener runs, as ``process_before_response=False`` does),
so classification and posting never count against Slack's 3-second limit. A failure while
handling one payload is logged with its event id and the process carries on.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text as sql

from supportml.errors import UserError
from supportml.slack import blocks
from supportml.slack.handlers import Responder, intake_errors

log = logging.getLogger("supportml.slack")

EVENTS_PATH = "/slack/events"  # Bolt's default path for events, interactivity and commands
HEALTH_PATH = "/healthz"
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


class SlackSetupError(UserError):
    """Missing credentials, an unknown channel, a Slack that refuses the token: one line."""


@dataclass
class WebPort:
    """`handlers.SlackPort` over a WebClient."""

    client: WebClient

    def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None
    ) -> str:
        response = self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False
        )
        return str(response["ts"])

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
    return type(exc).__name__


def resolve_channels(client: WebClient, names: Iterable[str]) -> tuple[str, ...]:
    """Channel ids for configured ids or names, in the configured order (the first one is where
    /support posts); names are looked up with conversations.list."""
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
    return tuple(dict.fromkeys(found.get(name, name) for name in wanted))


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
) -> App:
    """The Bolt App with supportml's listeners; ``signing_secret`` None means Socket Mode."""
    app = App(
        listener_executor=listener_executor,
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,  # auth.test already ran in own_ids()
        logger=logging.getLogger("supportml.slack.bolt"),
    )

    def on_event(body: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        event_id = body.get("event_id")
        try:
            outcome = responder.handle_event(event, body.get("team_id"), event_id)
            log.debug("event %s: %s", event_id, outcome.done)
        except Exception as exc:  # one bad event must not stop the others
            log.error("event %s failed: %s", event_id, describe(exc))

    app.event("message")(on_event)
    app.event("reaction_added")(on_event)

    @app.action(re.compile(r"^supportml_"))
    def on_action(ack: Ack, body: Mapping[str, Any]) -> None:
        ack()
        try:
            outcome = responder.handle_action(body)
            log.debug("action %s: %s", body.get("actions", [{}])[0].get("action_id"), outcome.done)
        except Exception as exc:
            log.error("action on %s failed: %s", body.get("container", {}), describe(exc))

    def open_intake(ack: Ack, body: Mapping[str, Any]) -> None:
        if responder.config.shadow:
            ack("supportml runs in shadow mode: post your request in the support channel.")
            return
        ack()
        try:
            responder.slack.open_modal(  # type: ignore[union-attr]
                body["trigger_id"], responder.intake_view(str(body.get("text") or ""))
            )
        except Exception as exc:
            log.error("opening the intake form failed: %s", describe(exc))

    app.command("/support")(open_intake)
    app.shortcut(blocks.SHORTCUT)(open_intake)

    @app.view(blocks.INTAKE_VIEW)
    def on_submit(ack: Ack, body: Mapping[str, Any]) -> None:
        values = body.get("view", {}).get("state", {}).get("values", {})
        model = responder.model  # the topic is checked and the request answered by one model
        errors = intake_errors(values, model.topics)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        try:
            outcome = responder.submit_intake(body, model)
            log.debug("intake form: %s", outcome.done)
        except Exception as exc:
            log.error("posting an intake form failed: %s", describe(exc))

    return app


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog; the default 5 resets connections in a burst
    app: App
    healthy: Any


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # access logs would be per-event noise
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if urlsplit(self.path).path != HEALTH_PATH:
            self._send(404, b'{"ok":false}')
            return
        status, payload = self.server.healthy()
        self._send(status, json.dumps(payload).encode())

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path != EVENTS_PATH:
            self._send(404, b'{"ok":false}')
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        response = self.server.app.dispatch(
            BoltRequest(body=raw.decode("utf-8"), query=parts.query, headers=headers)
        )
        kind = response.headers.get("content-type", ["text/plain;charset=utf-8"])[0]
        self._send(response.status, (response.body or "").encode("utf-8"), kind)

    def _send(self, status: int, payload: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def http_server(app: App, responder: Responder, host: str, port: int) -> ThreadingHTTPServer:
    """Events API, interactivity and /support on POST /slack/events; GET /healthz for probes.

    Port 0 picks a free port (``server.server_address[1]``). Call ``serve_forever()`` to run.
    """
    server = _Server((host, port), _Handler)
    server.app = app

    def healthy() -> tuple[int, dict[str, Any]]:
        try:
            with responder.engine.connect() as connection:
                connection.execute(sql("SELECT 1"))
        except Exception as exc:
            return 503, {"ok": False, "store": describe(exc)}
        return 200, {"ok": True, "model_version": responder.suggester.model_version}

    server.healthy = healthy
    return server


def catch_up_every(responder: Responder, seconds: float, stop: threading.Event) -> threading.Thread:
    """Post missing replies (and forget event ids older than a week) now and then every
    ``seconds`` until ``stop`` is set."""

    def loop() -> None:
        while True:
            try:
                responder.forget_old_events()
                posted = responder.catch_up()
                if posted:
                    log.info(
                        "caught up: posted %d missing repl%s", posted, "y" if posted == 1 else "ies"
                    )
            except Exception as exc:
                log.error("catching up on missing replies failed: %s", describe(exc))
            if stop.wait(seconds):
                return

    thread = threading.Thread(target=loop, name="supportml-catch-up", daemon=True)
    thread.start()
    return thread


def serve_in_thread(server: ThreadingHTTPServer, poll_interval: float = 0.05) -> threading.Thread:
    """Run an http_server in a daemon thread (tests and benchmarks); ``shutdown()`` waits up to
    ``poll_interval`` (the standard library's 0.5 s added that much to every test)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
    )
    thread.start()
    return thread
