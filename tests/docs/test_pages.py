"""Reading one Markdown or HTML page: title, headings, meta and plain text."""

from __future__ import annotations

from supportml.docs import parse_html, parse_markdown


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
