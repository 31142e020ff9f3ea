"""Hot reload under load: signed events through the real Bolt app and the local Slack stand-in
while the watcher swaps (or refuses) a model published into the directory it watches."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from supportml.learning.sources import DirectorySource
from supportml.learning.watcher import ModelWatcher
from supportml.model import ModelParams
from supportml.slack import blocks
from supportml.suggest import Suggester
from supportml.train import TrainResult
from tests.learning.test_watcher import DROPPED, corrupt, publish, train_without
from tests.slack.conftest import CHANNEL, REQUESTER, Harness, interaction, message
from tests.slack.fake_slack import TEAM
from tests.slack.stored import request, requests

TEXTS = (
    "okta sso access denied, can someone grant me a role?",
    "deploy to production failed, pods crashloop, need helm rollback",
    "can someone review my pull request, codeowners approval needed",
    "the jest e2e suite is flaky again, timeout in cypress spec",
)


@pytest.fixture(scope="module")
def other(fast_params: ModelParams, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train_without(DROPPED, fast_params, tmp_path_factory.mktemp("other"))


def watching(harness: Harness, trained: Any, directory: Path) -> ModelWatcher:
    """The watcher `supportml serve` starts, on a directory that holds the running model."""
    publish(trained, directory)
    docs = harness.responder.suggester.docs
    return ModelWatcher(
        DirectorySource(directory),
        lambda classifier, card: Suggester.from_card(classifier, card, docs),
        harness.responder.install,
        harness.responder.suggester.model_version,
    )


def offered(reply: dict[str, Any]) -> list[str]:
    """The topics a reply's "Change topic" menu offers."""
    for block in reply["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == blocks.CHANGE_TOPIC:
                return [option["value"] for option in element["options"]]
    raise AssertionError("no topic menu in the reply")


def thread_replies(harness: Harness) -> dict[str, list[dict[str, Any]]]:
    """chat.postMessage bodies by the thread they answer."""
    found: dict[str, list[dict[str, Any]]] = {}
    for call in harness.slack.of("chat.postMessage"):
        found.setdefault(call.body.get("thread_ts"), []).append(call.body)
    return found


class Stream:
    """Threads sending signed message events until ``enough`` after ``swap_seen`` is set;
    each message is recorded with whether it was sent after that moment."""

    def __init__(self, harness: Harness, threads: int = 2, after: int = 10):
        self.harness, self.after = harness, after
        self.swap_seen = threading.Event()
        self.sent: list[tuple[str, bool]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, args=(i,)) for i in range(threads)]

    def _send(self, worker: int) -> None:
        late = 0
        for i in range(400):  # a bound, in case the swap never comes
            seen = self.swap_seen.is_set()
            event = message(TEXTS[(worker + i) % len(TEXTS)])
            status = self.harness.event(event)
            with self._lock:
                self.sent.append((event["ts"], seen))
                self.statuses.append(status)
            late += seen
            if late >= self.after:
                return

    def __enter__(self) -> Stream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.swap_seen.set()  # a failed test must not leave the threads sending
        for thread in self._threads:
            thread.join(timeout=60)


def intake_submission(summary: str) -> str:
    """The /support modal submitted with a summary and no topic (the model suggests one)."""
    state = {
        blocks.SUMMARY_BLOCK: {
            blocks.SUMMARY_INPUT: {"type": "plain_text_input", "value": summary}
        },
        blocks.TOPIC_BLOCK: {
            blocks.TOPIC_INPUT: {"type": "static_select", "selected_option": None}
        },
    }
    return interaction({
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": REQUESTER, "team_id": TEAM},
        "view": {"id": "V0INTAKE01", "type": "modal", "callback_id": blocks.INTAKE_VIEW,
                 "private_metadata": CHANNEL, "state": {"values": state}},
    })  # fmt: skip


