"""One turn of the learning loop: the stored labels in, a challenger trained on the older weeks
and judged against the champion on the newest, then published where `serve` watches or kept
next to it for inspection.

What needs an adapter comes in as an argument: the stored rows (SQLAlchemy), the champion
lookup (the MLflow registry or the last export) and the tracker that logs the run and moves the
registry alias (MLflow). So the turn runs, and is tested, without any of them, and
`supportml train` only wires them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from supportml.data import Dataset, Split
from supportml.learning.promotion import Champion, Decision, PromotionPolicy, decide
from supportml.learning.training_set import (
    LabelledRow,
    TopicChanges,
    TrainingSet,
    build_training_set,
    time_split,
    topic_changes,
)
from supportml.model import CARD_FILE, ModelError, ModelParams, load, publish
from supportml.redact import DEFAULT_REDACTOR, Redactor
from supportml.train import Stage, TrainResult, quiet, train

#: Asked once the challenger is trained (so it names the champion of that moment); None when
#: there is none yet. A ModelError means it cannot be loaded: the challenger replaces it.
ChampionLookup = Callable[[], Champion | None]
#: Logs the run with the decision and its extra parameters, registers the challenger and moves
#: the alias if it won; what it returns (a tracking.TrackedRun) comes back in Outcome.tracked.
Tracker = Callable[[TrainResult, Dataset, Decision, Mapping[str, object]], Any]
Say = Callable[[str], None]


def _silent(_: str) -> None:
    """No messages: the default outside the CLI."""


@dataclass(frozen=True)
class Rules:
    """How a challenger is trained and judged, and where the winner is exported."""

    params: ModelParams
    out_dir: Path  # the champion's export, what `serve` watches; a loser is kept next to it
    target_precision: float = 0.90
    policy: PromotionPolicy = field(default_factory=PromotionPolicy)
    cv: int | None = None  # also K-fold cross-validate
    force: bool = False  # --promote: the challenger wins whatever it scores


@dataclass(frozen=True)
class Outcome:
    """What one turn did, for the report."""

    result: TrainResult  # its model_dir was a staging directory, now gone: see ``kept``
    dataset: Dataset
    champion: Champion | None
    decision: Decision
    changes: TopicChanges
    kept: Path  # the challenger's export: out_dir when promoted, else out_dir.challenger
    tracked: Any = None  # what the tracker returned; None untracked


def exported_champion(out_dir: Path) -> Champion | None:
    """The model exported at ``out_dir`` as the champion when there is no registry; None when
    nothing was exported there yet."""
    if not (out_dir / CARD_FILE).is_file():
        return None
    classifier, card = load(out_dir)
    return Champion(str(out_dir), card.version, classifier, card)


def turn(
    rows: Iterable[LabelledRow],
    rules: Rules,
    champion: ChampionLookup,
    *,
    eval_weeks: int = 4,
    min_examples: int = 5,
    topic_map: Mapping[str, str] | None = None,
    topic_map_name: str = "the topics map",
    source: str = "store",
    redactor: Redactor = DEFAULT_REDACTOR,
    track: Tracker | None = None,
    extra: Mapping[str, object] | None = None,
    stage: Stage = quiet,
    note: Say = _silent,
    warn: Say = _silent,
) -> Outcome:
    """Build the training set from ``rows`` (best label source first), train on all but the
    newest ``eval_weeks`` weeks, test on those, and let the challenger meet the champion."""
    training = build_training_set(rows, topic_map, min_examples, source=source, redactor=redactor)
    note(_summary(training, topic_map_name))
    dataset = training.dataset
    parts, cutoff = time_split(
        training.created_at, dataset.topics, eval_weeks, seed=rules.params.seed
    )
    note(
        f"  train on {len(parts.train) + len(parts.calibration):,} requests before "
        f"{cutoff:%Y-%m-%d %H:%M}, evaluate on {len(parts.test):,} from the newest "
        f"{eval_weeks} week(s)"
    )
    logged = {
        **(extra or {}),
        "eval_weeks": eval_weeks,
        "eval_cutoff": cutoff.isoformat(timespec="seconds"),
        "min_examples": min_examples,
        "near_duplicates_collapsed": training.collapsed,
        **{f"labels_{kind}": n for kind, n in training.label_sources.items()},
    }
    return challenge(
        dataset, rules, champion, parts=parts, too_few=training.too_few, track=track,
        extra=logged, stage=stage, warn=warn,
    )  # fmt: skip


def challenge(
    dataset: Dataset,
    rules: Rules,
    champion: ChampionLookup,
    *,
    parts: Split | None = None,
    refit_all: bool = False,
    too_few: Mapping[str, int] | None = None,
    track: Tracker | None = None,
    extra: Mapping[str, object] | None = None,
    stage: Stage = quiet,
    warn: Say = _silent,
) -> Outcome:
    """Train a challenger on ``dataset`` (``parts``: which rows train and test, by default a
    stratified random split; ``refit_all``: see train.train), judge it against the champion on
    its test rows, track it, and publish it to ``rules.out_dir`` if it won, else keep it next
    to it."""
    with tempfile.TemporaryDirectory(prefix="supportml-challenger-") as staging:
        result = train(
            dataset,
            rules.params,
            Path(staging) / "model",
            target_precision=rules.target_precision,
            cv=rules.cv,
            parts=parts,
            refit_all=refit_all,
            stage=stage,
            warn=warn,
        )
        current = _lookup(champion, warn)
        decision = _judge(result, dataset, current, rules, stage)
        logged = {**(extra or {}), **asdict(rules.policy)}
        tracked = track(result, dataset, decision, logged) if track else None
        kept = _publish(result, decision, rules.out_dir, stage)
    changes = topic_changes(
        dataset.topics,
        [*result.split.train, *result.split.calibration],
        current.card.labels if current else None,
        too_few or {},
    )
    return Outcome(result, dataset, current, decision, changes, kept, tracked)


def _summary(training: TrainingSet, topic_map_name: str) -> str:
    sources = ", ".join(f"{n:,} {s}" for s, n in sorted(training.label_sources.items()))
    skipped = [
        f"{training.collapsed:,} near-duplicates collapsed" if training.collapsed else "",
        f"{training.empty:,} without text" if training.empty else "",
        f"{training.renamed:,} relabelled by {topic_map_name}" if training.renamed else "",
    ]
    return (
        f"  {len(training.dataset):,} requests, {len(training.dataset.classes)} topics "
        f"({sources})" + "".join(f"; {s}" for s in skipped if s)
    )


def _lookup(champion: ChampionLookup, warn: Say) -> Champion | None:
    """The champion, or None when it cannot be loaded: a model that could not serve either is
    replaced by the challenger."""
    try:
        return champion()
    except ModelError as exc:
        warn(f"the champion cannot be loaded: {exc}")
        return None


def _judge(
    result: TrainResult, dataset: Dataset, current: Champion | None, rules: Rules, stage: Stage
) -> Decision:
    """Score challenger (as evaluated, before any refit on all rows) and champion on the same
    evaluation rows and apply the policy."""
    texts = [dataset.texts[i] for i in result.split.test]
    topics = dataset.topics
    truth = [topics[i] for i in result.split.test]
    with stage(f"compare with the champion on {len(texts):,} evaluation requests"):
        champion = current.classifier.predict(texts)[0] if current else None
        return decide(
            truth,
            result.test_predictions,
            champion,
            current.version if current else None,
            rules.policy,
            rules.force,
        )


def _publish(result: TrainResult, decision: Decision, out_dir: Path, stage: Stage) -> Path:
    """The champion goes to ``out_dir`` (what `serve` watches); a losing challenger is kept
    next to it for inspection."""
    if decision.promote:
        with stage(f"publish to {out_dir}"):
            publish(result.model_dir, out_dir)
        return out_dir
    kept = out_dir.with_name(out_dir.name + ".challenger")
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(result.model_dir, kept)
    return kept
