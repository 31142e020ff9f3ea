"""The HTML report in a real browser (headless Chromium): it loads without console errors, its
charts have a size, a request text holding a script stays text, and a screenshot is left under
tests/artifacts/ for people to look at.

No browser driver: Chromium's --dump-dom prints the DOM after the page has loaded, and a copy of
the report with a small probe script (test-only; the shipped report has no script at all) writes
what it measured into that DOM.
"""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
from pathlib import Path

import pytest

from supportml.report import build_report
from supportml.report.render import to_html
from supportml.store import open_store
from tests.report.conftest import SINCE, UNTIL, WEEK, at, insert, row

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCRIPT = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
    ),
]

# Runs first in <head>: records failed loads, CSP violations, console errors and alerts, and on
# load writes the rendered size of every chart into <body data-…> for --dump-dom to print.
PROBE = """<script>
window.__problems = [];
addEventListener("error", e => __problems.push("error: " + (e.message || e.target.src)), true);
addEventListener("securitypolicyviolation", e => __problems.push("csp: " + e.violatedDirective));
for (const level of ["error", "warn"]) {
  const original = console[level];
  console[level] = (...args) => {
    __problems.push(level + ": " + args.join(" "));
    original(...args);
  };
}
window.alert = message => __problems.push("alert: " + message);
addEventListener("load", () => {
  const charts = [...document.querySelectorAll("img.chart, svg")].map(chart => {
    const box = chart.getBoundingClientRect();
    return {tag: chart.tagName, natural: [chart.naturalWidth || 0, chart.naturalHeight || 0],
            rendered: [box.width, box.height]};
  });
  document.body.dataset.charts = JSON.stringify(charts);
  document.body.dataset.problems = JSON.stringify(__problems);
  document.body.dataset.scripts = String(document.scripts.length);
});
</script>"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def dumped(profile: Path, page: Path) -> tuple[str, list[str]]:
    """The DOM after load, and the page's console messages (Chromium logs them as CONSOLE)."""
    done = chromium(profile, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def data(dom: str, name: str) -> object:
    match = re.search(rf'<body[^>]* data-{name}="([^"]*)"', dom)
    assert match, f"the probe wrote no data-{name}"
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    insert(engine, [*WEEK, row(at(4, 9), final_topic="Access", text=f"{SCRIPT} still stuck")])
    report = build_report(engine, SINCE, UNTIL)
    engine.dispose()
    # the request is unresolved and older than 24 h: its text is in the "lost in threads" table
    assert any(SCRIPT in r[-1] for r in report.breakdowns["open_requests"].rows)
    path = tmp_path / "report.html"
    path.write_text(to_html(report), encoding="utf-8")
    return path


def test_report_renders_in_chromium(report_file: Path, tmp_path: Path):
    page = report_file.read_text(encoding="utf-8")
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt; still stuck" in page
    profile = tmp_path / "profile"

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    chromium(profile, "--hide-scrollbars", "--window-size=1280,3000",
             f"--screenshot={screenshot}", report_file.as_uri())  # fmt: skip
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1280, 3000)

    dom, console = dumped(profile, report_file)
    assert console == []  # the shipped page logs nothing
    assert "<script" not in dom  # the request's script never became an element
    assert "&lt;script&gt;alert(1)&lt;/script&gt; still stuck" in dom  # it is shown as text

    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", f"<head>{PROBE}", 1), encoding="utf-8")
    dom, console = dumped(profile, probed)
    assert data(dom, "problems") == [] and console == []
    assert data(dom, "scripts") == 1  # the probe only
    charts = data(dom, "charts")
    assert isinstance(charts, list) and len(charts) == 2  # requests per week, top topics
    for chart in charts:
        assert min(chart["natural"]) > 0 and min(chart["rendered"]) > 0, chart


def test_report_prints(report_file: Path, tmp_path: Path):
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
             report_file.as_uri())  # fmt: skip
    document = pdf.read_bytes()
    assert document.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", document)) >= 2  # the tables run over pages
