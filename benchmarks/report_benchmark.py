"""The full support report over a large store: `supportml.report.build_report` vs pandas.

Generates synthetic requests over 3 years (1,000,000 in a fresh SQLite file, 200,000 in a fresh
schema of the local PostgreSQL; one shown doc link for most suggested requests; every request's
message seen by the responder, plus 3% more messages it saw but never tracked; 5 stored thread
replies per request on average, 5,000,000 in SQLite, with each request's effort columns as
`effort.derive` computes them when replies are stored — checked on a sample), then times, in
the same run:
  (a) supportml: build_report for the whole 3 years (GROUP BYs in SQL, narrow numeric fetches,
      numpy percentiles and business hours), with the seconds per KPI group and its CPU
      seconds (this process's, SQLite's work included: a figure less bent by a shared machine);
  (b) baseline: what an analyst's notebook does: read_sql of every column of requests and
      doc_suggestions, then the same KPIs with pandas groupby (business hours with the same
      numpy function, so only data access and grouping differ).
  (c) the effort section ("Where support goes" by staff time) alone: ours (build_report's
      "effort" timing) vs two pandas baselines over the same tables: the notebook way, read_sql
      of requests and thread_replies and per-request effort rebuilt with groupby, and a
      stricter one that reads only the requests' stored effort columns and groups them.
Targets: the full report <= 10 s on SQLite for 1M requests with 5M replies (issues 6, 17); the
effort section <= 0.5x the stricter pandas baseline (issue 17).

--keep-db FILE keeps the generated SQLite store and reuses it while a stamp next to it says it
holds this --sqlite-rows from the same generator code (its schema migrated forward); anything
else fills it anew.

    python benchmarks/report_benchmark.py [--sqlite-rows 1000000] [--postgres-rows 200000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--keep-db FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _scratch import POSTGRES_URL, postgres_schema  # benchmarks/_scratch.py
from sqlalchemy import Engine

from supportml.business_time import business_seconds
from supportml.effort import EffortModel, Reply, derive
from supportml.ownership import Ownership
from supportml.report import BusinessHours, build_report
from supportml.report.kpis import NO_OWNER
from supportml.store import open_store
from supportml.store.db import connect, current_revision, head_revision, upgrade

TARGET_SQLITE = 10.0
TARGET_EFFORT_RATIO = 0.5
REPLIES_PER_REQUEST = 5
MODEL = EffortModel()  # the defaults: 5 min per staff reply, gaps under 30 min
STAFF = [f"US{i:03d}" for i in range(40)]
START = datetime(2023, 1, 2, tzinfo=UTC)
YEARS = 3
TOPICS = [f"topic-{i:02d}" for i in range(20)]
TEAMS = [f"team-{i:02d}" for i in range(15)]
OWNERS = {topic: f"platform-{i % 6}" for i, topic in enumerate(TOPICS[:18])}  # 2 unowned
# the ownership file a team would load, its topic map alone
OWNERSHIP = Ownership(Path("teams.yaml"), {}, {k.lower(): v for k, v in OWNERS.items()})
REPLY_COLUMNS = ("request_id", "workspace", "channel", "ts", "user_id", "is_staff", "posted_at",
                 "length")  # fmt: skip
EFFORT_COLUMNS = ("staff_replies", "staff_people", "turns", "handling_seconds", "staff_seconds")
COLUMNS = (
    "workspace", "channel", "ts", "requester_team", "text", "source", "created_at", "permalink",
    "predicted_topic", "confidence", "abstained", "docs_holdout", "final_topic", "label_source",
    "status", "first_response_at", "first_responder", "resolved_at", "resolution", "deleted",
    "updated_at",
)  # fmt: skip
ALL_COLUMNS = (*COLUMNS, *EFFORT_COLUMNS)


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
        missing = np.isnan(epoch).tolist()
        return [
            None if m else s.replace("T", " ") for m, s in zip(missing, text_.tolist(), strict=True)
        ]

    created_s, responded_s, resolved_s = stamp(created), stamp(responded), stamp(resolved)
    teams = rng.choice(TEAMS, n).tolist()
    channels = rng.choice(["C1", "C2", "C3"], n).tolist()
    label = rng.choice(["human", "form", "import"], n).tolist()
    created_, topic_, guess_ = created.tolist(), topic.tolist(), guess.tolist()
    resolution_ = resolution.tolist()
    predicted_, holdout_, confidence_ = predicted.tolist(), holdout.tolist(), confidence.tolist()
    rows = [  # plain Python values: indexing numpy arrays per element is 10x slower
        (
            "T1",
            channels[i],
            f"{created_[i]:.6f}",
            teams[i],
            f"request {i} about {topic_[i]}",
            "message",
            created_s[i],
            f"https://x.slack.com/archives/{channels[i]}/p{i}",
            guess_[i] if predicted_[i] else None,
            confidence_[i] if predicted_[i] else None,
            confidence_[i] < 0.4 if predicted_[i] else None,
            holdout_[i],
            topic_[i],
            label[i],
            "resolved" if resolution_[i] else "open",
            responded_s[i],
            "U1" if responded_s[i] else None,
            resolved_s[i],
            resolution_[i],
            False,
            created_s[i],
        )  # fmt: skip
        for i in range(n)
    ]
    return rows, linked


def _epoch(stamps: pd.Series) -> pd.Series:
    """Seconds since 1970 of aware datetimes, whatever unit pandas parsed them to."""
    return (stamps - pd.Timestamp(0, tz=UTC)).dt.total_seconds()


def thread_replies(rows: list[tuple], seed: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(replies, per-request effort): REPLIES_PER_REQUEST replies per request on average (a
    geometric count: many short threads, a few long ones), minutes apart, the first usually
    staff's; the effort as `effort.derive` computes it (MODEL), vectorised."""
    rng = np.random.default_rng(seed)
    n = len(rows)
    counts = rng.poisson(REPLIES_PER_REQUEST, n)
    deficit = int(REPLIES_PER_REQUEST * n - counts.sum())  # exactly 5 per request overall
    if deficit > 0:
        counts[:deficit] += 1
    elif deficit < 0:
        counts[np.flatnonzero(counts > 0)[:-deficit]] -= 1
    request = np.repeat(np.arange(1, n + 1), counts)
    m = len(request)
    first = np.r_[True, request[1:] != request[:-1]]
    created = _epoch(pd.to_datetime(pd.Series([r[6] for r in rows]), utc=True))
    gaps = rng.exponential(25 * 60, m)  # minutes to hours between replies
    start = np.cumsum(gaps)
    base = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    posted = created.to_numpy()[request - 1] + start - start[base] + gaps[base]
    staff = np.where(first, rng.random(m) < 0.85, rng.random(m) < 0.55)
    user = np.where(staff, rng.choice(STAFF, m), "UREQ")
    replies = pd.DataFrame(
        {"request_id": request, "posted": posted, "staff": staff, "user": user,
         "length": rng.integers(5, 400, m)}
    )  # fmt: skip
    return replies, effort_of(replies, created.to_numpy(), MODEL)


