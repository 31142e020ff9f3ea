"""MLflow tracking and registry: the only module that imports mlflow (about 3 s to import).

A training run logs its parameters, a hash of its data, every metric, the per-class report, the
confusion matrix, the champion/challenger decision (made by the caller, see learning/loop.py) and
the model twice: as an MLflow sklearn model, for MLflow's own tools, and as supportml's
checksummed export under ``supportml_model/``. It is registered as ``supportml-topic`` with its
sha256 and its card's integrity checksum as version tags, and the ``champion`` alias moves to it
only when the decision says so.

supportml loads registry models from that export, never with mlflow.sklearn.load_model: pickles
run code while loading, so the bytes are checked first against the card, and the card against
the registry's tag, which someone who can only write to the artifact store cannot change.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from supportml.config import CHAMPION_ALIAS, Settings
from supportml.data import Dataset
from supportml.embeddings import SKOPS_TYPE
from supportml.errors import UserError
from supportml.evaluate import plot_confusion
from supportml.learning.promotion import Champion, Decision
from supportml.learning.sources import REGISTRY, RUN
from supportml.model import CARD_FILE, ModelCard, ModelError, TopicClassifier, load, read_card
from supportml.train import TrainResult

log = logging.getLogger(__name__)

MODEL_DIR = "supportml_model"  # run artifacts: the export (card + pipeline) that supportml loads
VERSION_TAG = "supportml.version"  # ModelCard.version, what the responder compares
SHA256_TAG = "supportml.sha256"  # the artifact's sha256, on the run and on the registry version
INTEGRITY_TAG = "supportml.integrity"  # ModelCard.integrity: the card's content, likewise
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
# on the registered model: the versions that were @champion before the current one, oldest
# first, so `supportml model rollback` knows where to go back to
HISTORY_TAG = "supportml.champion_history"


class TrackingError(UserError):
    """MLflow could not be reached or refused the run; one line for the user."""


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    model_version: str
    promoted: bool
    champion_macro_f1: float | None
    reason: str


def _client(settings: Settings | None) -> MlflowClient:
    # MLflow narrates table creation and registration at INFO; our own progress lines say it
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    if settings is not None and settings.tracking_uri:
        mlflow.set_tracking_uri(settings.tracking_uri)
    return MlflowClient()


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "message", err)).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _tracking_error(err: MlflowException) -> TrackingError:
    return TrackingError(f"MLflow at {mlflow.get_tracking_uri()}: {_first_line(err)}")


def ui_command() -> str:
    """The command that opens this run's store in the MLflow UI."""
    return f"mlflow ui --backend-store-uri {mlflow.get_tracking_uri()}"


# -- registry lookups ------------------------------------------------------------------------
def _version_ref(uri: str) -> tuple[str, str, bool]:
    """(name, alias or version, is_alias) of ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``."""
    rest = uri.removeprefix(REGISTRY) if uri.startswith(REGISTRY) else ""
    if "@" in rest:
        name, _, alias = rest.partition("@")
        if name and alias and "/" not in alias:
            return name, alias, True
    else:
        name, _, version = rest.rpartition("/")
        if name and version.isdigit():
            return name, version, False
    raise ModelError(f"{uri}: expected models:/NAME@ALIAS or models:/NAME/VERSION")


def _resolve(client: MlflowClient, uri: str) -> ModelVersion:
    """The registry version a models:/ URI names now.

    ModelError when there is no such model, alias or version (nothing published); any other
    MlflowException (store unreachable, refused) is left to the caller.
    """
    name, ref, is_alias = _version_ref(uri)
    try:
        if is_alias:
            version = client.get_registered_model(name).aliases.get(ref)
            if version is None:
                raise ModelError(f"{uri}: registered model {name!r} has no alias @{ref}")
            ref = str(version)
        return client.get_model_version(name, ref)
    except MlflowException as err:
        if err.error_code != NOT_FOUND:
            raise
        raise ModelError(f"{uri}: {_first_line(err)}") from None


def _load_version(
    client: MlflowClient, version: ModelVersion, uri: str
) -> tuple[TopicClassifier, ModelCard]:
    tags = version.tags or {}
    if not version.run_id or not tags.get(SHA256_TAG) or not tags.get(INTEGRITY_TAG):
        raise ModelError(
            f"{uri}: version {version.version} has no {SHA256_TAG} or {INTEGRITY_TAG} tag "
            "(registered by an older supportml); retrain"
        )
    return _load_run(client, version.run_id, tags, uri)