def wait_until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_swap_under_a_stream_of_events_loses_and_duplicates_nothing(
    on_any_store, trained, other, tmp_path, caplog
):
    harness, (a, b) = on_any_store, (trained.card.version, other.card.version)
    watcher = watching(harness, trained, tmp_path / "models")
    stop = threading.Event()
    watcher.start(0.02, stop)
    try:
        with caplog.at_level(logging.INFO), Stream(harness) as stream:
            harness.slack.wait_for("chat.postMessage", 10)  # the stream is flowing
            publish(other, tmp_path / "models")  # into the directory the watcher polls
            wait_until(lambda: harness.responder.suggester.model_version == b)
            stream.swap_seen.set()
    finally:
        stop.set()
    harness.settle()
    sent = [ts for ts, _ in stream.sent]
    harness.slack.wait_for("chat.postMessage", len(sent))
    harness.settle()
    assert set(stream.statuses) == {200}
    # nothing lost, nothing duplicated: one row and one thread reply per message
    stored = requests(harness.engine)
    assert sorted(row.ts for row in stored) == sorted(sent) and len(set(sent)) == len(sent)
    by_thread = thread_replies(harness)
    assert Counter({ts: len(by_thread.get(ts, [])) for ts in sent}) == Counter(
        dict.fromkeys(sent, 1)
    )
    assert set(by_thread) == set(sent)
    # both versions answered; everything sent after the swap was seen is the new model's
    version = {row.ts: row.model_version for row in stored}
    assert set(version.values()) == {a, b}
    late = [ts for ts, seen in stream.sent if seen]
    assert len(late) >= 20 and {version[ts] for ts in late} == {b}
    # each reply offers the topics of the model that suggested its request
    topics = {a: trained.card.labels, b: other.card.labels}
    for ts in sent:
        assert offered(by_thread[ts][0]) == topics[version[ts]]
    assert DROPPED in topics[a] and DROPPED not in topics[b]
    swaps = [r.getMessage() for r in caplog.records if r.name == "supportml.reload"]
    assert swaps == [f"model swapped: {a} -> {b}"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_event_in_flight_finishes_on_the_old_model(harness, trained, other, tmp_path):
    a, b = trained.card.version, other.card.version
    watcher = watching(harness, trained, tmp_path)
    held = harness.slack.hold_next("chat.postMessage")
    first = message(TEXTS[3])  # "Test Failure" words: a topic only the old model knows
    assert harness.event(first) == 200
    assert held.arrived.wait(10)  # its reply is on its way to Slack
    publish(other, tmp_path)
    assert watcher.check() == f"swapped {a} -> {b}"
    second = message(TEXTS[3])
    assert harness.event(second) == 200
    harness.slack.wait_for("chat.postMessage", 1)  # the second reply went out meanwhile
    held.release()
    harness.settle()
    by_thread = thread_replies(harness)
    old, new = request(harness.engine, first["ts"]), request(harness.engine, second["ts"])
    assert old.model_version == a and offered(by_thread[first["ts"]][0]) == trained.card.labels
    assert old.predicted_topic in trained.card.labels
    assert new.model_version == b and offered(by_thread[second["ts"]][0]) == other.card.labels
    assert new.predicted_topic != DROPPED
    assert len(by_thread[first["ts"]]) == len(by_thread[second["ts"]]) == 1


def test_an_intake_form_in_flight_is_answered_by_the_model_it_started_with(
    harness, trained, other, tmp_path
):
    """The form is posted to the channel first (held here), then stored, suggested and
    answered: all by the model installed when the submission arrived."""
    a, b = trained.card.version, other.card.version
    watcher = watching(harness, trained, tmp_path)
    held = harness.slack.hold_next("chat.postMessage")
    status, _ = harness.post(intake_submission(TEXTS[0]), form=True)
    assert status == 200 and held.arrived.wait(10)
    publish(other, tmp_path)
    assert watcher.check() == f"swapped {a} -> {b}"
    held.release()
    harness.settle()
    (row,) = requests(harness.engine, source="form")
    post, reply = (call.body for call in harness.slack.of("chat.postMessage"))
    assert post.get("thread_ts") is None and reply["thread_ts"] == row.ts
    assert row.model_version == a and offered(reply) == trained.card.labels


def test_a_corrupted_model_published_mid_stream_is_refused(
    harness, trained, other, tmp_path, caplog
):
    a, b = trained.card.version, other.card.version
    watcher = watching(harness, trained, tmp_path)
    outcomes: list[str] = []
    with caplog.at_level(logging.INFO), Stream(harness, after=15) as stream:
        harness.slack.wait_for("chat.postMessage", 5)
        publish(other, tmp_path)
        corrupt(tmp_path)
        checker = threading.Thread(target=lambda: outcomes.append(watcher.check()))
        checker.start()  # as the watcher's own thread would, while events keep coming
        checker.join(timeout=30)
        outcomes.append(watcher.check())
        stream.swap_seen.set()  # the check is over: these events come after it
    harness.settle()
    sent = [ts for ts, _ in stream.sent]
    harness.slack.wait_for("chat.postMessage", len(sent))
    assert outcomes[0].startswith(f"refused {b}: ") and "does not match" in outcomes[0]
    assert outcomes[1] == f"unchanged: {b} was refused"
    assert watcher.current == a == harness.responder.suggester.model_version
    stored = requests(harness.engine)
    assert sorted(row.ts for row in stored) == sorted(sent)
    assert {row.model_version for row in stored} == {a}
    assert sorted(call.body["thread_ts"] for call in harness.slack.of("chat.postMessage")) == (
        sorted(sent)
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"model {b}" in warnings[0] and f"keeping {a}" in warnings[0]
