"""`supportml train --from-store`: a store with people's feedback trains a challenger that is
promoted when it is better and kept out when it is worse, in a real MLflow registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sqlalchemy import select

from supportml.cli import cli
from supportml.cli._common import UNITS
from supportml.model import read_card
from supportml.store import open_store, transaction
from supportml.store.models import Request
from supportml.store.repository import insert_new_requests
from tests.conftest import VOCAB, make_rows

pytestmark = pytest.mark.slow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOPICS = list(VOCAB)
FAST = ["--max-iter", "200", "--eval-weeks", "3", "--min-support", "10"]


def wrong(topic: str) -> str:
    return TOPICS[(TOPICS.index(topic) + 1) % len(TOPICS)]


def seed_store(url: str, noisy_share: float) -> list[dict]:
    """360 requests over 12 weeks, labelled by import; ``noisy_share`` of them mislabelled.

    Also rows the training set must ignore: the model's own guesses and deleted requests.
    """
    truth = make_rows(n_per_topic=60, seed=11)
    rows = []
    for i, item in enumerate(truth):
        noisy = i % 100 < noisy_share * 100
        rows.append(
            {
                "workspace": "T1",
                "channel": "C1",
                "ts": f"{1772460000 + i}.000100",
                "text": item["text"],
                "source": "import",
                "created_at": T0 + timedelta(hours=5.6 * i),
                "original_topic": wrong(item["topic"]) if noisy else item["topic"],
                "final_topic": wrong(item["topic"]) if noisy else item["topic"],
                "label_source": "import",
                "truth": item["topic"],
            }
        )
    ignored = [
        {"final_topic": "Model Guess", "label_source": "model", "deleted": False},
        {"final_topic": "Deleted Topic", "label_source": "human", "deleted": True},
    ]
    extra = [
        {
            "workspace": "T1",
            "channel": "C1",
            "ts": f"{1782460000 + 10 * k + j}.000100",
            "text": f"unrelated words {k} {j} zebra quartz",
            "source": "message",
            "created_at": T0 + timedelta(days=j),
            **spec,
        }
        for k, spec in enumerate(ignored)
        for j in range(8)
    ]
    engine = open_store(url)
    with transaction(engine) as session:
        insert_new_requests(session, [{k: v for k, v in r.items() if k != "truth"} for r in rows])
        insert_new_requests(session, extra)
    engine.dispose()
    return rows


def feedback(url: str, rows: list[dict], label) -> None:
    """People confirm or change topics in Slack: label_source becomes 'human'."""
    engine = open_store(url)
    with transaction(engine) as session:
        by_ts = {r.ts: r for r in session.scalars(select(Request).where(Request.channel == "C1"))}
        for row in rows:
            topic = label(row)
            if topic is not None:
                request = by_ts[row["ts"]]
                request.final_topic, request.label_source = topic, "human"
    engine.dispose()


def train(runner: CliRunner, url: str, out: Path, *extra: str) -> dict:
    result = runner.invoke(
        cli,
        [
            "train",
            "--from-store",
            "--database-url",
            url,
            "--out",
            str(out),
            *FAST,
            *extra,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_feedback_makes_a_better_challenger_that_is_promoted_and_a_degraded_one_is_not(
    database_url: str, mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"loop-{database_url.split(':')[0]}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("SUPPORTML_EXPERIMENT", name)
    monkeypatch.setenv("SUPPORTML_REGISTERED_MODEL", name)
    runner, out = CliRunner(), tmp_path / "models" / "topic"
    client = MlflowClient(mlflow_uri)
    rows = seed_store(database_url, noisy_share=0.45)

    first = train(runner, database_url, out)
    assert first["decision"]["promote"] and first["decision"]["reason"] == "no champion yet"
    card = read_card(out)
    assert card.version == first["model_version"]
    assert "Model Guess" not in card.labels and "Deleted Topic" not in card.labels
    assert first["mlflow"]["registered_version"] == "1"

    # people correct the imported labels in Slack: the next challenger learns the real topics
    feedback(database_url, rows, lambda r: r["truth"])
    second = train(runner, database_url, out)
    decision = second["decision"]
    assert decision["champion_version"] == "1"
    assert decision["challenger_macro_f1"] > decision["champion_macro_f1"] + 0.1
    assert decision["promote"], decision["reason"]
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert read_card(out).version == second["model_version"]
    logged = client.get_run(second["mlflow"]["run_id"]).data
    assert logged.metrics["champion_eval_macro_f1"] == pytest.approx(decision["champion_macro_f1"])
    assert logged.metrics["challenger_eval_macro_f1"] == pytest.approx(
        decision["challenger_macro_f1"]
    )
    assert logged.tags["supportml.promoted"] == "True"
    assert logged.params["eval_weeks"] == "3"

    # a deliberately degraded training set: the older weeks mislabelled, the newest weeks right
    cutoff = max(r["created_at"] for r in rows) - timedelta(weeks=3)
    feedback(
        database_url,
        rows,
        lambda r: (
            wrong(r["truth"]) if r["created_at"] < cutoff and int(float(r["ts"])) % 5 else None
        ),
    )
    third = train(runner, database_url, out)
    decision = third["decision"]
    assert not decision["promote"]
    assert decision["champion_version"] == "2"
    assert decision["challenger_macro_f1"] < decision["champion_macro_f1"]
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert read_card(out).version == second["model_version"], "the champion export is untouched"
    assert read_card(out.with_name("topic.challenger")).version == third["model_version"]
    logged = client.get_run(third["mlflow"]["run_id"]).data
    assert logged.tags["supportml.promoted"] == "False"
    assert logged.metrics["promoted"] == 0.0


def test_without_mlflow_the_exported_model_is_the_champion(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    seed_store(url, noisy_share=0.0)
    runner, out = CliRunner(), tmp_path / "m"
    first = train(runner, url, out, "--no-track")
    assert first["decision"]["promote"]
    again = train(runner, url, out, "--no-track")
    assert not again["decision"]["promote"]
    assert "below the required gain" in again["decision"]["reason"]
    assert again["decision"]["champion_version"] == first["model_version"]
    assert read_card(out).version == first["model_version"]


def test_new_and_rare_topics_are_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    rows = seed_store(url, noisy_share=0.0)
    runner, out = CliRunner(), tmp_path / "m"
    train(runner, url, out, "--no-track")
    # a team starts using a new topic in Slack, and another is used only twice
    feedback(url, rows[:40], lambda r: "Secrets" if r["truth"] == "Environments" else None)
    feedback(url, rows[40:60], lambda r: "Docs Site" if r["truth"] == "PR Review" else None)
    result = runner.invoke(
        cli,
        ["train", "--from-store", "--database-url", url, "--out", str(out), *FAST, "--no-track"],
    )
    assert result.exit_code == 0, result.output
    assert "new topics: Secrets (" in result.stdout
    assert "left out, too few examples: Docs Site (" in result.stdout
    assert "not promoted" in result.stdout or "promoted" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --data FILE or --from-store"),
        (["--from-store", "--data", "x.csv"], "give either --data FILE or --from-store"),
        (["--from-store", "--eval-weeks", "20"], "use fewer --eval-weeks than 20"),
        (["--from-store", "--topics-map", "missing.yaml"], "missing.yaml: no such file"),
        (["--from-store", "--since", "yesterday"], "is not a date"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    seed_store(url, noisy_share=0.0)
    result = CliRunner().invoke(
        cli, ["train", *args, "--database-url", url, "--no-track", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_an_empty_store_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["train", "--from-store", "--database-url", url, "--no-track"])
    assert result.exit_code == 2
    assert "0 usable labelled requests" in result.output and "import history first" in result.output


def test_retrain_schedule_prints_cron_and_points_to_the_systemd_units() -> None:
    result = CliRunner().invoke(
        cli,
        ["retrain-schedule", "--weekday", "sun", "--hour", "2", "--", "--eval-weeks", "6"],
    )
    assert result.exit_code == 0, result.output
    cron = [line for line in result.output.splitlines() if line.startswith("0 2 * * 0 ")]
    assert len(cron) == 1
    assert ". /etc/supportml/supportml.env" in cron[0]
    assert cron[0].count("train --from-store --eval-weeks 6") == 1
    assert "OnCalendar=Sun *-*-* 02:00:00" in result.output
    assert "SUPPORTML_TRAIN_ARGS=--eval-weeks 6" in result.output
    assert str(UNITS) in result.output and "ExecStart=" not in result.output  # no second copy


def test_retrain_schedule_defaults_are_the_timer_units() -> None:
    timer = (UNITS / "supportml-retrain.timer").read_text()
    result = CliRunner().invoke(cli, ["retrain-schedule"])
    calendar = next(line for line in result.output.splitlines() if line.startswith("OnCalendar=M"))
    assert f"\n{calendar}\n" in timer


def test_a_promotion_classifies_the_history_unless_told_not_to(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    seed_store(url, noisy_share=0.0)
    runner = CliRunner()
    skipped = train(runner, url, tmp_path / "a", "--no-track", "--no-classify")
    assert skipped["decision"]["promote"] and skipped["classify"] is None
    assert stored_versions(url) == {None}

    promoted = train(runner, url, tmp_path / "b", "--no-track")
    assert promoted["decision"]["promote"]
    # the model's old guesses (8 rows) get the champion's suggestion; labelled rows stay as they are
    classified = promoted["classify"]
    assert classified["model_version"] == promoted["model_version"]
    assert classified["classified"] + classified["abstained"] == 8
    assert classified["skipped"] == {"imported label": 360, "deleted": 8}
    assert stored_versions(url) == {None, promoted["model_version"]}


def stored_versions(url: str) -> set[str | None]:
    engine = open_store(url)
    with transaction(engine) as session:
        found = set(session.scalars(select(Request.model_version)))
    engine.dispose()
    return found
