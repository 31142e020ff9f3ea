"""Training orchestration: data -> fit -> calibrate -> choose threshold -> evaluate -> export.

MLflow stays out of this module (its import alone costs seconds): the CLI hands the result to
tracking.py when a run is to be logged, so training works, and is tested, without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from supportml.data import DataError, Dataset, Split, split
from supportml.evaluate import (
    Evaluation,
    evaluate,
    select_open_set_threshold,
    select_threshold,
)
from supportml.model import ModelCard, ModelParams, TopicClassifier, save

Stage = Callable[[str], AbstractContextManager[object]]
Say = Callable[[str], None]

#: Fewer calibration rows than this for some topic: calibrate on out-of-fold predictions over
#: train + calibration rows (CALIBRATION_FOLDS folds) instead; a thin hold-out picks a
#: temperature and threshold from a handful of rows per topic.
MIN_CALIBRATION_ROWS = 5
CALIBRATION_FOLDS = 5

#: ModelCard.metrics_from: which model the card's metrics describe.
REFITTED = (
    "held-out test rows of a model fitted without them; the exported model is refitted on all rows"
)
EVALUATED = "held-out test rows; the exported model is the one evaluated"


def quiet(_: str) -> AbstractContextManager[object]:
    """No progress shown: the default outside the CLI."""
    return nullcontext()


def _silent(_: str) -> None:
    """No warnings shown: the default outside the CLI."""


@dataclass
class TrainResult:
    """``classifier`` is the exported model; ``test_predictions`` are the evaluated model's
    topics for the test rows (the same model unless it was refitted on all rows)."""

    classifier: TopicClassifier
    card: ModelCard
    evaluation: Evaluation
    split: Split
    model_dir: Path
    test_predictions: list[str]

    def metrics(self) -> dict[str, float]:
        return {**self.card.metrics, "temperature": self.card.temperature}


def fit_and_calibrate(
    texts: Sequence[str],
    labels: Sequence[str],
    parts: Split,
    params: ModelParams,
    target_precision: float,
    stage: Stage = quiet,
    warn: Say = _silent,
) -> tuple[TopicClassifier, float, dict[str, float]]:
    """Fit on the train rows, choose temperature and threshold on the calibration rows, or on
    out-of-fold predictions when some topic has fewer than MIN_CALIBRATION_ROWS of them.

    Returns the classifier, its abstention threshold, and calibration metrics: the threshold
    the precision target alone would pick, and the shares of unseen-topic rows abstained on and
    of known rows answered at the chosen threshold.
    """

    def pick(index: np.ndarray) -> tuple[list[str], list[str]]:
        return [texts[i] for i in index], [labels[i] for i in index]

    cal_texts, cal_labels = pick(parts.calibration)
    counts = Counter(cal_labels)
    topics = {labels[i] for i in (*parts.train, *parts.calibration)}
    thinnest = min(topics, key=lambda topic: (counts[topic], topic))
    rows = np.concatenate([parts.train, parts.calibration])
    # as many folds as the largest topic can fill (sklearn's StratifiedKFold needs that)
    folds = min(CALIBRATION_FOLDS, max(Counter(labels[i] for i in rows).values()))
    cross = counts[thinnest] < MIN_CALIBRATION_ROWS and folds >= 2
    if cross:
        warn(
            f"topic {thinnest!r} has {counts[thinnest]} calibration row(s) (fewer than "
            f"{MIN_CALIBRATION_ROWS}): temperature and threshold come from out-of-fold "
            f"predictions ({folds} folds) on the train and calibration rows instead"
        )
        with stage(f"fit and cross-calibrate on {len(rows):,} requests"):
            classifier, probs, unseen, cal_labels = TopicClassifier.fit_cross_calibrated(
                *pick(rows), params, folds
            )
    else:
        with stage(
            f"fit on {len(parts.train):,} requests, calibrate on {len(parts.calibration):,}"
        ):
            classifier, probs, unseen = TopicClassifier.fit_calibrated(
                *pick(parts.train), cal_texts, cal_labels, params
            )
    predicted = np.asarray(classifier.labels, dtype=object)[probs.argmax(axis=1)]
    correct = predicted == np.asarray(cal_labels, dtype=object)
    score = probs.max(axis=1)  # calibrated: the confidence shown is what is compared
    threshold = select_open_set_threshold(score, correct, unseen, target_precision)
    calibration = {
        "calibration_folds": float(folds if cross else 0),
        "precision_threshold": select_threshold(score, correct, target_precision),
        "calibration_coverage": float((score >= threshold).mean()) if score.size else 0.0,
    }
    if unseen.size:
        calibration["calibration_unseen_abstained"] = float((unseen < threshold).mean())
    return classifier, threshold, calibration


def cross_validate(
    dataset: Dataset, params: ModelParams, folds: int, seed: int, stage: Stage = quiet
) -> dict[str, float]:
    """Stratified K-fold accuracy and macro-F1 (mean and std): steadier than one split."""
    labels = np.asarray(dataset.labels, dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = []
    for fold, (train_idx, test_idx) in enumerate(splitter.split(labels, labels), start=1):
        with stage(f"cross-validation fold {fold}/{folds}"):
            classifier = TopicClassifier.fit(
                [dataset.texts[i] for i in train_idx], labels[train_idx], params
            )
            predicted, _ = classifier.predict([dataset.texts[i] for i in test_idx])
            result = evaluate(labels[test_idx], predicted)
            scores.append((result.accuracy, result.macro_f1))
    values = np.array(scores)
    return {
        "cv_folds": float(folds),
        "cv_accuracy_mean": float(values[:, 0].mean()),
        "cv_accuracy_std": float(values[:, 0].std()),
        "cv_macro_f1_mean": float(values[:, 1].mean()),
        "cv_macro_f1_std": float(values[:, 1].std()),
    }


def out_of_fold_confusion(
    texts: Sequence[str],
    labels: Sequence[str],
    params: ModelParams,
    folds: int = CALIBRATION_FOLDS,
    stage: Stage = quiet,
) -> dict[str, dict[str, int]]:
    """People's topic -> the topic a model fitted without that request predicted -> requests,
    over every labelled request (stratified ``folds``-fold refits, ``params.seed``).

    What `supportml.shares` corrects the model's counts with (ModelCard.confusion): measured on
    all the people labels rather than the test fifth alone (about 10 per topic on BANKING77,
    too few: benchmarks/share_benchmark.py), and never on rows the predicting model was fitted
    on, or it looks near-perfect and the correction does nothing. The best topic does not depend
    on the temperature, so the folds are fitted without calibrating.
    """
    y = np.asarray(labels, dtype=object)
    folds = min(folds, max(Counter(labels).values()))
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=params.seed)
    for fold, (fit, held) in enumerate(splitter.split(y, y), start=1):
        with stage(f"out-of-fold predictions {fold}/{folds} (for corrected shares)"):
            model = TopicClassifier.fit([texts[i] for i in fit], y[fit], params)
            predicted[held], _ = model.predict([texts[i] for i in held])
    confusion: dict[str, dict[str, int]] = {}
    for (truth, guess), n in sorted(Counter(zip(y, predicted, strict=True)).items()):
        confusion.setdefault(str(truth), {})[str(guess)] = n
    return confusion


def train(
    dataset: Dataset,
    params: ModelParams,
    model_dir: str | Path,
    *,
    target_precision: float = 0.90,
    cv: int | None = None,
    parts: Split | None = None,
    refit_all: bool = False,
    stage: Stage = quiet,
    warn: Say = _silent,
) -> TrainResult:
    """Train, evaluate on untouched test rows, and export the model with its card.

    ``parts`` fixes which rows train, calibrate and test (`train --from-store` tests on the
    newest weeks); by default a stratified random split. With ``refit_all`` (`train --data`)
    the exported model is then fitted again on every row with the same parameters, temperature
    and threshold: a fifth more data is worth more than exporting exactly the model the metrics
    describe. The learning loop leaves it off, so the model it promotes is the one it judged.
    """
    texts, labels = dataset.texts, dataset.topics
    if cv is not None:
        smallest = min(Counter(labels).items(), key=lambda item: (item[1], item[0]))
        if not 2 <= cv <= smallest[1]:
            raise DataError(
                f"{dataset.source}: --cv {cv} needs 2 to {smallest[1]} folds: topic "
                f"{smallest[0]!r} has {smallest[1]} examples"
            )
    parts = parts if parts is not None else split(labels, seed=params.seed)
    classifier, threshold, calibration = fit_and_calibrate(
        texts, labels, parts, params, target_precision, stage, warn
    )
    with stage(f"evaluate on {len(parts.test):,} test requests"):
        test_labels = [labels[i] for i in parts.test]
        predicted, probs = classifier.predict([texts[i] for i in parts.test])
        answered = probs.max(axis=1) >= threshold
        evaluation = evaluate(test_labels, predicted, answered, probs.max(axis=1))
    exported = _refitted(dataset, classifier, params, stage) if refit_all else classifier
    cv_scores = cross_validate(dataset, params, cv, params.seed, stage) if cv else {}
    # the folds fitted as the exported model is, so their errors are the ones it makes
    confusion = out_of_fold_confusion(
        texts, labels, params.refit() if refit_all else params, stage=stage
    )
    card = ModelCard(
        labels=exported.labels,
        params=asdict(params),
        temperature=classifier.temperature,
        threshold=threshold,
        target_precision=target_precision,
        metrics={**evaluation.metrics(), "threshold": threshold, **calibration, **cv_scores},
        data_hash=dataset.fingerprint,
        n_train=len(dataset) if refit_all else len(parts.train),
        metrics_from=REFITTED if refit_all else EVALUATED,
        confusion=confusion,
    )
    with stage(f"export to {model_dir}"):
        save(exported, card, model_dir)
    return TrainResult(exported, card, evaluation, parts, Path(model_dir), list(predicted))


def _refitted(
    dataset: Dataset, evaluated: TopicClassifier, params: ModelParams, stage: Stage
) -> TopicClassifier:
    """``evaluated`` fitted again from scratch on every row, as many epochs as it had in all
    (``max_iter`` plus ``refit_epochs``), keeping its temperature. The classes must be the same:
    the threshold and temperature were chosen for those."""
    with stage(f"refit on all {len(dataset):,} requests"):
        full = TopicClassifier.fit(dataset.texts, dataset.topics, params.refit())
    full.temperature = evaluated.temperature
    if full.labels != evaluated.labels:  # a topic only in the test rows: keep the evaluated one
        return evaluated
    return full
