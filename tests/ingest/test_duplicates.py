"""Link-less sheet rows merge into the stored message they duplicate (pure matching rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportml.ingest.duplicates import (
    SIMILAR,
    Candidate,
    best_match,
    similarity,
    team_key,
    windows,
)

T0 = datetime(2026, 4, 2, 22, 11, tzinfo=UTC)
TEXT = "staging data looks like it was reset overnight, all our test claims are gone"


def candidate(ts: str = "1.0", who: str | None = "U1", team: str | None = None, **kw) -> Candidate:
    return Candidate(
        key=("T1", "C1", ts),
        requester=who,
        requester_team=team,
        created_at=kw.get("at", T0),
        text=kw.get("text", TEXT),
    )


def row(who: str | None = "U1", team: str | None = None, **kw) -> dict[str, object]:
    return {
        "workspace": "T1",
        "requester": who,
        "requester_team": team,
        "created_at": kw.get("at", T0.replace(hour=0, minute=0)),  # a sheet with the date only
        "text": kw.get("text", TEXT),
    }


def test_a_cut_cell_matches_the_start_of_its_message() -> None:
    message = TEXT + ". was there a refresh? we need them back for the demo on friday"
    assert similarity(TEXT[:50] + "...", message) >= SIMILAR
    assert similarity(TEXT[:50], message) < SIMILAR  # not cut: the whole message counts


def test_numbers_case_and_punctuation_do_not_matter_but_words_do() -> None:
    assert similarity("Deploy 4411 FAILED!!", "deploy 4412 failed") == 1.0
    assert similarity("the deploy queue is stuck", "the review instance is stuck") < SIMILAR
    assert similarity("", TEXT) == 0.0


def test_team_names_are_read_loosely() -> None:
    assert team_key("Benefits Intake") == team_key("benefits-intake") == "benefitsintake"


def test_overlapping_windows_join_into_one_range() -> None:
    day = timedelta(hours=24)
    assert windows([T0 + timedelta(hours=5), T0, T0 + 5 * day]) == [
        (T0 - day, T0 + timedelta(hours=5) + day),
        (T0 + 4 * day, T0 + 6 * day),
    ]


def test_the_same_requester_text_and_day_match() -> None:
    assert best_match(row(), [candidate()]) == (candidate(), 1)


def test_another_requester_another_text_or_another_day_do_not() -> None:
    assert best_match(row(who="U2"), [candidate()]) == (None, 0)
    assert best_match(row(text="who approves prod promotions now?"), [candidate()]) == (None, 0)
    far = candidate(at=T0.replace(hour=0, minute=0) + timedelta(hours=24, minutes=1))
    assert best_match(row(), [far]) == (None, 0)
    other_workspace = Candidate(("T2", "C1", "1.0"), "U1", None, T0, TEXT)
    assert best_match(row(), [other_workspace]) == (None, 0)


def test_without_a_requester_the_team_decides() -> None:
    assert best_match(row(who=None, team="Benefits Intake"), [candidate(team="benefits-intake")])[0]
    assert (
        best_match(row(who=None, team="identity"), [candidate(team="benefits-intake")])[0] is None
    )
    assert best_match(row(who=None, team=None), [candidate(team="identity")])[0] is None
    known = {"U1": {"identity"}}  # the message has no team, its author is known elsewhere
    assert best_match(row(who=None, team="Identity"), [candidate()], known)[0] == candidate()
    assert best_match(row(who=None, team="Identity"), [candidate()])[0] is None


def test_of_several_matches_the_closest_wins() -> None:
    closer_text = candidate("2.0", text=TEXT + " again")
    exact_later = candidate("3.0", at=T0 + timedelta(hours=1))
    exact = candidate("4.0")
    assert best_match(row(), [closer_text, exact_later, exact]) == (exact, 3)
