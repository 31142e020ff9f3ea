"""The ownership file: topic owners, rotations across zones and DST, overrides, lint, bad files."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportml.ownership import OwnershipError, load_ownership

A, B, C, D = "U0AAAA001", "U0BBBB002", "U0CCCC003", "U0DDDD004"

BERLIN = f"""
teams:
  - name: Identity
    topics: [Access Request, Test Accounts/Data]
    members: [{A}, {B}, {C}]
    user_group: S0IDENTITY
    rotation:
      order: [{A}, {B}, {C}]
      handover: Monday 09:00
      timezone: Europe/Berlin
      start: 2026-03-02
      overrides:
        - {{user: {C}, from: 2026-12-24, until: 2026-12-26}}
        - {{user: {B}, from: "2026-12-25T12:00", until: "2026-12-25T18:00"}}
"""


def write(tmp_path: Path, text: str, name: str = "teams.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_topics_map_to_their_team_in_any_case(tmp_path):
    owners = load_ownership(write(tmp_path, BERLIN))
    assert owners.teams == ("Identity",)
    assert owners.team_for("access request") == "Identity"
    assert owners.team_for(" Test Accounts/Data ") == "Identity"
    assert owners.team_for("CI Error") is None and owners.team_for(None) is None
    team = owners.team("IDENTITY")
    assert team is not None and team.user_group == "S0IDENTITY"
    assert owners.on_support("no such team", utc(2026, 3, 3)) is None


def test_weekly_handover_follows_the_local_clock_across_dst(tmp_path):
    """Monday 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC from 29 March (CEST)."""
    owners = load_ownership(write(tmp_path, BERLIN))
    # week of 2 March: A; 9 March: B; 16 March: C; 23 March: A; 30 March (summer time): B
    assert owners.on_support("Identity", utc(2026, 3, 2, 7, 59)) == C  # before the first one
    assert owners.on_support("Identity", utc(2026, 3, 2, 8, 0)) == A
    assert owners.on_support("Identity", utc(2026, 3, 9, 7, 59)) == A
    assert owners.on_support("Identity", utc(2026, 3, 9, 8, 0)) == B
    assert owners.on_support("Identity", utc(2026, 3, 23, 8, 0)) == A
    assert owners.on_support("Identity", utc(2026, 3, 30, 6, 59)) == A
    assert owners.on_support("Identity", utc(2026, 3, 30, 7, 0)) == B  # 09:00 CEST
    # back to winter time on 25 October: Monday 26 October 09:00 CET is 08:00 UTC
    weeks = (datetime(2026, 10, 26).date() - datetime(2026, 3, 2).date()).days // 7
    assert owners.on_support("Identity", utc(2026, 10, 26, 7, 30)) == [A, B, C][(weeks - 1) % 3]
    assert owners.on_support("Identity", utc(2026, 10, 26, 8, 0)) == [A, B, C][weeks % 3]
    naive = datetime(2026, 3, 9, 8, 0)  # a naive time is UTC
    assert owners.on_support("Identity", naive) == B


def test_handover_in_a_zone_ahead_of_utc_falls_on_the_previous_utc_day(tmp_path):
    path = write(
        tmp_path,
        f"""
        teams:
          - name: Tokyo
            topics: [CI Error]
            members: [{A}, {B}]
            rotation: {{order: [{A}, {B}], handover: mon 09:00, timezone: Asia/Tokyo,
                        start: 2026-06-01}}
          - name: New York
            topics: [PR Review]
            members: [{C}, {D}]
            rotation: {{order: [{C}, {D}], handover: Friday 17:30,
                        timezone: America/New_York, start: 2026-06-05}}
    """,
    )
    owners = load_ownership(path)
    # Monday 8 June 09:00 in Tokyo is Monday 00:00 UTC
    assert owners.on_support("tokyo", utc(2026, 6, 7, 23, 59)) == A
    assert owners.on_support("tokyo", utc(2026, 6, 8, 0, 0)) == B
    # Friday 12 June 17:30 EDT is 21:30 UTC
    assert owners.on_support("New York", utc(2026, 6, 12, 21, 29)) == C
    assert owners.on_support("New York", utc(2026, 6, 12, 21, 30)) == D


def test_overrides_cover_whole_local_days_or_exact_times_and_the_last_wins(tmp_path):
    owners = load_ownership(write(tmp_path, BERLIN))
    regular = owners.on_support("Identity", utc(2026, 12, 23, 12))
    assert regular != C
    assert owners.on_support("Identity", utc(2026, 12, 23, 22, 59)) == regular
    assert owners.on_support("Identity", utc(2026, 12, 23, 23, 0)) == C  # 24 Dec 00:00 CET
    assert owners.on_support("Identity", utc(2026, 12, 25, 11, 0)) == B  # 12:00 CET, later entry
    assert owners.on_support("Identity", utc(2026, 12, 25, 17, 0)) == C  # until is excluded
    assert owners.on_support("Identity", utc(2026, 12, 26, 22, 59)) == C  # until day included
    assert owners.on_support("Identity", utc(2026, 12, 26, 23, 0)) == regular


def test_lint_finds_unknown_topics_empty_rotations_and_double_duty(tmp_path):
    path = write(
        tmp_path,
        f"""
        teams:
          - name: Identity
            topics: [Acess Request]
            members: [{A}, {B}]
            rotation: {{order: [{B}, {A}], handover: Monday 09:00, timezone: UTC,
                        start: 2026-03-02}}
          - name: Delivery
            topics: [CI Error]
            members: [{A}, {C}]
            rotation: {{order: [{C}, {A}], handover: Monday 09:00, timezone: UTC,
                        start: 2026-03-02}}
          - name: Docs
            topics: [Something Else]
            members: [{D}]
    """,
    )
    findings = load_ownership(path).lint(
        ["Access Request", "CI Error", "Something Else"], since=utc(2026, 3, 2, 12)
    )
    assert findings == [
        f"{path} line 3: team 'Identity': topic 'Acess Request' is not a topic of the model "
        "(did you mean 'Access Request'?)",
        f"{path} line 12: team 'Docs': empty rotation, nobody is mentioned for its requests",
        f"{path}: {A} is on support for both 'Delivery' and 'Identity' on 2026-03-09 (UTC)",
    ]


def test_lint_sees_an_override_that_makes_double_duty_and_passes_a_clean_file(tmp_path):
    clean = f"""
        teams:
          - name: Identity
            topics: [Access Request]
            members: [{A}, {B}]
            rotation: {{order: [{A}, {B}], handover: Monday 09:00, timezone: UTC,
                        start: 2026-03-02}}
          - name: Delivery
            topics: [CI Error]
            members: [{C}]
            rotation:
              order: [{C}]
              handover: Monday 09:00
              timezone: UTC
              start: 2026-03-02
    """
    assert (
        load_ownership(write(tmp_path, clean)).lint(
            ["access request", "ci error"], since=utc(2026, 3, 2)
        )
        == []
    )
    override = f"overrides: [{{user: {B}, from: 2026-03-11, until: 2026-03-11}}]\n"
    swapped = clean.rstrip(" ") + " " * 14 + override
    findings = load_ownership(write(tmp_path, swapped)).lint(None, since=utc(2026, 3, 2))
    assert findings == [
        f"{tmp_path / 'teams.yaml'}: {B} is on support for both 'Delivery' and 'Identity' "
        "on 2026-03-11 (UTC)"
    ]


GOOD_TEAM = f"""teams:
  - name: Identity
    topics: [Access Request]
    members: [{A}]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teams: [\n", "line 2: not a valid YAML file"),
        ("- a\n- b\n", "file: expected a map of fields"),
        ("teams: []\nowners: []\n", "line 2: file: unknown field 'owners'"),
        ("teams: {}\n", "line 1: teams: expected a list of teams"),
        ("teams:\n  - name: X\n    topic: [A]\n", "line 3: teams[0]: unknown field 'topic'"),
        ("teams:\n  - topics: [A]\n", "line 2: teams[0]: missing field 'name'"),
        (
            GOOD_TEAM + "  - name: identity\n",
            "line 5: teams[1]: team 'identity' is defined twice",
        ),
        (
            GOOD_TEAM + f"  - name: Other\n    topics: [access request]\n    members: [{B}]\n",
            "line 6: team 'Other' topics: topic 'access request' is already owned by "
            "'Identity' (line 3)",
        ),
        (
            "teams:\n  - name: X\n    members: [alice]\n",
            "line 3: team 'X' members: 'alice' is not a Slack user id",
        ),
        (
            GOOD_TEAM + "    user_group: '@identity'\n",
            "line 5: team 'Identity' user_group: '@identity' is not a Slack user group id",
        ),
        (
            GOOD_TEAM + f"    rotation: {{order: [{B}], handover: Monday 09:00, timezone: UTC,"
            " start: 2026-03-02}\n",
            f"line 5: team 'Identity' rotation.order: {B} is not one of the team's members",
        ),
        (
            GOOD_TEAM + "    rotation: {handover: Mon 25:00, timezone: UTC, start: 2026-03-02}\n",
            "line 5: team 'Identity' rotation.handover: 'Mon 25:00' is not a weekday and time",
        ),
        (
            GOOD_TEAM + "    rotation:\n      handover: Someday 09:00\n      timezone: UTC\n"
            "      start: 2026-03-02\n",
            "line 6: team 'Identity' rotation.handover: 'Someday 09:00' is not a weekday",
        ),
        (
            GOOD_TEAM + "    rotation: {handover: Mon 09:00, timezone: Mars/Olympus,"
            " start: 2026-03-02}\n",
            "line 5: team 'Identity' rotation.timezone: 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            GOOD_TEAM + "    rotation: {handover: Mon 09:00, timezone: UTC, start: 2026-03-03}\n",
            "line 5: team 'Identity' rotation.start: 2026-03-03 is a Tuesday, not the hand-over "
            "day (Monday)",
        ),
        (
            GOOD_TEAM + "    rotation: {handover: Mon 09:00, timezone: UTC}\n",
            "line 5: team 'Identity' rotation: missing field 'start'",
        ),
        (
            GOOD_TEAM + "    rotation:\n      handover: Mon 09:00\n      timezone: UTC\n"
            "      start: 2026-03-02\n      overrides:\n"
            f"        - {{user: {A}, from: 2026-03-05, until: 2026-03-04}}\n",
            "line 10: team 'Identity' rotation.overrides[0]: 'until' must be after 'from'",
        ),
        (
            GOOD_TEAM + "    rotation:\n      handover: Mon 09:00\n      timezone: UTC\n"
            "      start: 2026-03-02\n      overrides:\n"
            f"        - {{user: {A}, from: soon, until: 2026-03-04}}\n",
            "line 10: team 'Identity' rotation.overrides[0].from: 'soon' is not a date",
        ),
    ],
)
def test_a_bad_file_is_one_line_naming_file_line_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(OwnershipError) as raised:
        load_ownership(path)
    message = str(raised.value)
    assert "\n" not in message, message
    assert message.startswith(str(path)) and expected in message, message


