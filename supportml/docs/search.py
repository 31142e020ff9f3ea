"""Ranking catalogue pages for one request, and hit@k of the links shown.

``DocIndex`` ranks pages by TF-IDF cosine similarity, scaled by how much the classifier believes in
each page's topics, and returns nothing rather than a weak link: a wrong link costs the requester a
click and the channel its trust in the links.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from supportml.docs.catalogue import Catalogue, DocEntry, DocsError

#: Words in a title say more about a page than words in its body; headings, keywords and the
#: summary sit in between. A word's weight in a page is the sum over fields of weight x sublinear
#: count, so a title word stands out even on a long page that uses other words more often.
FIELD_WEIGHTS = {"title": 5.0, "headings": 2.0, "keywords": 2.0, "summary": 2.0, "body": 1.0}
#: Links below this score are not shown (see DocIndex). Chosen on the training rows of the
#: bundled sample, trading hit@3 against links shown for off-topic chatter; never on test rows.
DEFAULT_MIN_SCORE = 0.10
#: A page must share at least this many distinct words with the request: one shared word
#: ("office", "promotion") is how off-topic chatter reaches a page, and a short request that
#: quotes one word gives a high cosine on little evidence.
DEFAULT_MIN_TERMS = 2
#: How much the classifier's topic belief scales a page's score: a page none of whose topics the
#: classifier believes in keeps (1 - weight) of its lexical similarity.
DEFAULT_PRIOR_WEIGHT = 0.5
#: The prior of a page without topics: it may answer anything, so neither boosted nor buried.
NEUTRAL_PRIOR = 0.5
MAX_REASON_TERMS = 5


# fmt: off
_STOP_LIST = """
a about above after again against all also am an and any anyone anything are aren as at be
because been before being below between both but by can could did didn do does doesn doing don
down during each else etc ever every few for from further get gets getting got had has have
having he her here hers him his how i if in into is isn it its itself just know let like me
might more most my myself need needs no nor not now of off on once only or other our ours out
over own please pls plz same she should so some someone something still such than thank thanks
that the their them then there these they this those through thx to too ty under until up us
very want wanted was wasn way we were what when where whether which while who whom why will
with won would yet you your yours hi hey hello folks team everyone guys yall lol ok okay
question quick sure maybe really https http www com gov example
"""
# fmt: on
STOP_WORDS = frozenset(_STOP_LIST.split())
_WORD = re.compile(r"[a-z0-9]+")
_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper (plurals, -ing, -ed, -ment, final -e), so that "deploys",
    "deployed", "deploying" and "deployment" meet; no dependency for a Porter stemmer."""
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    out = word
    if len(out) > 3 and not out.isdigit():
        if out.endswith("ies") and len(out) > 4:
            out = out[:-3] + "y"
        elif out.endswith("s") and not out.endswith(("ss", "us", "is")):
            out = out[:-1]
        for suffix in ("ment", "ing", "ed"):
            if out.endswith(suffix) and len(out) - len(suffix) >= 3:
                out = out[: -len(suffix)]
                if len(out) > 3 and out[-1] == out[-2] and out[-1] not in "lsz":
                    out = out[:-1]
                break
        if out.endswith("e") and len(out) > 4:
            out = out[:-1]
    if len(_STEMS) < 200_000:
        _STEMS[word] = out
    return out


def terms(text: str) -> list[tuple[str, str]]:
    """(stem, word) pairs of the searchable words: lowercase, no stop words, no one-letter words
    and no long numbers (ids, PR numbers), which match pages only by accident."""
    pairs = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in STOP_WORDS or (word.isdigit() and len(word) > 4):
            continue
        pairs.append((stem(word), word))
    return pairs


@dataclass(frozen=True)
class DocLink:
    """A page suggested for a request: its score and the request's words that matched it."""

    doc_id: str
    title: str
    url: str
    score: float
    reason: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "reason": list(self.reason),
        }


