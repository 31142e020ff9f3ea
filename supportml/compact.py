"""The single-text classifier in numpy alone: what `predict "text"` needs of a fitted pipeline.

Unpickling the exported pipeline imports scikit-learn, and with it scipy.stats: well over a second
before a one-text prediction can start. The numbers one text needs (the vectorizers' vocabularies
and idf, the coefficients) are plain arrays, so the export also writes them to an ``.npz`` file
(no pickle: loading it runs no code), guarded by a sha256 in the model card like the pipeline.
Read back, they classify with analyzers that mirror scikit-learn's ``char_wb`` and ``word``
analyzers (the only two the pipeline uses); tests/test_compact.py checks both give the same
n-grams and the same probabilities on the sample data and on BANKING77.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

COMPACT_FORMAT = 1  # the layout of the .npz file; a reader refuses any other
WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's VectorizerMixin._white_spaces

Analyzer = Callable[[str], list[str]]


class NotCompact(ValueError):
    """A pipeline whose features the numpy analyzers cannot reproduce (it is exported without
    the compact file, and single texts are classified through scikit-learn)."""


def word_analyzer(
    ngram_range: tuple[int, int], token_pattern: str, stop_words: frozenset[str], lowercase: bool
) -> Analyzer:
    """TfidfVectorizer(analyzer="word").build_analyzer() without a custom preprocessor,
    tokenizer or accent stripping: the same n-grams in the same order."""
    tokenize = re.compile(token_pattern).findall
    low, high = ngram_range

    def analyze(text: str) -> list[str]:
        tokens = [t for t in tokenize(text.lower() if lowercase else text) if t not in stop_words]
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    return analyze


def char_wb_analyzer(ngram_range: tuple[int, int], lowercase: bool) -> Analyzer:
    """TfidfVectorizer(analyzer="char_wb").build_analyzer(): n-grams within each word padded
    with a space, a word shorter than n counted once; the same n-grams in the same order."""
    low, high = ngram_range

    def analyze(text: str) -> list[str]:
        text = WHITE_SPACES.sub(" ", text.lower() if lowercase else text)
        grams: list[str] = []
        for word in text.split():
            padded = f" {word} "
            for n in range(low, high + 1):
                grams.extend(padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1))
                if len(padded) <= n:
                    break
        return grams

    return analyze


def _spec(vectorizer: Any) -> dict[str, Any]:
    """The settings the numpy analyzers need, or NotCompact when they cannot stand in for
    ``vectorizer.build_analyzer()`` or its tf-idf."""
    kind = vectorizer.analyzer
    plain = (
        kind in ("word", "char_wb")
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and not vectorizer.strip_accents
        and not vectorizer.binary
        and vectorizer.use_idf
        and vectorizer.norm == "l2"
        and (kind != "word" or re.compile(vectorizer.token_pattern).groups <= 1)
    )
    if not plain:
        raise NotCompact(f"a {kind!r} vectorizer with custom settings")
    spec: dict[str, Any] = {
        "analyzer": kind,
        "ngram_range": [int(n) for n in vectorizer.ngram_range],
        "lowercase": bool(vectorizer.lowercase),
        "sublinear": bool(vectorizer.sublinear_tf),
    }
    if kind == "word":
        spec["token_pattern"] = vectorizer.token_pattern
        spec["stop_words"] = sorted(vectorizer.get_stop_words() or ())
    return spec


def _analyzer(spec: Mapping[str, Any]) -> Analyzer:
    low, high = spec["ngram_range"]
    if spec["analyzer"] == "word":
        return word_analyzer(
            (low, high), spec["token_pattern"], frozenset(spec["stop_words"]), spec["lowercase"]
        )
    return char_wb_analyzer((low, high), spec["lowercase"])


@dataclass(frozen=True)
class Block:
    """One vectorizer of the feature union, unpacked."""

    analyzer: Analyzer
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int
    sublinear: bool
    weight: float
    spec: dict[str, Any] | None  # None: the numpy analyzers cannot reproduce this one
    dense: Callable[[str], np.ndarray] | None = None  # an embeddings block: text -> its values


@dataclass
class Weights:
    """What one text is classified with: each block's analyzer, vocabulary and idf, and the
    logistic regression's coefficients (two topics widened to two rows, as the batch path does)."""

    blocks: list[Block]
    coef: np.ndarray
    intercept: np.ndarray
    labels: list[str]
    _names: list[np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> Weights:
        """The fitted pipeline's numbers, with scikit-learn's own analyzers."""
        union = pipeline.named_steps["features"]
        weights = union.transformer_weights or {}
        blocks, offset = [], 0
        for name, vectorizer in union.transformer_list:
            if hasattr(vectorizer, "embed_one"):  # the embeddings extra (never in a compact file)
                empty = np.empty(0)
                dense = vectorizer.embed_one
                weight = float(weights.get(name, 1.0))
                blocks.append(Block(list, {}, empty, offset, False, weight, None, dense))
                offset += vectorizer.dim_
                continue
            try:
                spec: dict[str, Any] | None = _spec(vectorizer)
            except NotCompact:
                spec = None
            blocks.append(
                Block(
                    analyzer=vectorizer.build_analyzer(),
                    vocabulary=vectorizer.vocabulary_,
                    idf=np.asarray(vectorizer.idf_, dtype=np.float64),
                    offset=offset,
                    sublinear=vectorizer.sublinear_tf,
                    weight=float(weights.get(name, 1.0)),
                    spec=spec,
                )
            )
            offset += len(vectorizer.vocabulary_)
        clf = pipeline.named_steps["clf"]
        coef = np.asarray(clf.coef_, dtype=np.float64)
        intercept = np.asarray(clf.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # two topics: softmax([0, d]) equals sklearn's sigmoid(d)
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        labels = [str(c) for c in pipeline.classes_]
        return cls(blocks, np.ascontiguousarray(coef), intercept, labels)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, tf-idf values) of one text, the same numbers as the pipeline's."""
        all_idx, all_val = [], []
        for block in self.blocks:
            if block.dense is not None:
                values = block.dense(text)
                all_idx.append(np.arange(block.offset, block.offset + len(values)))
                all_val.append(values * block.weight)
                continue
            counts = Counter(block.analyzer(text))
            vocab = block.vocabulary
            hits = [(vocab[term], n) for term, n in counts.items() if term in vocab]
            if not hits:
                continue
            idx = np.fromiter((h[0] for h in hits), dtype=np.intp, count=len(hits))
            tf = np.fromiter((h[1] for h in hits), dtype=np.float64, count=len(hits))
            if block.sublinear:
                tf = np.log(tf) + 1.0
            val = tf * block.idf[idx]
            val *= block.weight / np.sqrt(val @ val)
            all_idx.append(idx + block.offset)
            all_val.append(val)
        if not all_idx:
            return np.empty(0, dtype=np.intp), np.empty(0)
        return np.concatenate(all_idx), np.concatenate(all_val)

    def explain(self, text: str, label: str | None, k: int) -> list[tuple[str, float]]:
        """See TopicClassifier.explain."""
        idx, val = self.features(text)
        row = (
            int(np.argmax(self.coef[:, idx] @ val + self.intercept))
            if label is None
            else self.labels.index(label)
        )
        # embedding dimensions name nothing a reader knows: only n-grams explain
        grams = idx < next((b.offset for b in self.blocks if b.dense is not None), len(self.coef.T))
        idx, val = idx[grams], val[grams]
        if idx.size == 0:
            return []
        column = self.coef[:, idx]
        contribution = (column[row] - column.mean(axis=0)) * val
        names = self.feature_names()
        words_end = self.blocks[1].offset if len(self.blocks) > 1 else self.coef.shape[1]
        is_word = idx < words_end
        pushing = contribution > 0
        chosen = pushing & is_word if (pushing & is_word).any() else pushing
        order = [i for i in np.argsort(-contribution) if chosen[i]][:k]
        return [
            (
                str(names[0][idx[i]]) if is_word[i] else repr(str(names[1][idx[i] - words_end])),
                float(contribution[i]),
            )
            for i in order
        ]

    def feature_names(self) -> list[np.ndarray]:
        """Each block's n-grams by column, as get_feature_names_out gives them."""
        if self._names is None:
            names = []
            for block in self.blocks:
                column = np.empty(len(block.vocabulary), dtype=object)
                column[list(block.vocabulary.values())] = list(block.vocabulary)
                names.append(column)
            self._names = names
        return self._names

    # -- the compact file ------------------------------------------------------------------
    def write(self, handle: BinaryIO) -> None:
        """Write the arrays as an uncompressed .npz; NotCompact if a block cannot be read back."""
        arrays: dict[str, np.ndarray] = {"coef": self.coef, "intercept": self.intercept}
        specs = []
        for i, block in enumerate(self.blocks):
            if block.spec is None:
                raise NotCompact(f"feature block {i} has custom settings")
            specs.append({**block.spec, "weight": block.weight})
            terms = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
            joined = "".join(terms)  # with each term's end: any character may be in a term
            arrays[f"terms{i}"] = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
            arrays[f"ends{i}"] = np.cumsum([len(t) for t in terms], dtype=np.int64)
            arrays[f"idf{i}"] = block.idf
        meta = {"format": COMPACT_FORMAT, "labels": self.labels, "blocks": specs}
        arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=True))
        np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def read(cls, handle: BinaryIO) -> Weights:
        """The arrays ``write`` wrote (never unpickles); ValueError on a file it cannot read."""
        with np.load(handle, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            if meta.get("format") != COMPACT_FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {COMPACT_FORMAT}")
            blocks, offset = [], 0
            for i, spec in enumerate(meta["blocks"]):
                joined, ends = npz[f"terms{i}"].tobytes().decode("utf-8"), npz[f"ends{i}"].tolist()
                starts = [0, *ends[:-1]]
                spans = enumerate(zip(starts, ends, strict=True))
                vocabulary = {joined[a:b]: j for j, (a, b) in spans}
                blocks.append(
                    Block(
                        analyzer=_analyzer(spec),
                        vocabulary=vocabulary,
                        idf=npz[f"idf{i}"],
                        offset=offset,
                        sublinear=spec["sublinear"],
                        weight=float(spec["weight"]),
                        spec={k: v for k, v in spec.items() if k != "weight"},
                    )
                )
                offset += len(vocabulary)
            coef, intercept = npz["coef"], npz["intercept"]
        if coef.shape != (len(meta["labels"]), offset) or intercept.shape != coef.shape[:1]:
            raise ValueError("coefficients do not match the vocabularies and labels")
        return cls(blocks, coef, intercept, [str(label) for label in meta["labels"]])


class OneTextClassifier:
    """Suggestions for one text at a time from Weights alone: what ``predict "text"`` loads
    (model.load_one_text) instead of the pipeline. TopicClassifier's single-text methods are
    these, built from its pipeline."""

    def __init__(self, weights: Weights, temperature: float, max_chars: int):
        self.weights = weights
        self.temperature = float(temperature)
        self.max_chars = max_chars

    @property
    def labels(self) -> list[str]:
        return self.weights.labels

    def features_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self.weights.features(text[: self.max_chars])

    def decision_one(self, text: str) -> np.ndarray:
        """Logits of one text without sklearn's per-call overhead (tens of microseconds)."""
        idx, val = self.features_one(text)
        return self.weights.coef[:, idx] @ val + self.weights.intercept

    def predict_proba_one(self, text: str) -> np.ndarray:
        logits = self.decision_one(text) / self.temperature
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def explain(self, text: str, label: str | None = None, k: int = 8) -> list[tuple[str, float]]:
        return self.weights.explain(text[: self.max_chars], label, k)
