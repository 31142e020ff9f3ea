"""Suggest latency with documentation links, and indexing a docs tree: supportml vs a baseline.

Generates a synthetic handbook of 5,000 Markdown pages (nested folders, front matter, headings,
BANKING77 words per page topic plus a long tail of technical pseudo-words), trains the
BANKING77-sized classifier on train.csv, and measures in the same run:
  (a) supportml: `supportml docs index` on the tree (walk, parse, hash, write the catalogue), a
      re-run with nothing changed, and `Suggester.suggest(text)` with a DocIndex of the catalogue;
  (b) the naive baseline: read every page, TfidfVectorizer over title + summary + body into a
      dense matrix, and per request the same classifier call plus cosine similarity recomputed
      over the dense matrix (sklearn's cosine_similarity), the same topic prior and top 3.
Requests are the raw texts of test.csv, one call each, as the Slack responder makes them.

    python benchmarks/suggest_benchmark.py --data ../shared/data/banking77
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from supportml.data import load_requests
from supportml.docs import (
    DEFAULT_MIN_SCORE,
    DEFAULT_PRIOR_WEIGHT,
    Catalogue,
    DocIndex,
    index_tree,
    page_files,
    split_front_matter,
)
from supportml.model import ModelParams, TopicClassifier
from supportml.suggest import Suggester
from supportml.text import model_text

BASE = "https://handbook.example.gov/"
SECTIONS = ["cards", "payments", "transfers", "accounts", "security", "top-up", "fx", "support"]
# fmt: off
FILLER = [
    "if", "you", "see", "this", "the", "step", "below", "explains", "how", "to", "check", "what",
    "happened", "and", "when", "ask", "support", "team", "for", "help", "with", "your", "app",
]
# fmt: on


def pseudo_words(rng: random.Random, n: int) -> list[str]:
    """A long tail of made-up technical words, as product names and error codes make one."""
    syllables = ["ka", "lo", "mi", "zu", "ter", "pex", "vor", "qu", "an", "sil", "dro", "nek"]
    words: set[str] = set()
    while len(words) < n:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        words.add(word + (str(rng.randint(1, 999)) if rng.random() < 0.2 else ""))
    return sorted(words)


def write_handbook(root: Path, labels: list[str], texts: list[str], pages: int, seed: int) -> None:
    """``pages`` Markdown pages, each about one or two BANKING77 intents."""
    rng = random.Random(seed)
    by_label: dict[str, Counter[str]] = {label: Counter() for label in set(labels)}
    for text, label in zip(texts, labels, strict=True):
        by_label[label].update(w for w in text.lower().split() if w.isalpha())
    vocab = {label: (list(c), list(c.values())) for label, c in by_label.items()}
    tail = pseudo_words(rng, 30_000)
    tail_weights = [1 / (rank + 10) for rank in range(len(tail))]  # Zipf-like
    intents = sorted(by_label)
    for number in range(pages):
        topics = rng.sample(intents, rng.choice([1, 1, 2]))
        words, weights = vocab[topics[0]]

        def sentence(n: int, words: list[str] = words, weights: list[int] = weights) -> str:
            mix = rng.choices(words, weights, k=n) + rng.choices(tail, tail_weights, k=n // 2)
            mix += rng.sample(FILLER, 4)
            rng.shuffle(mix)
            return " ".join(mix).capitalize() + "."

        title = " ".join(rng.choices(words, weights, k=4)).capitalize()
        body = [f"# {title}", "", sentence(20)]
        for _ in range(rng.randint(3, 6)):
            body += ["", f"## {' '.join(rng.choices(words, weights, k=3)).capitalize()}", ""]
            body += [" ".join(sentence(rng.randint(12, 24)) for _ in range(rng.randint(2, 4)))]
        front = {
            "summary": sentence(12),
            "topics": topics,
            "keywords": rng.sample(words[:40], min(4, len(words))),
        }
        folder = root / SECTIONS[number % len(SECTIONS)] / f"part-{number % 25:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{number:05d}.md").write_text(
            "---\n" + json.dumps(front) + "\n---\n" + "\n".join(body) + "\n"
        )


def latency_ms(call, texts: list[str], n: int) -> tuple[float, float]:
    for text in texts[:50]:  # warm caches and lazy set-up
        call(text)
    times = []
    for i in range(n):
        start = time.perf_counter_ns()
        call(texts[i % len(texts)])
        times.append((time.perf_counter_ns() - start) / 1e6)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


class NaiveDocs:
    """The baseline: read the pages, a dense tf-idf matrix, cosine recomputed on every call."""

    def __init__(self, root: Path):
        self.ids, documents, topics = [], [], []
        for path in page_files(root):
            meta, text = split_front_matter(path.read_text(), str(path))
            self.ids.append(path.relative_to(root).with_suffix("").as_posix())
            documents.append(f"{meta.get('summary', '')}\n{text}")
            topics.append(meta.get("topics", []))
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
        self.matrix = self.vectorizer.fit_transform(documents).toarray()
        self.names = sorted({t for ts in topics for t in ts})
        self.page_topics = np.array([[t in ts for t in self.names] for ts in topics], dtype=float)

    def search(self, text: str, probabilities: dict[str, float], k: int = 3) -> list[str]:
        query = self.vectorizer.transform([text]).toarray()
        similarity = cosine_similarity(query, self.matrix)[0]
        p = np.array([probabilities.get(t, 0.0) for t in self.names])
        prior = np.minimum(self.page_topics @ p, 1.0)
        w = DEFAULT_PRIOR_WEIGHT
        scores = similarity * (1 - w + w * prior)
        top = np.argsort(-scores)[:k]
        return [self.ids[i] for i in top if scores[i] >= DEFAULT_MIN_SCORE]


def bench_baseline(root: Path, classifier: TopicClassifier, raw: list[str], calls: int) -> dict:
    start = time.perf_counter()
    naive = NaiveDocs(root)
    build_seconds = time.perf_counter() - start
    names = classifier.labels

    def suggest(text: str) -> list[str]:
        """The same text preparation and classifier call as Suggester.suggest."""
        clean = model_text(text)
        probs = classifier.predict_proba_one(clean)
        return naive.search(clean, dict(zip(names, probs.tolist(), strict=True)))

    p50, p99 = latency_ms(suggest, raw, calls)
    return {
        "model": "naive_dense_baseline",
        "pages": len(naive.ids),
        "vocabulary": len(naive.vectorizer.vocabulary_),
        "build_seconds": round(build_seconds, 2),
        "suggest_p50_ms": round(p50, 3),
        "suggest_p99_ms": round(p99, 3),
    }


def bench_ours(root: Path, classifier: TopicClassifier, raw: list[str], calls: int) -> dict:
    out = root.parent / "catalogue.yaml"
    start = time.perf_counter()
    index_tree(root, BASE).catalogue.save(out)
    index_seconds = time.perf_counter() - start
    start = time.perf_counter()
    rerun = index_tree(root, BASE, Catalogue.load(out))
    rerun.catalogue.save(out)
    rerun_seconds = time.perf_counter() - start
    start = time.perf_counter()
    docs = DocIndex(Catalogue.load(out))
    load_seconds = time.perf_counter() - start
    suggester = Suggester(classifier, 0.5, "bench", docs=docs)
    p50, p99 = latency_ms(lambda t: suggester.suggest(t, explain=False), raw, calls)
    e50, e99 = latency_ms(suggester.suggest, raw, calls)
    shown = [bool(suggester.suggest(t, explain=False).links) for t in raw[:1000]]
    return {
        "model": "supportml",
        "pages": len(docs),
        "vocabulary": len(docs._vocabulary),
        "index_seconds": round(index_seconds, 2),
        "reindex_unchanged_seconds": round(rerun_seconds, 2),
        "unchanged_pages": rerun.unchanged,
        "load_catalogue_and_build_index_seconds": round(load_seconds, 2),
        "catalogue_mb": round(out.stat().st_size / 1e6, 1),
        "suggest_p50_ms": round(p50, 3),
        "suggest_p99_ms": round(p99, 3),
        "suggest_with_explanation_p50_ms": round(e50, 3),
        "suggest_with_explanation_p99_ms": round(e99, 3),
        "requests_with_links": round(float(np.mean(shown)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/banking77"))
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=3000, help="suggest() calls to time")
    parser.add_argument("--baseline-calls", type=int, default=100)
    args = parser.parse_args()

    train = load_requests(args.data / "train.csv", label_col="category", id_col=None)
    labels = [str(label) for label in train.labels]
    raw = pd.read_csv(args.data / "test.csv", dtype=str, keep_default_na=False)["text"].tolist()
    start = time.perf_counter()
    classifier = TopicClassifier.fit(train.texts, labels, ModelParams())
    setup = {
        "setup": "classifier",
        "topics": len(classifier.labels),
        "train_rows": len(labels),
        "fit_seconds": round(time.perf_counter() - start, 2),
    }
    print(json.dumps(setup), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "handbook"
        write_handbook(root, labels, train.texts, args.pages, seed=0)
        baseline = bench_baseline(root, classifier, raw, args.baseline_calls)
        print(json.dumps(baseline), flush=True)
        ours = bench_ours(root, classifier, raw, args.calls)
        print(json.dumps(ours), flush=True)
    print(
        json.dumps(
            {
                "ratio": "supportml / naive_dense_baseline",
                "suggest_p50_ms": round(ours["suggest_p50_ms"] / baseline["suggest_p50_ms"], 4),
                "suggest_p99_ms": round(ours["suggest_p99_ms"] / baseline["suggest_p99_ms"], 4),
                "index_seconds": round(ours["index_seconds"] / baseline["build_seconds"], 3),
                "targets": "suggest p50 <= 1 ms, p99 <= 3 ms; index 5,000 pages <= 20 s",
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
