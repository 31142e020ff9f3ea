"""Hot reload without Slack: the watcher that swaps verified models published into a directory."""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from supportml.data import load_requests
from supportml.learning.sources import DirectorySource
from supportml.learning.watcher import ModelWatcher
from supportml.model import ModelCard, ModelParams, TopicClassifier, read_card, save
from supportml.suggest import Suggester
from supportml.train import TrainResult, train
from tests.conftest import make_rows, write_csv

DROPPED = "Test Failure"


def train_without(topic: str, params: ModelParams, directory: Path) -> TrainResult:
    """A second model, on the tiny data without one topic: another version, other topics."""
    rows = [row for row in make_rows() if row["topic"] != topic]
    directory.mkdir(parents=True, exist_ok=True)
    return train(load_requests(write_csv(directory / "data.csv", rows)), params, directory / "m")


def publish(model: Any, directory: Path) -> ModelCard:
    """Export ``model`` (a TrainResult) into ``directory`` as `supportml train` does."""
    return save(model.classifier, replace(model.card), directory)


def corrupt(directory: Path) -> None:
    """Flip one byte in the middle of the pipeline the card names (its sha256 no longer fits)."""
    artifact = directory / read_card(directory).artifact
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))


def variant(model: Any, temperature: float) -> SimpleNamespace:
    """``model`` with other intercepts and temperature: the same topics, another version."""
    pipeline = copy.deepcopy(model.classifier.pipeline)
    pipeline.named_steps["clf"].intercept_ = pipeline.named_steps["clf"].intercept_ + 0.5
    card = replace(model.card, temperature=temperature)
    return SimpleNamespace(classifier=TopicClassifier(pipeline, temperature), card=card)


@pytest.fixture(scope="module")
def other(fast_params: ModelParams, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train_without(DROPPED, fast_params, tmp_path_factory.mktemp("other"))


class CountingSource(DirectorySource):
    def __init__(self, path: Path):
        super().__init__(path)
        self.loads = 0

    def load(self) -> tuple[TopicClassifier, ModelCard]:
        self.loads += 1
        return super().load()


class Installed:
    """What the watcher installed, in order (stands in for Responder.install)."""

    def __init__(self) -> None:
        self.suggesters: list[Suggester] = []

    def __call__(self, suggester: Suggester) -> None:
        self.suggesters.append(suggester)


def watcher_on(directory: Path, current: str) -> tuple[ModelWatcher, CountingSource, Installed]:
    source, installed = CountingSource(directory), Installed()
    return ModelWatcher(source, Suggester.from_card, installed, current), source, installed


def test_watcher_swaps_to_a_new_version_and_leaves_an_unchanged_one_alone(trained, other, tmp_path):
    publish(trained, tmp_path)
    watcher, source, installed = watcher_on(tmp_path, trained.card.version)
    assert watcher.check() == "unchanged"
    assert watcher.check() == "unchanged"
    assert source.loads == 0 and installed.suggesters == []
    publish(other, tmp_path)
    assert watcher.check() == f"swapped {trained.card.version} -> {other.card.version}"
    assert source.loads == 1 and watcher.current == other.card.version
    [suggester] = installed.suggesters
    assert suggester.model_version == other.card.version
    assert DROPPED not in suggester.classifier.labels
    assert watcher.check() == "unchanged" and source.loads == 1


def test_a_corrupted_artifact_is_refused_once_and_the_old_model_kept(
    trained, other, tmp_path, caplog
):
    publish(trained, tmp_path)
    watcher, source, installed = watcher_on(tmp_path, trained.card.version)
    publish(other, tmp_path)
    corrupt(tmp_path)
    with caplog.at_level(logging.INFO, logger="supportml.reload"):
        outcome = watcher.check()
        assert outcome.startswith(f"refused {other.card.version}: ")
        assert "does not match the model card's" in outcome
        assert watcher.check() == f"unchanged: {other.card.version} was refused"
        assert watcher.check() == f"unchanged: {other.card.version} was refused"
    assert source.loads == 1  # the refused version is not loaded again
    assert installed.suggesters == [] and watcher.current == trained.card.version
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "refused" in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()


def test_a_card_naming_a_missing_artifact_is_refused(trained, other, tmp_path):
    publish(trained, tmp_path)
    watcher, _, installed = watcher_on(tmp_path, trained.card.version)
    card = publish(other, tmp_path)
    (tmp_path / card.artifact).unlink()
    outcome = watcher.check()
    assert outcome.startswith(f"refused {other.card.version}: ") and "artifact missing" in outcome
    assert installed.suggesters == [] and watcher.current == trained.card.version


def test_a_tampered_card_is_not_swapped_in(trained, other, tmp_path):
    import json

    publish(trained, tmp_path)
    watcher, source, installed = watcher_on(tmp_path, trained.card.version)
    publish(other, tmp_path)
    card = json.loads((tmp_path / "model_card.json").read_text())
    (tmp_path / "model_card.json").write_text(json.dumps({**card, "threshold": 0.0}))
    assert watcher.check() == "unchanged: nothing usable is published"
    assert source.loads == 0 and installed.suggesters == []
    assert watcher.current == trained.card.version


def test_a_good_version_published_after_a_refused_one_is_picked_up(trained, other, tmp_path):
    publish(trained, tmp_path)
    watcher, source, installed = watcher_on(tmp_path, trained.card.version)
    publish(other, tmp_path)
    corrupt(tmp_path)
    assert watcher.check().startswith("refused")
    publish(trained, tmp_path)  # back to the model installed
    assert watcher.check() == "unchanged"
    retrained = variant(other, temperature=2.0)
    card = publish(retrained, tmp_path)
    assert card.version not in (trained.card.version, other.card.version)
    assert watcher.check() == f"swapped {trained.card.version} -> {card.version}"
    assert installed.suggesters[-1].classifier.temperature == 2.0
    assert watcher.refused is None and source.loads == 2


def test_a_model_that_loads_but_cannot_suggest_is_refused(trained, other, tmp_path):
    publish(trained, tmp_path)

    def broken(classifier: TopicClassifier, card: ModelCard) -> Suggester:
        suggester = Suggester.from_card(classifier, card)
        suggester.classifier = None  # type: ignore[assignment]
        return suggester

    installed = Installed()
    watcher = ModelWatcher(DirectorySource(tmp_path), broken, installed, trained.card.version)
    publish(other, tmp_path)
    assert watcher.check().startswith(f"refused {other.card.version}: AttributeError")
    assert installed.suggesters == []


def test_the_watcher_thread_checks_periodically_and_stops(trained, other, tmp_path):
    publish(trained, tmp_path)
    watcher, _, installed = watcher_on(tmp_path, trained.card.version)
    stop = threading.Event()
    thread = watcher.start(0.01, stop)
    try:
        publish(other, tmp_path)
        for _ in range(500):
            if installed.suggesters:
                break
            stop.wait(0.01)
        assert [s.model_version for s in installed.suggesters] == [other.card.version]
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive() and thread.daemon
