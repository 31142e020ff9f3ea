"""Topic map files: validation, chains, loops, and applying maps in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportml.ingest.errors import IngestError
from supportml.ingest.topics_map import apply_maps, read_topic_map

EXAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "topics_map.example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_example_reads() -> None:
    topic_map = read_topic_map(EXAMPLE)
    assert topic_map.mapping["Pull Request"] == "PR Review"
    assert len(topic_map.sha256) == 64


def test_chains_resolve_to_the_newest_name(tmp_path: Path) -> None:
    topic_map = read_topic_map(write(tmp_path, "Build Failure: CI Failure\nCI Failure: CI Error\n"))
    assert topic_map.mapping == {"Build Failure": "CI Error", "CI Failure": "CI Error"}


def test_identity_entries_are_dropped_and_the_hash_ignores_order(tmp_path: Path) -> None:
    a = read_topic_map(write(tmp_path, "A: B\nC: D\nE: E\n"))
    b = read_topic_map(write(tmp_path, "C: D\nA: B\n"))
    assert a.mapping == {"A": "B", "C": "D"}
    assert a.sha256 == b.sha256


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A: B\nB: A\n", r"entry 'A': the map loops \(A -> B -> A\)"),
        ("A: [B, C]\n", "entry 'A': both sides must be non-empty"),
        ("A: ''\n", "entry 'A': both sides must be non-empty"),
        ("- A\n- B\n", "expected a YAML map"),
        ("A: B\n  C: D: E\n", "line 2"),
    ],
)
def test_bad_maps_name_the_entry_or_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        read_topic_map(write(tmp_path, text))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        read_topic_map(tmp_path / "nope.yaml")


def test_maps_apply_in_the_order_they_were_recorded() -> None:
    maps = [{"Pull Request": "PR"}, {"PR": "PR Review"}]
    assert apply_maps("Pull Request", maps) == "PR Review"
    assert apply_maps("CI Error", maps) == "CI Error"
    assert apply_maps(None, maps) is None


def test_yaml_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(IngestError, match="nested too deeply") as info:
        read_topic_map(path)
    assert "\n" not in str(info.value)
