"""'Where support goes' by staff time: the report's numbers against plain SQL over a hand-built
store of three weeks (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import numpy as np
import pytest
from sqlalchemy import Engine, event, text

from supportml.ownership import Ownership
from supportml.report import build_report, render
from supportml.report.digest import digest_blocks
from supportml.report.kpis import NO_OWNER, owning_teams, weekly_trend
from supportml.store import open_store
from supportml.vocabulary import UNCLASSIFIED
from tests.report.conftest import insert, row

SINCE = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
UNTIL = SINCE + timedelta(weeks=3)
OWNERS = {"ci error": "Build", "deploy": "Build", "access": "Identity"}  # topics in any case


def owning(owners: dict[str, str]) -> Ownership:
    """An ownership file's topic map alone (the loader lower-cases topics the same way)."""
    return Ownership(
        Path("teams.yaml"), {}, {topic.lower(): team for topic, team in owners.items()}
    )


def effort(created: datetime, replies: int, minutes: float, span_hours: float | None, **more):
    return row(created, staff_replies=replies, staff_people=min(replies, 1), turns=replies,
               staff_seconds=minutes * 60, handling_seconds=None if span_hours is None
               else span_hours * 3600, **more)  # fmt: skip


def day(week: int, n: int = 0) -> datetime:
    return SINCE + timedelta(weeks=week, days=n % 5, hours=10)


STORE = [
    # CI Error: staff time rising over the weeks; one resolved by docs
    *(effort(day(w, k), 2, 30 * (w + 1), 4.0 + k, final_topic="CI Error", label_source="human")
      for w in range(3) for k in range(2)),
    effort(day(1), 1, 5, 1.0, final_topic="CI Error", label_source="human", resolution="docs",
           resolved_at=day(1) + timedelta(hours=1)),
    # Access: much staff time, no doc resolved any
    *(effort(day(w, 3), 4, 120, 20.0, final_topic="Access", label_source="form") for w in range(3)),
    # Deploy: a little, the model's topic; Billing: owned by nobody; unclassified ones
    *(effort(day(2, k), 1, 10, 0.5, final_topic="Deploy", label_source="model",
             resolution="docs") for k in range(2)),
    effort(day(0, 2), 3, 45, 6.0, final_topic="Billing", label_source="human"),
    effort(day(0, 4), 1, 5, 2.0),
    effort(day(1, 3), 2, 0, 20 + 59.5 / 3600, final_topic="Access", label_source="form"),
    row(day(1, 4)),  # no staff reply at all
    effort(day(5), 9, 900, 1.0, final_topic="Access", label_source="form"),  # after the period
    effort(day(1), 9, 900, 1.0, final_topic="Access", deleted=True),  # deleted
]  # fmt: skip

SQL_TOPIC = "coalesce(final_topic, 'Unclassified (model unsure)')"
SQL_TEAM = (
    f"CASE lower({SQL_TOPIC}) WHEN 'ci error' THEN 'Build' WHEN 'deploy' THEN 'Build' "
    f"WHEN 'access' THEN 'Identity' ELSE '{NO_OWNER}' END"
)
WHERE = "deleted = false AND created_at >= :since AND created_at < :until"


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    engine = open_store(database_url)
    insert(engine, STORE)
    yield engine
    engine.dispose()


def plain(engine: Engine, group: str) -> dict[str, tuple]:
    """(requests, staff replies, staff hours, docs) per group, by hand-written SQL."""
    query = text(
        f"SELECT {group}, count(*), sum(staff_replies), sum(staff_seconds) / 3600.0, "
        f"sum(CASE WHEN resolution = 'docs' THEN 1 ELSE 0 END) FROM requests "
        f"WHERE {WHERE} GROUP BY {group}"
    )
    with engine.connect() as connection:
        return {
            str(g): (int(n), int(r), float(h), int(d))
            for g, n, r, h, d in connection.execute(query, {"since": SINCE, "until": UNTIL})
        }


