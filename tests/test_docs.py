"""Documentation catalogue, indexing a docs tree, ranking links, hit@k and the holdout."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from supportml import docs as docs_module
from supportml.docs import (
    Catalogue,
    DocEntry,
    DocIndex,
    DocLink,
    DocsError,
    index_tree,
    link_hits,
    parse_html,
    parse_markdown,
    stem,
    terms,
)
from supportml.errors import UserError
from supportml.suggest import in_holdout
from tests.conftest import ROOT, SAMPLE

BASE = "https://handbook.example.gov/"
BUNDLED = ROOT / "datasets" / "docs_catalogue.yaml"
OFF_TOPIC = [
    "what's for lunch",
    "my cat is sick",
    "anyone want to grab coffee?",
    "happy friday everyone!",
    "is the parking garage open on saturday?",
    "congrats on the promotion!",
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small docs site: front matter, a heading-only page, nested folders, HTML, noise."""
    root = tmp_path / "docs"
    write(
        root / "ci" / "runner-memory.md",
        """
        ---
        title: Runner out of memory (exit code 137)
        summary: Why CI jobs die with exit code 137.
        topics: [CI Error]
        keywords: [SIGKILL, heap]
        ---
        # Ignored because front matter has a title

        Jobs killed with `exit code 137` used too much memory.

        ## Fixes

        ```sh
        NODE_OPTIONS=--max-old-space-size=6144
        ```
        """,
    )
    write(
        root / "deploy" / "rollbacks" / "rolling-back.md",
        """
        # Rolling back a deployment

        If a **deploy** broke production, [roll back](../x.md) first and debug afterwards.

        ## Who can roll back

        | who | when |
        |---|---|
        | on-call | any time |
        """,
    )
    write(
        root / "access" / "proxy.html",
        """
        <html><head><title>Proxy | Handbook</title>
        <meta name="description" content="Reaching staging through the SOCKS proxy.">
        <meta name="topics" content="Access Request, Environments">
        <meta name="keywords" content="socks, bastion">
        <script>var tracking = "do not index me";</script></head>
        <body><nav>Home menu</nav><h1>SOCKS proxy access</h1>
        <p>Submit your public key.</p><h2>Troubleshooting</h2>
        <table><tr><td>refused</td><td>restart</td></tr></table></body></html>
        """,
    )
    write(root / ".drafts" / "secret.md", "# Draft that must not be indexed\n")
    write(root / "_partials" / "footer.md", "# Footer partial\n")
    write(root / "notes.txt", "not a page")
    return root


# -- catalogue validation --------------------------------------------------------------------
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


# -- reading and indexing pages --------------------------------------------------------------
def test_markdown_title_headings_and_plain_body():
    page = parse_markdown(
        "# Title\n\nSee [the guide](x.md) and **bold** `code`.\n\n## Part two\n\n"
        "```\nexit code 137\n```\n> quoted line\n"
    )
    assert page.title == "Title" and page.headings == ("Part two",)
    assert page.body == "See the guide and bold code.\n\nexit code 137\nquoted line"


