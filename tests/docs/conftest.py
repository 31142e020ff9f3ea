"""Shared by the docs tests: a small docs tree on disk and one-line catalogue pages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from supportml.docs import DocEntry
from tests.conftest import ROOT

BASE = "https://handbook.example.gov/"
BUNDLED = ROOT / "datasets" / "docs_catalogue.yaml"


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


def page(doc_id: str, title: str, body: str, topics: tuple[str, ...] = ()) -> DocEntry:
    return DocEntry(doc_id, title, f"https://h.example.gov/{doc_id}", topics, body=body)
