"""GET /metrics and `--log-format json`: signed events through the real HTTP server, then a
scrape whose counters must agree with what was sent."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from supportml.cli import cli
from supportml.logformat import JsonFormatter
from tests.slack.conftest import CHANNEL, Harness, envelope, message
from tests.slack.test_slack_socket_mode import stand_ins  # noqa: F401 (a fixture)

CLEAR = "okta sso access denied, can someone grant me a role?"
UNCLEAR = "hello there :wave:"


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page: (name, sorted labels) -> value."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metrics_url(harness: Harness) -> str:
    return harness.url.replace("/slack/events", "/metrics")


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_agree_with_the_events_sent(harness):
    texts = [CLEAR, UNCLEAR, "can someone review my pull request please", CLEAR + " again"]
    for text in texts:
        assert harness.event(message(text)) == 200
    harness.settle()
    harness.slack.wait_for("chat.postMessage", len(texts))
    samples = scrape(metrics_url(harness))
    n = float(len(texts))
    assert value(samples, "supportml_events_received_total", kind="message") == n
    assert value(samples, "supportml_events_acked_total", kind="message") == n
    assert value(samples, "supportml_events_handled_total", kind="message", outcome="replied") == n
    assert value(samples, "supportml_events_failed_total", kind="message") == 0
    assert value(samples, "supportml_reply_seconds_count") == n
    assert value(samples, "supportml_reply_seconds_bucket", le="+Inf") == n
    abstained = value(samples, "supportml_suggestions_total", abstained="true")
    assert abstained >= 1 and abstained + value(
        samples, "supportml_suggestions_total", abstained="false"
    ) == n  # fmt: skip
    version = harness.responder.suggester.model_version
    assert value(samples, "supportml_model_info", version=version) == 1
    assert value(samples, "supportml_store_up") == 1
    assert ("supportml_inbox_depth", ()) in samples and value(samples, "supportml_inbox_depth") == 0


def test_a_retry_is_received_but_handled_once(harness):
    event = message(CLEAR)
    assert harness.event(event, event_id="Ev0METRIC1") == 200
    harness.settle()
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert harness.event(event, event_id="Ev0METRIC1", **retry) == 200
    harness.settle()
    samples = scrape(metrics_url(harness))
    assert value(samples, "supportml_events_received_total", kind="message") == 2
    assert value(samples, "supportml_events_handled_total", kind="message", outcome="replied") == 1


def test_the_inbox_gauges_show_a_waiting_event(harness):
    harness.responder.receive(json.loads(envelope(message(CLEAR), "Ev0WAITING")))  # not handled
    time.sleep(0.05)
    samples = scrape(metrics_url(harness))
    assert value(samples, "supportml_inbox_depth") == 1
    assert 0 < value(samples, "supportml_inbox_oldest_seconds") < 60


def test_slack_errors_and_retries_are_counted_by_method(harness):
    harness.slack.error_next("chat.postMessage", "channel_not_found")
    assert harness.event(message(CLEAR)) == 200
    harness.settle()
    harness.slack.fail_next("chat.postMessage", 500, times=1)  # retried once, then posted
    assert harness.event(message(CLEAR + " please")) == 200
    harness.settle()
    samples = scrape(metrics_url(harness))
    errors = value(
        samples, "supportml_slack_api_errors_total", method="chat.postMessage",
        error="channel_not_found",
    )  # fmt: skip
    assert errors == 1
    assert value(samples, "supportml_slack_api_retries_total", method="chat.postMessage") == 1
    assert value(samples, "supportml_events_failed_total", kind="message") == 1
    assert value(samples, "supportml_events_handled_total", kind="message", outcome="replied") == 1


def test_a_store_that_fails_does_not_break_the_scrape(harness, monkeypatch):
    def broken(_: Any) -> Any:
        raise OSError("store down")

    monkeypatch.setattr("supportml.slack.metrics.inbox_backlog", broken)
    samples = scrape(metrics_url(harness))
    assert value(samples, "supportml_store_up") == 0
    assert ("supportml_inbox_depth", ()) not in samples
    assert value(samples, "supportml_model_info", version=harness.responder.suggester.model_version)


def test_json_logs_are_one_object_per_event_without_message_text(harness):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("supportml.slack")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        harness.slack.error_next("chat.postMessage", "channel_not_found")
        assert harness.event(message("okta denied for the secret project"), "Ev0JSON0001") == 200
        harness.settle()  # one at a time: the first post fails
        assert harness.event(message("okta denied for the other secret"), "Ev0JSON0002") == 200
        harness.settle()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_id = {line.get("event_id"): line for line in lines}
    failed, replied = by_id["Ev0JSON0001"], by_id["Ev0JSON0002"]
    assert failed["level"] == "ERROR" and failed["outcome"] == "failed"
    assert replied["level"] == "INFO" and replied["outcome"] == "replied"
    assert replied["kind"] == "message" and replied["duration_ms"] >= 0
    assert {"time", "level", "logger", "message"} <= set(replied)
    assert "secret" not in stream.getvalue() and "xoxb" not in stream.getvalue()


def test_log_format_is_checked():
    result = CliRunner().invoke(cli, ["serve", "--log-format", "xml"])
    assert result.exit_code == 2 and "xml" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_socket_mode_serves_metrics_on_the_side_port(trained, stand_ins, tmp_path):  # noqa: F811
    web, sock = stand_ins
    port = _free_port()
    env = {
        **os.environ, "SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_APP_TOKEN": "xapp-secret",
        "SLACK_API_URL": web.base_url, "SUPPORTML_CHANNELS": CHANNEL,
        "SUPPORTML_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "supportml", "serve", "--model", str(trained.model_dir),
         "--docs", "none", "--metrics-port", str(port), "--log-format", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        sock.send_event(envelope(message(CLEAR), "EvSIDEPORT1"), "env-1")
        assert sock.ack_for("env-1") == {"envelope_id": "env-1"}
        web.wait_for("chat.postMessage")
        deadline = time.monotonic() + 10
        while True:  # the reply is posted just before it is counted
            samples = scrape(f"http://127.0.0.1:{port}/metrics")
            handled = value(
                samples, "supportml_events_handled_total", kind="message", outcome="replied"
            )
            if handled == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert handled == 1
        assert value(samples, "supportml_events_received_total", kind="message") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0 and stdout == ""  # nothing on stdout in Socket Mode
    outcomes = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line.get("event_id") == "EvSIDEPORT1" for line in outcomes)
    assert "okta" not in stderr and "xoxb-secret" not in stderr
    with pytest.raises(urllib.error.URLError):  # the side port closes with the process
        scrape(f"http://127.0.0.1:{port}/metrics")
