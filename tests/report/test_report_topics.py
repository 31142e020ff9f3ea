"""The effective topic in every output, topic counts equal to plain SQL counts, corrected shares
with and without enough people labels, and headline changes against the previous period."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from supportml import shares
from supportml.report import Filters, build_report, request_rows
from supportml.report.render import to_html, to_json, to_markdown, write_csv
from supportml.store import open_store, repository, transaction
from supportml.store.models import Request
from supportml.vocabulary import UNCLASSIFIED
from tests.report.conftest import SINCE, UNTIL, at, insert, row


def topic_rows(report) -> dict[str, dict[str, Any]]:
    table = report.breakdowns["by_topic"]
    return {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}


def labelled(truth: str, guess: str, n: int) -> list[dict[str, Any]]:
    """n requests people labelled ``truth`` that the model, confidently, called ``guess``."""
    return [
        row(at(2, 9) + timedelta(minutes=i), final_topic=truth, label_source="human",
            predicted_topic=guess, confidence=0.9, abstained=False)
        for i in range(n)
    ]  # fmt: skip


def by_model(
    guess: str, n: int, abstained: bool = False, version: str = "v1"
) -> list[dict[str, Any]]:
    """n requests nobody labelled: model ``version``'s confident topic, or its abstention."""
    return [
        row(at(3, 9) + timedelta(minutes=i), predicted_topic=guess, abstained=abstained,
            model_version=version,
            confidence=0.2 if abstained else 0.9, final_topic=None if abstained else guess,
            label_source=None if abstained else "model")
        for i in range(n)
    ]  # fmt: skip


def store(database_url: str, per_topic: int):
    """People labelled ``per_topic`` requests of A and of B; model v1, fitted without each of
    them (its card's out-of-fold confusions, recorded by `classify`), calls 1 in 6 of A 'B'
    and 1 in 12 of B 'A' (at 12 each). Nobody labelled 20 'A', 10 'B', 5 abstentions (said
    A), all by v1, and 3 requests the model never saw."""
    engine = open_store(database_url)
    wrong_a, wrong_b = per_topic // 6, per_topic // 12
    insert(engine, [
        *labelled("A", "A", per_topic - wrong_a), *labelled("A", "B", wrong_a),
        *labelled("B", "B", per_topic - wrong_b), *labelled("B", "A", wrong_b),
        *by_model("A", 20), *by_model("B", 10), *by_model("A", 5, abstained=True),
        row(at(4, 9)), row(at(4, 10)), row(at(4, 11)),
    ])  # fmt: skip
    confusion = {"A": {"A": per_topic - wrong_a, "B": wrong_a},
                 "B": {"B": per_topic - wrong_b, "A": wrong_b}}  # fmt: skip
    with transaction(engine) as session:
        repository.record_confusion(session, "v1", confusion)
        repository.record_confusion(session, "v1", {"A": {"A": 99}})  # once per version
    return engine


def test_topic_counts_equal_plain_sql_counts(database_url):
    engine = store(database_url, 12)
    report = build_report(engine, SINCE, UNTIL)
    query = (
        select(Request.final_topic, Request.label_source, func.count())
        .where(Request.deleted.is_(False), Request.created_at >= SINCE, Request.created_at < UNTIL)
        .group_by(Request.final_topic, Request.label_source)
    )
    requests: Counter[str] = Counter()
    people: Counter[str] = Counter()
    model: Counter[str] = Counter()
    with engine.connect() as connection:
        for topic, source, n in connection.execute(query):
            name = topic or UNCLASSIFIED
            requests[name] += n
            if source in ("human", "form", "import"):
                people[name] += n
            elif topic is not None:
                model[name] += n
    topics = topic_rows(report)
    assert {t: r["requests"] for t, r in topics.items()} == dict(requests)
    assert {t: r["people"] for t, r in topics.items() if r["people"]} == dict(people)
    assert {t: r["model"] for t, r in topics.items() if r["model"]} == dict(model)
    assert report.metrics["with_topic"].value == pytest.approx((24 + 30) / 62)
    engine.dispose()


def test_corrected_shares_with_enough_people_labels(database_url):
    engine = store(database_url, 12)
    report = build_report(engine, SINCE, UNTIL)
    topics = topic_rows(report)
    assert report.breakdowns["by_topic"].note == ""
    # the store's inputs, written by hand: of the people-labelled requests the model said A for,
    # 10 were A and 1 was B; of those it said B for, 2 were A and 11 B; it said A for 25 of the
    # 35 unlabelled requests it saw (abstentions included) and B for 10
    confusion, predicted = {"A": {"A": 10, "B": 2}, "B": {"A": 1, "B": 11}}, {"A": 25, "B": 10}
    _, (pcc_a, _) = shares.correct(confusion, predicted, method="pcc")
    assert pcc_a.estimated_share == pytest.approx((25 * 10 / 11 + 10 * 2 / 13) / 35)
    _, (a, _) = shares.correct(confusion, predicted)  # the report's method, from these inputs
    p_a = a.estimated_share
    assert topics["A"]["corrected_share"] == pytest.approx((12 + p_a * 35) / 62, abs=1e-6)
    assert topics["B"]["corrected_share"] == pytest.approx((12 + (1 - p_a) * 35) / 62, abs=1e-6)
    assert topics["A"]["share"] == pytest.approx(32 / 62)  # raw: people's 12 + the model's 20
    never_seen = topics[UNCLASSIFIED]
    assert never_seen["corrected_share"] == never_seen["corrected_low"] == pytest.approx(3 / 62)
    for r in topics.values():
        assert r["corrected_low"] <= r["corrected_share"] <= r["corrected_high"]
    assert topics["A"]["corrected_low"] < topics["A"]["corrected_high"]  # a real interval
    text = to_markdown(report)
    shown = f"{topics['A']['corrected_share'] * 100:.1f}% ("
    assert f"| A | 32 | 51.6% | {shown}" in text
    engine.dispose()


