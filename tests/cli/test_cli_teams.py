"""`supportml teams check`, and --teams / SUPPORTML_TEAMS on classify and report."""

from __future__ import annotations

import csv
import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from supportml.cli import cli
from supportml.ownership import load_ownership
from supportml.store import open_store, transaction
from supportml.store.models import FeedbackEvent, Request
from supportml.store.repository import insert_new_requests
from tests.conftest import VOCAB

EXAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "teams.example.yaml"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
A, B = "U0AAAA001", "U0BBBB002"


def teams_file(tmp_path: Path, *, topic: str = "Access Request", extra: str = "") -> Path:
    path = tmp_path / "teams.yaml"
    path.write_text(textwrap.dedent(f"""
        teams:
          - name: Identity
            topics: [{topic}]
            members: [{A}, {B}]
            rotation: {{order: [{A}, {B}], handover: Monday 09:00, timezone: Europe/Berlin,
                        start: 2026-03-02}}
          - name: Delivery
            topics: [CI Error, Failed Deployment]
            members: [{B}]
            rotation: {{order: [{B}], handover: Monday 09:00, timezone: Europe/Berlin,
                        start: 2026-03-02}}
        """).lstrip() + extra, encoding="utf-8")  # fmt: skip
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def test_check_prints_who_is_on_support_and_exits_0_when_clean(trained, tmp_path):
    path = teams_file(tmp_path, extra="    # nobody on two rotations: B is on Delivery only\n")
    path.write_text(path.read_text().replace(f"members: [{A}, {B}]", f"members: [{A}]")
                    .replace(f"order: [{A}, {B}]", f"order: [{A}]"))  # fmt: skip
    result = run("teams", "check", str(path), "--topics-from", str(trained.model_dir),
                 "--at", "2026-03-09T09:30+01:00", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["findings"] == [] and found["note"] == ""
    assert [(t["team"], t["on_support"]) for t in found["teams"]] == [
        ("Identity", A), ("Delivery", B),
    ]  # fmt: skip


def test_check_lists_lint_findings_and_exits_1(trained, tmp_path):
    path = teams_file(tmp_path, topic="Acces Request")
    result = run("teams", "check", str(path), "--topics-from", str(trained.model_dir),
                 "--at", "2026-03-02T12:00Z")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "on support at 2026-03-02T12:00:00+00:00" in result.stdout
    out = " ".join(result.stdout.split())
    unknown = "topic 'Acces Request' is not a topic of the model (did you mean 'Access Request'?)"
    assert unknown in out
    # week of 9 March: B is on support for Identity and for Delivery
    assert f"{B} is on support for both 'Delivery' and 'Identity' on 2026-03-09 (UTC)" in out


def test_check_without_a_model_skips_the_topic_lint_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no models/ here
    result = run("teams", "check", str(teams_file(tmp_path)), "--at", "2026-03-02T12:00Z")
    assert result.exit_code == 1  # the double duty of B is still found
    assert "no model found, topics not checked" in result.stderr
    assert "not a topic of the model" not in result.stdout


def test_an_invalid_file_is_one_line_per_problem_and_exit_2(tmp_path):
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  - name: X\n    members: [alice]\n    colour: red\n")
    result = run("teams", "check", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {path} line 4: teams[0]: unknown field 'colour' (expected one of: members, "
        "name, rotation, topics, user_group)",
        f"{path} line 3: team 'X' members: 'alice' is not a Slack user id (like U0123ABCD)",
    ], result.stderr
    assert "Traceback" not in result.output


def test_the_example_file_is_clean_against_the_sample_topics(tmp_path):
    """datasets/teams.example.yaml covers the sample's topics and lints clean (make demo)."""
    sample = EXAMPLE.parent / "sample_requests.csv"
    with sample.open(encoding="utf-8") as handle:
        topics = {row["topic"] for row in csv.DictReader(handle)}
    owners = load_ownership(EXAMPLE)
    assert owners.lint(sorted(topics), since=datetime(2026, 10, 1, tzinfo=UTC)) == []
    assert {t for t in topics if owners.team_for(t) is None} == set()


def store(url: str) -> None:
    """One request per tiny-model topic, plus one a person already moved to Delivery."""
    rows = [
        {"workspace": "T1", "channel": "C1", "ts": f"{i}.0001", "text": " ".join(words[:4]),
         "source": "import", "created_at": T0 + timedelta(hours=i)}
        for i, words in enumerate(VOCAB.values())
    ]  # fmt: skip
    rows[0] |= {"assigned_team": "Delivery", "assigned_by": "U0STAFF01"}
    engine = open_store(url)
    with transaction(engine) as session:
        insert_new_requests(session, rows)
    engine.dispose()


def test_classify_with_teams_assigns_owners_and_keeps_a_persons_choice(trained, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store(url)
    path = teams_file(tmp_path)
    env = {"SUPPORTML_TEAMS": str(path)}
    result = run("classify", "--database-url", url, "--model", str(trained.model_dir), "--json",
                 env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    engine = open_store(url)
    with transaction(engine) as session:
        stored = session.execute(
            select(Request.final_topic, Request.assigned_team, Request.assigned_by).order_by(
                Request.id
            )
        ).all()
    engine.dispose()
    owners = {"Access Request": "Identity", "CI Error": "Delivery", "Failed Deployment": "Delivery"}
    expected = [owners.get(topic) for topic, _, _ in stored]
    expected[0] = "Delivery"  # the person's choice
    assert [team for _, team, _ in stored] == expected
    assert summary["assigned_to_team"] == sum(t is not None for t in expected[1:]) > 0
    assert stored[0][2] == "U0STAFF01"


def test_report_counts_by_owning_team_and_topics_often_reassigned(trained, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store(url)
    engine = open_store(url)
    with transaction(engine) as session:
        moved = session.scalars(select(Request).order_by(Request.id)).first()
        assert moved is not None
        moved.final_topic, moved.label_source = "CI Error", "human"
        owned = session.get(Request, moved.id + 1)  # never assigned: counted by the file's owner
        assert owned is not None
        owned.final_topic, owned.label_source = "access request", "import"
        session.add(FeedbackEvent(request_id=moved.id, actor="U0STAFF01", action="reassign",
                                  value="Delivery", previous="Identity"))  # fmt: skip
    engine.dispose()
    path = teams_file(tmp_path)
    args = ["report", "--database-url", url, "--since", "2026-03-01", "--until", "2026-03-03",
            "--format", "json"]  # fmt: skip
    result = run(*args, "--teams", str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_owner = {row[0]: row[1] for row in report["breakdowns"]["by_owning_team"]["rows"]}
    # the stored assignment, the file's owner of a labelled topic, nobody for the rest
    assert by_owner == {"Delivery": 1, "Identity": 1, "(no owning team)": len(VOCAB) - 2}
    assert report["breakdowns"]["reassigned"]["rows"] == [
        ["CI Error", "Identity", "Delivery", 1, 1.0]
    ]
    bad = run(*args, "--teams", str(tmp_path / "missing.yaml"))
    assert bad.exit_code == 2 and "missing.yaml: no such file" in bad.stderr


def test_serve_refuses_an_invalid_teams_file_before_contacting_slack(tmp_path):
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  - name: X\n    rotation: {handover: Mon 09:00}\n")
    result = run("serve", "--teams", str(path), env={"SLACK_BOT_TOKEN": "xoxb-unused"})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path} line 3: team 'X' rotation: missing field")
