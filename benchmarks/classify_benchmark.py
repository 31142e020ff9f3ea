"""Classifying a large stored history: `supportml classify` in SQLite and PostgreSQL.

Trains the model on datasets/sample_requests.csv, stores --rows requests made from the sample's
texts with variations (greetings, sign-offs, ticket numbers, environments), none labelled, then
times, in the same run, on a fresh SQLite file and a fresh schema of the local PostgreSQL:
  (a) supportml: `classify_store`, the function `supportml classify` calls (progress bar
      included): read in id order, model_text, the model's vectorised batch predict, one
      executemany UPDATE and one commit per batch; then a second run with the same model;
  (b) baseline: what a script usually does: pandas.read_sql of the unlabelled requests,
      model_text, the sklearn pipeline's predict_proba, then one UPDATE per row (one commit at
      the end). Timed on --baseline-rows requests of a separate fresh store and extrapolated
      linearly to --rows when fewer (the output says so).
Targets (issue 14): first run <= 30 s per database and <= 0.5x the baseline; the second run
changes nothing and takes <= 10 s. Model loading is outside every timing.

    python benchmarks/classify_benchmark.py [--rows 100000] [--baseline-rows 20000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from sqlalchemy import Engine, bindparam, func, select, update

from supportml.cli.classify import classify_store
from supportml.data import load_requests
from supportml.model import ModelParams
from supportml.store import open_store, transaction
from supportml.store.models import Request
from supportml.store.repository import insert_new_requests
from supportml.suggest import Suggester
from supportml.text import model_text, store_text
from supportml.train import train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_requests.csv"
TARGET_SECONDS = 30.0
TARGET_RATIO = 0.5
SECOND_RUN_TARGET = 10.0
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

OPENINGS = ("", "", "hi team, ", "hey all - ", "quick one: ", "morning! ", "urgent-ish: ")
ENDINGS = ("", "", " thanks!", " any ideas?", " cheers", " (blocking a release)")
ENVIRONMENTS = ("staging", "prod", "dev", "qa", "sandbox")


def history(rows: int, seed: int = 14) -> list[dict[str, Any]]:
    """Stored requests as an import leaves them: store_text'ed sample texts, varied."""
    frame = pd.read_csv(SAMPLE)
    texts = [store_text(t) for t in frame["text"].astype(str)]
    rng = random.Random(seed)
    made = []
    for i in range(rows):
        text = texts[i % len(texts)]
        if rng.random() < 0.3:
            text = text.replace("staging", rng.choice(ENVIRONMENTS))
        if rng.random() < 0.4:
            text += f" ticket {rng.randint(1000, 99999)}"
        made.append(
            {
                "workspace": "T1",
                "channel": f"C{i % 7}",
                "ts": f"{1767600000 + i}.{i % 1000:06d}",
                "text": rng.choice(OPENINGS) + text + rng.choice(ENDINGS),
                "source": "import",
                "created_at": T0 + timedelta(minutes=5 * i),
            }
        )
    return made


def fill(url: str, rows: list[dict[str, Any]]) -> tuple[Engine, float]:
    engine = open_store(url)
    start = time.perf_counter()
    for offset in range(0, len(rows), 10_000):
        with transaction(engine) as session:
            insert_new_requests(session, rows[offset : offset + 10_000])
    return engine, time.perf_counter() - start


