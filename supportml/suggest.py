"""Suggester: raw Slack text in, a Suggestion out. The abstention rule lives here.

The classifier only ranks topics; whether a ranking is confident enough to show is a product
decision, taken with the threshold that training chose on held-out data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from supportml.model import ModelCard, TopicClassifier
from supportml.text import normalize

ABSTAIN_RULES = ("margin", "probability")


def abstention_score(probs: np.ndarray, rule: str = "margin") -> np.ndarray:
    """How sure a ranking is, per row of ``probs``; abstain when it is below the threshold.

    ``margin`` (top probability minus the runner-up) also catches texts that sit between two
    topics, which a bare top probability misses when the probability mass is spread thin.
    """
    probs = np.atleast_2d(probs)
    if probs.shape[1] < 2 or rule == "probability":
        return probs.max(axis=1)
    if rule != "margin":
        raise ValueError(f"unknown abstention rule {rule!r}; use one of {', '.join(ABSTAIN_RULES)}")
    top2 = np.partition(probs, -2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


@dataclass(frozen=True)
class Suggestion:
    """The best topic, how sure we are, what else it could be, and why."""

    topic: str
    confidence: float
    alternatives: list[tuple[str, float]]
    abstained: bool
    explanation: list[tuple[str, float]]
    model_version: str

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "confidence": round(self.confidence, 4),
            "abstained": self.abstained,
            "alternatives": [{"topic": t, "probability": round(p, 4)} for t, p in self.alternatives],
            "explanation": [{"term": t, "weight": round(w, 4)} for t, w in self.explanation],
            "model_version": self.model_version,
        }


class Suggester:
    """Wraps a fitted classifier with its threshold; ``suggest`` is what every caller uses."""

    def __init__(self, classifier: TopicClassifier, threshold: float, model_version: str,
                 rule: str = "margin", top_k: int = 3):
        self.classifier = classifier
        self.threshold = threshold
        self.model_version = model_version
        self.rule = rule
        self.top_k = top_k

    @classmethod
    def from_card(cls, classifier: TopicClassifier, card: ModelCard) -> Suggester:
        return cls(classifier, card.threshold, card.version, card.abstain_rule)

    def suggest(self, text: str, explain: bool = True) -> Suggestion:
        """Suggest a topic for one raw Slack message (normalised here)."""
        clean = normalize(text)
        probs = self.classifier.predict_proba_one(clean)
        top = np.argsort(-probs)[: self.top_k]
        labels = self.classifier.labels
        best = int(top[0])
        return Suggestion(
            topic=labels[best],
            confidence=float(probs[best]),
            alternatives=[(labels[i], float(probs[i])) for i in top],
            abstained=bool(abstention_score(probs, self.rule)[0] < self.threshold),
            explanation=self.classifier.explain(clean, labels[best]) if explain else [],
            model_version=self.model_version,
        )

    def suggest_many(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(topics, confidences, abstained) for already-normalised texts, vectorised for backlogs."""
        topics, probs = self.classifier.predict(texts)
        return topics, probs.max(axis=1), abstention_score(probs, self.rule) < self.threshold
