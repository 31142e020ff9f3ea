"""Classifying the stored history: people's labels kept, idempotent, resumable, one topic rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from supportml.store import repository, transaction
from supportml.store.models import Request
from supportml.suggest import Suggester
from supportml.vocabulary import UNCLASSIFIED
from tests.conftest import make_rows

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TEXTS = [r["text"] for r in make_rows(4, seed=11)]  # 20 texts the tiny model knows well


def row(i: int, **fields: Any) -> dict[str, Any]:
    base = {
        "workspace": "T1",
        "channel": "C1",
        "ts": f"{i}.0001",
        "text": TEXTS[i % len(TEXTS)],
        "source": "import",
        "created_at": T0 + timedelta(hours=i),
        "docs_holdout": False,
        "status": "open",
        "deleted": False,
    }
    return {**base, **fields}


# rows 0-2 carry a person's, a form's and an imported label; 3 is deleted; the rest nobody labelled
GIVEN = {
    0: {"final_topic": "Hand-picked", "label_source": "human"},
    1: {"final_topic": "From a form", "label_source": "form"},
    2: {"final_topic": "From a sheet", "label_source": "import"},
}


@pytest.fixture
def store(engine: Engine) -> Engine:
    rows = [row(i, **GIVEN.get(i, {}), deleted=i == 3) for i in range(20)]
    with transaction(engine) as session:
        repository.insert_new_requests(session, rows)
    return engine


@pytest.fixture
def suggester(trained: Any) -> Suggester:
    """The tiny model with no abstention threshold: every readable text gets its topic."""
    return Suggester(trained.classifier, threshold=0.0, model_version=trained.card.version)


def stored(engine: Engine) -> dict[str, tuple[Any, ...]]:
    columns = (
        Request.ts,
        Request.final_topic,
        Request.label_source,
        Request.predicted_topic,
        Request.abstained,
        Request.model_version,
    )
    with transaction(engine) as session:
        return {r[0]: tuple(r[1:]) for r in session.execute(select(*columns))}


def test_people_labels_are_never_overwritten(store: Engine, suggester: Suggester) -> None:
    before = stored(store)
    summary = repository.classify_requests(store, suggester, batch_size=7)
    after = stored(store)
    for i, label in GIVEN.items():
        assert after[f"{i}.0001"] == before[f"{i}.0001"]
        assert label["final_topic"] == after[f"{i}.0001"][0]
    assert after["3.0001"] == before["3.0001"]  # deleted: left alone
    assert summary.skipped == {"labelled by a person": 2, "imported label": 1, "deleted": 1}
    assert (summary.classified, summary.abstained) == (16, 0)
    for i in range(4, 20):
        final, source, predicted, abstained, version = after[f"{i}.0001"]
        assert version == suggester.model_version and predicted
        assert (final, source) == ((None, None) if abstained else (predicted, "model"))


def test_a_second_run_with_the_same_model_changes_nothing(
    store: Engine, suggester: Suggester
) -> None:
    repository.classify_requests(store, suggester, batch_size=5)
    before = stored(store)
    again = repository.classify_requests(store, suggester, batch_size=5)
    assert (again.classified, again.abstained, again.unchanged) == (0, 0, 16)
    assert stored(store) == before


def test_a_killed_run_resumes_where_it_stopped(store: Engine, suggester: Suggester) -> None:
    def die_after_first_batch(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        repository.classify_requests(store, suggester, batch_size=6, advance=die_after_first_batch)
    done = [ts for ts, r in stored(store).items() if r[4] == suggester.model_version]
    assert len(done) == 6  # the first batch was committed before the run died
    resumed = repository.classify_requests(store, suggester, batch_size=6)
    assert resumed.unchanged == 6 and resumed.classified + resumed.abstained == 10
    versions = [r[4] for ts, r in stored(store).items() if int(ts.split(".")[0]) >= 4]
    assert versions == [suggester.model_version] * 16


def test_a_new_model_replaces_only_model_suggestions(store: Engine, suggester: Suggester) -> None:
    repository.classify_requests(store, suggester)
    before = stored(store)
    unsure = Suggester(suggester.classifier, threshold=1.01, model_version="newer-model")
    summary = repository.classify_requests(store, unsure)
    after = stored(store)
    assert (summary.classified, summary.abstained, summary.unchanged) == (0, 16, 0)
    for i in range(20):
        ts = f"{i}.0001"
        if i < 4:
            assert after[ts] == before[ts]
        else:  # every model label is the new model's, and an unsure model leaves no label
            assert before[ts][:2] == (before[ts][2], "model")
            assert after[ts] == (None, None, before[ts][2], True, "newer-model")


def test_a_dry_run_writes_nothing(store: Engine, suggester: Suggester) -> None:
    before = stored(store)
    summary = repository.classify_requests(store, suggester, batch_size=4, dry_run=True)
    assert summary.dry_run and summary.classified + summary.abstained == 16
    assert stored(store) == before


def test_since_and_until_bound_the_requests_classified(store: Engine, suggester: Suggester) -> None:
    summary = repository.classify_requests(
        store, suggester, since=T0 + timedelta(hours=10), until=T0 + timedelta(hours=15)
    )
    assert summary.classified + summary.abstained == 5
    classified = {ts for ts, r in stored(store).items() if r[4]}
    assert classified == {f"{i}.0001" for i in range(10, 15)}


def test_an_empty_text_is_counted_unsure_not_lost(engine: Engine, suggester: Suggester) -> None:
    with transaction(engine) as session:
        repository.insert_new_requests(session, [row(0, text=""), row(1)])
    summary = repository.classify_requests(engine, suggester)
    assert (summary.classified, summary.abstained) == (1, 1)
    assert stored(engine)["0.0001"][2:] == (None, True, suggester.model_version)


def test_what_classify_writes_is_the_effective_topic(store: Engine, suggester: Suggester) -> None:
    repository.classify_requests(store, suggester, until=T0 + timedelta(hours=12))
    unsure = Suggester(suggester.classifier, threshold=1.01, model_version="unsure")
    repository.classify_requests(store, unsure, since=T0 + timedelta(hours=12))
    columns = (Request.ts, Request.predicted_topic)
    with transaction(store) as session:
        query = select(*columns, repository.EFFECTIVE_TOPIC, repository.TOPIC_ORIGIN)
        found = {
            ts: (predicted, topic, origin)
            for ts, predicted, topic, origin in session.execute(query)
        }
    for i in range(20):
        predicted, topic, origin = found[f"{i}.0001"]
        if i in GIVEN:
            assert (topic, origin) == (GIVEN[i]["final_topic"], "people")
        elif i == 3 or i >= 12:  # deleted and never classified, or the model was unsure
            assert (topic, origin) == (UNCLASSIFIED, "unclassified")
        else:
            assert (topic, origin) == (predicted, "model")


def test_unclassified_count_is_what_classify_takes(store: Engine, suggester: Suggester) -> None:
    with transaction(store) as session:
        assert repository.unclassified_count(session) == 16
    repository.classify_requests(store, suggester)
    with transaction(store) as session:
        assert repository.unclassified_count(session) == 0


def test_stored_suggestions_are_the_live_paths(store: Engine, trained: Any) -> None:
    """What a batch writes (one unnest UPDATE on PostgreSQL, an executemany on SQLite) is, row
    by row, what the responder's one-text path suggests: topic, confidence and abstention."""
    suggester = Suggester.from_card(trained.classifier, trained.card)  # the real threshold
    repository.classify_requests(store, suggester, batch_size=7)
    columns = (Request.text, Request.predicted_topic, Request.confidence, Request.abstained)
    with transaction(store) as session:
        rows = session.execute(select(*columns)).all()
    checked = 0
    for text, topic, confidence, abstained in rows:
        if topic is None:  # a given label or the deleted row: not classified
            continue
        live = suggester.suggest(text, explain=False)
        assert (topic, abstained) == (live.topic, live.abstained)
        assert confidence == pytest.approx(live.confidence, abs=1e-5)  # float32 vs float64
        checked += 1
    assert checked == 16
