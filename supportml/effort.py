"""How much staff work a request took, estimated from its thread (pure: replies in, numbers out).

Slack records when people replied, not how long they worked, so the staff time here is an
estimate with a stated model (`EffortModel`): every staff reply costs a fixed number of minutes
(reading the thread, writing the answer), and two consecutive staff replies closer than a gap
count the time between them as active too (someone stayed on the thread). Whatever happens
outside the thread — direct messages, calls, pairing, reading logs — is invisible and not
counted; README.md ("Effort") says why this is an estimate and what it leaves out.

The store keeps each request's `Effort` (computed when its replies are stored, recomputed by
`supportml db refresh-effort`), so the report sums columns instead of re-reading every reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

DEFAULT_REPLY_MINUTES = 5.0  # one staff reply: reading the thread and writing the answer
DEFAULT_GAP_MINUTES = 30.0  # staff replies closer than this: the time between was work too


@dataclass(frozen=True)
class EffortModel:
    """The estimate's two knobs (SUPPORTML_EFFORT_REPLY_MINUTES, SUPPORTML_EFFORT_GAP_MINUTES)."""

    reply_minutes: float = DEFAULT_REPLY_MINUTES
    gap_minutes: float = DEFAULT_GAP_MINUTES

    def describe(self) -> str:
        return (
            f"{self.reply_minutes:g} min per staff reply + the time between consecutive staff "
            f"replies less than {self.gap_minutes:g} min apart"
        )


@dataclass(frozen=True)
class Reply:
    """One human reply in a request's thread: when, by whom, and whether it was staff's."""

    posted_at: datetime
    user: str | None
    staff: bool


@dataclass(frozen=True)
class Effort:
    """What one request's thread says about the work it took.

    ``turns`` counts the changes of side (requester <-> staff) in the conversation that starts
    with the request itself: a question answered once is 1, a follow-up answered again is 3.
    ``handling_seconds`` runs from the request to the last staff reply (None without one).
    """

    staff_replies: int = 0
    staff_people: int = 0
    turns: int = 0
    handling_seconds: float | None = None
    staff_seconds: float = 0.0


def derive(created_at: datetime, replies: Sequence[Reply], model: EffortModel) -> Effort:
    """A request's `Effort` from its human replies (any order; the request is the requester's)."""
    ordered = sorted(replies, key=lambda r: r.posted_at)
    staff = [r for r in ordered if r.staff]
    if not staff:
        return Effort()
    turns, side = 0, False  # the request itself is the requester's side
    for reply in ordered:
        if reply.staff != side:
            turns, side = turns + 1, reply.staff
    gap = model.gap_minutes * 60
    active = sum(
        seconds
        for before, after in zip(staff, staff[1:], strict=False)
        if (seconds := (after.posted_at - before.posted_at).total_seconds()) < gap
    )
    return Effort(
        staff_replies=len(staff),
        staff_people=len({r.user for r in staff if r.user}),
        turns=turns,
        handling_seconds=max(0.0, (staff[-1].posted_at - created_at).total_seconds()),
        staff_seconds=len(staff) * model.reply_minutes * 60 + active,
    )
