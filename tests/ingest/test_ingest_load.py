"""The batch writer: idempotent, atomic per batch, topic maps re-applied, text cleaned first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from supportml.ingest.errors import IngestError
from supportml.ingest.load import import_records
from supportml.ingest.records import ImportedRequest, Skipped
from supportml.store import repository, transaction
from supportml.store.models import ImportRun, Request

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def records(n: int, topic: str | None = "Pull Request") -> list[ImportedRequest]:
    return [
        ImportedRequest(
            channel="C1",
            ts=f"{1712000000 + i}.000100",
            text=f"please review my PR {i}, mail me at dev{i}@example.com",
            created_at=T0 + timedelta(minutes=i),
            origin=f"test#{i}",
            topic=topic,
            first_response_at=T0 + timedelta(minutes=i + 5) if i % 2 else None,
        )
        for i in range(n)
    ]


def stored(engine: Engine) -> list[Request]:
    with transaction(engine) as session:
        return list(session.scalars(select(Request).order_by(Request.id)))


def test_a_second_import_adds_nothing(engine: Engine) -> None:
    items = [*records(25), Skipped("test#x", "channel join")]
    first = import_records(engine, "test", "src", items, clean=str.upper, batch_size=10)
    again = import_records(engine, "test", "src", items, clean=str.upper, batch_size=10)
    assert (first.read, first.imported, first.duplicate) == (26, 25, 0)
    assert first.skipped == {"channel join": 1}
    assert (again.imported, again.duplicate) == (0, 25)
    assert len(stored(engine)) == 25


def test_text_is_cleaned_and_labels_keep_their_original(engine: Engine) -> None:
    import_records(
        engine, "test", "src", records(2), clean=lambda t: t.replace("example.com", "[x]")
    )
    first, second = stored(engine)
    assert "example.com" not in first.text and "[x]" in first.text
    assert (first.original_topic, first.final_topic, first.label_source) == (
        "Pull Request",
        "Pull Request",
        "import",
    )
    assert (first.status, second.status) == ("open", "answered")


def test_recorded_topic_maps_apply_to_later_imports(engine: Engine) -> None:
    with transaction(engine) as session:
        repository.apply_topic_map(session, "m.yaml", "cd" * 32, {"Pull Request": "PR Review"})
    import_records(engine, "test", "src", records(3), clean=str)
    assert {(r.original_topic, r.final_topic) for r in stored(engine)} == {
        ("Pull Request", "PR Review")
    }


def test_unlabelled_records_have_no_label_source(engine: Engine) -> None:
    import_records(engine, "test", "src", records(2, topic=None), clean=str)
    assert {(r.final_topic, r.label_source) for r in stored(engine)} == {(None, None)}


def test_a_failure_keeps_whole_batches_only_and_a_rerun_resumes(engine: Engine) -> None:
    def broken() -> Iterator[ImportedRequest]:
        yield from records(25)
        raise IngestError("day.json line 3: not JSON")

    with pytest.raises(IngestError):
        import_records(engine, "test", "src", broken(), clean=str, batch_size=10)
    assert len(stored(engine)) == 20  # two whole batches; the third never half-written
    with transaction(engine) as session:
        assert session.scalars(select(ImportRun.status)).all() == ["failed"]
    resumed = import_records(engine, "test", "src", records(30), clean=str, batch_size=10)
    assert (resumed.imported, resumed.duplicate) == (10, 20)
    assert len(stored(engine)) == 30


def test_the_same_message_twice_in_one_source_counts_as_duplicate(engine: Engine) -> None:
    items = records(3)
    summary = import_records(engine, "test", "src", [*items, items[0]], clean=str)
    assert (summary.imported, summary.duplicate) == (3, 1)


def test_every_run_is_recorded_with_its_summary(engine: Engine) -> None:
    summary = import_records(engine, "test", "sheet.csv", records(4), clean=str)
    with transaction(engine) as session:
        run = session.scalars(select(ImportRun)).one()
        assert session.scalar(select(func.count()).select_from(Request)) == 4
    assert (run.kind, run.source, run.status) == ("test", "sheet.csv", "done")
    assert run.counts["imported"] == 4 and run.id == summary.run_id


def test_a_second_source_fills_gaps_but_never_overrides(engine: Engine) -> None:
    """A sheet row linking an exported message: its label and reply time join the stored row."""
    from dataclasses import replace

    exported = [replace(r, topic=None, first_response_at=None) for r in records(3)]
    exported[2] = replace(exported[2], topic="CI Error", label_source="form")
    import_records(engine, "slack-export", "export.zip", exported, clean=str)
    sheet = [
        replace(r, text="sheet summary", external_id=f"PS-{i}", topic="Pull Request")
        for i, r in enumerate(records(3))
    ]
    summary = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str)
    assert (summary.imported, summary.duplicate, summary.enriched) == (0, 3, 3)
    first, second, third = stored(engine)
    assert first.text.startswith("please review")  # the message's own text stays
    assert (first.final_topic, first.label_source, first.external_id) == (
        "Pull Request",
        "import",
        "PS-0",
    )
    assert second.first_response_at == sheet[1].first_response_at
    assert (third.final_topic, third.label_source) == ("CI Error", "form")  # never overridden
    again = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str)
    assert (again.imported, again.duplicate, again.enriched) == (0, 3, 0)


def message(i: int, **changes: object) -> ImportedRequest:
    """An exported message by U{i}, an hour apart; ``changes`` override fields."""
    from dataclasses import replace

    base = ImportedRequest(
        channel="C1",
        ts=f"{1712000000 + i * 3600}.000100",
        text=f"request {i}: staging data was reset overnight and team {i} lost its test claims",
        created_at=T0 + timedelta(hours=i),
        origin=f"export.zip#{i}",
        requester=f"U{i}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def unlinked(of: ImportedRequest, **changes: object) -> ImportedRequest:
    """The sheet row typed from ``of``: no link, date only, its own ticket and label."""
    from dataclasses import replace

    row = replace(
        of,
        channel="sheet",
        ts=f"sheet:PS-{of.ts}",
        text=of.text[:40] + "...",
        created_at=of.created_at.replace(hour=0, minute=0),
        origin=f"sheet.csv:line {of.ts}",
        topic="Environments",
        label_source="import",
        external_id=f"PS-{of.ts}",
        first_response_at=of.created_at + timedelta(minutes=30),
        linked=False,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def test_a_link_less_sheet_row_merges_into_the_message_it_duplicates(engine: Engine) -> None:
    exported = [message(1), message(2, topic="CI Error", label_source="human")]
    import_records(engine, "slack-export", "export.zip", exported, clean=str)
    sheet = [unlinked(m) for m in exported]
    summary = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str)
    assert (summary.imported, summary.duplicate, summary.merged, summary.merged_closest) == (
        0,
        2,
        2,
        0,
    )
    assert summary.merged_examples[0] == f"{sheet[0].origin} -> C1 {exported[0].ts}"
    first, second = stored(engine)
    assert first.text == exported[0].text  # the message's own text and time stay
    assert (first.external_id, first.final_topic, first.label_source) == (
        sheet[0].external_id,
        "Environments",
        "import",
    )
    assert first.first_response_at == sheet[0].first_response_at
    assert (second.final_topic, second.label_source) == ("CI Error", "human")  # people's label
    assert second.external_id == sheet[1].external_id


def test_another_requester_text_or_day_stays_a_request_of_its_own(engine: Engine) -> None:
    exported = [message(i) for i in range(3)]
    import_records(engine, "slack-export", "export.zip", exported, clean=str)
    sheet = [
        unlinked(exported[0], requester="U9"),
        unlinked(exported[1], text="who approves prod promotions now? nobody on our team can"),
        unlinked(exported[2], created_at=exported[2].created_at + timedelta(hours=24, seconds=1)),
    ]
    summary = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str)
    assert (summary.imported, summary.merged) == (3, 0)
    assert len(stored(engine)) == 6


def test_without_a_requester_the_team_must_match(engine: Engine) -> None:
    exported = [message(1, requester_team="benefits-intake"), message(2)]
    import_records(engine, "slack-export", "export.zip", exported, clean=str)
    sheet = [
        unlinked(exported[0], requester=None, requester_team="Benefits Intake"),
        unlinked(exported[1], requester=None, requester_team="identity"),
    ]
    summary = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str)
    assert (summary.imported, summary.merged) == (1, 1)


def test_re_importing_a_merged_sheet_changes_nothing(engine: Engine) -> None:
    exported = [message(i) for i in range(4)]
    import_records(engine, "slack-export", "export.zip", exported, clean=str)
    sheet = [unlinked(m) for m in exported[:3]] + [unlinked(exported[3], requester="U9")]
    first = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str, batch_size=2)
    before = [(r.id, r.ts, r.external_id, r.final_topic) for r in stored(engine)]
    again = import_records(engine, "spreadsheet", "sheet.csv", sheet, clean=str, batch_size=2)
    assert (first.imported, first.merged, first.enriched) == (1, 3, 3)
    assert (again.imported, again.duplicate, again.merged, again.enriched) == (0, 4, 3, 0)
    assert [(r.id, r.ts, r.external_id, r.final_topic) for r in stored(engine)] == before


def test_two_rows_for_one_message_both_merge(engine: Engine) -> None:
    import_records(engine, "slack-export", "export.zip", [message(1)], clean=str)
    twice = [unlinked(message(1)), unlinked(message(1), ts="sheet:PS-again", external_id=None)]
    summary = import_records(engine, "spreadsheet", "sheet.csv", twice, clean=str)
    assert (summary.imported, summary.duplicate, summary.merged) == (0, 2, 2)
    assert [r.external_id for r in stored(engine)] == [twice[0].external_id]


def test_export_replies_are_imported_once(engine: Engine, tmp_path) -> None:
    """A thread imported twice, then again with a later reply: each reply stored once, and the
    request's effort follows (defaults: 5 min per staff reply, gaps under 30 min count)."""
    from supportml.effort import EffortModel
    from supportml.ingest.slack_export import read_slack_export
    from supportml.store.models import ThreadReply
    from tests.ingest.test_slack_export import PARENT, msg, reply, write_export

    day = "help-platform/2026-03-02.json"
    replies = [
        reply("1772460600.000100", "USTAFF"),  # +10 min
        reply("1772461200.000100", "UASKER"),  # +20 min
        reply("1772461500.000100", "USTAFF"),  # +25 min
    ]
    first = write_export(tmp_path / "a.zip", {day: [msg(PARENT), *replies]})
    grown = write_export(
        tmp_path / "b.zip", {day: [msg(PARENT), *replies, reply("1772467200.000100", "USTAFF2")]}
    )  # + 2 h, 95 min after the last staff reply

    def load(path) -> int:
        items = read_slack_export(path, ["help-platform"])
        return import_records(
            engine, "slack-export", str(path), items, str, effort=EffortModel()
        ).replies

    assert (load(first), load(first), load(grown)) == (3, 0, 1)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ThreadReply)) == 4
        (row,) = session.scalars(select(Request))
        # staff at +10, +25, +120: 3 x 5 min + the 15-min gap = 30 min; R->S->R->S = 3 turns
        assert (row.staff_replies, row.staff_people, row.turns) == (3, 2, 3)
        assert (row.handling_seconds, row.staff_seconds) == (7200.0, 1800.0)