def effort_of(replies: pd.DataFrame, created: np.ndarray, model: EffortModel) -> pd.DataFrame:
    """Per request id (1..n): effort.derive's numbers with pandas groupby over the replies."""
    replies = replies.sort_values(["request_id", "posted"], kind="stable")
    rid, staff = replies["request_id"].to_numpy(), replies["staff"].to_numpy()
    first = np.r_[True, rid[1:] != rid[:-1]]
    before = np.where(first, False, np.r_[False, staff[:-1]])
    turns = pd.Series(staff != before).groupby(rid).sum()
    mine = replies[staff]
    srid, sposted = mine["request_id"].to_numpy(), mine["posted"].to_numpy()
    gap = np.r_[np.inf, np.diff(sposted)]
    gap[np.r_[True, srid[1:] != srid[:-1]]] = np.inf
    active = np.where(gap < model.gap_minutes * 60, gap, 0.0)
    by = mine.assign(active=active).groupby("request_id")
    out = pd.DataFrame(index=pd.RangeIndex(1, len(created) + 1, name="request_id"))
    out["staff_replies"] = by.size()
    out["staff_people"] = by["user"].nunique()
    out["turns"] = turns.where(out["staff_replies"].reindex(turns.index).notna())
    out["handling_seconds"] = by["posted"].max() - created[by["posted"].max().index - 1]
    out["staff_seconds"] = out["staff_replies"] * model.reply_minutes * 60 + by["active"].sum()
    out[["staff_replies", "staff_people", "turns", "staff_seconds"]] = out[
        ["staff_replies", "staff_people", "turns", "staff_seconds"]
    ].fillna(0)
    return out


