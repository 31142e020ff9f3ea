"""`supportml serve` start-up errors and a real HTTP run, and `supportml replay`, through click."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from supportml.cli import cli
from supportml.docs import Catalogue
from supportml.store import open_store, transaction
from supportml.store.models import Channel, DocSuggestion
from supportml.store.repository import find_request, insert_new_requests
from supportml.suggest import Suggester
from supportml.vocabulary import UNCLASSIFIED
from tests.learning.test_watcher import DROPPED, publish, train_without
from tests.slack.conftest import CHANNEL, envelope, handbook, message, sign
from tests.slack.fake_slack import TEAM, running

SECRET = "cli-test-secret"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.yaml"
    Catalogue(handbook().entries).save(path)
    return path


def serve(runner: CliRunner, trained, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        cli,
        ["serve", "--model", str(trained.model_dir), "--docs", "none", *args],
        env={"SUPPORTML_DATABASE_URL": "sqlite:///store.db", **env},
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "SLACK_BOT_TOKEN is not set"),
        (("--http",), {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ((), {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
    ],
)
def test_missing_credentials_are_one_line(runner, trained, args, env, message):
    result = serve(runner, trained, *args, **env)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert "xoxb-1" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quiet-hours", "7pm-8am"), "time range like 09:00-17:00"),
        (("--remind-after", "3", "--escalate-after", "2"), "later than the reminder (3 h)"),
        (("--quiet-hours", "19:00-08:00", "--timezone", "Mars/Base"), "Mars/Base"),
    ],
)
def test_bad_follow_up_options_are_one_line(runner, trained, args, message):
    result = serve(runner, trained, *args, SLACK_BOT_TOKEN="xoxb-1")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_slack_problems_at_start_are_one_line(runner, trained):
    env = {"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": SECRET}
    unreachable = serve(
        runner, trained, "--http", "--channel", CHANNEL,
        "--slack-api-url", "http://127.0.0.1:9/api", **env,
    )  # fmt: skip
    assert unreachable.exit_code == 2 and "cannot reach Slack's Web API" in unreachable.output
    with running() as fake:
        fake.channels = [{"id": "C0DEVOPS01", "name": "platform-devops-support"}]
        env["SLACK_API_URL"] = fake.base_url
        none = serve(runner, trained, "--http", **env)
        assert none.exit_code == 2 and "no support channels" in none.output
        unknown = serve(runner, trained, "--http", "--channel", "#help-typo", **env)
        assert unknown.exit_code == 2 and "help-typo" in unknown.output
        fake.fail_next("auth.test", 500, times=3)
        refused = serve(runner, trained, "--http", "--channel", CHANNEL, **env)
        assert refused.exit_code == 2 and "auth.test" in refused.output
    for result in (unreachable, none, unknown, refused):
        assert "Traceback" not in result.output and "xoxb-secret" not in result.output


@pytest.mark.slow
def test_serve_http_end_to_end_and_clean_stop(trained, tmp_path):
    """The real process: resolves a channel name, answers /healthz, replies to a signed event,
    rejects an unsigned one, and stops on SIGTERM after finishing what it started."""
    with running() as fake:
        fake.channels = [{"id": CHANNEL, "name": "platform-support"}]
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base_url,
            "SUPPORTML_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "SUPPORTML_CHANNELS": "#platform-support",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "supportml", "serve", "--http", "--port", "0",
             "--host", "127.0.0.1", "--model", str(trained.model_dir), "--docs", "none"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            url = json.loads(process.stdout.readline())["listening"]
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                health = json.loads(response.read())
            assert health == {"ok": True, "model_version": trained.card.version}
            event = message("my deploy to production failed, helm rollback?")
            body = envelope(event)
            assert _post_signed(url, body) == 200
            reply = fake.wait_for("chat.postMessage")[0]
            assert reply.body["thread_ts"] == event["ts"] and reply.body["channel"] == CHANNEL
            unsigned = urllib.request.Request(f"{url}/slack/events", data=body.encode())
            with pytest.raises(urllib.error.HTTPError) as rejected:
                urllib.request.urlopen(unsigned, timeout=5)
            assert rejected.value.code == 401
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0 and "stopped" in stderr
        assert "xoxb-secret" not in stderr and "helm rollback" not in stderr
    assert len(fake.of("chat.postMessage")) == 1
    # the name it resolved is kept, so reports show #platform-support rather than the id
    with transaction(open_store(f"sqlite:///{tmp_path / 'store.db'}")) as session:
        assert session.execute(select(Channel.channel_id, Channel.name)).all() == [
            (CHANNEL, "platform-support")
        ]


@pytest.mark.slow
def test_serve_reminds_once_about_a_request_nobody_answered(trained, tmp_path):
    """The real process wires the follow-up: a live request unanswered for 8 days (every
    weekday's hours count) gets one reminder in its thread, and a restart posts no second one."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    created = datetime.now(UTC) - timedelta(days=8)
    ts = f"{created.timestamp():.6f}"
    engine = open_store(url)
    with transaction(engine) as session:
        insert_new_requests(session, [{
            "workspace": TEAM, "channel": CHANNEL, "ts": ts, "thread_ts": ts, "text": "help",
            "source": "message", "created_at": created, "docs_holdout": False, "status": "open",
            "deleted": False, "reply_ts": "1.000100",
        }])  # fmt: skip
    engine.dispose()
    with running() as fake:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": fake.base_url, "SUPPORTML_DATABASE_URL": url,
               "SUPPORTML_CHANNELS": CHANNEL,
               "SUPPORTML_BUSINESS_HOURS": "00:00-23:59"}  # fmt: skip
        counted = []
        for _ in range(2):  # a restart must not remind again
            process = subprocess.Popen(
                [sys.executable, "-m", "supportml", "serve", "--http", "--port", "0",
                 "--host", "127.0.0.1", "--model", str(trained.model_dir), "--docs", "none",
                 "--follow-up-seconds", "0.2"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                url_line = json.loads(process.stdout.readline())["listening"]
                fake.wait_for("chat.postMessage")
                time.sleep(1)  # several more rounds of the worker
                with urllib.request.urlopen(f"{url_line}/metrics", timeout=5) as response:
                    metrics = response.read().decode()
                counted += [
                    line for line in metrics.splitlines()
                    if line.startswith('supportml_follow_ups_total{kind="reminder"}')
                ]  # fmt: skip
            finally:
                process.send_signal(signal.SIGTERM)
                _, stderr = process.communicate(timeout=20)
            assert process.returncode == 0, stderr
            assert "reminding after 3 business hours" in stderr
    (reminder,) = fake.messages
    assert reminder["thread_ts"] == ts and "business hours without an answer" in reminder["text"]
    assert [line.split()[-1] for line in counted] == ["1.0", "0.0"]  # first run, restarted one


def _post_signed(url: str, body: str) -> int:
    """POST a signed event body to the running responder; its HTTP status."""
    request = urllib.request.Request(
        f"{url}/slack/events", data=body.encode(),
        headers={"Content-Type": "application/json", **sign(body, secret=SECRET)},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def _health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_serve_swaps_in_a_model_published_while_it_runs(trained, fast_params, tmp_path):
    """`serve --reload-minutes` on a models/ directory: `train` publishes a new model into it,
    /healthz reports the new version within seconds, and the next request is answered by it."""
    models = tmp_path / "models"
    publish(trained, models)
    other = train_without(DROPPED, fast_params, tmp_path / "other")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    with running() as fake:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": fake.base_url, "SUPPORTML_DATABASE_URL": store}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "supportml", "serve", "--http", "--port", "0",
             "--host", "127.0.0.1", "--channel", CHANNEL, "--model", str(models),
             "--docs", "none", "--reload-minutes", "0.005"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            url = json.loads(process.stdout.readline())["listening"]
            assert _health(url)["model_version"] == trained.card.version
            publish(other, models)
            deadline = time.monotonic() + 20
            while _health(url)["model_version"] != other.card.version:
                assert time.monotonic() < deadline, "the new model was never swapped in"
                time.sleep(0.1)
            event = message("the jest e2e suite is flaky again, timeout in cypress spec")
            assert _post_signed(url, envelope(event)) == 200
            (reply,) = fake.wait_for("chat.postMessage")
            assert reply.body["thread_ts"] == event["ts"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    engine = open_store(store)
    with transaction(engine) as session:
        row = find_request(session, TEAM, CHANNEL, event["ts"])
        assert row is not None and row.model_version == other.card.version
        assert row.predicted_topic != DROPPED
    engine.dispose()
    assert f"reloading from {models} every 0.005 min" in stderr
    assert f"model swapped: {trained.card.version} -> {other.card.version}" in stderr
    assert "jest" not in stderr and "xoxb-secret" not in stderr


T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HISTORY = [
    ("okta sso access denied, please grant me the admin role", "Access Request", "import"),
    ("can someone review my pull request, codeowners approval needed", "PR Review", "human"),
    (
        "deploy to production failed, pods crashloop, need helm rollback",
        "Failed Deployment",
        "form",
    ),
    ("the jest e2e suite is flaky again, timeout in cypress spec", "Test Failure", "model"),
    ("need access to the staging aws console please", "Environments", "import"),
    (":wave: :pray:", None, None),
]


def test_replay_backtests_stored_history(runner, trained, catalogue, tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    engine = open_store(url)
    rows = [
        {
            "workspace": "T1",
            "channel": "C1",
            "ts": f"{1772460000 + i}.000100",
            "text": text,
            "source": "import",
            "created_at": T0 + timedelta(days=i),
            "final_topic": topic,
            "label_source": source,
        }  # fmt: skip
        for i, (text, topic, source) in enumerate(HISTORY)
    ]
    with transaction(engine) as session:
        insert_new_requests(session, rows)
        first = find_request(session, "T1", "C1", rows[0]["ts"])
        session.add(DocSuggestion(request_id=first.id, doc_id="access/okta", rank=1, score=0.5,
                                  feedback="resolved"))  # fmt: skip
    out = tmp_path / "replay.csv"
    result = runner.invoke(
        cli,
        ["replay", "--model", str(trained.model_dir), "--docs", str(catalogue),
         "--database-url", url, "--out", str(out), "--json"],
        env={"SUPPORTML_DOCS_HOLDOUT": "0"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    # expected from the Suggester itself, on the same texts
    suggester = Suggester.from_card(trained.classifier, trained.card, handbook())
    known = [
        (text, topic) for text, topic, source in HISTORY if source in ("import", "human", "form")
    ]
    answered = [(suggester.suggest(t), topic) for t, topic in known]
    answered = [(s, topic) for s, topic in answered if not s.abstained]
    assert metrics["requests"] == len(HISTORY) and metrics["labelled"] == len(known)
    assert metrics["topic_accuracy"] == round(
        sum(s.topic == topic for s, topic in answered) / len(answered), 4
    )
    abstained = sum(suggester.suggest(text).abstained for text, _, _ in HISTORY)
    assert metrics["abstention_rate"] == round(abstained / len(HISTORY), 4)
    okta_links = [link.doc_id for link in suggester.suggest(HISTORY[0][0]).links]
    assert metrics["doc_known"] == 1
    assert metrics["doc_hit_rate"] == (1.0 if "access/okta" in okta_links else 0.0)
    with out.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(HISTORY)
    assert table[3]["known_topic"] == ""  # the model's own label is not ground truth
    # the topic column is the effective topic reports show, never a bare "(none)"
    assert [(r["topic"], r["topic_origin"]) for r in table[3:6:2]] == [
        ("Test Failure", "model"), ("Unclassified (model unsure)", "unclassified"),
    ]  # fmt: skip
    # the stored effective topic: people's label, else (nothing stored here) unclassified
    assert (table[0]["topic"], table[0]["topic_origin"]) == (HISTORY[0][1], "people")
    assert (table[-1]["topic"], table[-1]["topic_origin"]) == (UNCLASSIFIED, "unclassified")
    assert table[0]["helpful_docs"] == "access/okta"
    # the store is read, never written
    with transaction(engine) as session:
        assert find_request(session, "T1", "C1", rows[0]["ts"]).predicted_topic is None


def test_replay_on_an_empty_store_says_so(runner, trained, tmp_path):
    result = runner.invoke(
        cli, ["replay", "--model", str(trained.model_dir), "--docs", "none",
              "--database-url", f"sqlite:///{tmp_path / 'empty.db'}"],
    )  # fmt: skip
    assert result.exit_code == 0 and "no stored requests" in result.output