def _load_run(
    client: MlflowClient, run_id: str, tags: Mapping[str, str], uri: str
) -> tuple[TopicClassifier, ModelCard]:
    """The run's exported model, refused unless its card carries the registry's sha256 and
    integrity checksum (checked before model.load, which checks the card's content and the
    pipeline's bytes against the card before unpickling)."""
    if not client.list_artifacts(run_id, MODEL_DIR):
        raise ModelError(
            f"{uri}: run {run_id} has no {MODEL_DIR}/ artifacts "
            "(registered by an older supportml); retrain"
        )
    with tempfile.TemporaryDirectory(prefix="supportml-registry-") as tmp:
        local = client.download_artifacts(run_id, MODEL_DIR, tmp)
        try:
            card = read_card(local)
            for tag, value in ((SHA256_TAG, card.sha256), (INTEGRITY_TAG, card.integrity)):
                if value != tags[tag]:
                    name = tag.removeprefix("supportml.")
                    raise ModelError(
                        f"{uri}: the model card's {name} {value[:12]}… differs from the "
                        f"{tags[tag][:12]}… MLflow recorded when it was logged; refusing to load it"
                    )
            return load(local)
        except ModelError as err:  # name the URI, not the temporary download
            raise ModelError(str(err).replace(str(Path(local)), uri)) from None


def champion(settings: Settings) -> Champion | None:
    """The model behind ``@champion``, loaded verified; None when nothing was promoted yet.

    Raises TrackingError when MLflow cannot be asked, ModelError when the champion cannot be
    trusted or loaded.
    """
    try:
        client = _client(settings)
        try:
            version = _resolve(client, f"{REGISTRY}{settings.registered_model}@{CHAMPION_ALIAS}")
        except ModelError:
            return None
        uri = f"{REGISTRY}{version.name}/{version.version}"
        classifier, card = _load_version(client, version, uri)
    except MlflowException as err:
        raise _tracking_error(err) from None
    return Champion(f"registry v{version.version}", str(version.version), classifier, card)


def load_model(uri: str, settings: Settings | None = None) -> tuple[TopicClassifier, ModelCard]:
    """Load a registered model (``models:/supportml-topic@champion``, ``models:/name/3``) or a
    run's (``runs:/<run_id>``), verified against the sha256 recorded when it was logged."""
    try:
        client = _client(settings)
        if uri.startswith(RUN):
            run_id = uri.removeprefix(RUN).strip("/").split("/")[0]
            tags = client.get_run(run_id).data.tags
            if not tags.get(SHA256_TAG) or not tags.get(INTEGRITY_TAG):
                raise ModelError(
                    f"{uri}: run has no {SHA256_TAG} or {INTEGRITY_TAG} tag "
                    "(logged by an older supportml); retrain"
                )
            return _load_run(client, run_id, tags, uri)
        return _load_version(client, _resolve(client, uri), uri)
    except MlflowException as err:
        raise ModelError(f"{uri}: {_first_line(err)}") from None


