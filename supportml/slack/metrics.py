"""The responder's Prometheus metrics: what an operator alerts on.

One `CollectorRegistry` per responder (never prometheus_client's global one), so tests and
several apps in one process do not collide. It is served on GET /metrics of the HTTP front and,
in Socket Mode, on a small side port (`serve_metrics`). Counters are bumped by `app.py`'s
listeners; the inbox and the model are read when scraped, so they are never stale, and a store
that does not answer makes ``supportml_store_up`` 0 instead of failing the scrape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from supportml.slack.handlers import Outcome, Responder
from supportml.store import transaction
from supportml.store.repository import inbox_backlog
from supportml.vocabulary import FollowUpKind

log = logging.getLogger("supportml.slack.metrics")

# seconds from the ack of a message to its reply in the thread (a post takes ~0.1-1 s)
REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def kind_of(body: Mapping[str, Any]) -> str:
    """The kind of a Slack payload, a small closed set fit for a label: the event type of an
    Events API delivery, the payload type of an interaction, ``command`` for a slash command."""
    if body.get("type") == "event_callback":
        return str((body.get("event") or {}).get("type") or "event")
    if "command" in body:
        return "command"
    return str(body.get("type") or "other")


def outcome_label(outcome: Outcome) -> str:
    """An outcome without its detail ("ignored: own reaction" -> "ignored")."""
    return outcome.done.split(":", 1)[0]


class Metrics:
    """The counters and histograms of one responder, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "supportml_events_received", "Slack payloads received, by kind", ["kind"], registry=r
        )
        self.acked = Counter(
            "supportml_events_acked",
            "Payloads acknowledged to Slack (events: once stored in the inbox)",
            ["kind"], registry=r,
        )  # fmt: skip
        self.refused = Counter(
            "supportml_events_refused",
            "Events refused (not acked) because the store could not take them",
            ["kind"], registry=r,
        )  # fmt: skip
        self.handled = Counter(
            "supportml_events_handled",
            "Payloads handled, by kind and outcome (replied, recorded, ignored, dropped, ...)",
            ["kind", "outcome"], registry=r,
        )  # fmt: skip
        self.failed = Counter(
            "supportml_events_failed",
            "Payloads whose handling raised (events are retried from the inbox)",
            ["kind"], registry=r,
        )  # fmt: skip
        self.reply_seconds = Histogram(
            "supportml_reply_seconds",
            "Seconds from receiving a request to its reply posted in the thread",
            buckets=REPLY_BUCKETS, registry=r,
        )  # fmt: skip
        self.suggestions = Counter(
            "supportml_suggestions",
            "Suggestions made for new requests; abstained=true when no topic was confident",
            ["abstained"], registry=r,
        )  # fmt: skip
        self.slack_errors = Counter(
            "supportml_slack_api_errors",
            "Slack Web API calls that failed, by method and error",
            ["method", "error"], registry=r,
        )  # fmt: skip
        self.slack_retries = Counter(
            "supportml_slack_api_retries",
            "Slack Web API calls retried (429, 5xx, refused connection), by method",
            ["method"], registry=r,
        )  # fmt: skip
        self.caught_up = Counter(
            "supportml_catch_up_replies", "Missing replies posted by the catch-up", registry=r
        )
        self.drained = Counter(
            "supportml_drained_events",
            "Stored events handled by the drain (left behind by a failure or a dead process)",
            registry=r,
        )  # fmt: skip

        self.follow_ups = Counter(
            "supportml_follow_ups",
            "Follow-ups posted about unanswered requests, by kind (reminder, escalation)",
            ["kind"], registry=r,
        )  # fmt: skip
        for kind in FollowUpKind:  # exported as 0 from the start, so rate() sees the first one
            self.follow_ups.labels(kind.value)

    def watch(self, responder: Responder) -> None:
        """Report the installed model and the inbox at every scrape."""
        self.registry.register(_StateCollector(responder))

    def handled_one(self, kind: str, outcome: Outcome, started: float | None = None) -> None:
        """Count one handled payload; ``started`` (monotonic, at receipt) times a reply."""
        self.handled.labels(kind, outcome_label(outcome)).inc()
        if outcome.abstained is not None:
            self.suggestions.labels(str(outcome.abstained).lower()).inc()
        if outcome.done == "replied" and started is not None:
            self.reply_seconds.observe(time.monotonic() - started)

    def instrument(self, client: WebClient) -> None:
        """Count this client's failed calls and retries by API method."""
        client.retry_handlers = [_CountedRetry(h, self) for h in client.retry_handlers]
        call = client.api_call

        @wraps(call)
        def api_call(api_method: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return call(api_method, *args, **kwargs)
            except SlackApiError as exc:
                self.slack_errors.labels(api_method, str(exc.response.get("error"))).inc()
                raise
            except Exception as exc:
                self.slack_errors.labels(api_method, type(exc).__name__).inc()
                raise

        client.api_call = api_call  # type: ignore[method-assign]


class _CountedRetry(RetryHandler):
    """A retry handler that counts the retries the one it wraps decides on."""

    def __init__(self, inner: RetryHandler, metrics: Metrics):
        super().__init__(
            max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator
        )
        self.inner, self.metrics = inner, metrics

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retry = self.inner.can_retry(state=state, request=request, response=response, error=error)
        if retry:
            self.metrics.slack_retries.labels(request.url.rstrip("/").rsplit("/", 1)[-1]).inc()
        return retry

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        self.inner.prepare_for_next_attempt(**kwargs)


class _StateCollector(Collector):
    """The installed model and the inbox, read when scraped."""

    def __init__(self, responder: Responder):
        self.responder = responder

    def collect(self) -> Iterator[Metric]:
        model = GaugeMetricFamily(
            "supportml_model_info", "The model answering now (1)", labels=["version"]
        )
        model.add_metric([str(self.responder.suggester.model_version)], 1)
        yield model
        up = GaugeMetricFamily("supportml_store_up", "1 when the store answered this scrape")
        try:
            with transaction(self.responder.engine) as session:
                depth, oldest = inbox_backlog(session)
        except Exception as exc:  # the scrape still answers: store_up 0 is the alert
            log.warning("metrics: the store did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "supportml_inbox_depth", "Events stored and not yet handled", value=depth
        )
        age = 0.0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily(
            "supportml_inbox_oldest_seconds",
            "Age of the oldest event waiting in the inbox (0 when empty)",
            value=age,
        )


def serve_metrics(metrics: Metrics, host: str, port: int) -> int:
    """GET /metrics on a side port in a daemon thread (Socket Mode has no HTTP front);
    returns the bound port (0 picks a free one)."""
    server, _ = start_http_server(port, addr=host, registry=metrics.registry)
    return int(server.server_address[1])
