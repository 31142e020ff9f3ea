import json

import pandas as pd
import pytest

from supportml.data import DataError, load_requests, read_table, split
from tests.conftest import make_rows, write_csv


def rows_with(**changes):
    rows = make_rows(n_per_topic=5)
    for index, values in changes.items():
        rows[int(index.removeprefix("r"))].update(values)
    return rows


def test_loads_csv_normalises_and_fingerprints(tiny_csv):
    data = load_requests(tiny_csv)
    assert len(data) == 180 and len(data.classes) == 6
    assert not any("<@U" in t for t in data.texts)
    assert data.fingerprint == load_requests(tiny_csv).fingerprint
    assert len(data.fingerprint) == 64


def test_jsonl_and_dataframe_agree_with_csv(tmp_path, tiny_csv):
    rows = make_rows()
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    from_csv = load_requests(tiny_csv)
    assert load_requests(jsonl).fingerprint == from_csv.fingerprint
    assert load_requests(pd.DataFrame(rows)).fingerprint == from_csv.fingerprint


def test_custom_columns(tmp_path):
    rows = [{"message": r["text"], "category": r["topic"]} for r in make_rows(5)]
    data = load_requests(
        write_csv(tmp_path / "d.csv", rows), text_col="message", label_col="category", id_col=None
    )
    assert len(data) == 30


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (rows_with(r3={"text": "   "}), r"line 5: empty 'text'"),
        (rows_with(r4={"topic": ""}), r"line 6: empty 'topic'"),
        (
            rows_with(r7={"id": "CI -1"}, r9={"id": "CI -1"}),
            r"line 11: duplicate id 'CI -1' \(first at line 9\)",
        ),
        (rows_with(r0={"topic": "Lonely Topic"}), r"topic 'Lonely Topic' has 1 example"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, rows, message):
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError, match=message) as info:
        load_requests(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_skip_invalid_counts_every_skipped_row(tmp_path):
    rows = rows_with(
        r1={"text": ""},
        r2={"topic": ""},
        r3={"id": "dup"},
        r4={"id": "dup"},
        r5={"topic": "Lonely"},
    )
    data = load_requests(write_csv(tmp_path / "bad.csv", rows), skip_invalid=True)
    assert dict(data.skipped) == {
        "empty text": 1,
        "empty label": 1,
        "duplicate id": 1,
        "topic with too few examples": 1,
    }
    assert len(data) + 4 == len(rows)
    assert data.skipped_summary() == (
        "4 skipped: 1 duplicate id, 1 empty label, 1 empty text, 1 topic with too few examples"
    )


def test_missing_file_and_column(tmp_path, tiny_csv):
    with pytest.raises(DataError, match="nope.csv: no such file"):
        load_requests(tmp_path / "nope.csv")
    with pytest.raises(DataError, match=r"missing column 'message' \(columns: id, text, topic\)"):
        load_requests(tiny_csv, text_col="message")


def test_a_file_without_an_id_column_gets_generated_ids(tmp_path):
    rows = [{"text": r["text"], "topic": r["topic"]} for r in make_rows(3)]
    path = write_csv(tmp_path / "d.csv", rows)
    assert load_requests(path).ids[:2] == ["row-2", "row-3"]  # line 1 is the header
    assert load_requests(path, id_col=None).ids == load_requests(path).ids
    with pytest.raises(DataError, match=r"missing column 'id' .*choose another with --id-col"):
        load_requests(path, require_id=True)
    with pytest.raises(DataError, match=r"missing column 'topic' .*with --label-col"):
        load_requests(write_csv(tmp_path / "e.csv", [{"text": "x"}]))


def test_wrong_encoding_is_named(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,text,topic\n1,caf\xe9 build failed,CI\n".encode("cp1252"))
    with pytest.raises(
        DataError, match=r"latin.csv: after line 1: not valid utf-8 text; pass --encoding"
    ):
        load_requests(path)
    assert load_requests(path, encoding="cp1252", min_per_class=1, label_col=None).texts == [
        "café build failed"
    ]


def test_other_delimiter_and_ragged_rows(tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text("id;text;topic\n1;a;b\n")
    with pytest.raises(DataError, match="another delimiter"):
        load_requests(semi)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,text,topic\n1,a,b,extra\n")
    with pytest.raises(DataError, match="line 2: more fields than the header"):
        load_requests(ragged)


def test_bad_jsonl_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": 1, "text": "a", "topic": "x"}\n{"id": 2, "text": \n')
    with pytest.raises(DataError, match="line 2: invalid JSON"):
        load_requests(path)


def test_unsupported_and_empty_files(tmp_path):
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        load_requests(tmp_path / "d.xlsx")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="empty file"):
        load_requests(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("id,text,topic\n")
    with pytest.raises(DataError, match="no rows"):
        load_requests(tmp_path / "h.csv")


def test_split_is_stratified_disjoint_and_seeded():
    labels = [r["topic"] for r in make_rows(40)]
    parts = split(labels, seed=1)
    allidx = set(parts.train) | set(parts.calibration) | set(parts.test)
    assert len(allidx) == len(labels) == len(parts.train) + len(parts.calibration) + len(parts.test)
    assert {labels[i] for i in parts.test} == set(labels)
    assert (split(labels, seed=1).test == parts.test).all()
    assert not (split(labels, seed=2).test == parts.test).all()


def test_read_table_keeps_all_columns(tmp_path, tiny_csv):
    frame = read_table(tiny_csv, "text")
    assert list(frame.columns) == ["id", "text", "topic"] and len(frame) == 180
    with pytest.raises(DataError, match="missing column 'body'"):
        read_table(tiny_csv, "body")


def test_one_topic_cannot_train(tmp_path):
    rows = [
        {"id": str(i), "text": f"deploy {i} failed", "topic": "Failed Deployment"} for i in range(5)
    ]
    with pytest.raises(DataError, match="need at least two topics to train, found 1"):
        load_requests(write_csv(tmp_path / "d.csv", rows))


def test_unlabelled_data_loads_for_prediction(tiny_csv):
    data = load_requests(tiny_csv, label_col=None)
    assert len(data) == 180 and set(data.labels) == {None}


def test_unknown_encoding_is_named(tiny_csv):
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        load_requests(tiny_csv, encoding="klingon")
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        read_table(tiny_csv, "text", encoding="klingon")


def test_jsonl_nested_too_deeply_is_one_line(tmp_path):
    path = tmp_path / "d.jsonl"
    deep = "[" * 200_000 + "]" * 200_000
    path.write_text('{"id": 1, "text": "a", "topic": "x"}\n' + deep + "\n")
    with pytest.raises(DataError, match="line 2: JSON nested too deeply") as info:
        load_requests(path)
    assert "\n" not in str(info.value)
