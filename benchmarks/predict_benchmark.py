"""Batch prediction of a backlog: `supportml predict --input … --out …` on 100,000 rows.

Trains on the bundled sample, writes a 100k-row backlog CSV drawn from its texts (so the abstention
count printed says nothing about quality, only the timing matters), then times, in the same run:
  (a) supportml: the CLI's batch path end to end (read CSV, normalise, predict, write CSV);
  (b) baseline: the same job with pandas + the naive TfidfVectorizer(1,2) + LogisticRegression
      pipeline predicting row by row, as a script calling a single-text API would (timed on a
      slice and scaled, since it takes minutes).

    python benchmarks/predict_benchmark.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from supportml.cli import cli
from supportml.data import load_requests
from supportml.model import ModelParams
from supportml.train import train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample_requests.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = load_requests(SAMPLE)
        train(data, ModelParams(), tmp / "model")
        raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
        rng = np.random.default_rng(0)
        backlog = raw.iloc[rng.integers(0, len(raw), args.rows)].drop(columns=["topic"])
        backlog["id"] = [f"bl-{i}" for i in range(args.rows)]
        src = tmp / "backlog.csv"
        backlog.to_csv(src, index=False)

        start = time.perf_counter()
        result = CliRunner().invoke(
            cli,
            [
                "predict",
                "--model",
                str(tmp / "model"),
                "--input",
                str(src),
                "--out",
                str(tmp / "out.csv"),
                "--json",
            ],
        )
        ours = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        written = pd.read_csv(tmp / "out.csv", dtype=str, keep_default_na=False)
        assert len(written) == args.rows and "predicted_topic" in written.columns

        naive = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10, max_iter=2000)
        )
        naive.fit(data.texts, data.labels)
        start = time.perf_counter()
        frame = pd.read_csv(src, dtype=str, keep_default_na=False).head(args.baseline_rows)
        frame["predicted_topic"] = [naive.predict([t])[0] for t in frame["text"]]
        frame.to_csv(tmp / "naive.csv", index=False)
        per_row = (time.perf_counter() - start) / len(frame)

    print(
        json.dumps(
            {
                "model": "supportml",
                "rows": args.rows,
                "seconds": round(ours, 2),
                "rows_per_second": round(args.rows / ours),
                "abstained": summary["abstained"],
            }
        )
    )
    print(
        json.dumps(
            {
                "model": "row_by_row_baseline",
                "rows_timed": args.baseline_rows,
                "seconds_for_all_rows": round(per_row * args.rows, 2),
                "rows_per_second": round(1 / per_row),
            }
        )
    )
    print(
        json.dumps(
            {
                "ratio": "supportml / baseline seconds",
                "value": round(ours / (per_row * args.rows), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
