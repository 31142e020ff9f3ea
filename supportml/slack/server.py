"""The HTTP front: Bolt's Starlette adapter under uvicorn, with the limits a public endpoint needs.

Why uvicorn + Starlette: Bolt ships the Starlette adapter, uvicorn is the well-kept server for
it (and both were already installed with MLflow), and one event loop holds thousands of idle
connections where a thread per connection held a thread each. What is added here, in order:

- a cap on the body (``Content-Length`` over ``MAX_BODY`` is refused with 413 before reading;
  a chunked body is counted while it is read), a deadline for reading it (408) and one for
  the request line and headers of a new connection (it is closed);
- the signature is checked before anything is parsed (401; a body that is not UTF-8 cannot
  be Slack's and is 400 before that);
- a body that is not UTF-8, JSON or a form is one 400 and one log line, never a traceback;
- at most ``MAX_CONNECTIONS`` connections and requests at once (uvicorn answers 503 beyond);
- error logs rate-limited per message, so a flood of bad requests cannot flood the log.

Bolt's App is synchronous: dispatch (which stores the event before the ack) runs in the
thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn import Config, Server
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("supportml.slack.server")

EVENTS_PATH = "/slack/events"  # Bolt's default path for events, interactivity and commands
LIVE_PATHS = ("/livez", "/healthz")  # the process answers: restart it if not
READY_PATH = "/readyz"  # the store answers too: send events here only if so
METRICS_PATH = "/metrics"  # Prometheus (slack.metrics)
MAX_BODY = 1 << 20  # Slack sends a few KB; 1 MiB is generous
BODY_SECONDS = 10.0  # to read a body once the headers are in
HEADER_SECONDS = 10.0  # from connect to the end of the headers
IDLE_SECONDS = 5  # keep-alive between requests
MAX_CONNECTIONS = 200
BACKLOG = 1024


class _TooLarge(Exception):
    pass


class RateLimited(logging.Filter):
    """Lets at most ``burst`` records of one message template through per ``seconds``, then
    one line saying how many were suppressed when the window reopens."""

    def __init__(self, burst: int = 5, seconds: float = 60.0):
        super().__init__()
        self.burst, self.seconds = burst, seconds
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key, now = f"{record.name}:{record.msg}", time.monotonic()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.seconds:
                if count > self.burst:
                    record.msg = f"{record.msg} (and {count - self.burst} more like it suppressed)"
                start, count = now, 0
            self._windows[key] = (start, count + 1)
        return count < self.burst


def rate_limit_errors(*names: str) -> None:
    """Rate-limit warnings and errors logged on these loggers (once per logger)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimited) for f in logger.filters):
            logger.addFilter(RateLimited())


class _Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for the first request's headers: uvicorn
    times out idle keep-alive connections, not new ones that never finish a request."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.loop.call_later(HEADER_SECONDS, self._headers_due)

    def _headers_due(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise _TooLarge
    chunks, size = [], 0
    with anyio.fail_after(BODY_SECONDS):
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise _TooLarge
            chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, error: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error}, status_code=status)


def _metrics(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(_: Request) -> Response:  # in the pool: the inbox gauges query the store
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics


def asgi_app(
    app: App, signing_secret: str, ready: Callable[[], tuple[int, dict[str, Any]]],
    live: Callable[[], dict[str, Any]], registry: CollectorRegistry | None = None,
    urgent: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Starlette:  # fmt: skip
    """Slack's requests on POST /slack/events; liveness and readiness for probes; the
    ``registry`` on GET /metrics when given. ``urgent`` is held while a request is dispatched
    (Slack waits for its answer): the store lets other work wait meanwhile."""
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        try:
            body = await _body(request)
        except _TooLarge:
            log.warning("refused a body over %d bytes (413)", MAX_BODY)
            return _error(413, "body_too_large")
        except TimeoutError:
            log.warning("body not received within %gs (408)", BODY_SECONDS)
            return _error(408, "body_timeout")
        except ClientDisconnect:
            return _error(400, "disconnected")
        try:  # Slack signs UTF-8 text (and the verifier decodes the body to check it)
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("refused a body that is not UTF-8 (400)")
            return _error(400, "not_utf8")
        if not verifier.is_valid_request(text, dict(request.headers)):
            log.warning("refused a request with a missing or invalid signature (401)")
            return _error(401, "invalid_signature")
        try:
            bolt_request = to_bolt_request(request, body)
            if not isinstance(bolt_request.body, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError, AttributeError) as exc:  # bad JSON or form
            log.warning("refused a malformed signed body (400): %s", type(exc).__name__)
            return _error(400, "malformed_body")

        def dispatch() -> BoltResponse:
            with urgent():
                return app.dispatch(bolt_request)

        return to_starlette_response(await run_in_threadpool(dispatch))

    async def liveness(_: Request) -> Response:
        return JSONResponse({"ok": True, **live()})

    async def readiness(_: Request) -> Response:
        status, payload = await run_in_threadpool(ready)
        return JSONResponse(payload, status_code=status)

    routes = [
        Route(EVENTS_PATH, events, methods=["POST"]),
        Route(READY_PATH, readiness, methods=["GET"]),
        *(Route(path, liveness, methods=["GET"]) for path in LIVE_PATHS),
    ]
    if registry is not None:
        routes.append(Route(METRICS_PATH, _metrics(registry), methods=["GET"]))
    return Starlette(routes=routes)


class HttpServer:
    """uvicorn on a socket bound at construction (port 0 is known before serving starts)."""

    def __init__(self, asgi: Starlette, host: str, port: int):
        self.socket = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
        )
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.socket.listen(BACKLOG)  # connections wait in the backlog until serving starts
        self.server_address = self.socket.getsockname()[:2]
        config = Config(
            asgi, http=_Protocol, lifespan="off", log_config=None, access_log=False,
            limit_concurrency=MAX_CONNECTIONS, backlog=BACKLOG, timeout_keep_alive=IDLE_SECONDS,
            timeout_graceful_shutdown=30,
        )  # fmt: skip
        self.server = Server(config)
        self._done = threading.Event()

    def serve_forever(self) -> None:
        """Serve until `shutdown` (or SIGINT/SIGTERM when run on the main thread: uvicorn
        finishes the requests in flight, then re-raises the signal)."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._done.set()

    def shutdown(self) -> None:
        self.server.should_exit = True
        self._done.wait(35)

    def server_close(self) -> None:
        self.socket.close()
