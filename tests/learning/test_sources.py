"""Where a model comes from: one reading of --model for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportml.config import Settings
from supportml.learning.sources import (
    DirectorySource,
    PublishedSource,
    in_mlflow,
    model_source,
)
from supportml.model import ModelError, ModelParams
from supportml.train import TrainResult
from tests.learning.test_watcher import DROPPED, publish, train_without


@pytest.fixture(scope="module")
def other(fast_params: ModelParams, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    return train_without(DROPPED, fast_params, tmp_path_factory.mktemp("other"))


def test_directory_source_reads_the_card_and_loads_verified(trained, other, tmp_path):
    source = DirectorySource(tmp_path / "models")
    assert source.published() is None  # nothing there yet: not an error
    publish(trained, tmp_path / "models")
    assert source.published() == trained.card.version
    publish(other, tmp_path / "models")
    assert source.published() == other.card.version != trained.card.version
    classifier, card = source.load()
    assert card.version == other.card.version and DROPPED not in classifier.labels
    assert source.card().labels == card.labels
    (tmp_path / "models" / "model_card.json").write_text("{broken")
    assert source.published() is None
    with pytest.raises(ModelError):
        source.card()


def test_a_path_or_nothing_names_a_directory(tmp_path: Path):
    settings = Settings(model_path=tmp_path / "default")
    default = model_source(None, settings)
    assert isinstance(default, DirectorySource) and default.path == tmp_path / "default"
    given = model_source(tmp_path / "elsewhere", settings)
    assert isinstance(given, DirectorySource) and given.description == str(tmp_path / "elsewhere")
    assert isinstance(given, PublishedSource)
    assert not in_mlflow(str(tmp_path)) and not in_mlflow("models/supportml-topic")


def test_registry_and_run_uris_are_mlflow_sources_and_only_the_registry_is_watched():
    from supportml.tracking import RegistrySource, RunSource

    settings = Settings()
    registry = model_source("models:/supportml-topic@champion", settings)
    assert isinstance(registry, RegistrySource) and isinstance(registry, PublishedSource)
    run = model_source("runs:/0123abcd/supportml_model", settings)
    assert isinstance(run, RunSource) and not isinstance(run, PublishedSource)
    assert run.description == "runs:/0123abcd/supportml_model"
    assert in_mlflow("models:/x/3") and in_mlflow("runs:/abc/model")
    with pytest.raises(ModelError, match="expected models:/NAME@ALIAS"):
        model_source("models:/no-version", settings)
