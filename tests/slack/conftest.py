"""A real Bolt App and WebClient pointed at the local Slack stand-in, served over real HTTP.

Tests send signed request bodies exactly as Slack does (``v0:{timestamp}:{body}``, HMAC-SHA256)
to ``POST /slack/events`` or through ``App.dispatch``, then assert on what the stand-in recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest

from supportml.docs import Catalogue, DocEntry, DocIndex
from supportml.slack.app import WebPort, build_app, http_server, serve_in_thread
from supportml.slack.client import web_client
from supportml.slack.handlers import Responder, ResponderConfig
from supportml.slack.metrics import Metrics
from supportml.store import open_store
from supportml.suggest import Suggester
from tests.conftest import migrated
from tests.slack.fake_slack import BOT_ID, BOT_USER, TEAM, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0SUPPORT1"
OTHER_CHANNEL = "C0RANDOM01"
REQUESTER, HELPER, STAFF, STRANGER = "U0REQUEST1", "U0HELPER01", "U0STAFF001", "U0STRANGE1"

_ts = itertools.count(1)
_event = itertools.count(1)


def new_ts() -> str:
    """A fresh Slack message ts near now (the responder turns it into created_at)."""
    return f"{int(time.time()) - 3600}.{next(_ts):06d}"


def handbook() -> DocIndex:
    def page(doc_id: str, title: str, body: str, topic: str) -> DocEntry:
        return DocEntry(doc_id, title, f"https://h.example.gov/{doc_id}", (topic,), body=body)

    pages = (
        ("access/okta", "Requesting Okta SSO access", "grant a role login denied sso okta access"),
        ("review/prs", "Getting a pull request reviewed", "codeowners approve review pull request"),
        ("deploy/rollback", "Rolling back a release", "helm rollback production deploy failed"),
    )
    topics = ("Access Request", "PR Review", "Failed Deployment")
    return DocIndex(Catalogue(tuple(page(*p, t) for p, t in zip(pages, topics, strict=True))))


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def envelope(event: dict[str, Any], event_id: str | None = None) -> str:
    """An Events API callback body around ``event``."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0SUPPORT",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
    )


def message(
    text: str, user: str = REQUESTER, channel: str = CHANNEL, **extra: Any
) -> dict[str, Any]:
    ts = extra.pop("ts", None) or new_ts()
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
            "event_ts": ts, "channel_type": "channel", **extra}  # fmt: skip


def interaction(payload: dict[str, Any]) -> str:
    """A form-encoded interactivity body (block_actions, view_submission, shortcut)."""
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class Harness:
    """The stand-in, the store, the responder, the App and its HTTP server, all real."""

    slack: FakeSlack
    responder: Responder
    app: App
    url: str
    engine: Any
    executor: TrackingExecutor
    metrics: Metrics

    def post(
        self, body: str, headers: dict[str, str] | None = None, form: bool = False
    ) -> tuple[int, str]:
        """POST a signed body to /slack/events over HTTP; (status, response body)."""
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        request = urllib.request.Request(
            self.url, data=body.encode(), method="POST",
            headers={"Content-Type": kind, **(sign(body) if headers is None else headers)},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> int:
        body = envelope(event, event_id)
        status, _ = self.post(body, {**sign(body), **headers})
        return status

    def dispatch(self, body: str, form: bool = False) -> int:
        """Through App.dispatch (no HTTP), as Bolt's own tests do."""
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        request = BoltRequest(body=body, headers={"content-type": [kind], **{
            k.lower(): [v] for k, v in sign(body).items()}})  # fmt: skip
        return self.app.dispatch(request).status

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every listener Bolt started has finished (they run after the ack)."""
        self.executor.wait(timeout)


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, with a way to wait for everything submitted so far."""

    def __init__(self) -> None:
        super().__init__(max_workers=10)
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def wait(self, timeout: float) -> None:
        done, pending = futures_wait(list(self.futures), timeout=timeout)
        assert not pending, f"{len(pending)} listener(s) still running"
        for future in done:
            future.result()


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def make_harness(
    trained: Any, slack_api: FakeSlack, url: str, **config: Any
) -> tuple[Harness, Any]:
    engine = open_store(url)
    client = web_client("xoxb-test-token", slack_api.base_url)
    suggester = Suggester.from_card(trained.classifier, trained.card, handbook())
    settings = {"channels": frozenset({CHANNEL}), "staff": frozenset({STAFF}), "holdout": 0.0}
    port = WebPort(client)
    responder = Responder(
        engine, suggester, ResponderConfig(**{**settings, **config}),
        slack=None if config.get("shadow") else port, own_ids=frozenset({BOT_USER, BOT_ID}),
    )  # fmt: skip
    metrics = Metrics()
    metrics.instrument(client)
    metrics.instrument(port.poster)
    metrics.watch(responder)
    executor = TrackingExecutor()
    app = build_app(responder, client, SECRET, executor, metrics)
    server = http_server(app, responder, SECRET, "127.0.0.1", 0, metrics)
    serve_in_thread(server)
    harness = Harness(
        slack_api, responder, app, f"http://127.0.0.1:{server.server_address[1]}/slack/events",
        engine, executor, metrics,
    )  # fmt: skip
    return harness, server


def running(trained: Any, slack_api: FakeSlack, url: str) -> Iterator[Harness]:
    """A harness on the store at ``url``, shut down and disposed afterwards."""
    built, server = make_harness(trained, slack_api, url)
    yield built
    server.shutdown()
    server.server_close()
    built.engine.dispose()


@pytest.fixture
def harness(
    trained: Any, slack_api: FakeSlack, tmp_path: Any, sqlite_template: Path
) -> Iterator[Harness]:
    """On SQLite; tests that need PostgreSQL use ``on_any_store``."""
    url = migrated(f"sqlite:///{tmp_path / 'store.db'}", sqlite_template)
    yield from running(trained, slack_api, url)


@pytest.fixture
def on_any_store(
    trained: Any, slack_api: FakeSlack, database_url: str, sqlite_template: Path
) -> Iterator[Harness]:
    """The harness on SQLite and on the local PostgreSQL."""
    yield from running(trained, slack_api, migrated(database_url, sqlite_template))
