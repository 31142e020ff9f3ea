"""One turn of the learning loop without MLflow or a database: plain rows in, a fake champion
that predicts what it is told, the challenger published or kept as the verdict says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from supportml.learning.loop import Rules, exported_champion, turn
from supportml.learning.promotion import Champion
from supportml.learning.training_set import LabelledRow
from supportml.model import ModelError, ModelParams, read_card
from supportml.text import model_text
from tests.conftest import make_rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROWS = [
    LabelledRow(r["id"], r["text"], r["topic"], "human", T0 + timedelta(hours=9 * i))
    for i, r in enumerate(make_rows())
]  # 180 requests over about ten weeks
TRUTH = {model_text(r.text): r.topic for r in ROWS}


@dataclass
class Fake:
    """A classifier that answers from a table: the truth (an oracle) or one topic for all."""

    answer: Mapping[str, str] | str

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        pick = (lambda t: self.answer) if isinstance(self.answer, str) else self.answer.get
        return np.asarray([pick(t) for t in texts], dtype=object), np.ones((len(texts), 1))


def champion(answer: Mapping[str, str] | str, labels: Sequence[str] = ()) -> Champion:
    card = SimpleNamespace(labels=list(labels or sorted(set(TRUTH.values()))))
    return Champion("fake", "7", Fake(answer), card)  # type: ignore[arg-type]


def rules(out_dir: Path, fast_params: ModelParams, force: bool = False) -> Rules:
    return Rules(fast_params, out_dir, force=force)


def test_a_challenger_better_than_the_champion_is_published(fast_params, tmp_path):
    logged: list[tuple[Any, Mapping[str, object]]] = []

    def track(result, dataset, decision, extra):
        logged.append((decision, extra))
        return "run-1"

    out = tmp_path / "models" / "topic"
    outcome = turn(
        ROWS, rules(out, fast_params), lambda: champion("CI Error"), eval_weeks=2, track=track
    )
    decision = outcome.decision
    assert decision.promote, decision.reason
    assert decision.champion_version == "7"
    assert decision.challenger_macro_f1 > decision.champion_macro_f1
    assert decision.n_eval == len(outcome.result.split.test) > 0
    assert outcome.kept == out and read_card(out).version == outcome.result.card.version
    assert not out.with_name("topic.challenger").exists()
    assert outcome.tracked == "run-1"
    ((seen, extra),) = logged
    assert seen is decision
    assert extra["eval_weeks"] == 2 and extra["labels_human"] == len(ROWS)
    assert extra["min_gain"] == decision.policy.min_gain


def test_a_challenger_worse_than_the_champion_is_kept_aside(fast_params, tmp_path):
    out = tmp_path / "topic"
    outcome = turn(ROWS, rules(out, fast_params), lambda: champion(TRUTH), eval_weeks=2)
    assert not outcome.decision.promote
    assert "below the required gain" in outcome.decision.reason
    assert not out.exists(), "the champion's export is untouched"
    assert outcome.kept == tmp_path / "topic.challenger"
    assert read_card(outcome.kept).version == outcome.result.card.version


def test_promotion_can_be_forced_over_a_better_champion(fast_params, tmp_path):
    out = tmp_path / "topic"
    outcome = turn(ROWS, rules(out, fast_params, force=True), lambda: champion(TRUTH), eval_weeks=2)
    assert outcome.decision.promote
    assert outcome.decision.reason.startswith("forced with --promote")
    assert outcome.decision.champion_macro_f1 > outcome.decision.challenger_macro_f1
    assert read_card(out).version == outcome.result.card.version


def test_a_champion_that_cannot_be_loaded_is_replaced_with_a_warning(fast_params, tmp_path):
    def broken() -> Champion:
        raise ModelError("models/topic: sha256 mismatch")

    warnings: list[str] = []
    outcome = turn(
        ROWS, rules(tmp_path / "m", fast_params), broken, eval_weeks=2, warn=warnings.append
    )
    assert outcome.decision.promote and outcome.decision.reason == "no champion yet"
    assert outcome.champion is None
    champion_warnings = [w for w in warnings if "calibration row(s)" not in w]  # thin data
    assert champion_warnings == ["the champion cannot be loaded: models/topic: sha256 mismatch"]


def test_topics_the_champion_never_knew_are_reported(fast_params, tmp_path):
    known = ["CI Error", "Failed Deployment", "Access Request", "PR Review", "Retired"]
    outcome = turn(
        ROWS,
        rules(tmp_path / "m", fast_params),
        lambda: champion("CI Error", known),
        eval_weeks=2,
        min_examples=5,
    )
    assert set(outcome.changes.new) == {"Test Failure", "Environments"}
    assert outcome.changes.retired == ["Retired"]


def test_the_export_is_the_champion_without_a_registry(trained, tmp_path):
    assert exported_champion(tmp_path / "nothing") is None
    found = exported_champion(trained.model_dir)
    assert found is not None and found.version == trained.card.version
    assert found.where == str(trained.model_dir)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "model_card.json").write_text("{broken")
    with pytest.raises(ModelError):
        exported_champion(tmp_path / "bad")
