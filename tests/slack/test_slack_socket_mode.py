"""`supportml serve` in Socket Mode (the default), as a real process against local stand-ins.

Slack's side of Socket Mode is two things: `apps.connections.open` on the Web API (the stand-in
answers it with the address of a local WebSocket server) and the WebSocket itself, which sends
envelopes and expects each to be acknowledged with its envelope_id. slack_sdk's built-in client
speaks plain ws:// to any port other than 443, which is what makes this test possible.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from tests.slack.conftest import CHANNEL, envelope, message
from tests.slack.fake_slack import FakeSlack, running


class SocketStandIn:
    """A WebSocket server playing Slack: it sends the queued envelopes to each connection and
    records what the app sends back (acks)."""

    def __init__(self) -> None:
        self.outgoing: queue.Queue[dict[str, Any]] = queue.Queue()
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connections = 0
        self.connected = threading.Event()
        self.server: Server = serve(self._session, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _session(self, connection: ServerConnection) -> None:
        self.connections += 1
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        self.connected.set()
        while True:
            try:
                envelope = self.outgoing.get(timeout=0.05)
                connection.send(json.dumps(envelope))
            except queue.Empty:
                pass
            try:
                self.received.put(json.loads(connection.recv(timeout=0.05)))
            except TimeoutError:
                continue
            except Exception:  # the app closed the connection
                return

    def send_event(self, body: str, envelope_id: str) -> None:
        self.outgoing.put(
            {
                "envelope_id": envelope_id,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": json.loads(body),
            }
        )

    def ack_for(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        # the app's start-up (imports, model load) is not the ack's time: wait for it apart
        assert self.connected.wait(timeout=120), "the app never opened the WebSocket"
        while True:
            reply = self.received.get(timeout=timeout)
            if reply.get("envelope_id") == envelope_id:
                return reply


@pytest.fixture
def stand_ins() -> Iterator[tuple[FakeSlack, SocketStandIn]]:
    socket = SocketStandIn()
    with running() as web:
        web.socket_url = socket.url
        yield web, socket
    socket.server.shutdown()


def start(trained: Any, web: FakeSlack, tmp_path: Any, app_token: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-secret",
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": web.base_url,
        "SUPPORTML_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "SUPPORTML_CHANNELS": CHANNEL,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "supportml", "serve", "--model", str(trained.model_dir),
         "--docs", "none"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_socket_mode_acks_envelopes_and_replies_in_the_thread(trained, stand_ins, tmp_path):
    web, socket = stand_ins
    process = start(trained, web, tmp_path, "xapp-secret")
    try:
        event = message("okta sso access denied, can someone grant me a role?")
        socket.send_event(envelope(event, "EvSOCKET1"), "env-1")
        assert socket.ack_for("env-1") == {"envelope_id": "env-1"}
        reply = web.wait_for("chat.postMessage")[0]
        assert reply.body["channel"] == CHANNEL and reply.body["thread_ts"] == event["ts"]
        socket.send_event(envelope(event, "EvSOCKET1"), "env-2")  # Slack redelivers
        assert socket.ack_for("env-2") == {"envelope_id": "env-2"}
        opened = web.of("apps.connections.open")
        assert opened and opened[0].headers["Authorization"] == "Bearer xapp-secret"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0 and "stopped" in stderr
    assert len(web.of("chat.postMessage")) == 1  # the redelivery gave no second reply
    assert "xapp-secret" not in stderr and "xoxb-secret" not in stderr and "okta" not in stderr


def test_a_refused_app_token_is_one_line(trained, stand_ins, tmp_path):
    web, _ = stand_ins
    web.error_next("apps.connections.open", "invalid_auth")
    process = start(trained, web, tmp_path, "xapp-revoked")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "error: Slack refused SLACK_APP_TOKEN" in stderr and "invalid_auth" in stderr
    assert "Traceback" not in stderr and "xapp-revoked" not in stderr
