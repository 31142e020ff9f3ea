"""Champion/challenger: whether a newly trained model replaces the one in service.

Both models are scored on the same rows (the newest weeks, the way the model will be used). The
challenger wins only when its macro-F1 beats the champion's by a margin, so noise does not flip the
alias back and forth, and no well-populated topic gets markedly worse: an average can hide a
topic that a team relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI reads PromotionPolicy's defaults for --help without numpy or sklearn
    from supportml.model import ModelCard, TopicClassifier


@dataclass(frozen=True)
class Champion:
    """The model in service that a challenger must beat, loaded verified."""

    where: str  # 'registry v3' or the export directory, for messages
    version: str  # the registry version number, or the card version of an export
    classifier: TopicClassifier
    card: ModelCard


@dataclass(frozen=True)
class PromotionPolicy:
    """How much better a challenger must be; see README "The learning loop"."""

    min_gain: float = 0.005  # macro-F1 the challenger must add over the champion
    max_topic_drop: float = 0.05  # F1 any guarded topic may lose
    min_support: int = 20  # topics with at least this many evaluation rows are guarded


@dataclass(frozen=True)
class TopicScore:
    topic: str
    support: int
    champion_f1: float
    challenger_f1: float

    @property
    def change(self) -> float:
        return self.challenger_f1 - self.champion_f1


@dataclass(frozen=True)
class Decision:
    """The verdict with everything it rests on, as logged to MLflow and printed."""

    promote: bool
    reason: str
    challenger_macro_f1: float
    champion_macro_f1: float | None
    champion_version: str | None
    n_eval: int
    policy: PromotionPolicy
    guarded: list[TopicScore] = field(default_factory=list)  # topics with >= min_support rows

    @property
    def regressions(self) -> list[TopicScore]:
        """Guarded topics that lost more F1 than the policy allows."""
        return [s for s in self.guarded if s.change < -self.policy.max_topic_drop - 1e-12]

    def metrics(self) -> dict[str, float]:
        """Flat name -> value for MLflow (the challenger's own metrics are logged elsewhere)."""
        values = {
            "eval_rows": float(self.n_eval),
            "challenger_eval_macro_f1": self.challenger_macro_f1,
            "promoted": float(self.promote),
        }
        if self.champion_macro_f1 is not None:
            values["champion_eval_macro_f1"] = self.champion_macro_f1
            values["eval_macro_f1_gain"] = self.challenger_macro_f1 - self.champion_macro_f1
        return values

    def to_dict(self) -> dict[str, object]:
        return {
            "promote": self.promote,
            "reason": self.reason,
            "challenger_macro_f1": self.challenger_macro_f1,
            "champion_macro_f1": self.champion_macro_f1,
            "champion_version": self.champion_version,
            "n_eval": self.n_eval,
            "policy": asdict(self.policy),
            "guarded_topics": [{**asdict(s), "change": s.change} for s in self.guarded],
        }


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the topics present in ``truth``: a model that still predicts a retired
    topic is not charged for a class nobody asked about."""
    from sklearn.metrics import f1_score

    return float(
        f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    )


def decide(
    truth: Sequence[str],
    challenger: Sequence[str],
    champion: Sequence[str] | None,
    champion_version: str | None = None,
    policy: PromotionPolicy = PromotionPolicy(),
    force: bool = False,
) -> Decision:
    """Compare the two models' predictions for the same evaluation rows."""
    if not len(truth):
        raise ValueError("no evaluation rows: nothing to compare the models on")
    score = macro_f1(truth, challenger)

    def verdict(promote: bool, reason: str, old: float | None = None, guarded=()) -> Decision:
        return Decision(
            promote, reason, score, old, champion_version, len(truth), policy, list(guarded)
        )

    if champion is None:
        return verdict(True, "no champion yet")
    old = macro_f1(truth, champion)
    guarded = _guarded(truth, challenger, champion, policy.min_support)
    gain = score - old
    tail = f"macro-F1 {score:.4f} vs champion v{champion_version} {old:.4f} ({gain:+.4f})"
    if force:
        return verdict(True, f"forced with --promote; {tail}", old, guarded)
    if gain < policy.min_gain - 1e-12:
        return verdict(
            False, f"{tail}: below the required gain of {policy.min_gain:+.4f}", old, guarded
        )
    worst = min(guarded, key=lambda s: s.change, default=None)
    if worst is not None and worst.change < -policy.max_topic_drop - 1e-12:
        return verdict(
            False,
            f"{tail}, but topic {worst.topic!r} ({worst.support} rows) drops F1 "
            f"{worst.champion_f1:.3f} -> {worst.challenger_f1:.3f}, more than the allowed "
            f"{policy.max_topic_drop:.3f}",
            old,
            guarded,
        )
    return verdict(True, tail, old, guarded)


def _guarded(
    truth: Sequence[str], challenger: Sequence[str], champion: Sequence[str], min_support: int
) -> list[TopicScore]:
    import numpy as np

    topics, counts = np.unique(np.asarray(truth, dtype=object), return_counts=True)
    chosen = [str(t) for t, n in zip(topics, counts, strict=True) if n >= min_support]
    if not chosen:
        return []
    from sklearn.metrics import f1_score

    new = f1_score(truth, challenger, labels=chosen, average=None, zero_division=0)
    old = f1_score(truth, champion, labels=chosen, average=None, zero_division=0)
    support = dict(zip(topics.tolist(), counts.tolist(), strict=True))
    return [
        TopicScore(t, int(support[t]), float(o), float(n))
        for t, o, n in zip(chosen, old, new, strict=True)
    ]