class RegistrySource:
    """A registry alias or version as a model source (learning.sources.PublishedSource).

    ``published`` is polled for weeks: a registry that is down is a warning (once per distinct
    problem), never an exception, and the responder keeps the model it has.
    """

    def __init__(self, uri: str, settings: Settings):
        _version_ref(uri)  # a malformed URI fails at start-up, not at every poll
        self.description = uri
        self.settings = settings
        self._problem: str | None = None

    def published(self) -> str | None:
        """The card version (``supportml.version`` tag) the URI names now, or None."""
        try:
            version = _resolve(_client(self.settings), self.description)
        except ModelError:
            return None  # no such model or alias yet
        except Exception as exc:  # whatever the store raises (MLflow, SQL, network): not fatal
            self._warn(f"cannot reach MLflow at {mlflow.get_tracking_uri()}: {_first_line(exc)}")
            return None
        published = (version.tags or {}).get(VERSION_TAG)
        if published is None:
            self._warn(
                f"version {version.version} has no {VERSION_TAG} tag "
                "(registered by an older supportml); retrain"
            )
            return None
        self._problem = None
        return published

    def load(self) -> tuple[TopicClassifier, ModelCard]:
        """The version the URI names now, resolved once and then loaded by its number: one
        registered version, whole, even if the alias moves meanwhile."""
        try:
            version = _resolve(_client(self.settings), self.description)
        except MlflowException as err:
            raise ModelError(f"{self.description}: {_first_line(err)}") from None
        return load_model(f"{REGISTRY}{version.name}/{version.version}", self.settings)

    def _warn(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            log.warning("%s: %s", self.description, problem)

    def card(self) -> ModelCard:
        return self.load()[1]


class RunSource:
    """A model logged with a run (runs:/<id>/<path>): it never changes, so nothing watches it."""

    def __init__(self, uri: str, settings: Settings):
        self.description = uri
        self.settings = settings

    def load(self) -> tuple[TopicClassifier, ModelCard]:
        return load_model(self.description, self.settings)

    def card(self) -> ModelCard:
        return self.load()[1]


# -- logging a run ---------------------------------------------------------------------------
def log_training(
    result: TrainResult,
    dataset: Dataset,
    settings: Settings,
    decision: Decision,
    extra_params: Mapping[str, object] | None = None,
) -> TrackedRun:
    """Log one training run with the caller's champion/challenger decision, register its model
    and move ``@champion`` to it when the decision promotes it."""
    try:
        return _log_training(result, dataset, settings, decision, extra_params or {})
    except MlflowException as err:
        raise _tracking_error(err) from None


def _log_training(
    result: TrainResult,
    dataset: Dataset,
    settings: Settings,
    decision: Decision,
    extra_params: Mapping[str, object],
) -> TrackedRun:
    client = _client(settings)
    mlflow.set_experiment(settings.experiment)
    card = result.card
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tags(
            {
                "supportml.data_source": dataset.source,
                VERSION_TAG: card.version,
                SHA256_TAG: card.sha256,
                INTEGRITY_TAG: card.integrity,
            }
        )
        mlflow.log_params(
            {
                **{k: str(v) for k, v in card.params.items()},
                "data_hash": card.data_hash,
                "n_rows": len(dataset),
                "n_train": card.n_train,
                "n_topics": len(card.labels),
                "target_precision": card.target_precision,
                **{k: str(v) for k, v in extra_params.items()},
            }
        )
        mlflow.log_metrics({**result.metrics(), **decision.metrics()})
        mlflow.log_dict(
            {"labels": result.evaluation.labels, "per_class": result.evaluation.report()},
            "per_class_report.json",
        )
        mlflow.log_dict(decision.to_dict(), "promotion.json")
        mlflow.log_artifact(
            str(plot_confusion(result.evaluation, Path(tmp) / "confusion_matrix.png"))
        )
        # the card and the files it names, not the whole directory: an export directory
        # may still hold the previous pipeline for readers that are loading it
        for name in filter(None, (CARD_FILE, card.artifact, card.compact)):
            mlflow.log_artifact(str(Path(result.model_dir) / name), artifact_path=MODEL_DIR)
        examples = [dataset.texts[i] for i in result.split.test[:3]]
        signature = infer_signature(
            np.array(examples, dtype=object), np.array(result.classifier.pipeline.predict(examples))
        )
        info = mlflow.sklearn.log_model(
            result.classifier.pipeline,
            name="model",
            signature=signature,
            input_example=examples,
            metadata={"model_card": asdict(card)},
            # the pipeline is plain scikit-learn: naming its requirements spares MLflow a
            # subprocess that imports the model to infer them (about 10 s a run)
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            # skops loads only the types it is told to trust; the embedding block is supportml's
            skops_trusted_types=[SKOPS_TYPE],
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        )
        # tagged as it is created: no moment where the version exists without its checksum
        registered = mlflow.register_model(
            info.model_uri,
            settings.registered_model,
            tags={
                VERSION_TAG: card.version,
                SHA256_TAG: card.sha256,
                INTEGRITY_TAG: card.integrity,
            },
        )
        version = str(registered.version)
        if decision.promote:
            _move_champion(client, settings.registered_model, version)
        mlflow.set_tags(
            {
                "supportml.promoted": str(decision.promote),
                "supportml.promotion_reason": decision.reason,
            }
        )
        return TrackedRun(
            run.info.run_id, version, decision.promote, decision.champion_macro_f1, decision.reason
        )


# -- registry administration (`supportml model ...`) -----------------------------------------
@dataclass(frozen=True)
class VersionSummary:
    """One registered version as `supportml model list/show` print it."""

    version: str
    created: datetime
    card_version: str | None  # the supportml.version tag; None for versions from elsewhere
    run_id: str | None
    aliases: list[str]
    tags: dict[str, str]
    description: str
    metrics: dict[str, float]  # the training run's; empty in `list`, which does not fetch runs

    @property
    def champion(self) -> bool:
        return CHAMPION_ALIAS in self.aliases

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "created": self.created.isoformat(), "champion": self.champion}


@dataclass(frozen=True)
class AliasMove:
    """What promote or rollback did, for the one line the CLI prints."""

    name: str
    previous: str | None  # the version that was @champion before, if any
    champion: str


