"""Metrics for a topic classifier, and the choice of its abstention threshold.

A suggestion that is wrong costs a support engineer more than no suggestion, so the threshold is
picked on held-out rows for a target precision, and coverage (how often we still answer) is
reported next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

#: Open-set abstention (select_open_set_threshold): answer at least this share of requests about
#: known topics, and count an answered request about an unseen topic as this many known requests
#: abstained on. Chosen on BANKING77 with 10 intents held out (benchmarks/openset_benchmark.py).
MIN_COVERAGE = 0.83
UNSEEN_COST = 0.75


@dataclass(frozen=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Scores of predictions against known labels, at a given abstention threshold."""

    accuracy: float
    macro_f1: float
    coverage: float
    answered_precision: float
    n: int
    per_class: list[ClassReport]
    labels: list[str]
    confusion: np.ndarray
    calibration_error: float | None = None

    def metrics(self) -> dict[str, float]:
        """Flat name -> value, as logged to MLflow and printed with --json."""
        metrics = {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "coverage": self.coverage,
            "answered_precision": self.answered_precision,
        }
        if self.calibration_error is not None:
            metrics["calibration_error"] = self.calibration_error
        return metrics

    def report(self) -> list[dict[str, object]]:
        return [vars(c) for c in self.per_class]

    def top_confusions(self, k: int = 5) -> list[tuple[str, str, int]]:
        """The k most frequent (true topic, predicted topic, count) mistakes."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        flat = np.argsort(-off, axis=None, kind="stable")[:k]
        pairs = [np.unravel_index(i, off.shape) for i in flat]
        return [(self.labels[t], self.labels[p], int(off[t, p])) for t, p in pairs if off[t, p]]


def evaluate(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    answered: ArrayLike | None = None,
    confidence: ArrayLike | None = None,
) -> Evaluation:
    """Accuracy and macro-F1 over every row; coverage and precision over the rows answered.

    ``answered`` marks the rows not abstained on (default: all of them); with the predicted
    topic's ``confidence`` the calibration error is measured too.
    """
    truth, predicted = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    shown = np.ones(len(truth), bool) if answered is None else np.asarray(answered, bool)
    labels = sorted(set(truth) | set(predicted))
    correct = truth == predicted
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return Evaluation(
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(
            f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
        ),
        coverage=float(shown.mean()) if len(shown) else 0.0,
        answered_precision=float(correct[shown].mean()) if shown.any() else 0.0,
        n=len(truth),
        per_class=[
            ClassReport(str(label), float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        ],
        labels=[str(label) for label in labels],
        confusion=confusion_matrix(truth, predicted, labels=labels),
        calibration_error=None if confidence is None else calibration_error(confidence, correct),
    )


def calibration_error(confidence: ArrayLike, correct: ArrayLike, bins: int = 15) -> float:
    """Expected calibration error: how far shown confidence is from the share actually right.

    The gap between mean confidence and accuracy in equal-width confidence bins, weighted by the
    rows in each bin; 0 means "80% sure" is right 80% of the time.
    """
    shown = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    if shown.size == 0:
        return 0.0
    which = np.minimum((shown * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        rows = which == b
        total += rows.sum() * abs(shown[rows].mean() - right[rows].mean())
    return float(total / shown.size)


def select_threshold(
    score: ArrayLike,
    correct: ArrayLike,
    target_precision: float,
    confidence_level: float = 0.7,
) -> float:
    """The lowest score threshold at which answered rows (score >= threshold) meet the target.

    Walks the rows from highest to lowest score and keeps the largest prefix whose precision
    still meets the target. Precision is judged by its one-sided Wilson lower bound at
    ``confidence_level`` (0.5 means the plain estimate): calibration sets are a few hundred rows,
    and a threshold that only just meets the target on them misses it on new requests half of
    the time. Ties share a threshold, so a prefix never splits them. When even the highest score
    misses the target, the threshold sits above every score (always abstain).
    """
    scores = np.asarray(score, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    if scores.size == 0:
        return 1.0
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    n = np.arange(1, len(order) + 1)
    precision = np.cumsum(right[order]) / n
    z = float(norm.ppf(confidence_level))
    bound = (
        precision
        + z * z / (2 * n)
        - z * np.sqrt(precision * (1 - precision) / n + z * z / (4 * n * n))
    ) / (1 + z * z / n)
    cut = np.append(ranked[1:] != ranked[:-1], True)  # only the last of equal scores is a cut
    ok = np.flatnonzero(cut & (bound >= target_precision - 1e-12))
    if ok.size == 0:
        return float(np.nextafter(ranked[0], np.inf))
    return float(ranked[ok[-1]])


def select_open_set_threshold(
    score: ArrayLike,
    correct: ArrayLike,
    unseen_score: ArrayLike,
    target_precision: float,
    min_coverage: float = MIN_COVERAGE,
    unseen_cost: float = UNSEEN_COST,
) -> float:
    """The abstention threshold for a world with requests about topics nobody labelled.

    ``score``/``correct`` are calibration rows about known topics, ``unseen_score`` the scores
    of calibration rows whose topic the scoring model never saw (model.unseen_scores). The
    precision threshold (``select_threshold``) ignores the latter, so a good model abstains on
    nothing. Here the threshold maximises known rows answered minus ``unseen_cost`` x unseen
    rows answered, without answering fewer than ``min_coverage`` of the known rows, and never
    below the precision threshold. Without unseen rows it is the precision threshold.
    """
    known, unseen = np.asarray(score, np.float64), np.asarray(unseen_score, np.float64)
    floor = select_threshold(known, correct, target_precision)
    if not unseen.size or not known.size:
        return floor
    candidates = np.unique(np.concatenate([known, unseen]))
    answered_known = 1 - np.searchsorted(np.sort(known), candidates, side="left") / known.size
    answered_unseen = 1 - np.searchsorted(np.sort(unseen), candidates, side="left") / unseen.size
    allowed = answered_known >= min_coverage - 1e-12
    gain = np.where(allowed, answered_known - unseen_cost * answered_unseen, -np.inf)
    best = float(candidates[int(np.argmax(gain))]) if allowed.any() else float(candidates[0])
    return max(floor, best)


def plot_confusion(
    evaluation: Evaluation, path: str | Path, title: str = "Confusion matrix"
) -> Path:
    """Row-normalised confusion matrix as a PNG (matplotlib imported here, not at startup)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = evaluation.confusion.astype(float)
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    n = len(evaluation.labels)
    size = max(6.0, 0.38 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), evaluation.labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), evaluation.labels, fontsize=8)
    ax.set_xlabel("predicted topic")
    ax.set_ylabel("true topic")
    ax.set_title(f"{title} (accuracy {evaluation.accuracy:.3f}, n={evaluation.n})")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if matrix[i, j]:
                    colour = "white" if normalised[i, j] > 0.5 else "black"
                    count = str(int(matrix[i, j]))
                    ax.text(j, i, count, ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true topic")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
