"""Find the stored message a tracking-sheet row without a Slack link was typed from.

People copy a Slack request into the sheet; with no link, only its content says which message it
is. Without this, the sheet row and the exported message count as two requests. A row matches a
stored request (any source, same workspace) when all three hold:

- the same people: the same requester; when the row names none, the same requesting team (case
  and punctuation ignored, so "Benefits Intake" is "benefits-intake"), the team of the stored
  request or one its requester is recorded with elsewhere in the store;
- the same day: created within `WINDOW` (24 h) of each other, which covers a sheet that only
  has the date;
- near-identical text: the Jaccard similarity of the two word sets (words as
  `near_duplicate_key` reads them: lower case, numbers as 0, punctuation dropped) is at least
  `SIMILAR`. A cell cut short ("..." at the end) is compared, without its last, possibly cut
  word, with as many words from the start of the message.

On the demo data (export, then sheet) 0.8 merges every link-less row that names a requester or
a known team into the message it came from and none into another; see the CHANGELOG for the
numbers. Pure functions: the store hands over the candidates (`windows` says which).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportml.text import near_duplicate_key

WINDOW = timedelta(hours=24)
SIMILAR = 0.8
_CUT = ("...", "…")


@dataclass(frozen=True)
class Candidate:
    """A stored request a link-less row may duplicate."""

    key: tuple[str, str, str]  # (workspace, channel, ts)
    requester: str | None
    requester_team: str | None
    created_at: datetime
    text: str


def team_key(team: str | None) -> str:
    """ "Benefits Intake", "benefits-intake" and "benefits_intake" are one team."""
    return re.sub(r"[^a-z0-9]", "", (team or "").lower())


def similarity(cell: str, message: str) -> float:
    """Jaccard similarity of the words of a sheet cell and a message; a cut cell against the
    message's opening words only."""
    ours, theirs = near_duplicate_key(cell).split(), near_duplicate_key(message).split()
    if cell.rstrip().endswith(_CUT) and len(ours) > 1:
        ours = ours[:-1]
        theirs = theirs[: len(ours)]
    a, b = set(ours), set(theirs)
    return len(a & b) / len(a | b) if a and b else 0.0


def windows(
    times: Iterable[datetime], width: timedelta = WINDOW
) -> list[tuple[datetime, datetime]]:
    """The time ranges that hold every candidate of rows created at ``times``, overlaps joined,
    so one query fetches a batch's candidates."""
    joined: list[tuple[datetime, datetime]] = []
    for when in sorted(times):
        start, end = when - width, when + width
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def best_match(
    row: Mapping[str, object],
    candidates: Sequence[Candidate],
    teams: Mapping[str, set[str]] | None = None,
) -> tuple[Candidate | None, int]:
    """The candidate ``row`` (a requests row) duplicates, and how many matched.

    When several match, the most similar text wins, then the nearest in time. ``teams`` maps a
    requester to the team keys the store knows them by.
    """
    requester = row.get("requester")
    team = team_key(row.get("requester_team"))  # type: ignore[arg-type]
    created = row["created_at"]
    assert isinstance(created, datetime)
    text = str(row["text"])
    scored: list[tuple[float, timedelta, Candidate]] = []
    for candidate in candidates:
        if candidate.key[0] != row["workspace"] or abs(candidate.created_at - created) > WINDOW:
            continue
        if requester:
            if candidate.requester != requester:
                continue
        else:
            known = {team_key(candidate.requester_team)}
            known |= (teams or {}).get(candidate.requester or "", set())
            if not team or team not in known:
                continue
        score = similarity(text, candidate.text)
        if score >= SIMILAR:
            scored.append((score, abs(candidate.created_at - created), candidate))
    if not scored:
        return None, 0
    best = min(scored, key=lambda item: (-item[0], item[1]))
    return best[2], len(scored)
