"""The effort estimate against threads worked out by hand (comments give each number's sum)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportml.config import ConfigError, Settings
from supportml.effort import Effort, EffortModel, Reply, derive
from supportml.messages import staff_reply

ASKED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return ASKED + timedelta(minutes=minutes)


# request 10:00 by UR; S1 10:10, UR 10:20, S1 10:25, S2 10:40, UR 11:30, S1 13:00 (given shuffled)
LONG = [
    Reply(at(25), "S1", True), Reply(at(10), "S1", True), Reply(at(20), "UR", False),
    Reply(at(180), "S1", True), Reply(at(40), "S2", True), Reply(at(90), "UR", False),
]  # fmt: skip


def test_a_long_thread_by_hand() -> None:
    effort = derive(ASKED, LONG, EffortModel(reply_minutes=5, gap_minutes=30))
    # turns: request(R) -> S -> R -> S, S -> R -> S = 5 changes of side
    # staff time: 4 replies x 5 min = 20 min; gaps 10:10->10:25 (15) and 10:25->10:40 (15) are
    # under 30 min, 10:40->13:00 (140) is not: 20 + 30 = 50 min
    assert effort == Effort(
        staff_replies=4, staff_people=2, turns=5, handling_seconds=3 * 3600, staff_seconds=50 * 60
    )


def test_the_model_knobs_change_only_the_staff_time() -> None:
    effort = derive(ASKED, LONG, EffortModel(reply_minutes=2, gap_minutes=150))
    # 4 x 2 min = 8; gaps 15 + 15 + 140 all under 150 min: 8 + 170 = 178 min
    assert effort.staff_seconds == 178 * 60
    assert (effort.staff_replies, effort.turns, effort.handling_seconds) == (4, 5, 3 * 3600)


def test_a_gap_of_exactly_the_limit_is_not_active_time() -> None:
    thread = [Reply(at(60), "S1", True), Reply(at(90), "S1", True)]
    effort = derive(ASKED, thread, EffortModel(reply_minutes=5, gap_minutes=30))
    # 2 x 5 min, the 30-minute gap is not under 30; one person; request -> staff = 1 turn
    assert effort == Effort(2, 1, 1, 90 * 60, 10 * 60)


@pytest.mark.parametrize(
    "thread",
    [[], [Reply(at(5), "UR", False), Reply(at(9), "UR", False)]],
    ids=["no replies", "only the requester's follow-ups"],
)
def test_no_staff_reply_is_no_effort(thread: list[Reply]) -> None:
    assert derive(ASKED, thread, EffortModel()) == Effort()


def test_staff_is_anyone_but_the_requester() -> None:
    assert staff_reply("U2", "U1") and staff_reply("U2", None)
    assert not staff_reply("U1", "U1") and not staff_reply(None, "U1")


def test_settings_read_the_effort_knobs() -> None:
    assert Settings.from_env({}).effort_model == EffortModel(5.0, 30.0)
    env = {"SUPPORTML_EFFORT_REPLY_MINUTES": "3", "SUPPORTML_EFFORT_GAP_MINUTES": "45"}
    assert Settings.from_env(env).effort_model == EffortModel(3.0, 45.0)
    with pytest.raises(ConfigError, match="SUPPORTML_EFFORT_GAP_MINUTES"):
        Settings.from_env({"SUPPORTML_EFFORT_GAP_MINUTES": "0"})
