"""The catalogue: validation of every field, round trips, YAML and CSV, one-line errors."""

from __future__ import annotations

import pytest
import yaml

from supportml.docs import Catalogue, DocsError
from supportml.errors import UserError
from tests.docs.conftest import BASE


def entry(**fields) -> dict:
    return {"id": "ci/runner", "title": "Runner", "url": "https://h.example.gov/ci", **fields}


def test_catalogue_round_trip_keeps_every_field(tmp_path):
    original = Catalogue.from_records(
        [
            (
                "x",
                entry(
                    topics=["CI Error"],
                    summary="Why jobs die.",
                    keywords=["oom"],
                    headings=["Fixes"],
                    body="line one\n\nline two",
                    path="ci/runner.md",
                    sha256="ab",
                ),
            )
        ],
        base_url=BASE,
    )
    original.save(tmp_path / "c.yaml")
    again = Catalogue.load(tmp_path / "c.yaml")
    assert again.entries == original.entries and again.base_url == BASE
    assert "body: |-" in (tmp_path / "c.yaml").read_text()  # text stays readable in diffs


@pytest.mark.parametrize(
    "record, message",
    [
        ({"id": "deploy-rollback", "title": "Rollback"}, "missing url"),
        ({"id": "deploy-rollback", "url": "https://h/x"}, "missing title"),
        ({"id": "deploy-rollback", "title": "T", "url": "ftp://h/x"}, "is not an http"),
        ({"id": "deploy-rollback", "title": "T", "url": "https://h/x", "titel": "T"}, "unknown"),
        ({"id": "deploy-rollback", "title": "T", "url": "https://h/x", "topics": {"a": 1}}, "list"),
    ],
)
def test_bad_entry_is_named_by_file_position_and_id(tmp_path, record, message):
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"docs": [entry(), record]}))
    with pytest.raises(DocsError) as err:
        Catalogue.load(path)
    text = str(err.value)
    assert text.startswith(f"{path}: entry 2 (id 'deploy-rollback'): ") and message in text
    assert "\n" not in text and isinstance(err.value, UserError)


def test_duplicate_ids_and_urls_are_rejected(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump([entry(), entry(url="https://h.example.gov/other")]))
    with pytest.raises(DocsError, match=r"entry 2 \(id 'ci/runner'\): duplicate id .*entry 1"):
        Catalogue.load(path)
    path.write_text(yaml.safe_dump([entry(), entry(id="ci/other")]))
    with pytest.raises(DocsError, match="entry 2 .*duplicate url 'https://h.example.gov/ci'"):
        Catalogue.load(path)


def test_unknown_topics_only_when_a_topic_list_is_given(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump([entry(topics=["CI Eror"])]))
    assert Catalogue.load(path).topics == ["CI Eror"]
    with pytest.raises(DocsError, match="unknown topic 'CI Eror' .did you mean 'CI Error'"):
        Catalogue.load(path, topics=["CI Error", "Pipeline"])


def test_csv_catalogue_splits_lists_and_names_lines(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "id,title,url,topics,keywords,body\n"
        'a,Alpha,https://h/a,CI Error;Pipeline,"oom; heap","two\nlines"\n'
        "b,Beta,,CI Error,,\n"
    )
    with pytest.raises(DocsError, match=r"catalogue.csv: line 4 \(id 'b'\): missing url"):
        Catalogue.load(path)
    path.write_text(path.read_text().replace("b,Beta,,", "b,Beta,https://h/b,"))
    alpha = Catalogue.load(path).entries[0]
    assert alpha.topics == ("CI Error", "Pipeline") and alpha.keywords == ("oom", "heap")
    assert alpha.body == "two\nlines"


def test_unreadable_catalogue_files(tmp_path):
    with pytest.raises(DocsError, match="no such catalogue file"):
        Catalogue.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("docs: [\n  - id: a\n    title: [unclosed\n")
    with pytest.raises(DocsError, match=r"bad.yaml: not valid YAML \(line \d+"):
        Catalogue.load(bad)
    bad.write_text("docs: {id: a}\n")
    with pytest.raises(DocsError, match="expected a list of docs"):
        Catalogue.load(bad)
    other = tmp_path / "c.json"
    other.write_text("[]")
    with pytest.raises(DocsError, match="use .yaml or .csv"):
        Catalogue.load(other)


def test_yaml_nested_too_deeply_is_one_line(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text("docs: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(DocsError, match="not valid YAML") as info:
        Catalogue.load(path)
    assert "\n" not in str(info.value)
