"""Suggester: raw Slack text in, a Suggestion out. The abstention and holdout rules live here.

The classifier only ranks topics; whether a ranking is confident enough to show is a product
decision, taken with the threshold that training chose on held-out data. Documentation links come
from a DocIndex that uses the classifier's topic probabilities as a prior.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from supportml.model import TopicClassifier
from supportml.redact import DEFAULT_REDACTOR, Redactor
from supportml.text import model_text

if TYPE_CHECKING:  # the docs search imports scipy: only a caller with a catalogue needs it
    from supportml.compact import OneTextClassifier
    from supportml.docs import DocIndex, DocLink
    from supportml.model import ModelCard

DEFAULT_HOLDOUT = 0.10


def in_holdout(key: str, share: float = DEFAULT_HOLDOUT) -> bool:
    """Whether the request ``key`` (e.g. "workspace/channel/ts") is shown no documentation links.

    The first 8 bytes of the key's sha256 as a number in [0, 1), compared with ``share``: the same
    key lands on the same side in every process, on every machine and Python version (unlike
    ``hash()``, which is salted per process), so a retried event never flips group, and the
    groups are independent of everything else about the request.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"holdout share {share!r}: expected a number in [0, 1]")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass(frozen=True)
class Suggestion:
    """The best topic, how sure we are, what else it could be, and why."""

    topic: str
    confidence: float
    alternatives: list[tuple[str, float]]
    abstained: bool
    explanation: list[tuple[str, float]]
    model_version: str
    links: list[DocLink] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "confidence": round(self.confidence, 4),
            "abstained": self.abstained,
            "alternatives": [
                {"topic": t, "probability": round(p, 4)} for t, p in self.alternatives
            ],
            "explanation": [{"term": t, "weight": round(w, 4)} for t, w in self.explanation],
            "model_version": self.model_version,
            "links": [link.to_dict() for link in self.links],
        }


@dataclass(frozen=True)
class Backlog:
    """Suggestions for a whole file, one entry per input row."""

    topics: list[str]
    confidence: np.ndarray
    abstained: np.ndarray
    empty: int


class Suggester:
    """Wraps a fitted classifier with its threshold (and optionally a DocIndex for links);
    ``suggest`` is what every caller uses. A OneTextClassifier (model.load_one_text) serves
    ``suggest`` only; the batch methods need the TopicClassifier."""

    def __init__(
        self,
        classifier: TopicClassifier | OneTextClassifier,
        threshold: float,
        model_version: str,
        top_k: int = 3,
        docs: DocIndex | None = None,
        max_links: int = 3,
        redactor: Redactor = DEFAULT_REDACTOR,
    ):
        self.classifier = classifier
        self.threshold = threshold
        self.model_version = model_version
        self.top_k = top_k
        self.docs = docs
        self.max_links = max_links
        self.redactor = redactor
        self._labels = classifier.labels

    @classmethod
    def from_card(
        cls,
        classifier: TopicClassifier | OneTextClassifier,
        card: ModelCard,
        docs: DocIndex | None = None,
        redactor: Redactor = DEFAULT_REDACTOR,
    ) -> Suggester:
        return cls(classifier, card.threshold, card.version, docs=docs, redactor=redactor)

    def suggest(self, text: str, explain: bool = True) -> Suggestion:
        """Suggest a topic, and links when there is a DocIndex, for one raw Slack message
        (prepared with text.model_text and this suggester's redactor here).

        Links are computed even for requests that will be shown none (see ``in_holdout``), so
        the caller can record what the holdout group would have seen.
        """
        clean = model_text(text, self.redactor)
        probs = self.classifier.predict_proba_one(clean)
        top = np.argsort(-probs)[: self.top_k]
        labels = self._labels
        best = int(top[0])
        return Suggestion(
            topic=labels[best],
            confidence=float(probs[best]),
            alternatives=[(labels[i], float(probs[i])) for i in top],
            abstained=bool(self._score(probs)[0] < self.threshold),
            explanation=self.classifier.explain(clean, labels[best]) if explain else [],
            model_version=self.model_version,
            links=self._links(clean, probs),
        )

    def links_many(self, texts: Sequence[str]) -> list[list[DocLink]]:
        """Links for prepared texts (as in a Dataset), classified in one batch."""
        if self.docs is None or not len(texts):
            return [[] for _ in texts]
        probs = self._batch().predict_proba(texts)
        return [self._links(text, row) for text, row in zip(texts, probs, strict=True)]

    def _links(self, clean: str, probs: np.ndarray) -> list[DocLink]:
        if self.docs is None or not clean:
            return []
        return self.docs.search(
            clean, dict(zip(self._labels, probs.tolist(), strict=True)), self.max_links
        )

    def suggest_many(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(topics, confidences, abstained) for prepared texts, vectorised for backlogs."""
        topics, probs = self._batch().predict(texts)
        return topics, probs.max(axis=1), self._score(probs) < self.threshold

    def suggest_backlog(
        self,
        raw_texts: Sequence[str],
        chunk: int = 5000,
        advance: Callable[[int], None] | None = None,
    ) -> Backlog:
        """Suggest for every raw text of a file, in chunks; ``advance(n)`` reports rows done.

        Texts with nothing left after preparation get no topic (and count as abstained) rather
        than disappearing, so every input row keeps its place in the output.
        """
        texts = [model_text(t, self.redactor) for t in raw_texts]
        present = [i for i, t in enumerate(texts) if t]
        result = Backlog(
            topics=[""] * len(texts),
            confidence=np.full(len(texts), np.nan),
            abstained=np.ones(len(texts), dtype=bool),
            empty=len(texts) - len(present),
        )
        advance = advance or (lambda _: None)
        advance(result.empty)
        for offset in range(0, len(present), chunk):
            rows = present[offset : offset + chunk]
            topics, confidence, abstained = self.suggest_many([texts[i] for i in rows])
            for i, topic in zip(rows, topics, strict=True):
                result.topics[i] = topic
            result.confidence[rows] = confidence
            result.abstained[rows] = abstained
            advance(len(rows))
        return result

    def _batch(self) -> TopicClassifier:
        if not isinstance(self.classifier, TopicClassifier):
            raise TypeError("a model loaded for one text at a time cannot classify a batch")
        return self.classifier

    @staticmethod
    def _score(probs: np.ndarray) -> np.ndarray:
        """The calibrated top probability: the confidence shown, on the threshold's scale."""
        return np.atleast_2d(probs).max(axis=1)
