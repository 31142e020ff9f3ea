"""The training set of the learning loop: stored labels in, a Dataset and a time-aware split out.

Pure functions over plain rows, so the rules (which labels count, what a near-duplicate is,
which rows judge the challenger) are tested without a database. The store hands the rows over
best label source first: people's choices (buttons, forms) outrank imported labels, and the
model's own unconfirmed guesses never arrive here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sklearn.model_selection import train_test_split

from supportml.data import DataError, Dataset, Split
from supportml.redact import DEFAULT_REDACTOR, Redactor
from supportml.text import model_text, near_duplicate_key


@dataclass(frozen=True)
class LabelledRow:
    """One stored request with a people-given topic."""

    id: str
    text: str  # as stored (redacted)
    topic: str
    label_source: str  # human / form / import
    created_at: datetime


@dataclass(frozen=True)
class TrainingSet:
    """What `train --from-store` learns from, and what it left out and why."""

    dataset: Dataset
    created_at: list[datetime]
    label_sources: Counter[str]  # kept rows per label source
    collapsed: int  # near-duplicates of a row already kept
    empty: int  # nothing left after model_text (a file-only message, a bare link)
    renamed: int  # labels changed by --topics-map
    too_few: dict[str, int] = field(default_factory=dict)  # topic -> rows, left out


def build_training_set(
    rows: Iterable[LabelledRow],
    topic_map: Mapping[str, str] | None = None,
    min_examples: int = 5,
    source: str = "store",
    redactor: Redactor = DEFAULT_REDACTOR,
) -> TrainingSet:
    """Rows (best label source first) -> one row per near-duplicate group, topics mapped, rare
    topics set aside and reported; the kept rows come back in time order."""
    topic_map = topic_map or {}
    seen: set[str] = set()
    kept: list[tuple[LabelledRow, str, str]] = []
    collapsed = empty = renamed = 0
    for row in rows:
        text = model_text(row.text, redactor)
        if not text:
            empty += 1
            continue
        key = near_duplicate_key(text)
        if key in seen:
            collapsed += 1
            continue
        seen.add(key)
        topic = topic_map.get(row.topic, row.topic)
        renamed += topic != row.topic
        kept.append((row, text, topic))
    counts = Counter(topic for _, _, topic in kept)
    too_few = {t: n for t, n in sorted(counts.items()) if n < min_examples}
    kept = sorted(
        (item for item in kept if item[2] not in too_few), key=lambda i: (i[0].created_at, i[0].id)
    )
    if len({topic for _, _, topic in kept}) < 2:
        raise DataError(
            f"{source}: {len(kept)} usable labelled requests in fewer than two topics with "
            f">= {min_examples} examples each; label more requests (confirm or change topics "
            "in Slack) or import history first"
        )
    dataset = Dataset(
        ids=[row.id for row, _, _ in kept],
        texts=[text for _, text, _ in kept],
        labels=[topic for _, _, topic in kept],
        source=source,
    )
    return TrainingSet(
        dataset,
        [row.created_at for row, _, _ in kept],
        Counter(row.label_source for row, _, _ in kept),
        collapsed,
        empty,
        renamed,
        too_few,
    )


def time_split(
    created_at: Sequence[datetime],
    labels: Sequence[str],
    eval_weeks: int,
    *,
    calibration_size: float = 0.15,
    seed: int = 42,
) -> tuple[Split, datetime]:
    """Train and calibrate on requests older than the newest ``eval_weeks`` weeks, test on those
    weeks: the model is judged on requests it could not have seen, as in service.

    The cut is measured back from the newest request, not from today, so an import of last
    year's history splits the same way. Returns the split and the cut-off time.
    """
    if eval_weeks < 1:
        raise DataError(f"--eval-weeks {eval_weeks}: expected at least 1 week")
    when = np.asarray(created_at, dtype=object)
    cutoff = max(created_at) - timedelta(weeks=eval_weeks)
    newest = np.flatnonzero(when >= cutoff)
    older = np.flatnonzero(when < cutoff)
    y = np.asarray(labels, dtype=object)
    if len(older) < 10 or len(set(y[older])) < 2:
        raise DataError(
            f"only {len(older)} labelled requests before {cutoff:%Y-%m-%d} to train on; "
            f"use fewer --eval-weeks than {eval_weeks}"
        )
    counts = Counter(y[older])
    n_cal = max(1, round(calibration_size * len(older)))
    stratify = y[older] if min(counts.values()) >= 2 and n_cal >= len(counts) else None
    train, calibration = train_test_split(
        older, test_size=n_cal, random_state=seed, stratify=stratify
    )
    return Split(np.sort(train), np.sort(calibration), newest), cutoff


@dataclass(frozen=True)
class TopicChanges:
    """How the labels people use now differ from the topics the champion knows."""

    new: dict[str, int]  # in the training set, unknown to the champion: topic -> rows
    retired: list[str]  # known to the champion, no longer in the training set
    too_few: dict[str, int]  # left out of training: topic -> rows
    untrained: dict[str, int]  # only in the evaluation weeks, so the challenger cannot know them

    def lines(self) -> list[str]:
        """Human-readable lines, nothing when nothing changed."""
        lines = []
        if self.new:
            lines.append("new topics: " + _counted(self.new))
        if self.retired:
            lines.append("retired topics (no labelled examples now): " + ", ".join(self.retired))
        if self.too_few:
            lines.append("left out, too few examples: " + _counted(self.too_few))
        if self.untrained:
            lines.append(
                "only in the evaluation weeks, learned at the next run: " + _counted(self.untrained)
            )
        return lines


def _counted(topics: Mapping[str, int]) -> str:
    return ", ".join(f"{topic} ({n})" for topic, n in topics.items())


def topic_changes(
    labels: Sequence[str],
    train_rows: Sequence[int] | np.ndarray,
    champion_labels: Sequence[str] | None,
    too_few: Mapping[str, int],
) -> TopicChanges:
    """Compare the training set's topics with the champion's (None: no champion, nothing new)."""
    counts = Counter(labels)
    trained = {labels[i] for i in train_rows}
    known = set(champion_labels or counts)
    return TopicChanges(
        new={t: n for t, n in sorted(counts.items()) if t not in known},
        retired=sorted(known - set(counts) - set(too_few)),
        too_few=dict(too_few),
        untrained={t: n for t, n in sorted(counts.items()) if t not in trained},
    )