def test_every_problem_is_listed_one_line_each(tmp_path):
    path = write(
        tmp_path,
        f"""
        teams:
          - name: Identity
            members: [alice, {A}]
            rotation: {{order: [{A}], handover: Mon 09:00, timezone: Nowhere,
                        start: 2026-03-02}}
          - name: Delivery
            colour: blue
    """,
    )
    with pytest.raises(OwnershipError) as raised:
        load_ownership(path)
    lines = str(raised.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{path} line 3",
        f"{path} line 4",
        f"{path} line 7",
    ]
    assert "'alice'" in lines[0] and "'Nowhere'" in lines[1] and "'colour'" in lines[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, "no such file"), ("", "expected `teams:`"), ("teams: []\n", "no teams defined")],
)
def test_missing_or_empty_files_are_one_line(tmp_path, text, expected):
    path = tmp_path / "teams.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(OwnershipError, match=expected):
        load_ownership(path)


def test_deeply_nested_or_alias_bombs_are_refused(tmp_path):
    deep = write(tmp_path, "teams: " + "[" * 1000 + "]" * 1000 + "\n", "deep.yaml")
    with pytest.raises(OwnershipError, match="nested too deeply|expected"):
        load_ownership(deep)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        bomb.append(f"{chr(97 + i)}: &{chr(97 + i)} " + "[" + ", ".join([f"*{chr(96 + i)}"] * 10)
                    + "]")  # fmt: skip
    text = "\n".join(bomb) + "\nteams:\n  - name: X\n    topics: *h\n"
    with pytest.raises(OwnershipError) as raised:  # aliases are never expanded into values
        load_ownership(write(tmp_path, text, "bomb.yaml"))
    assert len(str(raised.value).splitlines()) < 30
