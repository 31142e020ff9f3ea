"""Indexing a docs tree: front matter, nested folders, bad pages, re-runs by hash."""

from __future__ import annotations

import pytest

from supportml.docs import DocsError, index_tree
from supportml.docs import indexer as indexer_module
from tests.docs.conftest import BASE, write


def test_index_tree_reads_front_matter_headings_nested_folders_and_html(tree):
    result = index_tree(tree, BASE)
    by_id = {e.id: e for e in result.catalogue.entries}
    assert set(by_id) == {"access/proxy", "ci/runner-memory", "deploy/rollbacks/rolling-back"}
    assert result.counts() == {
        "pages": 3,
        "added": 3,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
        "skipped": 0,
    }
    runner = by_id["ci/runner-memory"]
    assert runner.title == "Runner out of memory (exit code 137)"
    assert runner.url == "https://handbook.example.gov/ci/runner-memory.html"
    assert runner.topics == ("CI Error",) and runner.keywords == ("SIGKILL", "heap")
    assert runner.headings == ("Fixes",) and "max-old-space-size" in runner.body
    assert runner.path == "ci/runner-memory.md" and len(runner.sha256) == 64
    rollback = by_id["deploy/rollbacks/rolling-back"]
    assert rollback.title == "Rolling back a deployment" and rollback.topics == ()
    assert rollback.summary.startswith("If a deploy broke production, roll back first")
    assert rollback.url.endswith("/deploy/rollbacks/rolling-back.html")
    proxy = by_id["access/proxy"]
    assert proxy.title == "SOCKS proxy access" and proxy.url.endswith("/access/proxy.html")
    assert proxy.topics == ("Access Request", "Environments")
    assert proxy.summary == "Reaching staging through the SOCKS proxy."
    assert "do not index me" not in proxy.body and "Home menu" not in proxy.body


def test_front_matter_can_set_id_and_url(tmp_path):
    write(
        tmp_path / "d" / "a.md",
        "---\nid: custom\nurl: /pretty/a/\ndescription: Said here.\ntags: one\n---\n# A\n",
    )
    (page,) = index_tree(tmp_path / "d", BASE).catalogue.entries
    assert (page.id, page.url) == ("custom", "https://handbook.example.gov/pretty/a/")
    assert page.summary == "Said here." and page.keywords == ("one",)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("---\ntitle: a: b\n---\n# T\n", "front matter is not valid YAML (line 2: mapping"),
        ("---\n- just\n- a list\n---\n# T\n", "front matter must be a mapping"),
        ("---\ntopics: {a: 1}\n---\n# T\n", "front matter field 'topics' must be a list"),
        ("---\ntitle: {a: 1}\n---\n", "front matter field 'title' must be text"),
        ("no heading at all\n", "no title"),
    ],
)
def test_a_bad_page_is_one_line_naming_the_file(tree, text, reason):
    bad = write(tree / "ci" / "bad.md", text)
    with pytest.raises(DocsError) as err:
        index_tree(tree, BASE)
    assert str(err.value).startswith(f"{bad}: ") and reason in str(err.value)
    assert "\n" not in str(err.value)
    skipping = index_tree(tree, BASE, skip_invalid=True)
    assert len(skipping.catalogue) == 3 and len(skipping.skipped) == 1
    assert skipping.skipped[0].startswith(str(bad))


def test_duplicate_ids_across_pages_and_unknown_topics(tree):
    write(tree / "x" / "dup.md", "---\nid: ci/runner-memory\n---\n# Dup\n")
    with pytest.raises(DocsError, match=r"dup.md: duplicate id 'ci/runner-memory', also at .*"):
        index_tree(tree, BASE)
    result = index_tree(tree, BASE, skip_invalid=True)
    assert len(result.catalogue) == 3 and "duplicate id" in result.skipped[0]
    (tree / "x" / "dup.md").unlink()
    with pytest.raises(DocsError, match=r"proxy.html: unknown topic 'Access Request'"):
        index_tree(tree, BASE, topics=["CI Error", "Environments"])


def test_rerun_reads_only_changed_pages_and_counts_everything(tree, monkeypatch):
    first = index_tree(tree, BASE)
    runner = tree / "ci" / "runner-memory.md"
    runner.write_text(runner.read_text().replace("used too much", "used far too much"))
    (tree / "access" / "proxy.html").unlink()
    write(tree / "testing" / "flaky.md", "# Flaky tests\n\nRe-run once.\n")
    read = []
    real = indexer_module.read_page
    monkeypatch.setattr(
        indexer_module, "read_page", lambda path, *args: read.append(path.name) or real(path, *args)
    )
    second = index_tree(tree, BASE, first.catalogue)
    assert sorted(read) == ["flaky.md", "runner-memory.md"]
    assert (second.added, second.changed, second.unchanged, second.removed) == (1, 1, 1, 1)
    ids = [e.id for e in second.catalogue.entries]
    assert ids == ["ci/runner-memory", "deploy/rollbacks/rolling-back", "testing/flaky"]
    old = {e.id: e for e in first.catalogue.entries}
    new = {e.id: e for e in second.catalogue.entries}
    assert new["deploy/rollbacks/rolling-back"] is old["deploy/rollbacks/rolling-back"]
    assert "far too much" in new["ci/runner-memory"].body
    moved = index_tree(tree, "https://elsewhere.example.gov", second.catalogue)
    assert moved.changed == 3 and moved.catalogue.entries[0].url.startswith("https://elsewhere")


def test_index_tree_refuses_bad_roots_and_urls(tmp_path):
    with pytest.raises(DocsError, match="no such folder"):
        index_tree(tmp_path / "nope", BASE)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DocsError, match="no Markdown"):
        index_tree(tmp_path / "empty", BASE)
    with pytest.raises(DocsError, match="expected an http"):
        index_tree(tmp_path, "handbook.example.gov")


def test_files_that_link_outside_the_tree_are_never_read(tree, tmp_path):
    outside = tmp_path / "outside"
    write(outside / "environ.md", "# Secrets\n\nSLACK_BOT_TOKEN=leaked\n")
    (tree / "environ.md").symlink_to(outside / "environ.md")
    (tree / "linked").symlink_to(outside, target_is_directory=True)
    (tree / "ci" / "alias.md").symlink_to(tree / "ci" / "runner-memory.md")  # inside: fine
    result = index_tree(tree, BASE)
    assert "leaked" not in repr(result.catalogue.entries)
    # the folder link is not walked (rglob), the file link is listed and refused
    assert result.skipped == (f"{tree / 'environ.md'}: links outside {tree}; not indexed",)
    assert result.counts()["skipped"] == 1
    assert "ci/alias" in {entry.id for entry in result.catalogue.entries}
