"""The synthetic export generator: deterministic, and its export reads back as it was planned."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from supportml.ingest.records import ImportedRequest, Skipped
from supportml.ingest.slack_export import ExportOptions, read_slack_export
from supportml.ingest.spreadsheet import read_spreadsheet
from tests.conftest import load_script

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


gen = load_script(DATASETS / "make_slack_export.py")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("export") / "export.zip"
    return gen.build_export(path, messages=4000, threads=600, seed=11)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    one = gen.build_export(tmp_path / "1.zip", messages=900, threads=200, seed=3)
    two = gen.build_export(tmp_path / "2.zip", messages=900, threads=200, seed=3)
    three = gen.build_export(tmp_path / "3.zip", messages=900, threads=200, seed=4)
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.path.read_bytes() != three.path.read_bytes()
    assert one.messages == sum(one.messages_by_channel.values()) == 900


def test_too_few_messages_for_the_threads_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too few for 500 threads"):
        gen.build_export(tmp_path / "x.zip", messages=600, threads=500, seed=1)


def test_every_message_is_read_and_every_planned_request_comes_back(planned) -> None:
    support = list(gen.SUPPORT_CHANNELS.values())
    items = list(
        read_slack_export(planned.path, support, ExportOptions(user_teams=planned.user_teams))
    )
    assert len(items) == sum(planned.messages_by_channel[name] for name in support)
    requests = {(r.channel, r.ts): r for r in items if isinstance(r, ImportedRequest)}
    assert len(requests) == len(planned.requests) == 600
    skipped = Counter(i.reason for i in items if isinstance(i, Skipped))
    assert set(skipped) == {"thread reply", "bot message", "join/leave", "edit", "deleted message"}
    for plan in planned.requests:
        got = requests[(plan.channel, plan.ts)]
        assert (got.text, got.requester) == (plan.text, plan.requester)
        assert got.first_responder == plan.first_responder
        assert ts_of(got.first_response_at) == plan.first_response_ts
        assert (got.resolution, ts_of(got.resolved_at)) == (plan.resolution, plan.resolved_ts)
        assert got.source == ("workflow" if plan.workflow else "import")
        if plan.workflow:
            assert (got.topic, got.requester_team, got.label_source) == (
                plan.topic,
                plan.team,
                "form",
            )
        else:
            assert got.requester_team == planned.user_teams[plan.requester]


def ts_of(when) -> str | None:
    if when is None:
        return None
    seconds = int(when.timestamp())
    return f"{seconds}.{when.microsecond:06d}"


def test_the_mix_looks_like_a_support_channel(planned) -> None:
    """Shares the README promises: 70-85% answered, about 60% resolved, some forms and docs."""
    plans = planned.requests
    answered = sum(p.first_responder is not None for p in plans) / len(plans)
    resolved = sum(p.resolution is not None for p in plans) / len(plans)
    assert 0.70 <= answered <= 0.85
    assert 0.50 <= resolved <= 0.70
    assert 0.05 <= sum(p.workflow for p in plans) / len(plans) <= 0.20
    assert any(p.resolution == "docs" for p in plans)
    assert any(p.first_responder and p.first_response_ts is None for p in plans)  # 👀 only


def test_sample_rows_become_threads_at_the_sheets_links(tmp_path: Path) -> None:
    """The bundled sheet links to the same messages the default export writes: one request each."""
    plan = gen.build_export(tmp_path / "all.zip")
    exported = {(p.channel, p.ts) for p in plan.requests}
    assert len(plan.requests) == len(gen.load_sample())
    sheet = [
        r
        for r in read_spreadsheet(DATASETS / "sample_tracking_sheet.csv", workspace=gen.WORKSPACE)
        if isinstance(r, ImportedRequest)
    ]
    linked = {(r.channel, r.ts) for r in sheet if r.channel != "sheet"}
    assert len(linked) > 100 and linked <= exported


def test_the_bundled_tracking_sheet_is_what_the_generator_writes(tmp_path: Path) -> None:
    rows = gen.build_tracking_sheet(tmp_path / "sheet.csv")
    assert len(rows) == 150
    bundled = DATASETS / "sample_tracking_sheet.csv"
    assert (tmp_path / "sheet.csv").read_bytes() == bundled.read_bytes()