def baseline(engine: Engine, suggester: Suggester) -> tuple[float, int]:
    """pandas in, the pipeline's predict_proba, one UPDATE statement per row."""
    classifier = suggester.classifier
    start = time.perf_counter()
    frame = pd.read_sql(
        select(Request.id, Request.text).where(
            Request.deleted.is_(False), Request.label_source.is_(None)
        ),
        engine,
    )
    texts = [model_text(t, suggester.redactor) for t in frame["text"]]
    probs = classifier.pipeline.predict_proba(texts)
    labels = np.asarray(classifier.pipeline.classes_, dtype=object)
    best = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    table = Request.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("rid"))
        .values(
            predicted_topic=bindparam("topic"),
            confidence=bindparam("conf"),
            abstained=bindparam("unsure"),
            model_version=suggester.model_version,
            final_topic=bindparam("final"),
            label_source=bindparam("b_source"),
        )
    )
    with engine.begin() as connection:
        for rid, topic, conf in zip(frame["id"], labels[best], confidence, strict=True):
            unsure = bool(conf < suggester.threshold)  # predict_proba is the abstention score
            row = {"rid": int(rid), "topic": str(topic), "conf": float(conf), "unsure": unsure}
            row |= (
                {"final": None, "b_source": None}
                if unsure
                else {"final": row["topic"], "b_source": "model"}
            )
            connection.execute(statement, row)
    return time.perf_counter() - start, len(frame)


def verdict(met: bool) -> str:
    return "PASS" if met else "NOT REACHED"


def bench(
    kind: str,
    url_for: Callable[[], AbstractContextManager[str]],
    rows: list[dict[str, Any]],
    baseline_rows: int,
    suggester: Suggester,
) -> None:
    with url_for() as url:
        engine, filled = fill(url, rows)
        print(json.dumps({"db": kind, "stored": len(rows), "insert_seconds": round(filled, 2)}))
        first = classify_store(engine, suggester)
        second = classify_store(engine, suggester)
        with transaction(engine) as session:
            done = session.scalar(
                select(func.count()).where(Request.model_version == suggester.model_version)
            )
        engine.dispose()
    with url_for() as url:
        engine, _ = fill(url, rows[:baseline_rows])
        base_seconds, base_n = baseline(engine, suggester)
        engine.dispose()
    extrapolated = base_seconds * len(rows) / base_n
    ratio = first.seconds / extrapolated
    changed = second.classified + second.abstained
    lines = [
        {
            "db": kind,
            "run": "supportml classify, first",
            "classified": first.classified,
            "abstained": first.abstained,
            "rows_with_this_model": done,
            "seconds": round(first.seconds, 2),
            "target_seconds": TARGET_SECONDS,
            "result": verdict(first.seconds <= TARGET_SECONDS),
        },
        {
            "db": kind,
            "run": "baseline: pandas, pipeline.predict_proba, UPDATE per row",
            "rows_timed": base_n,
            "seconds_timed": round(base_seconds, 2),
            "seconds_for_all": round(extrapolated, 2),
            "note": "measured on all rows"
            if base_n == len(rows)
            else f"extrapolated linearly from {base_n:,} rows to {len(rows):,}",
        },
        {
            "db": kind,
            "ratio": "supportml / baseline",
            "value": round(ratio, 3),
            "target": TARGET_RATIO,
            "result": verdict(ratio <= TARGET_RATIO),
        },
        {
            "db": kind,
            "run": "supportml classify, second (same model)",
            "changed": changed,
            "unchanged": second.unchanged,
            "seconds": round(second.seconds, 2),
            "target_seconds": SECOND_RUN_TARGET,
            "result": verdict(changed == 0 and second.seconds <= SECOND_RUN_TARGET),
        },
    ]
    for line in lines:
        print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        result = train(load_requests(SAMPLE), ModelParams(), root / "model")
        suggester = Suggester.from_card(result.classifier, result.card)
        print(
            json.dumps(
                {
                    "model": result.card.version,
                    "trained_on": SAMPLE.name,
                    "threshold": round(result.card.threshold, 4),
                    "seconds": round(time.perf_counter() - start, 2),
                }
            ),
            flush=True,
        )
        rows = history(args.rows)
        baseline_rows = min(args.baseline_rows, args.rows)
        counter = iter(range(1000))

        @contextmanager
        def sqlite_url() -> Iterator[str]:
            yield f"sqlite:///{root / f'store{next(counter)}.db'}"

        bench("sqlite", sqlite_url, rows, baseline_rows, suggester)
        bench("postgresql", lambda: postgres_schema(args.postgres), rows, baseline_rows, suggester)


if __name__ == "__main__":
    main()