def spans(engine: Engine, group: str) -> dict[str, float]:
    """Median hours to the last staff reply per group, the spans counted in whole minutes."""
    query = text(
        f"SELECT {group}, handling_seconds FROM requests WHERE {WHERE} "
        "AND staff_replies > 0 AND handling_seconds IS NOT NULL"
    )
    found: dict[str, list[float]] = {}
    with engine.connect() as connection:
        for g, seconds in connection.execute(query, {"since": SINCE, "until": UNTIL}):
            found.setdefault(str(g), []).append(math.floor(seconds / 60) / 60)
    return {g: median(v) for g, v in found.items()}


@pytest.mark.parametrize(("key", "group"), [("team", SQL_TEAM), ("topic", SQL_TOPIC)])
def test_per_team_and_topic_equal_plain_sql(store: Engine, key: str, group: str) -> None:
    report = build_report(store, SINCE, UNTIL, now=UNTIL, ownership=owning(OWNERS))
    table = report.breakdowns[f"effort_by_{key}"]
    got = {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}
    expected, medians = plain(store, group), spans(store, group)
    total = sum(h for _n, _r, h, _d in expected.values())
    assert set(got) == set(expected)
    for name, (n, replies, hours, docs) in expected.items():
        r = got[name]
        assert (r["requests"], r["staff_replies"], r["resolved_by_docs"]) == (n, replies, docs)
        assert r["staff_hours"] == pytest.approx(hours)
        assert r["staff_share"] == pytest.approx(hours / total)
        assert r["handling_median_hours"] == pytest.approx(medians[name])
    ordered = [r["staff_hours"] for r in got.values()]
    assert ordered == sorted(ordered, reverse=True)
    assert report.metrics["staff_hours"].value == pytest.approx(total)
    if key == "topic":
        assert got["Billing"]["team"] == NO_OWNER and got["Deploy"]["team"] == "Build"


def test_top_problem_areas_rank_staff_time_with_doc_gaps(store: Engine) -> None:
    report = build_report(store, SINCE, UNTIL, now=UNTIL, ownership=owning(OWNERS))
    top = report.breakdowns["effort_top_areas"]
    topics = [r[1] for r in top.rows]
    # Access 3 x 2 h = 6 h; CI Error 2 x (0.5 + 1 + 1.5) h + 5 min = 6.08 h; Billing 0.75 h;
    # Deploy 2 x 10 min; Unclassified (5 min) is left out
    assert topics == ["CI Error", "Access", "Billing", "Deploy"]
    status = {r[1]: r[-1] for r in top.rows}
    assert status["Access"] == status["Billing"] == "no doc resolved any request"
    assert status["Deploy"] == "docs resolve some"  # 2 of 2 by docs, above 3 of 16 overall
    assert status["CI Error"] == "docs resolve fewer than average"  # 1 of 7
    total = 6 + 6 + 5 / 60 + 0.75 + 20 / 60 + 5 / 60
    share = (total - 5 / 60) / total
    assert top.rows[-1][5] == pytest.approx(share)  # cumulative share of the last area
    assert report.metrics["top_areas_staff_share"].value == pytest.approx(share)
    assert top.note == (
        f"These 4 topics took {share * 100:.0f}% of staff time; 2 of them have no doc that "
        "resolved anything."
    )


def test_without_an_ownership_map_everything_is_unowned(store: Engine) -> None:
    report = build_report(store, SINCE, UNTIL, now=UNTIL)
    assert [r[0] for r in report.breakdowns["effort_by_team"].rows] == [NO_OWNER]


def test_weekly_trend_is_the_slope_relative_to_the_mean_week() -> None:
    hours = [[1.0, 2.0, 0.0], [2.0, 2.0, 0.0], [3.0, 2.0, 0.0]]
    rising, flat, none = weekly_trend(np.array(hours))
    assert rising == pytest.approx(0.5) and flat == pytest.approx(0) and np.isnan(none)
    assert np.isnan(weekly_trend(np.ones((2, 2)))).all()  # fewer than three weeks