def check_sample(replies: pd.DataFrame, effort: pd.DataFrame, rows: list[tuple]) -> None:
    """The vectorised effort equals effort.derive on 300 requests."""
    rng = np.random.default_rng(9)
    sample = rng.choice(effort.index, 300, replace=False)
    grouped = replies[replies["request_id"].isin(sample)].groupby("request_id")
    for rid in sample:
        created = datetime.fromisoformat(rows[rid - 1][6]).replace(tzinfo=UTC)
        thread = (
            [Reply(datetime.fromtimestamp(p, UTC), u, bool(s))
             for p, u, s in grouped.get_group(rid)[["posted", "user", "staff"]].to_numpy()]
            if rid in grouped.groups else []
        )  # fmt: skip
        want, got = derive(created, thread, MODEL), effort.loc[rid]
        assert want.staff_replies == got.staff_replies and want.turns == got.turns, rid
        assert want.staff_people == got.staff_people, rid
        assert abs(want.staff_seconds - got.staff_seconds) < 1e-3, rid
        if want.handling_seconds is not None:
            assert abs(want.handling_seconds - got.handling_seconds) < 1e-3, rid


def reply_tuples(rows: list[tuple], replies: pd.DataFrame) -> Iterator[tuple]:
    """thread_replies rows in REPLY_COLUMNS order (ts unique per channel; times as UTC text)."""
    stamps = np.datetime_as_string(
        (replies["posted"].to_numpy() * 1e6).astype("datetime64[us]"), unit="us"
    ).tolist()
    columns = (replies[c].tolist() for c in ("request_id", "posted", "staff", "user", "length"))
    for i, (rid, posted, staff, user, length) in enumerate(zip(*columns, strict=True)):
        request = rows[rid - 1]
        yield (rid, request[0], request[1], f"{posted:.6f}{i % 10}", user, staff,
               stamps[i].replace("T", " "), length)  # fmt: skip


def with_effort(rows: list[tuple], effort: pd.DataFrame) -> list[tuple]:
    """Each request row with its effort columns appended (EFFORT_COLUMNS order)."""
    values = effort[list(EFFORT_COLUMNS)].to_numpy(dtype=object)
    return [
        (*row, int(v[0]), int(v[1]), int(v[2]), None if v[3] != v[3] else float(v[3]),
         float(v[4]))
        for row, v in zip(rows, values, strict=True)
    ]  # fmt: skip


