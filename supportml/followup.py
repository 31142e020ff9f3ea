"""Live follow-up: which unanswered requests get a reminder in their thread, or an escalation, now.

A request still unanswered after ``remind_after`` business hours (the acknowledgement target by
default) gets one reminder mentioning whoever is on support for its topic; after
``escalate_after`` business hours, one line with its link goes to an escalation channel. Business
time is `supportml.business_time`'s rule, the one the report judges the target with, so a
reminder goes out exactly when the report would start counting the request as missed. Nothing
is posted during quiet hours (a local-time window, possibly across midnight): what fell due then
goes out when they end, if still unanswered.

Pure: the store (`repository.waiting_requests`, the claims) and Slack (`slack/followup.py`) are
the adapter's. Who is on support is a callable, so the ownership rotation plugs in unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from supportml.business_time import (
    BusinessHours,
    BusinessHoursError,
    business_seconds,
    check_timezone,
)
from supportml.config import ACK_TARGET_HOURS
from supportml.ownership import Ownership
from supportml.text import escape, slack_link
from supportml.vocabulary import FollowUpKind

# a waiting request -> the Slack user id to mention, or None: mention nobody
Who = Callable[["Waiting"], str | None]
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # what may go inside <@…>: never a broadcast
HORIZON = timedelta(days=14)  # older requests are not followed up (turning this on is quiet)


def nobody(request: Waiting) -> str | None:
    """The default `Who` without an ownership file: mention nobody."""
    return None


def on_support(ownership: Ownership) -> Who:
    """Whoever is on support *now* for the request's assigned team (a person's reassignment
    wins), else for its topic's owning team."""

    def who(request: Waiting) -> str | None:
        team = request.team or ownership.team_for(request.topic)
        return ownership.on_support(team, datetime.now(UTC)) if team else None

    return who


@dataclass(frozen=True)
class QuietHours:
    """A daily window in ``timezone`` when nothing is posted; ``start > end`` spans midnight."""

    start: time
    end: time
    timezone: str = "UTC"
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise BusinessHoursError(f"quiet hours {self.start}-{self.end}: the window is empty")
        object.__setattr__(self, "zone", check_timezone(self.timezone))

    def holds(self, moment: datetime) -> bool:
        """Whether the aware ``moment`` falls in the window (local wall-clock time)."""
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class Policy:
    """When to remind and escalate, in business hours since the request was created."""

    hours: BusinessHours = field(default_factory=BusinessHours)
    remind_after: float = ACK_TARGET_HOURS
    escalate_after: float | None = None  # None: no escalation
    quiet: QuietHours | None = None

    def __post_init__(self) -> None:
        if self.remind_after <= 0:
            raise BusinessHoursError(f"remind after {self.remind_after:g} h: must be positive")
        if self.escalate_after is not None and self.escalate_after <= self.remind_after:
            raise BusinessHoursError(
                f"escalate after {self.escalate_after:g} h: must be later than the reminder "
                f"({self.remind_after:g} h)"
            )

    def since(self, now: datetime) -> datetime:
        """The oldest creation time still followed up."""
        return now - HORIZON


@dataclass(frozen=True)
class Waiting:
    """An unanswered, unresolved live request (fields as `repository.waiting_requests` reads)."""

    request_id: int
    created_at: datetime
    channel: str
    thread_ts: str
    topic: str | None
    permalink: str | None
    reminded: bool  # its reminder was posted
    escalated: bool  # its escalation was posted
    team: str | None = None  # the assigned (owning) team, when routed


@dataclass(frozen=True)
class Due:
    """One follow-up to post now, and the business hours the request has waited."""

    request: Waiting
    kind: FollowUpKind
    waited: float


def due(waiting: Sequence[Waiting], policy: Policy, now: datetime) -> list[Due]:
    """The reminders and escalations to post at ``now``: none in quiet hours; a reminder once
    ``remind_after`` business hours passed; an escalation once ``escalate_after`` passed and the
    reminder is out (so the escalation never comes first). Requests past `HORIZON` are left."""
    if policy.quiet is not None and policy.quiet.holds(now):
        return []
    recent = [w for w in waiting if w.created_at >= policy.since(now)]
    if not recent:
        return []
    created = np.array([w.created_at.timestamp() for w in recent])
    waited = business_seconds(created, np.full(created.shape, now.timestamp()), policy.hours)
    found = []
    for request, hours in zip(recent, waited / 3600, strict=True):
        if not request.reminded and hours >= policy.remind_after:
            found.append(Due(request, FollowUpKind.REMINDER, float(hours)))
        elif (
            request.reminded
            and not request.escalated
            and policy.escalate_after is not None
            and hours >= policy.escalate_after
        ):
            found.append(Due(request, FollowUpKind.ESCALATION, float(hours)))
    return found


def mention(who: Who, request: Waiting) -> str | None:
    """``<@U…>`` for the person `who` names, or None; anything but a user id is never mentioned
    (a broadcast like ``!here`` or a group could otherwise be smuggled in)."""
    user = who(request)
    return f"<@{user}>" if user and USER_ID.match(user) else None


def _person_and_topic(item: Due, who: Who) -> tuple[str | None, str]:
    """Who is asked (a mention, or None) and the topic, escaped, as both follow-up texts show it."""
    topic = escape(item.request.topic) if item.request.topic else "unclassified"
    return mention(who, item.request), topic


def reminder_text(item: Due, who: Who) -> str:
    """The reminder in the thread (Slack mrkdwn): the wait, the topic, and who is asked."""
    person, topic = _person_and_topic(item, who)
    ask = f"{person}, could you take a look?" if person else "Could someone on support take a look?"
    return (
        f":hourglass: This request ({topic}) has waited {item.waited:.1f} business hours "
        f"without an answer. {ask}"
    )


def escalation_text(item: Due, link: str, who: Who) -> str:
    """The one line in the escalation channel: the wait, the topic, the thread link."""
    person, topic = _person_and_topic(item, who)
    on_support = f" (on support: {person})" if person else ""
    return (
        f":rotating_light: Unanswered for {item.waited:.1f} business hours: "
        f"{slack_link(link, 'this request')} in <#{item.request.channel}>, topic {topic}"
        f"{on_support}."
    )