def test_the_section_leads_every_format(store: Engine, tmp_path) -> None:
    report = build_report(store, SINCE, UNTIL, now=UNTIL, ownership=owning(OWNERS))
    markdown = render.to_markdown(report)
    details = markdown.index("## Details")
    for key in ("effort_top_areas", "effort_by_team", "effort_by_topic"):
        title = report.breakdowns[key].title
        assert 0 < markdown.index(f"## {title}") < details
    page = render.to_html(report)
    assert page.index("Top problem areas") < page.index("<h2>Details</h2>")
    assert "These 4 topics took" in page
    assert "effort_by_team" in render.to_json(report)
    written = {p.name for p in render.write_csv(report, tmp_path, [])}
    assert {"effort_top_areas.csv", "effort_by_team.csv", "effort_by_week.csv"} <= written


def test_a_period_without_requests_has_empty_tables(store: Engine) -> None:
    report = build_report(store, UNTIL + timedelta(weeks=9), UNTIL + timedelta(weeks=10))
    assert report.breakdowns["effort_by_team"].rows == []
    assert report.breakdowns["effort_top_areas"].rows == []
    assert report.metrics["staff_hours"].value == 0


def test_the_digest_lists_the_top_problem_areas(store: Engine) -> None:
    report = build_report(store, SINCE, UNTIL, now=UNTIL, ownership=owning(OWNERS))
    table = report.breakdowns["effort_top_areas"]
    sections = [b["text"]["text"] for b in digest_blocks(report) if b["type"] == "section"]
    areas = next(text for text in sections if text.startswith("*Top problem areas"))
    assert table.note in areas
    for area in table.rows:  # every area, in rank order, with its team and doc status
        assert f"• {area[1]} ({area[2]}):" in areas and area[8] in areas
    ranks = [areas.index(f"• {area[1]} (") for area in table.rows]
    assert ranks == sorted(ranks)


def test_without_captured_replies_the_digest_has_no_problem_areas(store: Engine) -> None:
    report = build_report(store, UNTIL, UNTIL + timedelta(days=7), now=UNTIL + timedelta(days=7))
    texts = [b["text"]["text"] for b in digest_blocks(report) if b["type"] == "section"]
    assert not any(text.startswith("*Top problem areas") for text in texts)


def test_the_owning_team_is_the_assigned_one_else_the_topics_owner() -> None:
    got = owning_teams(
        ["CI Error", "Ärger", "Billing", "Access", UNCLASSIFIED],
        ["Platform", None, None, float("nan"), None],  # NaN: pandas' missing value
        owning({**OWNERS, "ärger": "Identity"}),  # any case, not only ASCII
    )
    assert got == ["Platform", "Identity", NO_OWNER, "Identity", NO_OWNER]
    assert owning_teams([UNCLASSIFIED, "Access"], [None, "Build"], None) == [NO_OWNER, "Build"]


def test_sqlite_reads_the_report_indexes_in_group_order(store: Engine) -> None:
    """Migration 0010's indexes match the report's expressions: its three largest GROUP BYs
    read them whole or by day range, nothing sorted (a changed expression, or a bound
    parameter where the index has a literal, would bring the sort back)."""
    if store.dialect.name != "sqlite":
        pytest.skip("PostgreSQL aggregates with hash tables; the indexes are SQLite's")
    grouped: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "GROUP BY" in statement:
            grouped.append((statement, parameters))

    event.listen(store, "before_cursor_execute", grab)
    try:
        build_report(store, SINCE, UNTIL, now=UNTIL, ownership=owning(OWNERS))
    finally:
        event.remove(store, "before_cursor_execute", grab)
    with store.connect() as connection:
        plans = [
            " | ".join(r[3] for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {q}", p))
            for q, p in grouped
        ]
    indexes = {
        "ix_requests_effort_by_day": "SEARCH",  # range-searched by the period's days
        "ix_requests_handling_minute": "SCAN",  # the period spans most of this store
        "ix_requests_volume": "SCAN",
    }
    for index, how in indexes.items():
        (plan,) = [plan for plan in plans if f"INDEX {index} " in f"{plan} "]
        assert plan.startswith(f"{how} requests USING COVERING INDEX {index}"), plan
        assert "TEMP B-TREE" not in plan, plan
