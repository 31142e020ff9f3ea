"""Nothing acknowledged is lost: `supportml serve --http` under faults, against today's code.

On a fresh SQLite file and a fresh PostgreSQL schema, 2,000 signed message events (texts from
datasets/sample_requests.csv) are posted from 4 clients to a `serve --http` subprocess talking to
tests/slack/fake_slack.py. Slack's delivery is simulated: an event that gets no 200 within 3 s
(an error, a refused connection, a timeout) is delivered again with the same event id and
X-Slack-Retry-Num, up to 3 retries, at once, 1 minute and 5 minutes after the failure before
(Slack's schedule; ``--retry-scale 0.1`` shortens the gaps, and a kill run whose restart took
longer than the scaled gaps is reported as such, not as events Slack would have given up on).
Retries are sent from as many threads as there are clients. Runs, each on a fresh store:
  none      no fault: the ack latency (p50/p99 of first deliveries);
  kill      SIGKILL the server after 500 acks (--quick: a quarter of the events) and start it
            again on the same port;
  db-down   the database unreachable for 10 s from the same moment (PostgreSQL: a TCP proxy run here
            between the app and PostgreSQL, in this run only, is stopped and started; SQLite: an
            exclusive lock held on the file for 10 s);
  late      the Web API posts but answers after the client's timeout for 5% of chat.postMessage.
Each run ends when the inbox is empty and every stored request has its reply recorded (an event
stored but never acked, its 200 lost to the kill, is handled too), or after 20 s without
progress. Counted from the stand-in and the store: lost (an event Slack got a 200 for, not
stored), gave up (no 200 in 4 deliveries), unanswered (stored, no reply in its thread), duplicate
replies (a thread with more than one), and replies in a thread the store does not know were
posted (today's catch-up, every 5 minutes, would post those again: duplicates deferred past the
run). Targets: 0 lost, 0 gave up, 0 duplicates, 0 unanswered; ack p99 < 100 ms
without faults.

"today" is main before the inbox change (commit 38b2b52, checked out with `git worktree add
--detach`), run with this venv; its Slack client timeout is patched down like ours. Short leases
and catch-up intervals (hidden `serve` options) keep recovery within the run.

    python benchmarks/fault_benchmark.py [--events 2000] [--quick] [--faults none,kill,db-down,late]
        [--sqlite-only | --stores sqlite,postgresql] [--base-commit 38b2b52] [--no-base]
        [--retry-scale 1.0] [--log-dir DIR]
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from responder_benchmark import (
    DOCS,
    SAMPLE,
    SUPPORTML,
    environment,
    load_fake_slack,
    make_events,
    sign,
    store_counts,
)
from sqlalchemy import func, select

from supportml.store import connect
from supportml.store.models import InboxEvent, Request

ROOT = Path(__file__).resolve().parents[1]
SLACK_TIMEOUT = 3.0  # Slack waits this long for a 2xx
RETRY_AFTER = (0.0, 60.0, 300.0)  # Slack's gaps before retries 1-3 (seconds, --retry-scale)
CLIENT_TIMEOUT = 2  # the responder's WebClient timeout in these runs (seconds)
LEASE, CATCH_UP = 5, 2  # seconds: the responder's leases and catch-up interval in these runs
TARGET_P99_MS = 100.0
# today's serve with its Slack client timeout patched to CLIENT_TIMEOUT (it has no option for it)
BASE_LAUNCHER = (
    "import functools, sys, slack_sdk;"
    "slack_sdk.WebClient.__init__ = functools.partialmethod(slack_sdk.WebClient.__init__, "
    f"timeout={CLIENT_TIMEOUT});"
    "from supportml.cli import main; sys.argv[0] = 'supportml'; main()"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Delivery:
    """What Slack saw for one event."""

    n: int
    body: str
    ts: str
    attempts: int = 0
    acked: bool = False
    first_ack: float | None = None  # seconds, when the first delivery got its 200


@dataclass
class Slack:
    """Slack's side: deliveries from ``clients`` threads, retries on a schedule."""

    url: str
    clients: int
    deliveries: list[Delivery]
    retry_after: tuple[float, ...] = RETRY_AFTER
    acked_count: int = 0
    last_retry: float = 0.0  # time.monotonic() of the last retry sent
    on_ack: Any = None  # called with the number of acks so far (the kill fault watches it)
    _due: list[tuple[float, int]] = field(default_factory=list)
    _sending: int = 0  # retries being sent now (each may schedule another)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, delivery: Delivery, connection: http.client.HTTPConnection | None) -> Any:
        delivery.attempts += 1
        retry = delivery.attempts - 1
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        headers = {"Content-Type": "application/json", **sign(delivery.body)}
        headers |= extra if retry else {}
        parts = urlsplit(self.url)
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, SLACK_TIMEOUT)
        start = time.perf_counter()
        try:
            connection.request("POST", "/slack/events", delivery.body.encode(), headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:  # refused, reset, timed out
            connection.close()
            connection, ok = None, False
        if ok:
            with self._lock:
                delivery.acked = True
                if retry == 0:
                    delivery.first_ack = time.perf_counter() - start
                self.acked_count += 1
                count = self.acked_count
            if self.on_ack is not None:
                self.on_ack(count)
        elif delivery.attempts <= len(self.retry_after):
            due = time.monotonic() + self.retry_after[delivery.attempts - 1]
            with self._lock:
                heapq.heappush(self._due, (due, delivery.n))
        return connection

    def run(self) -> None:
        """Every first delivery, then the retries as they fall due (from ``clients`` threads,
        as Slack sends them at once); returns when none is left."""

        def first(chunk: list[Delivery]) -> None:
            connection = None
            for delivery in chunk:
                connection = self._post(delivery, connection)

        firsts = [
            threading.Thread(target=first, args=(self.deliveries[i :: self.clients],))
            for i in range(self.clients)
        ]

        def retry() -> None:
            while True:
                with self._lock:
                    due = self._due and self._due[0][0] <= time.monotonic()
                    item = heapq.heappop(self._due) if due else None
                    self._sending += item is not None
                    over = not (item or self._due or self._sending)
                if over and not any(t.is_alive() for t in firsts):
                    return
                if item is None:
                    time.sleep(0.05)
                    continue
                self.last_retry = time.monotonic()
                self._post(self.deliveries[item[1]], None)
                with self._lock:
                    self._sending -= 1

        retries = [threading.Thread(target=retry) for _ in range(self.clients)]
        for thread in firsts + retries:
            thread.start()
        for thread in firsts + retries:
            thread.join()


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL; ``down()`` cuts it off, ``up()``
    restores it (a database that is unreachable for a while)."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        assert self._listener is not None
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """A server subprocess, returned once it printed its listening line."""
    with log.open("a") as stderr:
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = child.stdout.readline() if child.stdout else ""
    if not line:
        child.wait(30)
        raise SystemExit(f"{command[:3]} did not start: {log.read_text()[-2000:]}")
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    manager = process(command, env, log)
    child = manager.__enter__()
    child._manager = manager  # type: ignore[attr-defined]
    return child


def finish(child: subprocess.Popen[str]) -> None:
    child._manager.__exit__(None, None, None)  # type: ignore[attr-defined]


def replies_in_threads(fake: Any) -> Counter[str]:
    return Counter(m["thread_ts"] for m in fake.messages if m.get("thread_ts"))


def unsettled(url: str) -> tuple[int, int]:
    """(inbox rows, requests without a recorded reply): both 0 when the responder has nothing
    left to do."""
    engine = connect(url)
    try:
        with engine.connect() as connection:
            inbox = connection.scalar(select(func.count()).select_from(InboxEvent))
            unreplied = connection.scalar(
                select(func.count()).select_from(Request).where(Request.reply_ts.is_(None))
            )
    finally:
        engine.dispose()
    return int(inbox or 0), int(unreplied or 0)


def outcome(
    fake: Any, url: str, deliveries: list[Delivery], idle: float
) -> tuple[dict[str, Any], float]:
    """Wait until the responder has nothing left to do (its inbox empty, every stored request
    answered) and every acked event is stored, or nothing changed for
    ``idle`` seconds (recovery is over, or never comes), then count."""
    start_wait, last, changed = time.perf_counter(), None, time.monotonic()
    acked = sum(d.acked for d in deliveries)
    while time.monotonic() - changed < idle:
        counts = store_counts(url), unsettled(url), len(fake.messages)
        if counts[0][0] >= acked and counts[1] == (0, 0):
            break
        if counts != last:
            last, changed = counts, time.monotonic()
        time.sleep(0.5)
    engine = connect(url)
    with engine.connect() as connection:
        stored = set(connection.scalars(select(Request.ts)))
        unrecorded = set(connection.scalars(select(Request.ts).where(Request.reply_ts.is_(None))))
    engine.dispose()
    threads = replies_in_threads(fake)
    return {
        "acked": acked,
        "gave_up": sum(not d.acked for d in deliveries),
        "deliveries": sum(d.attempts for d in deliveries),
        "lost": sum(d.acked and d.ts not in stored for d in deliveries),
        "stored": len(stored),
        # stored before the kill, the 200 never sent, Slack's retries all failed: answered anyway
        "stored_not_acked": sum(not d.acked and d.ts in stored for d in deliveries),
        "unanswered": sum(threads[ts] == 0 for ts in stored),
        "duplicate_replies": sum(n - 1 for n in threads.values() if n > 1),
        # posted but not recorded as posted: the next catch-up would post these again
        "reply_in_thread_not_recorded": sum(threads[ts] > 0 for ts in unrecorded),
    }, time.perf_counter() - start_wait


def one_run(
    code: str, kind: str, fault: str, url: str, db_fault: Any, fake_slack: Any, model: Path,
    events: list[tuple[str, str]], clients: int, logs: Path, base_dir: Path | None,
    retry_after: tuple[float, ...],
) -> dict[str, Any]:  # fmt: skip
    port = free_port()
    serve = [
        "serve", "--http", "--host", "127.0.0.1", "--port", str(port), "--model", str(model),
        "--docs", str(DOCS), "--database-url", url, "--catch-up-minutes", "100000",
    ]  # fmt: skip
    if code != "today":  # the events are a day old: reminders would post in their threads
        serve += ["--remind-after", "0"]
    log = logs / f"{code}-{kind}-{fault}.log"
    with fake_slack.running() as fake:
        env = environment(fake, url)
        if code == "today":
            assert base_dir is not None
            env["PYTHONPATH"] = str(base_dir)
            command = [sys.executable, "-c", BASE_LAUNCHER, *serve]
        else:
            command = [
                str(SUPPORTML), *serve, "--lease-seconds", str(LEASE),
                "--catch-up-seconds", str(CATCH_UP), "--slack-timeout", str(CLIENT_TIMEOUT),
            ]  # fmt: skip
        if fault == "late":
            fake.late_every("chat.postMessage", 20, CLIENT_TIMEOUT + 1.0)
        deliveries = [Delivery(n, body, ts) for n, (body, ts) in enumerate(events)]
        slack = Slack(f"http://127.0.0.1:{port}", clients, deliveries, retry_after)
        child = start(command, env, log)
        struck, strike_lock = threading.Event(), threading.Lock()
        restart: list[float] = []  # seconds from the SIGKILL to the new server listening
        outage = threading.Thread(target=db_fault, args=(10.0,), daemon=True)

        def on_ack(count: int) -> None:
            """The fault strikes mid-burst: once a quarter of the events (at most 500) are in."""
            nonlocal child
            if fault not in ("kill", "db-down") or count < min(500, len(events) // 4):
                return
            with strike_lock:
                if struck.is_set():
                    return
                struck.set()
                if fault == "db-down":
                    outage.start()
                    return
                killed = time.monotonic()
                child.kill()  # SIGKILL: nothing finishes
                child.wait()
                child = start(command, env, log)
                restart.append(time.monotonic() - killed)

        slack.on_ack = on_ack
        began = time.perf_counter()
        slack.run()
        sent = time.perf_counter() - began
        if outage.is_alive():
            outage.join()
        counts, waited = outcome(fake, url, deliveries, idle=20.0)
        finish(child)
    acks = np.array([d.first_ack for d in deliveries if d.first_ack is not None]) * 1000
    return {
        "code": code, "db": kind, "fault": fault, "events": len(events), "clients": clients,
        **counts,
        "ack_p50_ms": round(float(np.percentile(acks, 50)), 2) if len(acks) else None,
        "ack_p99_ms": round(float(np.percentile(acks, 99)), 2) if len(acks) else None,
        "delivery_seconds": round(sent, 1), "recovery_wait_seconds": round(waited, 1),
        "errors_logged": log.read_text().count(" ERROR "),
        **({"restart_seconds": round(restart[0], 2)} if restart else {}),
        "retries_span_seconds": sum(retry_after),
    }  # fmt: skip


def sqlite_lock(path: Path) -> Any:
    def hold(seconds: float) -> None:
        holder = sqlite3.connect(path, timeout=30, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        holder.execute("ROLLBACK")
        holder.close()

    return hold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="500 events (a 2-core box)")
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgresql", help="which stores, in order")
    parser.add_argument("--faults", default="none,kill,db-down,late")
    parser.add_argument("--base-commit", default="38b2b52")
    parser.add_argument("--no-base", action="store_true", help="only the current code")
    parser.add_argument("--log-dir", type=Path, help="keep the servers' logs here")
    parser.add_argument(
        "--retry-scale", type=float, default=1.0,
        help="multiply Slack's retry gaps (0, 60, 300 s) by this; 0.1 still outlasts a restart "
        "of up to 36 s, and a run whose restart took longer says so",
    )  # fmt: skip
    args = parser.parse_args()
    count = 500 if args.quick else args.events
    retry_after = tuple(gap * args.retry_scale for gap in RETRY_AFTER)

    from supportml.data import load_requests
    from supportml.model import ModelParams
    from supportml.train import train

    fake_slack = load_fake_slack()
    events = make_events(count, fake_slack.TEAM)
    faults = args.faults.split(",")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base_dir = None if args.no_base else root / "base"
        if base_dir is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_dir),
                 args.base_commit], check=True, capture_output=True,
            )  # fmt: skip
        try:
            train(load_requests(SAMPLE), ModelParams(), root / "model")
            kinds = ["sqlite"] if args.sqlite_only else args.stores.split(",")
            codes = ["supportml"] + ([] if base_dir is None else ["today"])
            for kind in kinds:
                for fault in faults:
                    for code in codes:
                        proxied = fault == "db-down"
                        with store(kind, root, args.postgres, proxied) as (url, db_fault):
                            line = one_run(
                                code, kind, fault, url, db_fault, fake_slack, root / "model",
                                events, args.clients, args.log_dir or root, base_dir,
                                retry_after,
                            )  # fmt: skip
                        print(json.dumps(line), flush=True)
                        if line.get("restart_seconds", 0) >= sum(retry_after):
                            failures.append(
                                f"{code} {kind}/{fault}: the restart outlasted the retries "
                                "(raise --retry-scale): 'gave up' is the benchmark's"
                            )
                        if code == "supportml" and (
                            line["lost"] or line["gave_up"] or line["duplicate_replies"]
                            or line["unanswered"]
                            or (fault == "none" and line["ack_p99_ms"] >= TARGET_P99_MS)
                        ):  # fmt: skip
                            failures.append(f"{kind}/{fault}")
        finally:
            if base_dir is not None:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_dir)],
                    check=False, capture_output=True,
                )  # fmt: skip
    if failures:
        raise SystemExit(f"targets missed: {', '.join(failures)}")


counter = iter(range(10_000))


@contextmanager
def store(kind: str, root: Path, postgres: str, proxied: bool) -> Iterator[tuple[str, Any]]:
    """A fresh store and the way to make it unreachable for a while (PostgreSQL: only when
    ``proxied``, else the proxy's threads would share this process's interpreter with the
    clients for every query, in runs that never cut it)."""
    if kind == "sqlite":
        path = root / f"store{next(counter)}.db"
        yield f"sqlite:///{path}", sqlite_lock(path)
        return
    if not proxied:
        with postgres_schema(postgres) as url:
            yield url, None
        return
    target = urlsplit(postgres.split("?")[0])
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))

    def cut(seconds: float) -> None:
        proxy.down()
        time.sleep(seconds)
        proxy.up()

    with postgres_schema(postgres) as url:
        yield url.replace(f":{target.port or 5432}/", f":{proxy.port}/"), cut
    proxy.down()


if __name__ == "__main__":
    main()
