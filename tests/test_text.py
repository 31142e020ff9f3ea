import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportml.text import (
    _BLANK_LINES,
    _EMOJI,
    _EMPHASIS,
    _SIGNOFF,
    _SPACES,
    _cut_signoff,
    model_text,
    normalize,
    strip_salutations,
    unescape,
)


def test_mentions_become_placeholder_and_ids_disappear():
    out = normalize("hey <@U024BE7LH> and <@W0123ABC|jane> can you look?")
    assert out == "hey @someone and @someone can you look?"


def test_links_keep_label_and_url():
    assert normalize("see <https://github.com/o/r/pull/12|PR 12> pls") == (
        "see PR 12 https://github.com/o/r/pull/12 pls"
    )
    assert normalize("<https://example.com/a>") == "https://example.com/a"
    assert normalize("mail <mailto:a@b.gov|a@b.gov>") == "mail a@b.gov"


def test_channels_groups_and_specials():
    text = "<#C02ABCDEF|platform-support> <!subteam^S0123|@platform-oncall> <!here> <!channel>"
    assert normalize(text) == "#platform-support @platform-oncall @here @channel"


def test_escapes_emoji_and_emphasis():
    assert normalize("a &lt;b&gt; &amp;&amp; c :pray: *bold* ~gone~") == "a <b> && c bold gone"
    assert normalize("keep_snake_case and 2*3*4") == "keep_snake_case and 2*3*4"


def test_whitespace_collapses_but_lines_survive():
    assert normalize("  line one  \n\n\n\n  line\ttwo  ") == "line one\n\nline two"


def test_code_blocks_keep_their_content():
    text = "deploy failed:\n```\nError: exit code 137\n  at step deploy\n```"
    assert "exit code 137" in normalize(text)


def test_unescape_only_slacks_three_entities():
    assert unescape("&lt;&gt;&amp;&quot;") == "<>&&quot;"


@given(st.text())
def test_normalize_never_raises_and_strips(text):
    out = normalize(text)
    assert out == out.strip()
    assert "\t" not in out


@given(st.from_regex(r"<@U[A-Z0-9]{8}>", fullmatch=True), st.text(alphabet="abc def"))
def test_no_user_id_survives(mention, text):
    assert mention[2:-1] not in normalize(f"{text} {mention} {text}")


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("hi platform team, my deploy failed", "my deploy failed"),
        ("Hello platform folks, is staging down?", "is staging down?"),
        ("good afternoon all\nthe CI job hangs", "the CI job hangs"),
        ("hey y'all our RI is stuck", "our RI is stuck"),
        ("hey @platform-support i need access", "i need access"),
        ("hello hello the build is red", "the build is red"),
        ("the build is red thanks kim", "the build is red"),
        ("can you rerun it? any help is appreciated", "can you rerun it?"),
        ("grafana is empty. thanks so much!", "grafana is empty"),
        ("approve pls, thanks in advance! ty", "approve pls"),
        ("high CPU on the dashboard", "high CPU on the dashboard"),
        (
            "history of the pipeline, thanks to the cache",
            "history of the pipeline, thanks to the cache",
        ),
        ("thanks!", "thanks!"),
    ],
)
def test_strip_salutations(text, body):
    assert strip_salutations(text) == body


def test_model_text_normalises_then_strips():
    assert model_text("hey <@U024BE7LH> :wave: staging is down &amp; slow\nthx!") == (
        "staging is down & slow"
    )


# Sign-off words, separators, Unicode letters the case-insensitive regex treats specially (ſ, ı,
# K) and ordinary words: the fast sign-off cut must agree with the regex it replaces.
_PIECES = st.sampled_from(
    [
        "thanks", "Thank you", "THX", "ty", "tia", "cheers", "regards", "much appreciated",
        "appreciate it", "appreciate any help", "any help would be greatly appreciated", "any",
        "type", "empty", "so much", "again", "kim", " ", "  ", ",", ".", "!", "-", ";", ":",
        "\n", "\t", "\u00a0", "\u2003", "\x1c", "ſ", "ı", "K", "thanKſ", "tıa", "é", "_", "2",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=12).map("".join))
def test_cut_signoff_equals_the_regex(text):
    assert _cut_signoff(text) == _SIGNOFF.sub("", text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\r\f\v\n*~ab_.:"), max_size=30))
def test_normalize_shortcuts_change_nothing(text):
    """normalize skips the emphasis, spaces and lines steps when their characters are absent."""
    out = text.replace("\x00", "")
    out = _EMPHASIS.sub(r"\2", _EMOJI.sub(" ", out))
    out = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", out))
    assert normalize(text) == "\n".join(line.strip() for line in out.split("\n")).strip()
