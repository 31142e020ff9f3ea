"""Live follow-up rules: business hours waited, quiet hours (across midnight, in a zone with
daylight saving), reminder before escalation, and mentions that can never broadcast."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from supportml.business_time import BusinessHours, BusinessHoursError
from supportml.followup import (
    HORIZON,
    Due,
    Policy,
    QuietHours,
    Waiting,
    due,
    escalation_text,
    nobody,
    on_support,
    reminder_text,
)
from supportml.ownership import load_ownership
from supportml.vocabulary import FollowUpKind


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)  # 2 March 2026 is a Monday


def waiting(created: datetime, reminded: bool = False, escalated: bool = False, **kw) -> Waiting:
    fields = {"request_id": 1, "channel": "C0SUPPORT1", "thread_ts": "1.000100",
              "topic": "Access Request", "permalink": None, **kw}  # fmt: skip
    return Waiting(created_at=created, reminded=reminded, escalated=escalated, **fields)


def kinds(found: list[Due]) -> list[str]:
    return [item.kind.value for item in found]


def test_a_reminder_is_due_after_the_business_hours_not_the_calendar_hours():
    policy = Policy()  # 09:00-17:00 UTC, remind after the 3-hour acknowledgement target
    assert policy.remind_after == BusinessHours().target_hours == 3.0
    friday_4pm = waiting(at(6, 16))
    assert due([friday_4pm], policy, at(6, 23)) == []  # 7 calendar hours, 1 business hour
    assert due([friday_4pm], policy, at(9, 10, 59)) == []  # Monday: 2 h 59 min
    [item] = due([friday_4pm], policy, at(9, 11))
    assert item.kind == FollowUpKind.REMINDER and item.waited == pytest.approx(3.0)


def test_the_escalation_comes_only_after_the_reminder_and_the_second_period():
    policy = Policy(remind_after=3, escalate_after=6)
    assert kinds(due([waiting(at(2, 9))], policy, at(2, 16))) == ["reminder"]  # not both at once
    assert kinds(due([waiting(at(2, 9), reminded=True)], policy, at(2, 14))) == []
    assert kinds(due([waiting(at(2, 9), reminded=True)], policy, at(2, 15))) == ["escalation"]
    assert due([waiting(at(2, 9), reminded=True, escalated=True)], policy, at(3, 15)) == []
    assert due([waiting(at(2, 9), reminded=True)], Policy(), at(5, 15)) == []  # no escalation


def test_requests_older_than_the_horizon_are_left_alone():
    now = at(30, 12)
    assert due([waiting(now - HORIZON - timedelta(minutes=1))], Policy(), now) == []
    assert kinds(due([waiting(now - HORIZON + timedelta(days=1))], Policy(), now)) == ["reminder"]


def test_quiet_hours_across_midnight_hold_everything_back_until_they_end():
    quiet = QuietHours(time(19), time(8))
    assert quiet.holds(at(2, 23)) and quiet.holds(at(3, 7, 59)) and quiet.holds(at(2, 19))
    assert not quiet.holds(at(3, 8)) and not quiet.holds(at(2, 18, 59))
    # long hours so the reminder falls due in the evening
    policy = Policy(BusinessHours(time(8), time(22)), remind_after=3, quiet=quiet)
    request = waiting(at(2, 17))
    assert due([request], policy, at(2, 20)) == []  # due since 20:00, but quiet
    assert kinds(due([request], policy, at(3, 8))) == ["reminder"]  # goes out when it ends


def test_quiet_hours_follow_daylight_saving_in_their_zone():
    london = QuietHours(time(19), time(8), "Europe/London")
    # winter (GMT): 07:30 UTC is 07:30 local, quiet; summer (BST): 07:30 UTC is 08:30, not
    assert london.holds(at(2, 7, 30))
    assert not london.holds(at(1, 7, 30, month=6))
    # the night the clocks go forward (29 March 2026, 01:00 UTC): 18:30 UTC is 19:30 BST
    assert london.holds(at(29, 18, 30)) and not london.holds(at(28, 18, 30))


def test_business_hours_in_the_teams_zone_decide_when_a_reminder_is_due():
    new_york = Policy(BusinessHours(timezone="America/New_York"))
    request = waiting(at(2, 14))  # 09:00 EST on a Monday
    assert due([request], new_york, at(2, 16, 59)) == []
    assert kinds(due([request], new_york, at(2, 17))) == ["reminder"]
    # after the switch to daylight time (8 March 2026) 09:00 local is 13:00 UTC
    assert kinds(due([waiting(at(9, 13))], new_york, at(9, 16))) == ["reminder"]


def test_bad_policies_are_one_line_errors():
    with pytest.raises(BusinessHoursError, match="later than the reminder"):
        Policy(remind_after=3, escalate_after=2)
    with pytest.raises(BusinessHoursError, match="positive"):
        Policy(remind_after=0)
    with pytest.raises(BusinessHoursError, match="empty"):
        QuietHours(time(8), time(8))
    with pytest.raises(BusinessHoursError, match="Mars/Base"):
        QuietHours(time(19), time(8), "Mars/Base")


def test_the_reminder_mentions_only_a_user_id_and_escapes_the_topic():
    item = Due(waiting(at(2, 9), topic="<!here> & <@U1|x>"), FollowUpKind.REMINDER, 3.25)
    text = reminder_text(item, lambda topic: "U0ONCALL01")
    assert "<@U0ONCALL01>" in text and "3.2 business hours" in text
    assert "<!here>" not in text and "&lt;!here&gt; &amp; &lt;@U1|x&gt;" in text
    for hostile in ("!here", "!channel", "U1> <!channel", "S0GROUP01", ""):
        text = reminder_text(item, lambda topic, h=hostile: h)
        assert "<!" not in text and "<@" not in text, hostile
    assert "Could someone on support" in reminder_text(item, nobody)


def test_the_escalation_is_one_line_with_a_link_that_cannot_break_out():
    item = Due(waiting(at(2, 9), topic=None), FollowUpKind.ESCALATION, 6.0)
    text = escalation_text(item, "https://x.slack.com/archives/C0SUPPORT1/p1|<!here>", nobody)
    assert "\n" not in text and "<!here>" not in text
    assert "<https://x.slack.com/archives/C0SUPPORT1/p1%7C%3C%21here%3E|this request>" in text
    assert "<#C0SUPPORT1>" in text and "unclassified" in text


def test_on_support_asks_the_assigned_team_first_then_the_topics_owner(tmp_path):
    path = tmp_path / "teams.yaml"
    path.write_text(
        "teams:\n"
        "  - {name: Identity, topics: [Access Request], members: [U0IDENT001],\n"
        "     rotation: {order: [U0IDENT001], handover: Monday 09:00, timezone: UTC,\n"
        "                start: 2026-01-05}}\n"
        "  - {name: Delivery, topics: [CI Error], members: [U0DELIV001],\n"
        "     rotation: {order: [U0DELIV001], handover: Monday 09:00, timezone: UTC,\n"
        "                start: 2026-01-05}}\n",
        encoding="utf-8",
    )
    who = on_support(load_ownership(path))
    assert who(waiting(at(2, 9))) == "U0IDENT001"  # routed by its topic
    assert who(waiting(at(2, 9), team="Delivery")) == "U0DELIV001"  # a reassignment wins
    assert who(waiting(at(2, 9), topic="Unknown Topic")) is None
    item = Due(waiting(at(2, 9), team="Delivery"), FollowUpKind.REMINDER, 3.0)
    assert "<@U0DELIV001>" in reminder_text(item, who)
