"""A small local HTTP server standing in for Slack's Web API: the only fake in the test suite.

It binds port 0 on 127.0.0.1, records every call's method and body (JSON or form), answers the
methods supportml uses with Slack-shaped responses, and can be told to fail the next calls with
429 + Retry-After or 500, or to answer them with a Slack error (``error_next``), or to keep one
waiting until the test releases it (``hold_next``: an event in flight), or to post and then
answer only after the client gave up (``late_next`` / ``late_every``: the ambiguous timeout).
Posted messages are kept with their metadata; ``conversations.replies`` (a thread) and
``conversations.history`` (a channel's top level) answer from them.
Point a
``WebClient(base_url=server.base_url)`` or ``SLACK_API_URL`` at it.
Also used by benchmarks/responder_benchmark.py, so it is plain standard library.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0SYNTH01"


@dataclass
class Call:
    """One Web API call as Slack would have received it."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Hold:
    """A call kept waiting: ``arrived`` is set when it comes in; it is answered after
    ``release()`` (or after ``timeout`` seconds, so a failing test cannot hang)."""

    timeout: float = 30.0
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class FakeSlack:
    """Records calls; ``fail_next(method, status, times, retry_after)`` injects failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failed: list[Call] = []  # calls answered with an injected 429/500
        self.uploads: dict[str, bytes] = {}
        self.channels: list[dict[str, str]] = []  # what conversations.list answers: {id, name}
        self.socket_url = ""  # what apps.connections.open answers (a local WebSocket server)
        self.messages: list[dict[str, Any]] = []  # what chat.postMessage posted, as Slack keeps it
        self._late: dict[str, list[float]] = {}
        self._late_every: dict[str, tuple[int, float]] = {}
        self._late_count: dict[str, int] = {}
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._errors: dict[str, list[str]] = {}
        self._holds: dict[str, list[Hold]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(  # a short poll: stop() returns at once
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (429: with Retry-After)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 200 and ``ok: false, error``."""
        with self._lock:
            self._errors.setdefault(method, []).extend([error] * times)

    def hold_next(self, method: str) -> Hold:
        """Keep the next call of ``method`` waiting (unanswered, unrecorded) until released."""
        hold = Hold()
        with self._lock:
            self._holds.setdefault(method, []).append(hold)
        return hold

    def late_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` but answer only after ``seconds``
        (longer than the client's timeout: the call worked, the client thinks it failed)."""
        with self._lock:
            self._late.setdefault(method, []).extend([seconds] * times)

    def late_every(self, method: str, every: int, seconds: float) -> None:
        """Answer every ``every``-th call of ``method`` after ``seconds`` (a steady share)."""
        with self._lock:
            self._late_every[method] = (every, seconds)

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The posted messages in a thread."""
        with self._lock:
            return [
                m for m in self.messages
                if m["channel"] == channel and m.get("thread_ts") == thread_ts
            ]  # fmt: skip

    def clear_failures(self) -> None:
        """Answer normally again (an outage is over)."""
        with self._lock:
            self._failures.clear()

    def of(self, method: str) -> list[Call]:
        """Calls of one method, in arrival order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived (listeners run after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.of(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(f"expected {count} {method} call(s), got {len(self.of(method))}")

    # -- called by the handler -------------------------------------------------------------------
    def _delay(self, method: str) -> float:
        with self._lock:
            queue = self._late.get(method)
            if queue:
                return queue.pop(0)
            every, seconds = self._late_every.get(method, (0, 0.0))
            count = self._late_count[method] = self._late_count.get(method, 0) + 1
            return seconds if every and count % every == 0 else 0.0

    def _wait_if_held(self, method: str) -> None:
        with self._lock:
            queue = self._holds.get(method)
            hold = queue.pop(0) if queue else None
        if hold is not None:
            hold.arrived.set()
            hold.released.wait(hold.timeout)

    def _record(
        self, method: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, int]:
        with self._lock:
            queue = self._failures.get(method)
            if queue:
                self.failed.append(Call(method, body, headers))
                return queue.pop(0)
            self.calls.append(Call(method, body, headers))
            return 200, 0

    def _answer(self, method: str, body: dict[str, Any], host: str) -> dict[str, Any]:
        with self._lock:
            errors = self._errors.get(method)
            if errors:
                return {"ok": False, "error": errors.pop(0)}
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "team_id": TEAM,
                "user": "supportml",
                "team": "Synthetic",
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = body.get("ts") or f"{1_800_000_000 + next(self._ts)}.000100"
            if method == "chat.postMessage":
                with self._lock:
                    self.messages.append({
                        "type": "message", "ts": ts, "bot_id": BOT_ID, "user": BOT_USER,
                        "channel": body.get("channel"), "thread_ts": body.get("thread_ts"),
                        "text": body.get("text"), "metadata": body.get("metadata"),
                    })  # fmt: skip
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": ts,
                "message": {"text": body.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1_800_000_000 + next(self._ts)}.000200"}
        if method == "chat.getPermalink":
            return {
                "ok": True,
                "channel": body.get("channel"),
                "permalink": f"https://synthetic.slack.com/archives/{body.get('channel')}/"
                f"p{str(body.get('message_ts', '')).replace('.', '')}",
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"http://{host}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "conversations.replies":
            thread = self.replies(str(body.get("channel")), str(body.get("ts")))
            keep = str(body.get("include_all_metadata")).lower() in ("1", "true")
            shown = [m if keep else {k: v for k, v in m.items() if k != "metadata"} for m in thread]
            return {"ok": True, "messages": shown, "has_more": False}
        if method == "conversations.history":
            oldest = float(body.get("oldest") or 0)
            with self._lock:
                top = [
                    m for m in self.messages
                    if m["channel"] == body.get("channel") and not m.get("thread_ts")
                    and float(m["ts"]) >= oldest
                ]  # fmt: skip
            keep = str(body.get("include_all_metadata")).lower() in ("1", "true")
            shown = [m if keep else {k: v for k, v in m.items() if k != "metadata"} for m in top]
            return {"ok": True, "messages": shown[::-1], "has_more": False}
        if method == "conversations.list":
            return {"ok": True, "channels": self.channels, "response_metadata": {"next_cursor": ""}}
        return {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet: the tests assert on recorded calls
        pass

    def do_GET(self) -> None:  # noqa: N802 (WebClient sends some methods as GET with a query)
        path, _, query = self.path.partition("?")
        self._call(path.rsplit("/", 1)[1], dict(parse_qsl(query)))

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/upload/"):
            self.fake.uploads[self.path.rsplit("/", 1)[1]] = raw
            self._send(200, b"OK", "text/plain")
            return
        method = self.path.rsplit("/", 1)[1]
        kind = self.headers.get("Content-Type", "")
        if "json" in kind:
            body = json.loads(raw or b"{}")
        elif "multipart" in kind:
            body = {"multipart_bytes": len(raw)}
        else:
            body = dict(parse_qsl(raw.decode("utf-8")))
        self._call(method, body)

    def _call(self, method: str, body: dict[str, Any]) -> None:
        self.fake._wait_if_held(method)
        status, retry_after = self.fake._record(method, body, dict(self.headers))
        if status == 429:
            self._send(
                429, b'{"ok":false,"error":"ratelimited"}', extra={"Retry-After": str(retry_after)}
            )
        elif status != 200:
            self._send(status, b'{"ok":false,"error":"internal_error"}')
        else:
            host = self.headers.get("Host", f"127.0.0.1:{self.fake.port}")
            answer = json.dumps(self.fake._answer(method, body, host)).encode()
            delay = self.fake._delay(method)
            if delay:
                time.sleep(delay)
            with suppress(OSError):  # the client gave up waiting: it was done all the same
                self._send(200, answer)

    def _send(
        self,
        status: int,
        payload: bytes,
        kind: str = "application/json",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def running() -> Iterator[FakeSlack]:
    """A started stand-in, stopped afterwards."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
