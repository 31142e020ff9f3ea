"""`supportml docs index`, and predict/evaluate with documentation links, through CliRunner."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from supportml.cli import cli
from tests.conftest import make_rows, write_csv

BASE = "https://handbook.example.gov/"


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("SUPPORTML_DOCS", raising=False)
    return CliRunner()


def page(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.fixture
def site(tmp_path) -> Path:
    """Pages for three of the tiny model's topics (tests/conftest.py VOCAB)."""
    root = tmp_path / "site"
    page(
        root,
        "access/okta.md",
        """
        ---
        topics: [Access Request]
        keywords: [okta, sso]
        ---
        # Getting Okta SSO access

        Ask for a role to be granted; a login denied error means the role is missing.
        """,
    )
    page(
        root,
        "deploy/rollback.md",
        """
        ---
        topics: [Failed Deployment]
        ---
        # Rolling back a release

        A helm rollback takes production back to the previous release.
        """,
    )
    page(
        root,
        "reviews/index.html",
        """
        <html><head><meta name="topics" content="PR Review"></head>
        <body><h1>Getting a pull request reviewed</h1>
        <p>Codeowners approve changes; request a reviewer on the pull request.</p></body></html>
        """,
    )
    return root


def index(runner, site, out, *extra):
    return runner.invoke(
        cli, ["docs", "index", str(site), "--base-url", BASE, "--out", str(out), *extra]
    )


def test_docs_index_writes_and_updates_the_catalogue(runner, site, tmp_path):
    out = tmp_path / "catalogue.yaml"
    result = index(runner, site, out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 3 pages (3 added, 0 changed, 0 unchanged, 0 removed)" in result.stdout
    written = yaml.safe_load(out.read_text())
    assert written["base_url"] == BASE
    urls = {doc["id"]: doc["url"] for doc in written["docs"]}
    assert urls == {
        "access/okta": "https://handbook.example.gov/access/okta.html",
        "deploy/rollback": "https://handbook.example.gov/deploy/rollback.html",
        "reviews/index": "https://handbook.example.gov/reviews/index.html",
    }
    (site / "deploy" / "rollback.md").write_text("# Rolling back\n\nUse helm rollback.\n")
    result = index(runner, site, out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "out": str(out),
        "pages": 3,
        "added": 0,
        "changed": 1,
        "unchanged": 2,
        "removed": 0,
        "skipped": 0,
    }


def test_docs_index_bad_front_matter_is_one_line_and_exit_2(runner, site, tmp_path):
    page(site, "bad/page.md", "---\ntopics: [unclosed\n---\n# Bad\n")
    result = index(runner, site, tmp_path / "c.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "page.md: front matter is not valid YAML" in (
        result.stderr
    )
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c.yaml").exists()
    result = index(runner, site, tmp_path / "c.yaml", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "3 pages" in result.stdout and "1 skipped" in result.stdout
    assert "skipped:" in result.stderr and "page.md" in result.stderr


def test_docs_index_checks_topics_against_a_model(runner, site, tmp_path, trained):
    result = index(runner, site, tmp_path / "c.yaml", "--model", str(trained.model_dir))
    assert result.exit_code == 0, result.output
    page(site, "ci/oops.md", "---\ntopics: [CI Eror]\n---\n# CI help\n")
    result = index(runner, site, tmp_path / "c.yaml", "--model", str(trained.model_dir))
    assert result.exit_code == 2 and "unknown topic 'CI Eror' (did you mean 'CI Error'?)" in (
        result.stderr
    )


@pytest.fixture
def catalogue(runner, site, tmp_path) -> Path:
    out = tmp_path / "catalogue.yaml"
    assert index(runner, site, out).exit_code == 0
    return out


def test_predict_shows_links(runner, trained, catalogue):
    model = ["--model", str(trained.model_dir)]
    text = "okta sso login denied, can someone grant me the role?"
    result = runner.invoke(cli, ["predict", *model, "--docs", str(catalogue), text])
    assert result.exit_code == 0, result.output
    assert "topic: Access Request" in result.stdout
    assert "docs 1: Getting Okta SSO access https://handbook.example.gov/access/okta.html" in (
        result.stdout
    )
    result = runner.invoke(cli, ["predict", *model, "--docs", str(catalogue), "--json", text])
    links = json.loads(result.stdout)["links"]
    assert links[0]["doc_id"] == "access/okta" and {"okta", "sso"} <= set(links[0]["reason"])
    result = runner.invoke(cli, ["predict", *model, "--docs", str(catalogue), "what's for lunch"])
    assert result.exit_code == 0 and "docs: no page scores" in result.stdout
    result = runner.invoke(cli, ["predict", *model, "--docs", "none", "--json", text])
    assert json.loads(result.stdout)["links"] == []


def test_predict_finds_the_catalogue_from_the_environment(runner, trained, catalogue, monkeypatch):
    model = ["--model", str(trained.model_dir)]
    monkeypatch.setenv("SUPPORTML_DOCS", str(catalogue))
    result = runner.invoke(cli, ["predict", *model, "--json", "helm rollback of production"])
    assert json.loads(result.stdout)["links"][0]["doc_id"] == "deploy/rollback"
    monkeypatch.setenv("SUPPORTML_DOCS_MIN_SCORE", "1")
    result = runner.invoke(cli, ["predict", *model, "--json", "helm rollback of production"])
    assert json.loads(result.stdout)["links"] == []
    monkeypatch.setenv("SUPPORTML_DOCS", str(catalogue.with_name("missing.yaml")))
    result = runner.invoke(cli, ["predict", *model, "helm rollback"])
    assert result.exit_code == 2 and "missing.yaml: no such catalogue file" in result.stderr


def test_predict_uses_the_bundled_catalogue_when_run_from_a_checkout(
    runner, trained, catalogue, tmp_path
):
    (tmp_path / "datasets").mkdir()
    catalogue.rename(tmp_path / "datasets" / "docs_catalogue.yaml")  # cwd is tmp_path in tests
    args = ["predict", "--model", str(trained.model_dir), "--json", "helm rollback production"]
    assert json.loads(runner.invoke(cli, args).stdout)["links"][0]["doc_id"] == "deploy/rollback"


def test_evaluate_reports_link_hits_when_the_file_says_which_page_resolved(
    runner, trained, catalogue, tmp_path
):
    rows = make_rows(5)
    resolving = {"Access Request": "access/okta", "Failed Deployment": "deploy/rollback"}
    for row in rows:
        row["resolved_by_doc"] = resolving.get(row["topic"], "")
    rows[0]["resolved_by_doc"] = "gone/page"  # a page the catalogue no longer has
    data = write_csv(tmp_path / "labelled.csv", rows)
    model = ["evaluate", "--model", str(trained.model_dir), "--docs", str(catalogue)]
    result = runner.invoke(cli, [*model, "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)["docs"]
    n = sum(bool(row["resolved_by_doc"]) for row in rows)
    assert docs["rows"] == n and docs["unknown_docs"] == 1
    assert 0 < docs["hit_at_1"] <= docs["hit_at_3"] <= docs["with_links"] <= 1
    assert docs["hit_at_3"] <= (n - 1) / n  # the unknown page can never be a hit
    result = runner.invoke(cli, [*model, "--data", str(data)])
    assert "hit@3" in result.stdout and "name a page the catalogue does not have" in result.stdout
    plain = write_csv(tmp_path / "plain.csv", make_rows(5))
    result = runner.invoke(cli, [*model, "--data", str(plain), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["docs"] is None
    assert "not scored: no 'resolved_by_doc'" in result.stderr
