from hypothesis import given
from hypothesis import strategies as st

from supportml.text import normalize, unescape


def test_mentions_become_placeholder_and_ids_disappear():
    out = normalize("hey <@U024BE7LH> and <@W0123ABC|jane> can you look?")
    assert out == "hey @user and @user can you look?"


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
