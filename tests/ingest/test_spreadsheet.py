"""The tracking-sheet reader: header matching, --map, file problems, dates, durations, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportml.ingest.errors import IngestError
from supportml.ingest.records import ImportedRequest, Skipped
from supportml.ingest.spreadsheet import (
    DateParser,
    parse_duration,
    parse_map,
    parse_permalink,
    read_spreadsheet,
)

HEADER = "Ticket ID,Submitted by,Date,Team,Topic,Summary,Link,First reply time"
LINK = "https://example-agency.slack.com/archives/C02A7QK9PLS/p1772460000000100"
DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def sheet(tmp_path: Path, *lines: str, name: str = "sheet.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def read(path: Path, mapping: dict[str, str] | None = None, **options) -> list:
    return list(read_spreadsheet(path, mapping, **options))


def one(path: Path, mapping: dict[str, str] | None = None, **options):
    (item,) = read(path, mapping, **options)
    return item


def test_the_default_headers_fill_every_field(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        f'PS-1,<@U0ASK|sam>,2026-03-02 09:15,claims,Build Failure,"lint red, again",{LINK},20 min',
    )
    request = one(path)
    assert request == ImportedRequest(
        channel="C02A7QK9PLS",
        ts="1772460000.000100",
        text="lint red, again",
        created_at=datetime(2026, 3, 2, 14, 0, 0, 100, tzinfo=UTC),  # the link's exact time
        origin="sheet.csv:line 2",
        source="import",
        requester="U0ASK",
        requester_team="claims",
        topic="Build Failure",  # raw: topic maps are applied by the loader
        label_source="import",
        first_response_at=datetime(2026, 3, 2, 14, 20, 0, 100, tzinfo=UTC),
        external_id="PS-1",
        permalink=LINK,
    )


def test_headers_match_whatever_their_case_and_spacing(tmp_path: Path) -> None:
    header = "ticket_id , SUBMITTED BY,date,TEAM,topic,summary,link,First Reply Time"
    request = one(sheet(tmp_path, "PS-2,U0ASK,2026-03-02,claims,CMS,page broken,,", header=header))
    assert (request.external_id, request.requester, request.text) == (
        "PS-2",
        "U0ASK",
        "page broken",
    )
    assert (request.channel, request.ts) == ("sheet", "sheet:PS-2")


def test_a_map_names_columns_the_defaults_do_not_know(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "7,2026-03-02T10:00:00Z,jo,ask about access,Access",
        header="Number,Opened,Asked by,What,Kind",
    )
    mapping = parse_map(
        ["Number=external_id", "opened=created_at", "Asked by=requester", "What=text", "Kind=topic"]
    )
    request = one(path, mapping)
    assert (request.external_id, request.requester, request.topic) == ("7", "jo", "Access")
    assert request.created_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert request.ts == "sheet:7"


def test_a_map_overrides_the_default_match(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "PS-3,3/2/2026,2026-03-02 16:45,deploy stuck",
        header="Ticket ID,Date,Time (UTC),Summary",
    )
    assert one(path).created_at == datetime(2026, 3, 2, tzinfo=UTC)
    assert one(path, {"Time (UTC)": "created_at"}).created_at == datetime(
        2026, 3, 2, 16, 45, tzinfo=UTC
    )


def test_an_unknown_column_in_the_map_lists_the_columns(tmp_path: Path) -> None:
    path = sheet(tmp_path, "PS-1,U1,2026-03-02,t,CMS,hi,,")
    with pytest.raises(
        IngestError, match=r"--map Opened=created_at: no column 'Opened'; columns: 'Ticket ID'"
    ):
        read_spreadsheet(path, {"Opened": "created_at"})


def test_an_unknown_field_in_the_map_lists_the_fields(tmp_path: Path) -> None:
    path = sheet(tmp_path, "PS-1,U1,2026-03-02,t,CMS,hi,,")
    with pytest.raises(
        IngestError, match=r"unknown field 'created'; fields: external_id, requester"
    ):
        read_spreadsheet(path, {"Date": "created"})
    with pytest.raises(IngestError, match="expected COLUMN=FIELD"):
        parse_map(["Date"])


def test_without_a_text_column_the_error_suggests_a_map(tmp_path: Path) -> None:
    path = sheet(tmp_path, "PS-1,2026-03-02,hi", header="Ticket ID,Date,Notes")
    with pytest.raises(
        IngestError,
        match=r"no column for text .*columns: 'Ticket ID', 'Date', 'Notes'; name one with "
        r"--map COLUMN=text",
    ):
        read_spreadsheet(path)


@pytest.mark.parametrize(("separator", "flag"), [(";", "';'"), ("\t", "'tab'")])
def test_another_delimiter_is_named_not_misread(tmp_path: Path, separator: str, flag: str) -> None:
    path = sheet(
        tmp_path,
        separator.join(["PS-1", "U1", "2026-03-02", "t", "CMS", "hi", "", ""]),
        header=HEADER.replace(",", separator),
    )
    with pytest.raises(
        IngestError,
        match=rf"sheet.csv: line 1: the header looks .*-delimited; pass --delimiter {flag}",
    ):
        read_spreadsheet(path)
    request = one(path, delimiter="tab" if separator == "\t" else separator)
    assert (request.external_id, request.text) == ("PS-1", "hi")


def test_a_comma_file_read_with_another_delimiter_is_named_too(tmp_path: Path) -> None:
    path = sheet(tmp_path, "PS-1,U1,2026-03-02,t,CMS,hi,,")
    with pytest.raises(IngestError, match="looks ','-delimited; pass --delimiter ','"):
        read_spreadsheet(path, delimiter=";")


def test_non_utf8_bytes_name_the_line_and_suggest_an_encoding(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    body = f"{HEADER}\nPS-1,U1,2026-03-02,t,CMS,hi,,\nPS-2,U1,2026-03-02,t,CMS,caf\xe9 broken,,\n"
    path.write_bytes(body.encode("cp1252"))
    with pytest.raises(
        IngestError, match="sheet.csv: line 3: not valid utf-8 text; pass --encoding, e.g. cp1252"
    ):
        read_spreadsheet(path)
    assert [r.text for r in read(path, encoding="cp1252")] == ["hi", "café broken"]
    with pytest.raises(IngestError, match="unknown encoding 'klingon'"):
        read_spreadsheet(path, encoding="klingon")


def test_a_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(f"{HEADER}\nPS-1,U1,2026-03-02,t,CMS,hi,,\n".encode("utf-8-sig"))
    assert one(path).external_id == "PS-1"


def test_broken_quoting_and_extra_fields_are_errors_with_the_line(tmp_path: Path) -> None:
    quoted = sheet(
        tmp_path,
        "PS-1,U1,2026-03-02,t,CMS,hi,,",
        'PS-2,U1,2026-03-02,t,CMS,"hi"there,,',
        name="q.csv",
    )
    with pytest.raises(IngestError, match=r"q.csv: line 3: malformed CSV"):
        read(quoted)
    extra = sheet(tmp_path, "PS-1,U1,2026-03-02,t,CMS,hi,,,,oops", name="x.csv")
    with pytest.raises(IngestError, match="x.csv: line 2: 10 fields but the header has 8 columns"):
        read(extra)
    trailing = sheet(tmp_path, "PS-1,U1,2026-03-02,t,CMS,hi,,,,", name="t.csv")
    assert one(trailing).text == "hi"  # empty trailing cells are how sheets export


def test_a_workbook_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    workbook = tmp_path / "sheet.xlsx"
    workbook.write_bytes(b"PK\x03\x04rest of a zip")
    with pytest.raises(IngestError, match="workbook .* save the sheet as CSV"):
        read_spreadsheet(workbook)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(IngestError, match="empty file"):
        read_spreadsheet(empty)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-27T14:03:00Z", datetime(2026, 11, 27, 14, 3, tzinfo=UTC)),
        ("2026-11-27T09:03:00-05:00", datetime(2026, 11, 27, 14, 3, tzinfo=UTC)),
        ("2026-11-27 14:03", datetime(2026, 11, 27, 14, 3, tzinfo=UTC)),
        ("2026-11-27", datetime(2026, 11, 27, tzinfo=UTC)),
        ("11/27/2026", datetime(2026, 11, 27, tzinfo=UTC)),
        ("11/27/26", datetime(2026, 11, 27, tzinfo=UTC)),
        ("11/27/2026 2:03 PM", datetime(2026, 11, 27, 14, 3, tzinfo=UTC)),
        ("11/27/2026 14:03:09", datetime(2026, 11, 27, 14, 3, 9, tzinfo=UTC)),
        ("Nov 27, 2026", datetime(2026, 11, 27, tzinfo=UTC)),
        ("November 27, 2026 at 2:03 PM", datetime(2026, 11, 27, 14, 3, tzinfo=UTC)),
        ("27 Nov 2026", datetime(2026, 11, 27, tzinfo=UTC)),
    ],
)
def test_dates_as_people_type_them(typed: str, expected: datetime) -> None:
    assert DateParser()(typed) == expected


@pytest.mark.parametrize("typed", ["last Tuesday", "13/27/2026", "2026-02-30", "Nov 2026", "14:03"])
def test_unreadable_dates(typed: str) -> None:
    assert DateParser()(typed) is None


def test_naive_times_are_in_the_configured_zone_and_day_first_is_an_option(tmp_path: Path) -> None:
    path = sheet(tmp_path, "PS-1,U1,03/04/2026 09:00,t,CMS,hi,,")
    assert one(path).created_at == datetime(2026, 3, 4, 9, tzinfo=UTC)
    eastern = one(path, timezone="America/New_York").created_at
    assert eastern == datetime(2026, 3, 4, 14, tzinfo=UTC)
    assert one(path, dayfirst=True).created_at == datetime(2026, 4, 3, 9, tzinfo=UTC)
    with pytest.raises(IngestError, match="unknown time zone"):
        read_spreadsheet(path, timezone="Mars/Olympus")


def test_a_bad_date_skips_the_row_or_with_strict_stops_naming_it(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "PS-1,U1,2026-03-02,t,CMS,hi,,",
        "PS-2,U1,last Tuesday,t,CMS,hi,,",
        "PS-3,U1,,t,CMS,hi,,",
    )
    items = read(path)
    assert [type(i) for i in items] == [ImportedRequest, Skipped, Skipped]
    assert [(i.origin, i.reason) for i in items[1:]] == [
        ("sheet.csv:line 3", "bad date"),
        ("sheet.csv:line 4", "no date"),
    ]
    with pytest.raises(IngestError, match=r"sheet.csv: line 3: bad date in 'Date': 'last Tuesday'"):
        read(path, strict=True)


@pytest.mark.parametrize(
    ("typed", "delay"),
    [
        ("2h 15m", timedelta(hours=2, minutes=15)),
        ("2h15m", timedelta(hours=2, minutes=15)),
        ("45 min", timedelta(minutes=45)),
        ("1d 3h", timedelta(days=1, hours=3)),
        ("1 day, 2 hours and 5 minutes", timedelta(days=1, hours=2, minutes=5)),
        ("1.5 hours", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
    ],
)
def test_durations(typed: str, delay: timedelta) -> None:
    assert parse_duration(typed) == delay


@pytest.mark.parametrize("typed", ["soon", "90", "1:30", "2 weeks", "h 2", "2026-03-02 10:00"])
def test_not_durations(typed: str) -> None:
    assert parse_duration(typed) is None


def test_first_reply_as_a_duration_or_a_time(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "PS-1,U1,2026-03-02 10:00,t,CMS,hi,,2h 15m",
        "PS-2,U1,2026-03-02 10:00,t,CMS,hi,,2026-03-02 11:30",
        "PS-3,U1,2026-03-02 10:00,t,CMS,hi,,",
        "PS-4,U1,2026-03-02 10:00,t,CMS,hi,,1:30",
        "PS-5,U1,2026-03-02 10:00,t,CMS,hi,,2026-03-01 09:00",
    )
    items = read(path)
    assert [i.first_response_at for i in items[:3]] == [
        datetime(2026, 3, 2, 12, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 11, 30, tzinfo=UTC),
        None,
    ]
    assert [(i.origin, i.reason) for i in items[3:]] == [
        ("sheet.csv:line 5", "bad first reply time"),
        ("sheet.csv:line 6", "first reply before the request"),
    ]


def test_permalinks() -> None:
    assert parse_permalink(LINK) == ("C02A7QK9PLS", "1772460000.000100")
    reply = "https://x.enterprise.slack.com/archives/C0123ABC/p1712345999000200?thread_ts=1712345678.123456&cid=C0123ABC"
    assert parse_permalink(reply) == ("C0123ABC", "1712345678.123456")  # the thread, not the reply
    assert parse_permalink("https://agency.slack-gov.com/archives/G0PRIV/p1712345678123456") == (
        "G0PRIV",
        "1712345678.123456",
    )
    assert parse_permalink("https://github.com/org/repo/issues/12") is None
    assert parse_permalink("https://evil.example.com/archives/C0123/p1712345678123456") is None


def test_rows_without_a_slack_link_get_stable_sheet_keys(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "PS-9,U1,2026-03-02,t,CMS,hi,https://github.com/org/repo/issues/12,",
        ",U1,2026-03-02,t,CMS,first,,",
        ",U1,2026-03-02,t,CMS,second,,",
        header=HEADER,
    )
    linked, first, second = read(path)
    assert (linked.channel, linked.ts, linked.permalink) == (
        "sheet",
        "sheet:PS-9",
        "https://github.com/org/repo/issues/12",
    )
    assert first.ts.startswith("sheet:row-") and first.ts != second.ts
    assert [r.ts for r in read(path)][1:] == [first.ts, second.ts]  # same row, same key


def test_a_channel_column_is_used_when_there_is_no_link(tmp_path: Path) -> None:
    path = sheet(
        tmp_path, "PS-1,#platform-support,2026-03-02,hi", header="Ticket ID,Channel,Date,Summary"
    )
    assert one(path).channel == "platform-support"


def test_blank_rows_and_empty_summaries_are_counted(tmp_path: Path) -> None:
    path = sheet(tmp_path, ",,,,,,,", "PS-1,U1,2026-03-02,t,CMS,,,")
    assert [i.reason for i in read(path)] == ["blank row", "empty summary"]


def test_the_bundled_sheet_reads_with_two_rows_skipped() -> None:
    items = read(DATASETS / "sample_tracking_sheet.csv")
    requests = [i for i in items if isinstance(i, ImportedRequest)]
    assert len(items) == 150 and len(requests) == 148
    assert [(i.origin, i.reason) for i in items if isinstance(i, Skipped)] == [
        ("sample_tracking_sheet.csv:line 38", "bad date"),
        ("sample_tracking_sheet.csv:line 112", "bad date"),
    ]
    assert {"Build Failure", "Pull Request"} & {r.topic for r in requests}  # old taxonomy names
    assert any(r.first_response_at for r in requests) and any(
        r.channel == "sheet" for r in requests
    )
