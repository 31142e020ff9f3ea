"""Where a model comes from: `--model`, SUPPORTML_MODEL and the registry name a models/
directory, a registry version or alias (models:/supportml-topic@champion, models:/name/3) or a
logged run (runs:/<id>/supportml_model).

The prefix is read here and nowhere else. A registry or run source lives in tracking.py, the
only module that imports mlflow (seconds to import), so it is imported only when asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from supportml.config import Settings
from supportml.model import ModelCard, ModelError, TopicClassifier, load, read_card

REGISTRY = "models:/"
RUN = "runs:/"


class ModelSource(Protocol):
    """Something that hands out a verified model."""

    description: str  # for messages: 'models/supportml-topic', 'models:/supportml-topic@champion'

    def load(self) -> tuple[TopicClassifier, ModelCard]:
        """The model, verified; raises ModelError."""
        ...

    def card(self) -> ModelCard:
        """The model's card, without unpickling the model where the source allows it."""
        ...


@runtime_checkable
class PublishedSource(ModelSource, Protocol):
    """A source whose model can change (a directory, a registry alias): a responder watches it."""

    def published(self) -> str | None:
        """The version (ModelCard.version) published now, cheaply; None if nothing usable is."""
        ...


class DirectorySource:
    """A models/ export; `model.save` publishes into it with one rename of the card."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.description = str(path)

    def published(self) -> str | None:
        try:
            return read_card(self.path).version or None
        except ModelError:
            return None

    def load(self) -> tuple[TopicClassifier, ModelCard]:
        return load(self.path)

    def card(self) -> ModelCard:
        return read_card(self.path)


def in_mlflow(ref: str) -> bool:
    """Whether ``ref`` names a registry version or alias or a run rather than a directory."""
    return ref.startswith((REGISTRY, RUN))


def model_source(ref: str | Path | None, settings: Settings) -> ModelSource:
    """The source ``ref`` names (None: the configured model path)."""
    ref = str(ref or settings.model_path)
    if ref.startswith(REGISTRY):
        from supportml.tracking import RegistrySource

        return RegistrySource(ref, settings)
    if ref.startswith(RUN):
        from supportml.tracking import RunSource

        return RunSource(ref, settings)
    return DirectorySource(ref)