def seen_messages(rows: list[tuple], seed: int = 7) -> list[tuple]:
    """(workspace, channel, ts, seen_at): every request's message, and 3% never tracked."""
    rng = np.random.default_rng(seed)
    seen = [(row[0], row[1], row[2], row[6]) for row in rows]
    for i in rng.choice(len(rows), len(rows) * 3 // 100, replace=False):
        seen.append((rows[i][0], rows[i][1], f"{rows[i][2]}9", rows[i][6]))  # a ts of its own
    return seen


def fill_sqlite(
    engine: Engine, rows: list[tuple], linked: np.ndarray, replies: pd.DataFrame
) -> None:
    """executemany of tuples in one transaction (the fastest plain way into SQLite), with no
    journal, no syncing and a large page cache while it lasts (a crash only loses the
    benchmark's own file), and the schema's plain indexes built once afterwards from their own
    DDL instead of updated row by row; the store's WAL mode is restored afterwards."""
    placeholders = ", ".join("?" * len(ALL_COLUMNS))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        fast = {"journal_mode": "OFF", "synchronous": "OFF", "cache_size": "-1000000"}
        before = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in fast}
        for name, value in fast.items():
            cursor.execute(f"PRAGMA {name}={value}")
        indexes = cursor.execute(  # unique constraints' indexes have no sql: they stay
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        cursor.execute("BEGIN")
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.executemany(
            f"INSERT INTO requests ({', '.join(ALL_COLUMNS)}) VALUES ({placeholders})", rows
        )
        cursor.executemany(
            f"INSERT INTO thread_replies ({', '.join(REPLY_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(REPLY_COLUMNS))})",
            reply_tuples(rows, replies),
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
        for _name, sql in indexes:
            cursor.execute(sql)
        raw.commit()
        for name, value in before.items():
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        raw.close()


def fill_postgres(
    engine: Engine, rows: list[tuple], linked: np.ndarray, replies: pd.DataFrame
) -> None:
    """COPY, PostgreSQL's bulk path (times get an explicit UTC offset)."""

    def utc(value: object) -> object:
        return f"{value}+00" if isinstance(value, str) and value[:2] == "20" else value

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY requests ({', '.join(ALL_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([utc(v) if k in (6, 15, 17, 20) else v for k, v in enumerate(row)])
        with cursor.copy(f"COPY thread_replies ({', '.join(REPLY_COLUMNS)}) FROM STDIN") as copy:
            for reply in reply_tuples(rows, replies):
                copy.write_row([utc(v) if k == 6 else v for k, v in enumerate(reply)])
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


def _week(stamps: pd.Series) -> pd.Series:
    day = stamps.dt.tz_convert(None).dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date


def _effort_tables(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The effort section's numbers from a per-request frame (topic, created_at, resolution,
    staff_replies, staff_seconds, handling_seconds): per team and per topic, and per week."""
    frame = frame.assign(
        team=frame["topic"].str.lower().map({k.lower(): v for k, v in OWNERS.items()})
        .fillna(NO_OWNER),
        docs=frame["resolution"] == "docs", week=_week(frame["created_at"]),
        hours=frame["staff_seconds"] / 3600,
    )  # fmt: skip
    staffed = frame[(frame["staff_replies"] > 0) & frame["handling_seconds"].notna()]
    tables = {}
    for key in ("team", "topic"):
        grouped = frame.groupby(key).agg(
            requests=("topic", "size"), staff_replies=("staff_replies", "sum"),
            hours=("hours", "sum"), docs=("docs", "sum"),
        )  # fmt: skip
        minutes = np.floor(staffed["handling_seconds"] / 60)  # the report's whole minutes
        grouped["median_hours"] = minutes.groupby(staffed[key]).median() / 60
        weekly = frame.pivot_table(index="week", columns=key, values="hours", aggfunc="sum")
        slope = np.polyfit(np.arange(len(weekly)), weekly.fillna(0).to_numpy(), 1)[0]
        grouped["trend"] = pd.Series(slope / weekly.fillna(0).mean().to_numpy(), weekly.columns)
        tables[key] = grouped.sort_values("hours", ascending=False)
    tables["week"] = frame.groupby("week")[["staff_replies", "hours"]].sum()
    return tables


def pandas_effort(
    engine: Engine, since: datetime, until: datetime, from_replies: bool
) -> tuple[float, dict[str, pd.DataFrame]]:
    """The effort section with pandas: from the raw replies (the notebook way, each request's
    effort rebuilt with groupby) or from the requests' stored effort columns only."""
    start = time.perf_counter()
    columns = "id, final_topic, created_at, resolution, deleted"
    if not from_replies:
        columns += ", staff_replies, staff_seconds, handling_seconds"
    frame = pd.read_sql(f"SELECT {columns} FROM requests", engine)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    frame = frame[~frame["deleted"].astype(bool)]
    frame = frame[(frame["created_at"] >= since) & (frame["created_at"] < until)]
    if from_replies:
        replies = pd.read_sql("SELECT * FROM thread_replies", engine)
        posted = pd.to_datetime(replies["posted_at"], utc=True, format="ISO8601")
        thread = pd.DataFrame(
            {"request_id": replies["request_id"], "posted": _epoch(posted),
             "staff": replies["is_staff"].astype(bool), "user": replies["user_id"]}
        )  # fmt: skip
        created = np.full(int(frame["id"].max()) + 1, np.nan)
        created[frame["id"].to_numpy()] = _epoch(frame["created_at"]).to_numpy()
        effort = effort_of(thread, created[1:], MODEL)
        frame = frame.join(effort, on="id")
    frame["topic"] = frame["final_topic"].fillna("Unclassified (model unsure)")
    tables = _effort_tables(frame)
    return time.perf_counter() - start, tables


def generate_and_fill(kind: str, engine: Engine, n: int) -> dict[str, Any]:
    """A fresh store filled with n generated requests and their replies, links and messages."""
    start = time.perf_counter()
    rows, linked = synthetic(n)
    replies, effort = thread_replies(rows)
    check_sample(replies, effort, rows)
    rows = with_effort(rows, effort)
    (fill_sqlite if kind == "sqlite" else fill_postgres)(engine, rows, linked, replies)
    return {"links": int(linked.sum()), "replies": len(replies),
            "generate_and_insert_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip


def data_stamp(n: int) -> str:
    """What a kept database holds: the row count and a digest of the code and constants that
    generated it, so that any change to them fills a new one."""
    source = "".join(
        inspect.getsource(f)
        for f in (synthetic, thread_replies, effort_of, reply_tuples, with_effort, seen_messages,
                  fill_sqlite)
    )  # fmt: skip
    constants = repr((REPLIES_PER_REQUEST, MODEL, STAFF, START, YEARS, TOPICS, TEAMS, OWNERS))
    digest = hashlib.sha256((source + constants).encode()).hexdigest()[:16]
    return json.dumps({"rows": n, "generator": digest})


def kept_sqlite(path: Path, n: int) -> tuple[Engine, dict[str, Any]]:
    """The SQLite store at ``path`` if its stamp (next to it) says it holds this run's data
    (its schema brought up to date by the migrations), else a new one filled and stamped."""
    stamp = path.with_name(path.name + ".stamp")
    url = f"sqlite:///{path}"
    if path.exists() and stamp.exists() and stamp.read_text() == data_stamp(n):
        engine = connect(url)
        if current_revision(engine) != head_revision():
            upgrade(engine)
        with engine.connect() as connection:
            replies = connection.exec_driver_sql("SELECT count(*) FROM thread_replies").scalar()
            links = connection.exec_driver_sql("SELECT count(*) FROM doc_suggestions").scalar()
        return engine, {"links": links, "replies": replies, "reused": str(path)}
    for old in (stamp, path, *path.parent.glob(path.name + "-*")):  # -wal, -shm
        old.unlink(missing_ok=True)
    engine = open_store(url)
    filled = generate_and_fill("sqlite", engine, n)
    stamp.write_text(data_stamp(n))
    return engine, {**filled, "kept": str(path)}


def bench(kind: str, url: str, n: int, keep: Path | None = None) -> None:
    if keep is not None:
        engine, filled = kept_sqlite(keep, n)
    else:
        engine = open_store(url)
        filled = generate_and_fill(kind, engine, n)
    print(json.dumps({"db": kind, "rows": n, **filled}), flush=True)
    since, until = START, START + timedelta(days=YEARS * 365)
    start, cpu = time.perf_counter(), time.process_time()
    report = build_report(
        engine,
        since,
        until,
        now=until,
        ownership=OWNERSHIP,
    )
    ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.metrics["requests"].value == n
    print(
        json.dumps(
            {"db": kind, "run": "supportml build_report", "rows": n, "seconds": round(ours, 2),
             "cpu_seconds": round(ours_cpu, 2), "per_kpi_seconds": report.timings,
             **({"target_seconds": TARGET_SQLITE, "met": ours <= TARGET_SQLITE}
                if kind == "sqlite" else {})}
        ),
        flush=True,
    )  # fmt: skip
    effort_ours = report.timings["effort"]
    for from_replies in (False, True):
        seconds, tables = pandas_effort(engine, since, until, from_replies)
        check_effort(report, tables)
        name = (
            "read_sql thread_replies + requests, effort rebuilt"
            if from_replies
            else ("read_sql of the requests' effort columns")
        )
        print(
            json.dumps(
                {"db": kind, "run": "effort section", "ours_seconds": round(effort_ours, 3),
                 "baseline": f"pandas {name} + groupby", "baseline_seconds": round(seconds, 2),
                 "ratio": round(effort_ours / seconds, 3),
                 **({} if from_replies else {"target_ratio": TARGET_EFFORT_RATIO,
                                             "met": effort_ours / seconds <= TARGET_EFFORT_RATIO})}
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


def check_effort(report: Any, tables: dict[str, pd.DataFrame]) -> None:
    """The report's effort tables hold the pandas numbers (not just the same amount of work)."""
    for key in ("team", "topic"):
        breakdown = report.breakdowns[f"effort_by_{key}"]
        for row in breakdown.rows:
            got = dict(zip(breakdown.columns, row, strict=True))
            want = tables[key].loc[got[key]]
            assert got["requests"] == want.requests and got["staff_replies"] == want.staff_replies
            assert got["resolved_by_docs"] == want.docs, (key, got)
            assert abs(got["staff_hours"] - want.hours) < 1e-6 * max(1, want.hours), (key, got)
            assert abs(got["handling_median_hours"] - want.median_hours) < 1e-6, (key, got)
            assert got["weekly_trend"] is None or abs(got["weekly_trend"] - want.trend) < 1e-6
    weeks = report.breakdowns["effort_by_week"].rows
    assert np.allclose([r[3] for r in weeks], tables["week"]["hours"], rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-rows", type=int, default=200_000)
    parser.add_argument(
        "--postgres",
        default=POSTGRES_URL,
    )
    parser.add_argument(
        "--keep-db",
        type=Path,
        help="SQLite file to keep the generated store in and reuse on the next run with the same "
        "--sqlite-rows and generator (filled anew otherwise)",
    )
    args = parser.parse_args()
    if args.sqlite_rows and args.keep_db:
        bench("sqlite", "", args.sqlite_rows, keep=args.keep_db)
    elif args.sqlite_rows:
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite", f"sqlite:///{Path(tmp) / 'report.db'}", args.sqlite_rows)
    if args.postgres_rows:
        with postgres_schema(args.postgres) as url:
            bench("postgresql", url, args.postgres_rows)


if __name__ == "__main__":
    main()