class DocIndex:
    """Rank catalogue pages for a request.

    Pages are tf-idf vectors of their weighted fields (FIELD_WEIGHTS, sublinear tf per field, idf
    ln((n+1)/df)) and a request is scored by cosine similarity, computed from the posting lists
    of its own words only, so a search costs microseconds per matching page, not a pass over the
    whole matrix. The score is ``similarity * (1 - prior_weight + prior_weight * prior)``, where
    the prior is the probability the classifier gives to the page's topics (summed; pages without
    topics get NEUTRAL_PRIOR): a page whose topics the classifier believes in keeps its
    similarity, others lose up to ``prior_weight`` of it. Scores below ``min_score``, and pages
    sharing fewer than ``min_terms`` distinct words with the request, are dropped.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        min_score: float = DEFAULT_MIN_SCORE,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT,
        min_terms: int = DEFAULT_MIN_TERMS,
    ):
        if not 0 <= min_score <= 1:
            raise DocsError(f"min_score {min_score!r}: expected a number in [0, 1]")
        if not 0 <= prior_weight <= 1:
            raise DocsError(f"prior_weight {prior_weight!r}: expected a number in [0, 1]")
        self.catalogue = catalogue
        self.min_score = float(min_score)
        self.prior_weight = float(prior_weight)
        self.min_terms = max(1, int(min_terms))
        self.entries = catalogue.entries
        self.topics = catalogue.topics
        column = {topic: i for i, topic in enumerate(self.topics)}
        self._doc_topics = np.zeros((len(self.entries), len(self.topics)))
        for row, entry in enumerate(self.entries):
            self._doc_topics[row, [column[t] for t in entry.topics]] = 1.0
        self._topicless = ~np.asarray(self._doc_topics.any(axis=1), dtype=bool)
        self._build()

    def __len__(self) -> int:
        return len(self.entries)

    @staticmethod
    def _term_weights(entry: DocEntry) -> dict[str, float]:
        """Sum over fields of FIELD_WEIGHTS[field] * (1 + ln count in that field)."""
        fields = {
            "title": entry.title,
            "headings": "\n".join(entry.headings),
            "keywords": "\n".join(entry.keywords),
            "summary": entry.summary,
            "body": entry.body,
        }
        weights: dict[str, float] = {}
        for name, text in fields.items():
            for term, count in Counter(term for term, _ in terms(text)).items():
                weight = FIELD_WEIGHTS[name] * (1.0 + math.log(count))
                weights[term] = weights.get(term, 0.0) + weight
        return weights

    def _build(self) -> None:
        """Posting lists of tf-idf weights, each page's vector of unit length, built with numpy
        alone (scipy.sparse costs `predict "text"` a third of a second to import)."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, entry in enumerate(self.entries):
            for term, weight in self._term_weights(entry).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                values.append(weight)
        n_docs, n_terms = len(self.entries), len(vocabulary)
        # a page lists a term once, so (term, page) pairs are distinct: ordered by term, then
        # page, they are the posting lists (a CSC matrix's layout)
        order = np.lexsort((np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)))
        docs = np.asarray(rows, dtype=np.int64)[order]
        column = np.asarray(cols, dtype=np.int64)[order]
        df = np.bincount(column, minlength=n_terms)
        self._idf = np.log((n_docs + 1) / np.maximum(df, 1))
        weights = np.asarray(values, dtype=np.float64)[order] * self._idf[column]
        norms = np.sqrt(np.bincount(docs, weights * weights, minlength=n_docs))
        self._vocabulary = vocabulary
        # posting lists: for term t, pages _docs[_start[t]:_start[t+1]] with weights _weights[…]
        self._start = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        self._docs = docs
        self._weights = weights * (1 / np.maximum(norms, 1e-12))[docs]

    def _prior(self, rows: np.ndarray, probabilities: Mapping[str, float] | None) -> np.ndarray:
        if probabilities is None:
            return np.ones(len(rows))
        p = np.array([float(probabilities.get(topic, 0.0)) for topic in self.topics])
        prior = np.minimum(self._doc_topics[rows] @ p, 1.0) if len(p) else np.zeros(len(rows))
        prior[self._topicless[rows]] = NEUTRAL_PRIOR
        return prior

    def search(
        self, text: str, topic_probabilities: Mapping[str, float] | None = None, k: int = 3
    ) -> list[DocLink]:
        """At most ``k`` links, best first, each scoring at least ``min_score``.

        ``topic_probabilities`` maps the classifier's topics to probabilities; without them the
        score is the lexical similarity alone.
        """
        query: dict[int, list] = {}  # term id -> [count, first word seen]
        for term, word in terms(text):
            index = self._vocabulary.get(term)
            if index is not None:
                query.setdefault(index, [0, word])[0] += 1
        if k <= 0 or not query:
            return []
        ids = np.fromiter(query, dtype=np.int64, count=len(query))
        counts = np.fromiter((v[0] for v in query.values()), dtype=np.float64, count=len(query))
        q = (1.0 + np.log(counts)) * self._idf[ids]
        q /= np.sqrt(q @ q)
        starts = self._start[ids]
        lengths = self._start[ids + 1] - starts
        # every (page, weight) of the query's posting lists, gathered without a Python loop
        ends = np.cumsum(lengths)
        positions = np.arange(ends[-1]) + np.repeat(starts - (ends - lengths), lengths)
        docs = self._docs[positions]
        contribution = self._weights[positions] * np.repeat(q, lengths)
        similarity = np.bincount(docs, contribution, minlength=len(self.entries))
        shared = np.bincount(docs, minlength=len(self.entries))  # distinct words in common
        rows = np.flatnonzero(
            (similarity >= self.min_score) & (similarity > 0) & (shared >= self.min_terms)
        )
        if not len(rows):
            return []
        w = self.prior_weight
        scores = similarity[rows] * (1 - w + w * self._prior(rows, topic_probabilities))
        keep = scores >= self.min_score
        rows, scores = rows[keep], scores[keep]
        order = np.lexsort((rows, -scores))[:k]
        term_of = np.repeat(ids, lengths)
        words = [v[1] for v in query.values()]
        position_of = {int(t): i for i, t in enumerate(ids)}
        links = []
        for i in order:
            row = int(rows[i])
            mine = docs == row
            top = np.argsort(-contribution[mine], kind="stable")[:MAX_REASON_TERMS]
            entry = self.entries[row]
            links.append(
                DocLink(
                    doc_id=entry.id,
                    title=entry.title,
                    url=entry.url,
                    score=float(scores[i]),
                    reason=tuple(words[position_of[int(t)]] for t in term_of[mine][top]),
                )
            )
        return links


def link_hits(
    links: Sequence[Sequence[DocLink]], expected: Sequence[str], ks: Sequence[int] = (1, 3)
) -> dict[str, float]:
    """hit@k: the share of requests whose resolving page is among the first k links shown
    (no link shown counts as a miss), and the share that got any link at all."""
    n = len(expected)
    result: dict[str, float] = {"rows": float(n)}
    for k in ks:
        hits = sum(
            doc in [link.doc_id for link in shown[:k]]
            for shown, doc in zip(links, expected, strict=True)
        )
        result[f"hit_at_{k}"] = hits / n if n else 0.0
    result["with_links"] = sum(bool(shown) for shown in links) / n if n else 0.0
    return result