def test_a_model_without_recorded_confusions_is_one_sentence_and_raw_shares(database_url):
    engine = store(database_url, 12)
    insert(engine, by_model("B", 40, version="v2"))  # v2 gave most topics; classify never ran
    report = build_report(engine, SINCE, UNTIL)
    note = report.breakdowns["by_topic"].note
    assert note.startswith("Corrected shares are not shown") and "model v2" in note
    assert all(r["corrected_share"] is None for r in topic_rows(report).values())
    engine.dispose()


def test_too_few_people_labels_is_one_sentence_and_raw_shares(database_url):
    engine = store(database_url, 6)  # 6 per topic, 10 needed: 4 + 4 short
    report = build_report(engine, SINCE, UNTIL)
    note = report.breakdowns["by_topic"].note
    assert note.startswith("Corrected shares are not shown") and "label about 8 more" in note
    assert all(r["corrected_share"] is None for r in topic_rows(report).values())
    assert (
        note in to_markdown(report)
        and note in json.loads(to_json(report))["breakdowns"]["by_topic"]["note"]
    )
    assert "label about 8 more" in to_html(report)
    engine.dispose()


def test_effective_topic_in_csv_and_json(database_url, tmp_path):
    engine = store(database_url, 12)
    report = build_report(engine, SINCE, UNTIL)
    payload = json.loads(to_json(report))
    assert "(none)" not in json.dumps(payload["breakdowns"]["by_topic"])
    assert UNCLASSIFIED in [r[0] for r in payload["breakdowns"]["by_topic"]["rows"]]
    write_csv(report, tmp_path, request_rows(engine, SINCE, UNTIL))
    with (tmp_path / "requests.csv").open(newline="", encoding="utf-8") as handle:
        requests = list(csv.DictReader(handle))
    assert Counter((r["topic"], r["topic_origin"]) for r in requests) == {
        ("A", "people"): 12, ("B", "people"): 12, ("A", "model"): 20, ("B", "model"): 10,
        (UNCLASSIFIED, "unclassified"): 8,
    }  # fmt: skip
    with (tmp_path / "by_topic.csv").open(newline="", encoding="utf-8") as handle:
        topics = {r["topic"]: r for r in csv.DictReader(handle)}
    assert (topics["A"]["people"], topics["A"]["model"]) == ("12", "20")
    engine.dispose()


def test_headline_changes_against_the_previous_period(week_store):
    metrics = build_report(week_store, SINCE, UNTIL).metrics
    # the week before held one request: labelled, never answered (missed the target)
    requests = metrics["requests"]
    assert (requests.value, requests.previous, requests.change) == (7, 1, pytest.approx(6.0))
    topic = metrics["with_topic"]
    assert (topic.previous, topic.change) == (1.0, pytest.approx(5 / 7 - 1))  # points
    ack = metrics["acknowledged_within_target"]
    assert (ack.previous, ack.change) == (0.0, pytest.approx(4 / 6))
    assert metrics["unanswered_older"].change == 0.0  # 1 then, 1 now
    assert metrics["resolved_by_docs"].previous == 0.0


def test_a_team_typed_two_ways_is_one_team_shown_with_its_common_spelling(database_url):
    engine = open_store(database_url)
    teams = ["Identity", "identity", "identity"]
    insert(engine, [row(at(2, 9 + i), requester_team=team) for i, team in enumerate(teams)])
    report = build_report(engine, SINCE, UNTIL)
    assert report.breakdowns["by_team"].rows == [("identity", 3, 1.0)]
    shouted = build_report(engine, SINCE, UNTIL, Filters(team="IDENTITY"))
    assert shouted.metrics["requests"].value == 3
    engine.dispose()


def test_classified_history_is_not_counted_as_shown_suggestions(database_url):
    """`supportml classify` gives imported requests a topic, but nobody saw a reply or links:
    the link and holdout KPIs count only what the responder answered live."""
    engine = open_store(database_url)
    with transaction(engine) as session:
        run = repository.start_import(session, "slack-export", "export.zip")
    insert(engine, [*by_model("A", 2), *[{**r, "import_run_id": run} for r in by_model("B", 3)]])
    report = build_report(engine, SINCE, UNTIL)
    assert report.metrics["suggested"].value == 5  # the model's suggestions, all of them
    assert len(report.breakdowns["no_link_requests"].rows) == 2  # only the live ones were shown
