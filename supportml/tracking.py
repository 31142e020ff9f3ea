"""MLflow tracking and registry: the only module that imports mlflow (about 3 s to import).

A training run logs its parameters, a hash of its data, every metric, the per-class report, the
confusion matrix and the pipeline itself, registers it as ``supportml-topic`` and moves the
``champion`` alias only when the new model is at least as good on the same test rows.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from supportml.config import CHAMPION_ALIAS, Settings
from supportml.data import Dataset
from supportml.evaluate import evaluate, plot_confusion
from supportml.model import ModelCard, ModelError, TopicClassifier
from supportml.train import TrainResult


class TrackingError(RuntimeError):
    """MLflow could not be reached or refused the run; one line for the user."""


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    model_version: str
    promoted: bool
    champion_macro_f1: float | None
    reason: str


def _client(settings: Settings) -> MlflowClient:
    # MLflow narrates table creation and registration at INFO; our own progress lines say it
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    if settings.tracking_uri:
        mlflow.set_tracking_uri(settings.tracking_uri)
    return MlflowClient()


def ui_command() -> str:
    """The command that opens this run's store in the MLflow UI."""
    return f"mlflow ui --backend-store-uri {mlflow.get_tracking_uri()}"


def _champion_score(
    client: MlflowClient, settings: Settings, result: TrainResult, dataset: Dataset
) -> tuple[str, float] | None:
    """(version, macro-F1) of the current champion on this run's test rows, or None."""
    try:
        current = client.get_model_version_by_alias(settings.registered_model, CHAMPION_ALIAS)
    except MlflowException:
        return None
    classifier, _ = load_model(f"models:/{settings.registered_model}/{current.version}")
    texts = [dataset.texts[i] for i in result.split.test]
    truth = [str(dataset.labels[i]) for i in result.split.test]
    predicted, _ = classifier.predict(texts)
    return str(current.version), evaluate(truth, predicted).macro_f1


def log_training(
    result: TrainResult, dataset: Dataset, settings: Settings, promote: bool = False
) -> TrackedRun:
    """Log one training run, register its model and decide whether it becomes champion."""
    try:
        return _log_training(result, dataset, settings, promote)
    except MlflowException as err:
        first = str(err.message).splitlines()[0]
        raise TrackingError(f"MLflow at {mlflow.get_tracking_uri()}: {first}") from None


def _log_training(
    result: TrainResult, dataset: Dataset, settings: Settings, promote: bool
) -> TrackedRun:
    client = _client(settings)
    mlflow.set_experiment(settings.experiment)
    card = result.card
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tags(
            {"supportml.data_source": dataset.source, "supportml.version": card.version}
        )
        mlflow.log_params(
            {
                **{k: str(v) for k, v in card.params.items()},
                "data_hash": card.data_hash,
                "n_rows": len(dataset),
                "n_train": card.n_train,
                "n_topics": len(card.labels),
                "target_precision": card.target_precision,
            }
        )
        mlflow.log_metrics(result.metrics())
        mlflow.log_dict(
            {"labels": result.evaluation.labels, "per_class": result.evaluation.report()},
            "per_class_report.json",
        )
        mlflow.log_artifact(
            str(plot_confusion(result.evaluation, Path(tmp) / "confusion_matrix.png"))
        )
        examples = [dataset.texts[i] for i in result.split.test[:3]]
        signature = infer_signature(
            np.array(examples, dtype=object), np.array(result.classifier.pipeline.predict(examples))
        )
        info = mlflow.sklearn.log_model(
            result.classifier.pipeline,
            name="model",
            signature=signature,
            input_example=examples,
            registered_model_name=settings.registered_model,
            metadata={"model_card": asdict(card)},
        )
        version = str(info.registered_model_version)
        champion = _champion_score(client, settings, result, dataset)
        if champion is None:
            promoted, reason = True, "no champion yet"
        elif promote:
            promoted, reason = True, f"forced with --promote (champion v{champion[0]})"
        elif result.evaluation.macro_f1 >= champion[1]:
            promoted = True
            reason = (
                f"macro-F1 {result.evaluation.macro_f1:.4f} >= champion "
                f"v{champion[0]} {champion[1]:.4f}"
            )
        else:
            promoted = False
            reason = (
                f"macro-F1 {result.evaluation.macro_f1:.4f} < champion "
                f"v{champion[0]} {champion[1]:.4f}; champion kept"
            )
        if promoted:
            client.set_registered_model_alias(settings.registered_model, CHAMPION_ALIAS, version)
        if champion is not None:
            mlflow.log_metric("champion_macro_f1", champion[1])
        mlflow.set_tags({"supportml.promoted": str(promoted), "supportml.promotion_reason": reason})
        return TrackedRun(
            run.info.run_id,
            version,
            promoted,
            None if champion is None else champion[1],
            reason,
        )


def load_model(uri: str, settings: Settings | None = None) -> tuple[TopicClassifier, ModelCard]:
    """Load a registered model (``models:/supportml-topic@champion`` or ``models:/name/3``)."""
    if settings is not None:
        _client(settings)
    try:
        info = mlflow.models.get_model_info(uri)
        pipeline = mlflow.sklearn.load_model(uri)
    except MlflowException as err:
        raise ModelError(f"{uri}: {err.message.splitlines()[0]}") from None
    raw = (info.metadata or {}).get("model_card")
    if raw is None:
        raise ModelError(f"{uri}: not a supportml model (no model card in its metadata)")
    card = ModelCard(**raw)
    classifier = TopicClassifier(
        pipeline, card.temperature, int(card.params.get("max_chars", 4000))
    )
    if classifier.labels != card.labels:
        raise ModelError(f"{uri}: labels differ from the model card's; refusing to load it")
    return classifier, card