def test_html_page_uses_h1_meta_tags_and_skips_script_and_nav():
    page = parse_html(
        '<title>Tab | Site</title><meta name="topics" content="A, B"><script>x()</script>'
        "<nav>menu</nav><h1>Real title</h1><p>Body text</p><table><tr><td>one</td><td>two</td>"
        "</tr></table><h2>Section</h2>"
    )
    assert page.title == "Real title" and page.headings == ("Section",)
    assert page.meta == {"topics": ["A", "B"]}
    assert "menu" not in page.body and "x()" not in page.body and "one two" in page.body


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
    real = docs_module.read_page
    monkeypatch.setattr(
        docs_module, "read_page", lambda path, *args: read.append(path.name) or real(path, *args)
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


# -- ranking ---------------------------------------------------------------------------------
def page(doc_id: str, title: str, body: str, topics: tuple[str, ...] = ()) -> DocEntry:
    return DocEntry(doc_id, title, f"https://h.example.gov/{doc_id}", topics, body=body)


@pytest.fixture(scope="module")
def bundled() -> DocIndex:
    return DocIndex(Catalogue.load(BUNDLED))


def test_terms_drop_stop_words_numbers_and_stem_lightly():
    assert [t for t, _ in terms("Hi! Deploys deployed, deploying and deployment #12345 137")] == [
        "deploy",
        "deploy",
        "deploy",
        "deploy",
        "137",
    ]
    assert stem("caches") == stem("cached") == stem("caching") == "cach"
    assert stem("access") == "access" and stem("status") == "status"


def test_a_request_quoting_a_page_title_finds_it(bundled):
    for entry in bundled.entries:
        links = bundled.search(f'I read "{entry.title}" but still have a question', None, 3)
        assert entry.id in [link.doc_id for link in links], entry.title


def test_off_topic_requests_get_no_links(bundled):
    spread = {topic: 1 / len(bundled.topics) for topic in bundled.topics}
    for text in OFF_TOPIC:
        assert bundled.search(text, None, 3) == [], text
        assert bundled.search(text, spread, 3) == [], text
    assert bundled.search("", None, 3) == [] and bundled.search("exit code 137", None, 0) == []


def test_links_are_ranked_capped_explained_and_above_the_minimum(bundled):
    text = "CI job fails with exit code 137, is the runner out of memory? NODE_OPTIONS?"
    links = bundled.search(text, None, 3)
    assert links[0].doc_id == "ci/runner-out-of-memory" and len(links) <= 3
    assert [link.score for link in links] == sorted((link.score for link in links), reverse=True)
    assert all(link.score >= bundled.min_score for link in links)
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    assert all(2 <= len(link.reason) <= 5 and set(link.reason) <= words for link in links)
    assert {"137", "memory"} <= set(links[0].reason)
    assert len(bundled.search(text, None, 1)) == 1


def test_min_score_and_min_terms_drop_weak_links():
    catalogue = Catalogue(
        (
            page("a", "Runner memory", "exit code 137 means the runner ran out of memory"),
            page("b", "Office hours", "office hours run on tuesdays"),
        )
    )
    loose = DocIndex(catalogue, min_score=0.0)
    assert loose.search("out of office next week", None, 3) == []  # one shared word only
    assert DocIndex(catalogue, min_score=0.0, min_terms=1).search("office party", None, 3)
    text = "the runner died with exit code 137"
    scores = [link.score for link in loose.search(text, None, 3)]
    assert scores and DocIndex(catalogue, min_score=max(scores) + 1e-9).search(text) == []
    with pytest.raises(DocsError, match="min_score 1.5"):
        DocIndex(catalogue, min_score=1.5)
    with pytest.raises(DocsError, match="prior_weight -1"):
        DocIndex(catalogue, prior_weight=-1)


def test_topic_prior_reorders_equally_similar_pages():
    body = "the deploy to staging failed and pods crash on start"
    catalogue = Catalogue(
        (
            page("deploy", "Failed deploys", body, ("Failed Deployment",)),
            page("env", "Failed deploys", body, ("Environments",)),
            page("any", "Failed deploys", body),
        )
    )
    index = DocIndex(catalogue, min_score=0.0)
    text = "deploy failed, pods crash"
    plain = index.search(text, None, 3)
    assert len({round(link.score, 9) for link in plain}) == 1  # same words, same score
    deploy = index.search(text, {"Failed Deployment": 0.9, "Environments": 0.1}, 3)
    env = index.search(text, {"Failed Deployment": 0.1, "Environments": 0.9}, 3)
    assert [link.doc_id for link in deploy] == ["deploy", "any", "env"]
    assert [link.doc_id for link in env] == ["env", "any", "deploy"]
    assert deploy[0].score == pytest.approx(plain[0].score * (1 - 0.5 + 0.5 * 0.9))
    flat = DocIndex(catalogue, min_score=0.0, prior_weight=0.0)
    assert flat.search(text, {"Environments": 1.0}, 3) == plain


def test_link_hits_counts_no_links_as_misses():
    link = lambda doc: DocLink(doc, "t", "https://h/x", 0.5, ())  # noqa: E731
    shown = [[link("a"), link("b")], [link("c"), link("d"), link("e")], []]
    result = link_hits(shown, ["a", "e", "f"])
    assert result == {
        "rows": 3.0,
        "hit_at_1": pytest.approx(1 / 3),
        "hit_at_3": pytest.approx(2 / 3),
        "with_links": pytest.approx(2 / 3),
    }


# -- the bundled handbook ------------------------------------------------------------------
def test_bundled_catalogue_is_what_docs_index_writes(tmp_path):
    result = index_tree(ROOT / "datasets" / "docs", BASE)
    result.catalogue.save(tmp_path / "c.yaml")
    assert (tmp_path / "c.yaml").read_text() == BUNDLED.read_text()
    assert len(result.catalogue) >= 40
    assert len({Path(e.path).parent for e in result.catalogue.entries}) >= 8  # nested folders


def test_bundled_handbook_covers_the_sample_topics_and_its_resolutions():
    import pandas as pd

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    catalogue = Catalogue.load(BUNDLED, topics=set(sample["topic"]))
    assert set(catalogue.topics) == set(sample["topic"])
    resolved = sample["resolved_by_doc"][sample["resolved_by_doc"] != ""]
    assert set(resolved) <= {e.id for e in catalogue.entries}
    assert 0.25 <= len(resolved) / len(sample) <= 0.40


def test_loader_keeps_optional_columns_aligned_with_the_rows(tmp_path):
    from supportml.data import load_requests
    from tests.conftest import write_csv

    rows = [
        {"id": "1", "text": "okta access", "topic": "Access", "resolved_by_doc": "access/okta"},
        {"id": "2", "text": "", "topic": "Access", "resolved_by_doc": "skipped/empty"},
        {"id": "3", "text": "sso login", "topic": "Access", "resolved_by_doc": ""},
        {"id": "4", "text": "lone topic", "topic": "Rare", "resolved_by_doc": "skipped/rare"},
        {"id": "5", "text": "helm rollback", "topic": "Deploy", "resolved_by_doc": "deploy/rb"},
        {"id": "6", "text": "helm failed", "topic": "Deploy", "resolved_by_doc": ""},
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    data = load_requests(path, extra_cols=("resolved_by_doc", "absent"), skip_invalid=True)
    assert data.ids == ["1", "3", "5", "6"]
    assert data.extra == {"resolved_by_doc": ["access/okta", "", "deploy/rb", ""]}
    empty = write_csv(
        tmp_path / "e.csv", [{**r, "resolved_by_doc": ""} for r in rows[:1] + rows[4:]]
    )
    assert load_requests(empty, extra_cols=("resolved_by_doc",), min_per_class=1).extra == {}


@pytest.mark.slow
def test_hit_at_3_on_the_sample(tmp_path):
    """The brief's target, on the held-out test rows of the default model and on all rows."""
    from supportml.data import load_requests
    from supportml.model import ModelParams
    from supportml.suggest import Suggester
    from supportml.train import train

    data = load_requests(SAMPLE, extra_cols=("resolved_by_doc",))
    result = train(data, ModelParams(), tmp_path / "model")
    suggester = Suggester.from_card(
        result.classifier, result.card, DocIndex(Catalogue.load(BUNDLED))
    )
    expected = data.extra["resolved_by_doc"]
    test_rows = set(result.split.test.tolist())
    for rows in ([i for i in test_rows if expected[i]], [i for i, d in enumerate(expected) if d]):
        links = suggester.links_many([data.texts[i] for i in rows])
        hits = link_hits(links, [expected[i] for i in rows])
        assert hits["hit_at_3"] >= 0.8, hits


# -- holdout ---------------------------------------------------------------------------------
def test_holdout_is_stable_across_processes_and_hash_seeds():
    keys = [f"T024BE7LD/C02A7QK9PLS/1760000000.{i:06d}" for i in range(200)]
    here = [in_holdout(key, 0.1) for key in keys]
    code = (
        "import sys; from supportml.suggest import in_holdout; "
        "print(''.join('1' if in_holdout(k.strip(), 0.1) else '0' for k in sys.stdin))"
    )
    for seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            input="\n".join(keys),
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
        )
        assert done.stdout.strip() == "".join("1" if flag else "0" for flag in here)
    # pinned: sha256 of the key decides, so a change of the rule shows up here
    pinned = "001000010000"  # keys 2 and 7 hash to 0.065 and 0.099 of the range
    assert "".join("1" if in_holdout(f"w/c/{i}", 0.1) else "0" for i in range(12)) == pinned


def test_holdout_share_is_about_the_share_and_nested():
    keys = [f"W1/C{i % 7}/{1760000000 + i}.000{i % 10}00" for i in range(10_000)]
    ten = [key for key in keys if in_holdout(key, 0.10)]
    assert 0.09 <= len(ten) / len(keys) <= 0.11  # binomial sd is 0.003
    assert {key for key in keys if in_holdout(key, 0.05)} <= set(ten)
    assert not any(in_holdout(key, 0.0) for key in keys[:100])
    assert all(in_holdout(key, 1.0) for key in keys[:100])
    with pytest.raises(ValueError, match="holdout share 1.5"):
        in_holdout("k", 1.5)


def test_docs_module_imports_no_adapter_library():
    code = "import supportml.docs, supportml.suggest, sys; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert not loaded & {"mlflow", "click", "slack_bolt", "sqlalchemy"}
