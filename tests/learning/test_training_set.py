"""The learning loop's training set: label priority, near-duplicates, rare topics, time split."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from supportml.data import DataError
from supportml.learning.training_set import (
    LabelledRow,
    build_training_set,
    near_duplicate_key,
    time_split,
    topic_changes,
)
from supportml.redact import Redactor

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(i: int, text: str, topic: str, source: str = "import", days: float = 0) -> LabelledRow:
    return LabelledRow(f"T/C/{i}", text, topic, source, START + timedelta(days=days))


def many(topic: str, n: int, source: str = "import", start: int = 0, days: float = 0) -> list:
    return [
        row(
            start + i,
            f"{topic} question number {chr(97 + i % 26)}{i // 26} words",
            topic,
            source,
            days + i,
        )
        for i in range(n)
    ]


def test_near_duplicates_differ_only_in_case_numbers_and_punctuation():
    assert near_duplicate_key("Deploy 4411 failed!!") == near_duplicate_key("deploy 4412 failed")
    assert near_duplicate_key("deploy failed") != near_duplicate_key("deploy failed again")


def test_first_row_of_a_duplicate_group_wins_so_people_outrank_imports():
    # rows arrive best source first (the store's order): the human label wins over the import
    rows = [
        row(1, "Helm rollback on prod 12?", "Failed Deployment", "human", days=5),
        row(2, "helm rollback on prod 13", "CI Error", "import", days=1),
        *many("CI Error", 6, start=10),
        *many("Failed Deployment", 6, start=20),
    ]
    training = build_training_set(rows)
    assert training.collapsed == 1
    assert "T/C/2" not in training.dataset.ids
    position = training.dataset.ids.index("T/C/1")
    assert training.dataset.labels[position] == "Failed Deployment"
    assert training.label_sources == {"human": 1, "import": 12}
    # kept rows come back in time order whatever order the sources arrived in
    assert training.created_at == sorted(training.created_at)


def test_topic_map_applies_and_rare_topics_are_listed_not_silently_dropped():
    rows = [*many("CI", 6), *many("Deploys", 6, start=10), *many("Brand New", 3, start=30)]
    training = build_training_set(rows, {"CI": "CI Error"}, min_examples=5)
    assert set(training.dataset.classes) == {"CI Error", "Deploys"}
    assert training.renamed == 6
    assert training.too_few == {"Brand New": 3}
    assert len(training.dataset) == 12


def test_texts_with_nothing_left_are_counted():
    rows = [row(1, ":tada:", "CI"), *many("CI", 5, start=2), *many("Docs", 5, start=9)]
    training = build_training_set(rows)
    assert training.empty == 1 and len(training.dataset) == 10


def test_too_little_labelled_data_is_a_clear_error():
    with pytest.raises(DataError, match="fewer than two topics"):
        build_training_set([*many("CI", 6), *many("Docs", 2, start=9)], min_examples=5)


def test_time_split_tests_on_the_newest_weeks_and_trains_on_the_rest():
    created = [START + timedelta(days=d) for d in range(70)]
    labels = ["a" if d % 2 else "b" for d in range(70)]
    parts, cutoff = time_split(created, labels, eval_weeks=2)
    assert cutoff == created[-1] - timedelta(weeks=2)
    assert all(created[i] >= cutoff for i in parts.test)
    assert all(created[i] < cutoff for i in [*parts.train, *parts.calibration])
    assert len(parts.test) == 15  # days 55..69
    everything = np.concatenate([parts.train, parts.calibration, parts.test])
    assert sorted(everything.tolist()) == list(range(70))


def test_time_split_refuses_when_too_little_is_left_to_train_on():
    created = [START + timedelta(days=d) for d in range(20)]
    with pytest.raises(DataError, match="use fewer --eval-weeks than 3"):
        time_split(created, ["a", "b"] * 10, eval_weeks=3)
    with pytest.raises(DataError, match="at least 1 week"):
        time_split(created, ["a", "b"] * 10, eval_weeks=0)


def test_topic_changes_name_new_retired_and_untrained_topics_with_counts():
    labels = ["ci", "ci", "deploy", "secrets", "secrets", "fresh"]
    changes = topic_changes(labels, [0, 1, 2, 3, 4], ["ci", "deploy", "legacy"], {"tiny": 2})
    assert changes.new == {"fresh": 1, "secrets": 2}
    assert changes.retired == ["legacy"]
    assert changes.untrained == {"fresh": 1}
    assert changes.too_few == {"tiny": 2}
    text = "\n".join(changes.lines())
    assert "new topics: fresh (1), secrets (2)" in text and "legacy" in text
    assert topic_changes(["ci"], [0], None, {}).lines() == []


def test_the_configured_redactor_cleans_the_training_texts():
    """`train --from-store` passes Settings.redactor: an extra pattern reaches the model's texts."""
    rows = [*many("CI Error", 6), *many("Docs", 6, start=10)]
    rows[0] = row(0, "cypress project 77 keeps failing", "CI Error")
    plain = build_training_set(rows).dataset.texts
    redacted = build_training_set(rows, redactor=Redactor(extra=("cypress",))).dataset.texts
    assert any("cypress" in text for text in plain)
    assert not any("cypress" in text for text in redacted)
