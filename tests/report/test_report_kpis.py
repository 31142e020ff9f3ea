"""KPIs on hand-computed data, on SQLite and PostgreSQL: percentiles, business hours, holdout,
filters, model quality, and an empty store that reports "no data" instead of failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from supportml.report import BusinessHours, Filters, ReportError, build_report, request_rows
from supportml.store import open_store, transaction
from supportml.store.models import Request, SeenMessage
from supportml.store.repository import claim_follow_up, record_suggestion, set_follow_up
from supportml.vocabulary import UNCLASSIFIED
from tests.report.conftest import SINCE, UNTIL, WEEK, at, insert, row


def value(report, key):
    return report.metrics[key].value


def test_volume_resolution_and_times(week_store):
    report = build_report(week_store, SINCE, UNTIL)
    assert value(report, "requests") == 7
    assert value(report, "resolved") == pytest.approx(4 / 7)
    assert value(report, "resolved_by_docs") == pytest.approx(2 / 7)
    # first replies after 0.5, 2, 18, 68, 45.5 h; p90 interpolates between 45.5 and 68
    assert value(report, "first_response_median_hours") == pytest.approx(18)
    assert value(report, "first_response_p90_hours") == pytest.approx(45.5 + 0.6 * 22.5)
    # business hours 0.5, 2, 2, 4, 0.5 (Friday 16:00 -> Monday 12:00 is 1 + 3 hours)
    assert value(report, "first_response_business_median_hours") == pytest.approx(2)
    # met: rows 1, 2, 3, 5; missed: row 4 (4 h) and row 6 (unanswered 16 h); row 7 undecided
    assert value(report, "acknowledged_within_target") == pytest.approx(4 / 6)
    # resolved after 2, 4, 46, 68 h
    assert value(report, "resolution_median_hours") == pytest.approx(25)
    assert value(report, "resolution_p90_hours") == pytest.approx(46 + 0.7 * 22)


def topic_rows(report) -> dict[str, dict[str, object]]:
    table = report.breakdowns["by_topic"]
    return {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}


def test_breakdowns_and_trend(week_store):
    report = build_report(week_store, SINCE, UNTIL)
    topics = topic_rows(report)
    ci = topics["CI Error"]
    assert (ci["requests"], ci["share"], ci["previous"]) == (3, pytest.approx(3 / 7), 1)
    assert ci["change"] == pytest.approx(2.0) and (ci["people"], ci["model"]) == (3, 0)
    assert (topics["Access"]["previous"], topics["Access"]["change"]) == (0, None)  # new
    assert topics["Access"]["docs_share"] == pytest.approx(0.5)  # one of two resolved by docs
    # rows 6 and 7: nobody labelled them and the model never saw them; never a bare "(none)"
    unsure = topics[UNCLASSIFIED]
    assert (unsure["requests"], unsure["people"], unsure["model"]) == (2, 0, 0)
    assert list(topics) == ["CI Error", "Access", UNCLASSIFIED]
    assert dict((r[0], r[1]) for r in report.breakdowns["by_team"].rows) == {
        "a": 3, "b": 2, "(no team)": 2,
    }  # fmt: skip
    assert dict((r[0], r[1]) for r in report.breakdowns["by_channel"].rows) == {"C1": 6, "C2": 1}
    assert [(str(r[0]), r[1]) for r in report.breakdowns["by_week"].rows] == [("2026-03-02", 7)]


def test_holdout_comparison_counts_only_requests_with_a_suggestion(week_store):
    holdout = build_report(week_store, SINCE, UNTIL).breakdowns["holdout"]
    assert holdout.rows == [] and holdout.note.startswith("no suggestions")  # imports only
    # the model suggested for rows 1 and 2 (links shown) and 4 and 5 (holdout); rows 3, 6, 7
    # (unresolved or without a suggestion) must not dilute the "links shown" group
    with transaction(week_store) as session:
        session.execute(
            update(Request)
            .where(Request.ts.in_([WEEK[i]["ts"] for i in (0, 1, 3, 4)]))
            .values(predicted_topic="CI Error", confidence=0.9, abstained=False)
        )
    rows = {r[0]: r[1:] for r in build_report(week_store, SINCE, UNTIL).breakdowns["holdout"].rows}
    shown, held = rows["links shown"], rows["holdout (no links)"]
    # shown: row 1 by a person after 2 h, row 2 by docs after 4 h
    assert shown == (2, pytest.approx(0.5), pytest.approx(0.5), pytest.approx(3))
    # holdout: row 4 by a person after 68 h, row 5 by docs after 46 h
    assert held == (2, pytest.approx(0.5), pytest.approx(0.5), pytest.approx(57))


def seen(engine, *messages: tuple[str, str, datetime]) -> None:
    """Record messages the responder saw, as (channel, ts, seen_at) in workspace T1."""
    with transaction(engine) as session:
        session.add_all(
            SeenMessage(workspace="T1", channel=channel, ts=ts, seen_at=seen_at)
            for channel, ts, seen_at in messages
        )


def test_tracked_automatically_is_tracked_requests_over_messages_seen(week_store):
    def message(i: int) -> tuple[str, str, datetime]:  # WEEK[i], seen a second after it was sent
        return WEEK[i]["channel"], WEEK[i]["ts"], WEEK[i]["created_at"] + timedelta(seconds=1)

    seen(
        week_store,
        *(message(i) for i in (0, 1, 2, 5, 6)),  # rows 1, 2, 3 (C2), 6, 7: tracked
        ("C1", "99.000001", at(3, 11)),  # seen, never tracked (the responder failed on it)
        ("C2", "99.000002", at(4, 11)),  # seen, never tracked
        message(7),  # the deleted request: left out of both counts
        message(8),  # seen in the previous period
        message(9),  # seen in the next period
    )  # rows 4 and 5 were imported, never seen: they count in neither
    assert value(build_report(week_store, SINCE, UNTIL), "tracked_automatically") == (
        pytest.approx(5 / 7)
    )
    c1 = build_report(week_store, SINCE, UNTIL, Filters(channel="C1"))
    assert value(c1, "tracked_automatically") == pytest.approx(4 / 5)
    c2 = build_report(week_store, SINCE, UNTIL, Filters(channel="C2"))
    assert value(c2, "tracked_automatically") == pytest.approx(1 / 2)
    for filters in (Filters(team="a"), Filters(topic="CI Error")):
        tracked = build_report(week_store, SINCE, UNTIL, filters).metrics["tracked_automatically"]
        assert tracked.value is None and "team or topic filter" in tracked.note


def test_tracked_automatically_needs_the_message_seen_in_the_period(week_store):
    # row 1 was sent in the period but the responder only saw it after the period ended
    seen(week_store, (WEEK[0]["channel"], WEEK[0]["ts"], UNTIL), ("C1", "99.1", at(2, 9)))
    assert value(build_report(week_store, SINCE, UNTIL), "tracked_automatically") == 0
    later = build_report(week_store, SINCE, datetime(2026, 3, 16, tzinfo=UTC))
    assert value(later, "tracked_automatically") == pytest.approx(1 / 2)


def test_open_requests_list_the_oldest_with_age_in_days_and_a_link(week_store):
    report = build_report(week_store, SINCE, UNTIL, open_after_hours=24)
    assert value(report, "open_older") == 2  # rows 3 and 6; row 7 is 4 hours old
    assert value(report, "unanswered_older") == 1
    listed = report.breakdowns["open_requests"].rows
    assert [r[5] for r in listed] == ["yes", "no"]  # row 3 (Tuesday) before row 6 (Thursday)
    assert listed[1][6] == "https://example.slack.com/archives/C1/p6"
    assert listed[1][1] == pytest.approx(3.6)  # Thursday 09:00 to Monday 00:00: 87 h
    assert listed[1][4] == UNCLASSIFIED


def test_open_list_builds_a_thread_link_from_the_slack_domain(database_url):
    engine = open_store(database_url)
    insert(engine, [row(at(2, 9), ts="1772442000.123456"), row(at(2, 10), permalink="https://x/p")])
    plain = build_report(engine, SINCE, UNTIL).breakdowns["open_requests"].rows
    assert [r[6] for r in plain] == [None, "https://x/p"]  # no domain known: no link
    linked = build_report(engine, SINCE, UNTIL, slack_domain="acme").breakdowns["open_requests"]
    assert [r[6] for r in linked.rows] == [
        "https://acme.slack.com/archives/C1/p1772442000123456", "https://x/p",
    ]  # fmt: skip
    engine.dispose()


def test_open_list_keeps_the_20_oldest(database_url):
    engine = open_store(database_url)
    insert(engine, [row(at(2, 0, minute)) for minute in range(25)])
    listed = build_report(engine, SINCE, UNTIL).breakdowns["open_requests"].rows
    assert [r[0] for r in listed] == [at(2, 0, minute) for minute in range(20)]
    engine.dispose()


def test_filters_narrow_every_kpi(week_store):
    team = build_report(week_store, SINCE, UNTIL, Filters(team="b"))
    assert value(team, "requests") == 2
    assert value(team, "first_response_median_hours") == pytest.approx((18 + 45.5) / 2)
    topic = build_report(week_store, SINCE, UNTIL, Filters(topic="CI Error"))
    assert [r[:3] for r in topic.breakdowns["by_topic"].rows] == [
        ("CI Error", 3, pytest.approx(1.0))
    ]
    unsure = build_report(week_store, SINCE, UNTIL, Filters(topic=UNCLASSIFIED))
    assert value(unsure, "requests") == 2  # the filter matches the effective topic
    channel = build_report(week_store, SINCE, UNTIL, Filters(channel="C2"))
    assert value(channel, "requests") == 1
    assert value(channel, "open_older") == 1


def test_acknowledgement_target_is_configurable(week_store):
    report = build_report(week_store, SINCE, UNTIL, hours=BusinessHours(target_hours=4))
    assert value(report, "acknowledged_within_target") == pytest.approx(5 / 6)


def test_model_quality_and_no_link_requests(database_url):
    engine = open_store(database_url)
    labelled = [
        ("A", "human", "A", 0.9, False, [("doc-1", 0.5)]),  # agrees
        ("A", "human", "B", 0.8, False, [("doc-2", 0.4)]),  # confused A -> B
        ("B", "form", "B", 0.4, False, []),  # agrees, low confidence, no link
        ("B", "human", "A", 0.2, True, []),  # abstained: not judged, no link
        ("A", "import", "B", 0.7, False, []),  # imported label: not judged; holdout
    ]
    insert(
        engine,
        [
            row(at(2, 10 + i), final_topic=topic, label_source=source, text=f"r{i}")
            for i, (topic, source, *_rest) in enumerate(labelled)
        ]
        + [row(at(3, 10), text="never suggested")],
    )
    with transaction(engine) as session:
        for i, (_topic, _source, predicted, confidence, abstained, links) in enumerate(labelled):
            request = session.query(Request).filter_by(text=f"r{i}").one()
            record_suggestion(
                session, request, topic=predicted, confidence=confidence, abstained=abstained,
                model_version="v1", links=links, holdout=i == 4,
            )  # fmt: skip
    report = build_report(engine, SINCE, UNTIL)
    assert value(report, "suggested") == 5
    assert value(report, "abstention_rate") == pytest.approx(1 / 5)
    assert value(report, "agreement") == pytest.approx(2 / 3)
    assert report.breakdowns["confusion"].rows == [("A", "B", 1)]
    assert report.breakdowns["by_week"].rows[0][2:] == (5, pytest.approx(2 / 5))
    assert value(report, "no_link") == pytest.approx(2 / 4)
    assert sorted(r[2] for r in report.breakdowns["no_link_requests"].rows) == ["A", "B"]
    engine.dispose()


def test_empty_store_reports_no_data(database_url):
    engine = open_store(database_url)
    report = build_report(engine, SINCE, UNTIL)
    assert value(report, "requests") == 0
    for key in ("resolved_by_docs", "first_response_median_hours", "agreement", "no_link"):
        assert value(report, key) is None and report.metrics[key].note
    assert all(not b.rows and b.note for b in report.breakdowns.values())
    tracked = report.metrics["tracked_automatically"]
    assert tracked.value is None and "responder saw no messages" in tracked.note
    assert value(report, "reminders_sent") is None and report.metrics["reminders_sent"].note
    assert list(request_rows(engine, SINCE, UNTIL)) == []
    engine.dispose()


def test_request_rows_stream_the_period(week_store):
    rows = list(request_rows(week_store, SINCE, UNTIL, Filters(team="a")))
    assert [r[4] for r in rows] == [at(2, 10), at(2, 10), at(6, 16)]


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (UNTIL, SINCE, "must be before"),
        (datetime(2026, 3, 2), UNTIL, "time zone"),
    ],
)
def test_bad_periods_are_user_errors(tmp_path, since, until, message):
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(ReportError, match=message):
        build_report(engine, since, until)


def test_report_is_judged_no_later_than_now(week_store):
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)  # Thursday noon: row 6 waits 3 business hours
    report = build_report(week_store, SINCE, UNTIL, now=now)
    assert report.as_of == now
    assert value(report, "unanswered_older") == 0


def test_reminders_and_escalations_sent_count_posted_ones_for_the_periods_requests(week_store):
    with transaction(week_store) as session:
        ids = {
            created: request_id
            for request_id, created in session.execute(select(Request.id, Request.created_at))
        }
        lease, posted = timedelta(minutes=2), at(5, 12)
        for created, kind, done in [
            (at(5, 9), "reminder", True),  # request 6: reminded and escalated
            (at(5, 9), "escalation", True),
            (at(8, 20), "reminder", False),  # request 7: claimed, never posted: not sent
            (at(9, 10), "reminder", True),  # the week after: another period's request
        ]:
            claim_follow_up(session, ids[created], kind, "me", posted, lease)
            if done:
                set_follow_up(session, ids[created], kind, "1.000200", posted)
    report = build_report(week_store, SINCE, UNTIL)
    assert value(report, "reminders_sent") == 1 and value(report, "escalations_sent") == 1
    on_c2 = build_report(week_store, SINCE, UNTIL, Filters(channel="C2"))
    assert value(on_c2, "reminders_sent") == 0
