"""The full support report over a large store: `supportml.report.build_report` vs pandas.

Generates synthetic requests over 3 years (1,000,000 in a fresh SQLite file, 200,000 in a fresh
schema of the local PostgreSQL; one shown doc link for most suggested requests; every request's
message seen by the responder, plus 3% more messages it saw but never tracked), then times, in
the same run:
  (a) supportml: build_report for the whole 3 years (GROUP BYs in SQL, narrow numeric fetches,
      numpy percentiles and business hours), with the seconds per KPI group;
  (b) baseline: what an analyst's notebook does: read_sql of every column of requests and
      doc_suggestions, then the same KPIs with pandas groupby (business hours with the same
      numpy function, so only data access and grouping differ).
Target (issue 6): the full report <= 10 s on SQLite for 1M rows.

    python benchmarks/report_benchmark.py [--sqlite-rows 1000000] [--postgres-rows 200000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from sqlalchemy import Engine

from supportml.business_time import business_seconds
from supportml.report import BusinessHours, build_report
from supportml.store import open_store

TARGET_SQLITE = 10.0
START = datetime(2023, 1, 2, tzinfo=UTC)
YEARS = 3
TOPICS = [f"topic-{i:02d}" for i in range(20)]
TEAMS = [f"team-{i:02d}" for i in range(15)]
COLUMNS = (
    "workspace", "channel", "ts", "requester_team", "text", "source", "created_at", "permalink",
    "predicted_topic", "confidence", "abstained", "docs_holdout", "final_topic", "label_source",
    "status", "first_response_at", "first_responder", "resolved_at", "resolution", "deleted",
    "updated_at",
)  # fmt: skip


def synthetic(n: int, seed: int = 6) -> tuple[list[tuple], np.ndarray]:
    """Rows in COLUMNS order (times as UTC strings) and which rows get a shown doc link."""
    rng = np.random.default_rng(seed)
    span = YEARS * 365 * 86400
    created = START.timestamp() + np.sort(rng.uniform(0, span, n))
    responded = np.where(rng.random(n) < 0.8, created + rng.lognormal(8, 1.5, n), np.nan)
    resolved = np.where(rng.random(n) < 0.6, created + rng.lognormal(10, 1.2, n), np.nan)
    resolution = np.where(
        np.isnan(resolved), None, np.where(rng.random(n) < 0.2, "docs", "human")
    ).astype(object)
    predicted = rng.random(n) < 0.5
    weights = np.linspace(2, 0.2, len(TOPICS))  # a few busy topics, a long tail
    topic = rng.choice(TOPICS, n, p=weights / weights.sum())
    guess = np.where(rng.random(n) < 0.8, topic, rng.choice(TOPICS, n))
    confidence = rng.beta(5, 2, n)
    holdout = predicted & (rng.random(n) < 0.1)
    linked = predicted & ~holdout & (rng.random(n) < 0.85)

    def stamp(epoch: np.ndarray) -> list[str | None]:
        text_ = np.datetime_as_string((epoch * 1e6).astype("datetime64[us]"), unit="us")
        return [
            None if np.isnan(e) else s.replace("T", " ") for e, s in zip(epoch, text_, strict=True)
        ]

    created_s, responded_s, resolved_s = stamp(created), stamp(responded), stamp(resolved)
    teams = rng.choice(TEAMS, n)
    channels = rng.choice(["C1", "C2", "C3"], n)
    label = rng.choice(["human", "form", "import"], n)
    rows = [
        (
            "T1",
            channels[i],
            f"{created[i]:.6f}",
            teams[i],
            f"request {i} about {topic[i]}",
            "message",
            created_s[i],
            f"https://x.slack.com/archives/{channels[i]}/p{i}",
            guess[i] if predicted[i] else None,
            float(confidence[i]) if predicted[i] else None,
            bool(confidence[i] < 0.4) if predicted[i] else None,
            bool(holdout[i]),
            topic[i],
            label[i],
            "resolved" if resolution[i] else "open",
            responded_s[i],
            "U1" if responded_s[i] else None,
            resolved_s[i],
            resolution[i],
            False,
            created_s[i],
        )  # fmt: skip
        for i in range(n)
    ]
    return rows, linked


def seen_messages(rows: list[tuple], seed: int = 7) -> list[tuple]:
    """(workspace, channel, ts, seen_at): every request's message, and 3% never tracked."""
    rng = np.random.default_rng(seed)
    seen = [(row[0], row[1], row[2], row[6]) for row in rows]
    for i in rng.choice(len(rows), len(rows) * 3 // 100, replace=False):
        seen.append((rows[i][0], rows[i][1], f"{rows[i][2]}9", rows[i][6]))  # a ts of its own
    return seen


def fill_sqlite(engine: Engine, rows: list[tuple], linked: np.ndarray) -> None:
    """executemany of tuples in one transaction (the fastest plain way into SQLite)."""
    placeholders = ", ".join("?" * len(COLUMNS))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        cursor.executemany(
            f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows
        )
        ids = np.flatnonzero(linked) + 1  # ids follow insertion order in a fresh table
        cursor.executemany(
            "INSERT INTO doc_suggestions (request_id, doc_id, rank, score, shown_at) "
            "VALUES (?, 'doc-1', 1, 0.5, ?)",
            ((int(i), rows[i - 1][6]) for i in ids),
        )
        cursor.executemany(
            "INSERT INTO seen_messages (workspace, channel, ts, seen_at) VALUES (?, ?, ?, ?)",
            seen_messages(rows),
        )
        raw.commit()
    finally:
        raw.close()


def fill_postgres(engine: Engine, rows: list[tuple], linked: np.ndarray) -> None:
    """COPY, PostgreSQL's bulk path (times get an explicit UTC offset)."""

    def utc(value: object) -> object:
        return f"{value}+00" if isinstance(value, str) and value[:2] == "20" else value

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([utc(v) if k in (6, 15, 17, 20) else v for k, v in enumerate(row)])
        with cursor.copy(
            "COPY doc_suggestions (request_id, doc_id, rank, score, shown_at) FROM STDIN"
        ) as copy:
            for i in np.flatnonzero(linked) + 1:
                copy.write_row((int(i), "doc-1", 1, 0.5, utc(rows[i - 1][6])))
        with cursor.copy("COPY seen_messages (workspace, channel, ts, seen_at) FROM STDIN") as copy:
            for message in seen_messages(rows):
                copy.write_row((*message[:3], utc(message[3])))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def pandas_report(
    engine: Engine, since: datetime, until: datetime
) -> tuple[dict[str, float], dict[str, float]]:
    """The same KPIs the way a notebook does: every column into pandas, then groupby.

    Returns seconds per step and a few results to cross-check against build_report.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    frame = pd.read_sql("SELECT * FROM requests", engine)
    links = pd.read_sql("SELECT * FROM doc_suggestions", engine)
    seen = pd.read_sql("SELECT * FROM seen_messages", engine)
    for column in ("created_at", "first_response_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    seen["seen_at"] = pd.to_datetime(seen["seen_at"], utc=True, format="ISO8601")
    timings["read_sql"] = time.perf_counter() - start
    start = time.perf_counter()
    span = until - since
    live = frame[~frame["deleted"].astype(bool)]
    now = live[(live["created_at"] >= since) & (live["created_at"] < until)]
    before = live[(live["created_at"] >= since - span) & (live["created_at"] < since)]
    breakdowns = {
        key: now.groupby(key, dropna=False).agg(
            requests=("id", "size"),
            docs=("resolution", lambda s: (s == "docs").sum()),
            resolved=("resolved_at", "count"),
        )
        for key in ("final_topic", "requester_team", "source", "channel")
    }
    with_suggestion = now[now["predicted_topic"].notna()]
    breakdowns["docs_holdout"] = with_suggestion.groupby("docs_holdout").agg(
        requests=("id", "size"), docs=("resolution", lambda s: (s == "docs").sum())
    )
    previous = before.groupby("final_topic", dropna=False).size()
    weekly = now.groupby(now["created_at"].dt.tz_localize(None).dt.to_period("W")).agg(
        requests=("id", "size"), low=("confidence", lambda s: (s < 0.5).sum())
    )
    first = (now["first_response_at"] - now["created_at"]).dt.total_seconds() / 3600
    resolution = (now["resolved_at"] - now["created_at"]).dt.total_seconds() / 3600
    business = business_seconds(
        now["created_at"].astype("int64").to_numpy() / 1e9,
        now["first_response_at"].astype("int64").to_numpy() / 1e9,
        BusinessHours(),
    )
    unresolved = now[now["resolved_at"].isna() & now["resolution"].isna()]
    lost = unresolved[unresolved["created_at"] < until - timedelta(hours=24)]
    lost = lost.sort_values("created_at").head(100)
    suggested = now[now["predicted_topic"].notna() & ~now["docs_holdout"].astype(bool)]
    no_link = suggested[~suggested["id"].isin(links["request_id"])]
    judged = now[now["label_source"].isin(["human", "form"]) & now["predicted_topic"].notna()]
    judged = judged[~judged["abstained"].astype(bool)]
    confusion = judged[judged["predicted_topic"] != judged["final_topic"]]
    confusion = confusion.groupby(["final_topic", "predicted_topic"]).size().nlargest(20)
    keys = ["workspace", "channel", "ts"]
    period = seen[(seen["seen_at"] >= since) & (seen["seen_at"] < until)]
    matched = period.merge(frame[[*keys, "deleted", "created_at"]], on=keys, how="left")
    counted = matched[~(matched["deleted"] == 1)]  # NaN: no request for the message
    tracked = counted["created_at"].notna() & (counted["created_at"] >= since)
    tracked &= counted["created_at"] < until
    timings["kpis"] = time.perf_counter() - start
    assert len(breakdowns) == 5 and len(previous) >= 0 and len(weekly) and len(business)
    results = {
        "requests": len(now),
        "first_response_median_hours": float(first.median()),
        "resolution_p90_hours": float(resolution.quantile(0.9)),
        "no_link": len(no_link) / len(suggested),
        "agreement": float((judged["predicted_topic"] == judged["final_topic"]).mean()),
        "confusions": len(confusion),
        "tracked_automatically": float(tracked.sum() / len(counted)),
    }
    return timings, results


def bench(kind: str, url: str, n: int) -> None:
    engine = open_store(url)
    start = time.perf_counter()
    rows, linked = synthetic(n)
    (fill_sqlite if kind == "sqlite" else fill_postgres)(engine, rows, linked)
    del rows
    print(
        json.dumps(
            {"db": kind, "rows": n, "links": int(linked.sum()),
             "generate_and_insert_seconds": round(time.perf_counter() - start, 1)}
        ),
        flush=True,
    )  # fmt: skip
    since, until = START, START + timedelta(days=YEARS * 365)
    start = time.perf_counter()
    report = build_report(engine, since, until, now=until)
    ours = time.perf_counter() - start
    assert report.metrics["requests"].value == n
    print(
        json.dumps(
            {"db": kind, "run": "supportml build_report", "rows": n, "seconds": round(ours, 2),
             "per_kpi_seconds": report.timings,
             **({"target_seconds": TARGET_SQLITE, "met": ours <= TARGET_SQLITE}
                if kind == "sqlite" else {})}
        ),
        flush=True,
    )  # fmt: skip
    start = time.perf_counter()
    baseline_steps, expected = pandas_report(engine, since, until)
    baseline = time.perf_counter() - start
    for key, value in expected.items():
        if key in report.metrics:  # the same KPIs, not just the same amount of work
            assert abs(report.metrics[key].value - value) < 1e-6 * max(1, value), (key, value)
    print(
        json.dumps(
            {"db": kind, "run": "baseline pandas read_sql + groupby", "rows": n,
             "seconds": round(baseline, 2),
             "per_step_seconds": {k: round(v, 2) for k, v in baseline_steps.items()}}
        ),
        flush=True,
    )  # fmt: skip
    print(
        json.dumps(
            {
                "db": kind,
                "ratio": "supportml / baseline seconds",
                "value": round(ours / baseline, 3),
            }
        ),
        flush=True,
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-rows", type=int, default=200_000)
    parser.add_argument(
        "--postgres",
        default=POSTGRES_URL,
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{Path(tmp) / 'report.db'}", args.sqlite_rows)
    if args.postgres_rows:
        with postgres_schema(args.postgres) as url:
            bench("postgresql", url, args.postgres_rows)


if __name__ == "__main__":
    main()
