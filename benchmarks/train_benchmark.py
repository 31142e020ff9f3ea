"""Accuracy, fit time, latency and open-set abstention on BANKING77: supportml vs a naive baseline.

Both pipelines are trained and timed in the same run on this machine:
  (a) supportml: the product's own procedure (fit on 85% of train.csv, temperature and abstention
      threshold on the other 15%), timed end to end from raw texts;
  (b) the naive baseline TfidfVectorizer(ngram_range=(1,2))
      + LogisticRegression(C=10, max_iter=2000)
      fitted on all of train.csv.
Both are evaluated on test.csv. Single-text latency is one call per text, as the Slack responder
makes it. The open-set check holds 10 intents out of training and reports how many of their test
texts are abstained on, at a threshold chosen on in-set calibration rows for precision 0.97, for
supportml's abstention rule and for a plain max-probability threshold on the same model.

    python benchmarks/train_benchmark.py --data ../shared/data/banking77
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from supportml.data import Split, load_requests
from supportml.evaluate import evaluate, select_threshold
from supportml.model import ModelParams, TopicClassifier
from supportml.suggest import Suggester
from supportml.train import fit_and_calibrate


@dataclass(frozen=True)
class Corpus:
    """BANKING77 as the baseline reads it (raw) and as supportml reads it (its own loader)."""

    raw: list[str]
    texts: list[str]
    labels: list[str]

    @classmethod
    def read(cls, path: Path) -> Corpus:
        data = load_requests(path, label_col="category", id_col=None)
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert len(raw) == len(data), "supportml's loader skipped rows it should not have"
        return cls(list(raw["text"]), data.texts, [str(y) for y in data.labels])


def calibration_split(labels: list[str], seed: int) -> Split:
    index = np.arange(len(labels))
    train, cal = train_test_split(index, test_size=0.15, random_state=seed, stratify=labels)
    return Split(np.sort(train), np.sort(cal), np.array([], dtype=int))


def latency_ms(call, texts: list[str], n: int) -> tuple[float, float]:
    for text in texts[:50]:  # warm caches and lazy set-up
        call(text)
    times = []
    for i in range(n):
        text = texts[i % len(texts)]
        start = time.perf_counter_ns()
        call(text)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def bench_ours(train, test, params: ModelParams, calls: int) -> dict:
    labels = [str(y) for y in train.labels]
    start = time.perf_counter()
    classifier, threshold, _ = fit_and_calibrate(
        train.texts, labels, calibration_split(labels, 0), params, 0.90
    )
    fit_seconds = time.perf_counter() - start
    suggester = Suggester(classifier, threshold, "bench")
    predicted, confidence, abstained = suggester.suggest_many(test.texts)
    result = evaluate(test.labels, predicted, ~abstained, confidence)
    _, raw = TopicClassifier(classifier.pipeline).predict(test.texts)  # temperature 1
    uncalibrated = evaluate(test.labels, predicted, confidence=raw.max(axis=1))
    p50, p99 = latency_ms(lambda t: suggester.suggest(t, explain=False), test.raw, calls)
    return {
        "model": "supportml",
        "accuracy": round(result.accuracy, 4),
        "macro_f1": round(result.macro_f1, 4),
        "fit_seconds": round(fit_seconds, 2),
        "predict_p50_ms": round(p50, 4),
        "predict_p99_ms": round(p99, 4),
        "coverage_at_p90": round(result.coverage, 4),
        "answered_accuracy_at_p90": round(result.answered_precision, 4),
        "temperature": round(classifier.temperature, 3),
        "calibration_error": round(result.calibration_error, 4),
        "calibration_error_at_temperature_1": round(uncalibrated.calibration_error, 4),
    }


def bench_baseline(train, test, calls: int) -> dict:
    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10, max_iter=2000)
    )
    start = time.perf_counter()
    pipeline.fit(train.raw, train.labels)
    fit_seconds = time.perf_counter() - start
    result = evaluate(test.labels, pipeline.predict(test.raw))
    p50, p99 = latency_ms(lambda t: pipeline.predict([t]), test.raw, calls)
    return {
        "model": "naive_baseline",
        "accuracy": round(result.accuracy, 4),
        "macro_f1": round(result.macro_f1, 4),
        "fit_seconds": round(fit_seconds, 2),
        "predict_p50_ms": round(p50, 4),
        "predict_p99_ms": round(p99, 4),
    }


def open_set(train, test, params: ModelParams, seed: int) -> list[dict]:
    """Hold 10 intents out, choose thresholds on in-set calibration rows only, score on test.

    Two abstention rules on the same fitted model: supportml's (the model's own top probability,
    threshold by a 70% Wilson lower bound on precision) and the plain one (calibrated top
    probability, threshold by the point estimate of precision).
    """
    intents = sorted(set(train.labels))
    held = set(np.random.default_rng(seed).choice(intents, size=10, replace=False).tolist())
    rows = [i for i, y in enumerate(train.labels) if y not in held]
    texts = [train.texts[i] for i in rows]
    labels = [str(train.labels[i]) for i in rows]
    parts = calibration_split(labels, seed)
    pick = lambda idx: ([texts[i] for i in idx], [labels[i] for i in idx])  # noqa: E731
    cal_texts, cal_labels = pick(parts.calibration)
    classifier, cal_probs, _ = TopicClassifier.fit_calibrated(
        *pick(parts.train), cal_texts, cal_labels, params
    )
    names = np.asarray(classifier.labels, dtype=object)
    cal_correct = names[cal_probs.argmax(axis=1)] == np.asarray(cal_labels, dtype=object)
    _, test_probs = classifier.predict(test.texts)
    predicted = names[test_probs.argmax(axis=1)]
    truth = np.asarray(test.labels, dtype=object)
    unseen = np.isin(truth, list(held))
    rules = {
        "supportml": (lambda probs: probs.max(axis=1), 0.7),
        "plain_max_probability": (lambda probs: probs.max(axis=1), 0.5),
    }
    lines = []
    for rule, (score, level) in rules.items():
        threshold = select_threshold(score(cal_probs), cal_correct, 0.97, level)
        answered = score(test_probs) >= threshold
        in_set = answered & ~unseen
        lines.append(
            {
                "check": "open_set",
                "seed": seed,
                "rule": rule,
                "held_out_abstained": round(float((~answered[unseen]).mean()), 4),
                "in_set_coverage": round(float(answered[~unseen].mean()), 4),
                "answered_in_set_accuracy": round(
                    float((predicted[in_set] == truth[in_set]).mean()), 4
                ),
                "threshold": round(threshold, 4),
                "held_out_intents": sorted(held),
            }
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/banking77"))
    parser.add_argument("--calls", type=int, default=3000, help="single-text predictions to time")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds choosing the held-out intents (the first is the headline one)",
    )
    args = parser.parse_args()
    train, test = (Corpus.read(args.data / name) for name in ("train.csv", "test.csv"))
    params = ModelParams()
    baseline = bench_baseline(train, test, min(args.calls, 1000))
    print(json.dumps(baseline), flush=True)
    ours = bench_ours(train, test, params, args.calls)
    print(json.dumps(ours), flush=True)
    print(
        json.dumps(
            {
                "ratio": "supportml / naive_baseline",
                "fit_seconds": round(ours["fit_seconds"] / baseline["fit_seconds"], 3),
                "predict_p50_ms": round(ours["predict_p50_ms"] / baseline["predict_p50_ms"], 3),
                "predict_p99_ms": round(ours["predict_p99_ms"] / baseline["predict_p99_ms"], 3),
                "accuracy_gain": round(ours["accuracy"] - baseline["accuracy"], 4),
            }
        ),
        flush=True,
    )
    for seed in args.seeds:
        for line in open_set(train, test, params, seed):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