def versions(settings: Settings) -> list[VersionSummary]:
    """Every registered version of the model, newest first."""
    with _registry_errors():
        client = _client(settings)
        name = settings.registered_model
        aliases = _aliases(client, name)
        found = client.search_model_versions(f"name = '{name}'")
        return sorted((_summary(v, aliases, {}) for v in found), key=lambda v: -int(v.version))


def version_detail(settings: Settings, version: str) -> VersionSummary:
    """One version with its training run's metrics."""
    with _registry_errors():
        client = _client(settings)
        found = _version(client, settings.registered_model, version)
        metrics = client.get_run(found.run_id).data.metrics if found.run_id else {}
        return _summary(found, _aliases(client, settings.registered_model), metrics)


def promote(settings: Settings, version: str, by: str, reason: str) -> AliasMove:
    """Move ``@champion`` to ``version`` by hand, recording who and why on the version."""
    with _registry_errors():
        client = _client(settings)
        name = settings.registered_model
        found = _version(client, name, version)
        if SHA256_TAG not in (found.tags or {}):
            raise ModelError(
                f"{name} version {version} has no {SHA256_TAG} tag (not registered by "
                "supportml, or by an older one): the responder would refuse it"
            )
        previous = _move_champion(client, name, str(found.version))
        _note(client, found, "promoted", by, reason)
        return AliasMove(name, previous, str(found.version))


def rollback(settings: Settings, by: str, reason: str) -> AliasMove:
    """Move ``@champion`` back to the version that held it before, recording who and why."""
    with _registry_errors():
        client = _client(settings)
        name = settings.registered_model
        history = _history(client, name)
        current = _aliases(client, name).get(CHAMPION_ALIAS)
        if not history:
            raise ModelError(f"{name}: no earlier @{CHAMPION_ALIAS} recorded to roll back to")
        target = history.pop()
        client.set_registered_model_alias(name, CHAMPION_ALIAS, target)
        client.set_registered_model_tag(name, HISTORY_TAG, ",".join(history))
        if current is not None:
            _note(client, _version(client, name, current), "rolled back from", by, reason)
        _note(client, _version(client, name, target), "rolled back to", by, reason)
        return AliasMove(name, current, target)


def _move_champion(client: MlflowClient, name: str, version: str) -> str | None:
    """Point ``@champion`` at ``version``, remembering the version it leaves; the only place
    the alias moves forward (training and `model promote`), so rollback always has a history."""
    current = _aliases(client, name).get(CHAMPION_ALIAS)
    if current == version:
        return current
    if current is not None:
        client.set_registered_model_tag(
            name, HISTORY_TAG, ",".join([*_history(client, name), current])
        )
    client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
    return current


def _note(client: MlflowClient, version: ModelVersion, action: str, by: str, reason: str) -> None:
    """Who did what and why: the latest as tags, every one as a line of the description."""
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, value in {"action": action, "by": by, "reason": reason, "at": when}.items():
        client.set_model_version_tag(version.name, version.version, f"supportml.{key}", value)
    line = f"{when} {action} @{CHAMPION_ALIAS} by {by}: {reason}"
    description = f"{version.description}\n{line}" if version.description else line
    client.update_model_version(version.name, version.version, description=description)


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    try:
        return {alias: str(v) for alias, v in client.get_registered_model(name).aliases.items()}
    except MlflowException as err:
        if err.error_code != NOT_FOUND:
            raise
        raise ModelError(f"no registered model {name!r}: train one first") from None


def _history(client: MlflowClient, name: str) -> list[str]:
    tag = client.get_registered_model(name).tags.get(HISTORY_TAG, "")
    return [v for v in tag.split(",") if v]


def _version(client: MlflowClient, name: str, version: str) -> ModelVersion:
    if not version.isdigit():
        raise ModelError(f"{version!r}: a version is a number, as `supportml model list` shows")
    _aliases(client, name)  # names a missing model before a missing version
    try:
        return client.get_model_version(name, version)
    except MlflowException as err:
        if err.error_code != NOT_FOUND:
            raise
        raise ModelError(f"{name} has no version {version}") from None


def _summary(
    version: ModelVersion, aliases: Mapping[str, str], metrics: Mapping[str, float]
) -> VersionSummary:
    tags = dict(version.tags or {})
    return VersionSummary(
        version=str(version.version),
        created=datetime.fromtimestamp(version.creation_timestamp / 1000, UTC),
        card_version=tags.get(VERSION_TAG),
        run_id=version.run_id,
        aliases=sorted(a for a, v in aliases.items() if v == str(version.version)),
        tags=tags,
        description=version.description or "",
        metrics=dict(metrics),
    )


@contextmanager
def _registry_errors() -> Iterator[None]:
    try:
        yield
    except MlflowException as err:
        raise _tracking_error(err) from None
