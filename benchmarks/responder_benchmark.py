"""The Slack responder under a burst: `supportml serve --http` against the local Web API stand-in.

Trains on the bundled sample, starts tests/slack/fake_slack.py (the only fake: Slack's Web API on
127.0.0.1), then, on a fresh SQLite file and a fresh schema of the local PostgreSQL:
  (a) supportml: `supportml serve --http --port 0` as a subprocess; 2,000 signed message events
      (texts drawn from datasets/sample_requests.csv, a unique ts and event id each) posted from a
      few client threads over keep-alive connections. Measured: events/s and the ack latency
      (time to HTTP 200) p50/p99, then the time until every request has its reply recorded.
      Checked: exactly 2,000 rows in the store and 2,000 chat.postMessage calls with thread_ts,
      one per message. Then the same 2,000 again as Slack retries them (same event ids,
      X-Slack-Retry-Num: 1, X-Slack-Retry-Reason: http_timeout), and after a graceful stop
      (SIGTERM lets in-flight events finish): zero new rows, zero new replies. GET /metrics is
      scraped after the first delivery and after the retries: the responder's own counters
      (received, acked, handled as replied, failed, reply latency count) must agree with these.
  (b) baseline: the naive Bolt app, `App(process_before_response=True)` with the same listener
      logic (store, classify, post the reply) run before the ack, served by the same HTTP front
      (the script re-runs itself as that server); only the moment of the ack differs.
Target (issue 5): ack p99 < 100 ms (Slack retries after 3 s without a 2xx).

    python benchmarks/responder_benchmark.py [--events 2000] [--clients 4]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import http.client
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import numpy as np
from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from supportml.store import connect
from supportml.store.models import Request

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_requests.csv"
DOCS = ROOT / "datasets" / "docs_catalogue.yaml"
SUPPORTML = Path(sys.executable).with_name("supportml")
SECRET = "benchmark-signing-secret-0123456789"
TOKEN = "xoxb-benchmark"
CHANNELS = ("C0SUPPORT1", "C0SUPPORT2", "C0SUPPORT3")
TARGET_P99_MS = 100.0
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def load_fake_slack() -> ModuleType:
    """tests/slack/fake_slack.py by file path (tests/ is not a package the benchmarks import)."""
    path = ROOT / "tests" / "slack" / "fake_slack.py"
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def sign(body: str) -> dict[str, str]:
    """Slack's request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def make_events(count: int, team: str) -> list[tuple[str, str]]:
    """(event callback body, message ts) for ``count`` top-level messages from the sample."""
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = [(row["text"], row["user"]) for row in csv.DictReader(handle)]
    rng = random.Random(0)
    base = int(time.time()) - 86_400
    events = []
    for i in range(count):
        text, user = rng.choice(rows)
        ts = f"{base + i}.{i % 1_000_000:06d}"
        event = {
            "type": "message",
            "channel": CHANNELS[i % len(CHANNELS)],
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "channel",
        }
        body = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0SUPPORT",
            "type": "event_callback",
            "event_id": f"Ev0BENCH{i:06d}",
            "event_time": base + i,
            "event": event,
        }
        events.append((json.dumps(body), ts))
    return events


@dataclass(frozen=True)
class Burst:
    """The acks of one burst of events."""

    latencies: np.ndarray  # seconds per event, request sent to response read
    seconds: float
    not_ok: int  # answers other than 200

    def summary(self) -> dict[str, Any]:
        ms = self.latencies * 1000
        return {
            "events_per_second": round(len(ms) / self.seconds),
            "ack_p50_ms": round(float(np.percentile(ms, 50)), 2),
            "ack_p99_ms": round(float(np.percentile(ms, 99)), 2),
            "ack_max_ms": round(float(ms.max()), 2),
            "not_200": self.not_ok,
        }


def post_burst(url: str, bodies: list[str], clients: int, extra: dict[str, str]) -> Burst:
    """POST every body, signed, from ``clients`` threads with one keep-alive connection each."""
    parts = urlsplit(url)

    def send(chunk: list[str]) -> tuple[list[float], int]:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        latencies, not_ok = [], 0
        for body in chunk:
            payload = body.encode()
            headers = {"Content-Type": "application/json", **sign(body), **extra}
            start = time.perf_counter()
            connection.request("POST", "/slack/events", payload, headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            not_ok += response.status != 200
        connection.close()
        return latencies, not_ok

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(send, [bodies[i::clients] for i in range(clients)]))
    seconds = time.perf_counter() - start
    return Burst(
        np.array([x for latencies, _ in results for x in latencies]),
        seconds,
        sum(not_ok for _, not_ok in results),
    )


@contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Iterator[Any]:
    """A responder subprocess; yields (process, base URL) once it prints its listening line."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, env=env, cwd=log.parent, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        try:
            line = process.stdout.readline() if process.stdout else ""
            if not line:
                process.wait(30)
                raise SystemExit(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            yield process, json.loads(line)["listening"]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def stop(process: subprocess.Popen[str]) -> float:
    """SIGTERM, as docker stop sends; the responder finishes in-flight events first."""
    start = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(120)
    return time.perf_counter() - start


def store_counts(url: str) -> tuple[int, int]:
    """(requests stored, requests whose reply is recorded)."""
    engine = connect(url)
    try:
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(Request))
            replied = connection.scalar(
                select(func.count()).select_from(Request).where(Request.reply_ts.is_not(None))
            )
    finally:
        engine.dispose()
    return int(rows or 0), int(replied or 0)


def wait_replied(url: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while store_counts(url)[1] < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {store_counts(url)[1]} of {count} replies after {timeout} s")
        time.sleep(0.2)


COUNTERS = {  # what the benchmark counts itself -> the sample it is compared with
    "received": ("supportml_events_received_total", {"kind": "message"}),
    "acked": ("supportml_events_acked_total", {"kind": "message"}),
    "replied": ("supportml_events_handled_total", {"kind": "message", "outcome": "replied"}),
    "failed": ("supportml_events_failed_total", {}),
    "reply_latency_count": ("supportml_reply_seconds_count", {}),
    "slack_api_errors": ("supportml_slack_api_errors_total", {}),
}


def scrape(base: str) -> dict[str, float] | None:
    """The responder's counters from GET /metrics, summed over the labels not asked for
    (None: the baseline serves no metrics)."""
    try:
        with urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
    except HTTPError:
        return None
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    return {
        key: sum(
            s.value for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )
        for key, (name, labels) in COUNTERS.items()
    }  # fmt: skip


def metrics_agree(base: str, expected: dict[str, float], label: str) -> dict[str, Any] | None:
    """Scrape until the counters match ``expected`` (a reply is counted just after it is
    recorded) or 10 s passed; the line to print, or None for the baseline."""
    deadline = time.monotonic() + 10
    while (scraped := scrape(base)) is not None:
        agree = all(scraped[key] == value for key, value in expected.items())
        if agree or time.monotonic() > deadline:
            return {"run": label, "metrics": scraped, "benchmark": expected, "agree": agree}
        time.sleep(0.2)
    return None


def thread_replies(fake: Any) -> list[str]:
    """thread_ts of every chat.postMessage the stand-in received in a thread."""
    return [c.body["thread_ts"] for c in fake.of("chat.postMessage") if c.body.get("thread_ts")]


def environment(fake: Any, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORTML_"))}
    return env | {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "SUPPORTML_DATABASE_URL": url,
        "SUPPORTML_CHANNELS": ",".join(CHANNELS),
    }


def deliver(
    fake: Any,
    base: str,
    url: str,
    label: str,
    kind: str,
    events: list[tuple[str, str]],
    clients: int,
) -> dict[str, Any]:
    """First delivery of every event: the acks, then the wait until each reply is recorded."""
    count, sent = len(events), {ts for _, ts in events}
    burst = post_burst(base, [body for body, _ in events], clients, {})
    start = time.perf_counter()
    wait_replied(url, count, timeout=150)
    all_replied = burst.seconds + time.perf_counter() - start
    rows, replied = store_counts(url)
    threads = thread_replies(fake)
    acks = burst.summary()
    return {
        "db": kind,
        "run": label,
        "events": count,
        "clients": clients,
        **acks,
        "target_p99_ms": TARGET_P99_MS,
        "met": acks["ack_p99_ms"] < TARGET_P99_MS,
        "all_replied_seconds": round(all_replied, 2),
        "rows": rows,
        "replies_recorded": replied,
        "thread_replies": len(threads),
        "one_reply_per_message": len(threads) == count and set(threads) == sent,
        "nudges": len(fake.of("chat.postEphemeral")),
    }


def redeliver(
    fake: Any,
    process: subprocess.Popen[str],
    base: str,
    url: str,
    first: dict[str, Any],
    clients: int,
    bodies: list[str],
    expected: dict[str, float],
) -> dict[str, Any]:
    """Every event again as Slack retries it, then a graceful stop so none is still in flight;
    /metrics before the stop: every retry received and acked, none replied to again."""
    burst = post_burst(base, bodies, clients, RETRY)
    retried = {**expected, "received": expected["received"] + len(bodies)}
    retried["acked"] += len(bodies) - burst.summary()["not_200"]
    scraped = metrics_agree(base, retried, "retries: GET /metrics")
    stopped = stop(process)
    return {
        "db": first["db"],
        "run": f"{first['run']}: the same events retried (same event ids, X-Slack-Retry-Num: 1)",
        "events": len(bodies),
        **burst.summary(),
        "new_rows": store_counts(url)[0] - first["rows"],
        "new_replies": len(thread_replies(fake)) - first["thread_replies"],
        "graceful_stop_seconds": round(stopped, 2),
        "metrics_agree": None if scraped is None else scraped["agree"],
        "metrics": None if scraped is None else scraped["metrics"],
    }


def run(
    kind: str,
    label: str,
    command: list[str],
    url: str,
    events: list[tuple[str, str]],
    clients: int,
    fake_slack: ModuleType,
    tmp: Path,
    retries: bool,
) -> dict[str, Any]:
    """One responder against a fresh stand-in and store; prints its lines, returns the first.

    Exits non-zero after printing when a count is off or the responder logged an error.
    """
    log = tmp / f"{label.split()[0]}-{kind}.log"
    count, failures = len(events), []
    with fake_slack.running() as fake, server(command, environment(fake, url), log) as running:
        process, base = running
        first = deliver(fake, base, url, label, kind, events, clients)
        print(json.dumps(first), flush=True)
        if first["not_200"] or not (
            first["rows"] == first["replies_recorded"] == count and first["one_reply_per_message"]
        ):
            failures.append(f"{label} on {kind}: expected {count} acks, rows and thread replies")
        sent = count - first["not_200"]
        expected = {"received": count, "acked": sent, "replied": first["thread_replies"],
                    "failed": 0, "reply_latency_count": first["thread_replies"]}  # fmt: skip
        scraped = metrics_agree(base, expected, f"{label} on {kind}: GET /metrics")
        if scraped is not None:
            print(json.dumps(scraped), flush=True)
            if not scraped["agree"]:
                failures.append(f"{label} on {kind}: /metrics disagrees with the benchmark")
        if retries:
            bodies = [b for b, _ in events]
            again = redeliver(fake, process, base, url, first, clients, bodies, expected)
            print(json.dumps(again), flush=True)
            if (
                again["new_rows"]
                or again["new_replies"]
                or again["not_200"]
                or (again["metrics_agree"] is False)
            ):
                failures.append(f"retries on {kind}: new rows or replies, or acks other than 200")
    errors = log.read_text().count(" ERROR ")
    if errors:
        failures.append(f"{label} on {kind}: {errors} error(s) logged, see {log.name}")
    if failures:
        raise SystemExit("; ".join(failures))
    return first


def serve_baseline(model: str, database_url: str) -> None:
    """The naive app (the script re-runs itself as it): every event processed before its ack."""
    from slack_bolt import App

    from supportml.docs import Catalogue, DocIndex
    from supportml.model import load
    from supportml.slack.app import WebPort, http_server, own_ids
    from supportml.slack.client import web_client
    from supportml.slack.handlers import Responder, ResponderConfig
    from supportml.store import open_store
    from supportml.suggest import Suggester

    client = web_client(os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_API_URL"])
    ids, team = own_ids(client)
    classifier, card = load(model)
    responder = Responder(
        open_store(database_url),
        Suggester.from_card(classifier, card, DocIndex(Catalogue.load(DOCS))),
        ResponderConfig(channels=frozenset(CHANNELS), workspace=team or "default"),
        slack=WebPort(client),
        own_ids=ids,
    )
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        responder.handle_event(event, body.get("team_id"), body.get("event_id"))

    http = http_server(app, responder, os.environ["SLACK_SIGNING_SECRET"], "127.0.0.1", 0)
    print(json.dumps({"listening": f"http://127.0.0.1:{http.server_address[1]}"}), flush=True)
    http.serve_forever()  # until the benchmark kills it


def bench(
    kind: str,
    url_for: Callable[[], AbstractContextManager[str]],
    model: Path,
    events: list[tuple[str, str]],
    clients: int,
    fake_slack: ModuleType,
    tmp: Path,
) -> None:
    ours_command = [
        str(SUPPORTML),
        "serve",
        "--http",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--model",
        str(model),
        "--docs",
        str(DOCS),
        "--remind-after",  # the events are a day old: reminders would post in their threads
        "0",
    ]
    with url_for() as url:
        ours = run(
            kind,
            "supportml serve --http",
            ours_command + ["--database-url", url],
            url,
            events,
            clients,
            fake_slack,
            tmp,
            retries=True,
        )
    base_command = [sys.executable, __file__, "--serve-baseline", str(model), "--database-url"]
    with url_for() as url:
        base = run(
            kind,
            "baseline Bolt process_before_response=True",
            base_command + [url],
            url,
            events,
            clients,
            fake_slack,
            tmp,
            retries=False,
        )
    print(
        json.dumps(
            {
                "db": kind,
                "ratio": "supportml / baseline ack p99",
                "value": round(ours["ack_p99_ms"] / base["ack_p99_ms"], 3),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--serve-baseline", metavar="MODEL", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline, args.database_url)
        return

    from supportml.data import load_requests
    from supportml.model import ModelParams
    from supportml.train import train

    fake_slack = load_fake_slack()
    events = make_events(args.events, fake_slack.TEAM)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        train(load_requests(SAMPLE), ModelParams(), root / "model")
        print(
            json.dumps(
                {"model": "trained on the sample", "seconds": round(time.perf_counter() - start, 2)}
            ),
            flush=True,
        )
        counter = iter(range(1000))

        @contextmanager
        def sqlite_url() -> Iterator[str]:
            yield f"sqlite:///{root / f'store{next(counter)}.db'}"

        bench("sqlite", sqlite_url, root / "model", events, args.clients, fake_slack, root)
        if not args.sqlite_only:
            postgres = lambda: postgres_schema(args.postgres)  # noqa: E731
            bench("postgresql", postgres, root / "model", events, args.clients, fake_slack, root)


if __name__ == "__main__":
    main()
