"""Slack mrkdwn normalisation and the texts the store and the model read (pure functions).

Slack delivers message text as mrkdwn: user ids wrapped in ``<@U…>``, links as ``<url|label>``,
HTML-escaped ``&``, ``<`` and ``>``. A classifier should learn from what people wrote, not from whom
they mentioned or which emoji they used, so ids and emoji codes become stable placeholders.

`store_text` and `model_text` also redact PII (`supportml.redact`); callers pass the configured
redactor (`Settings.redactor`), `DEFAULT_REDACTOR` otherwise.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from supportml.redact import DEFAULT_REDACTOR, Redactor

_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|@?([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|ftp):[^|>\s]+)(?:\|([^>]*))?>")
_EMOJI = re.compile(r":[a-z0-9_+'-]+(?:::skin-tone-\d)?:")
_EMPHASIS = re.compile(r"(?<![\w*~])([*~])(?=\S)([^\n*~]*?\S)\1(?![\w*~])")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[\W_]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

USER_TOKEN = "@someone"  # a word with no topic of its own


def unescape(text: str) -> str:
    """Undo Slack's three HTML escapes (and only those, as Slack's docs specify)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Slack's three control characters escaped, so text can never become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Characters a URL keeps as they are; everything else (``|``, ``<``, ``>``, ``!``, spaces, quotes,
# non-ASCII) is percent-encoded, so a link target can never end a Slack link or start a mention.
_URL_SAFE = "/:?#@$&()*+,;=%~"


def slack_link(url: str, label: str) -> str:
    """A Slack ``<url|label>`` link that shows ``label`` and cannot break out of itself.

    The target is percent-encoded (``https://x/a|b>c<!here>`` stays one URL) and the label
    escaped, with ``|`` shown as ``¦`` because Slack ends the label at the first ``|``.
    """
    return f"<{quote(url, safe=_URL_SAFE)}|{escape(label).replace('|', '¦')}>"


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    if url.startswith("mailto:"):
        return label or url.removeprefix("mailto:")
    return f"{label} {url}" if label and label != url else url


def normalize(text: str) -> str:
    """Turn raw Slack mrkdwn into plain text for storage, display and the model.

    Mentions become ``@someone`` (ids carry no topic signal and are personal data), channel and
    user-group references keep their names, links keep label and URL, emoji codes and bold/strike
    markers are dropped, and whitespace is collapsed while line breaks survive. NUL characters
    are dropped: PostgreSQL refuses them in text, and an event carrying one would be lost.
    """
    text = text.replace("\x00", "")
    text = _USER.sub(USER_TOKEN, text)
    text = _SUBTEAM.sub(lambda m: f"@{m.group(1)}" if m.group(1) else "@team", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "#channel", text)
    text = _LINK.sub(_link, text)
    text = unescape(text)
    text = _EMOJI.sub(" ", text)
    if "*" in text or "~" in text:  # a substring test is far cheaper than a regex scan
        text = _EMPHASIS.sub(r"\2", text)
    if "  " in text or any(c in text for c in "\t\r\f\v"):  # else each space stays one space
        text = _SPACES.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    text = _BLANK_LINES.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


_GREETING = re.compile(
    r"^(?:(?:hi|hey|heya|hiya|hello|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|day)"
    r"|morning|afternoon)\b"
    r"(?:[\s,]+(?:all|team|folks|everyone|everybody|y'?all|there|friends|people|again"
    r"|platform(?:\s+(?:team|folks|support))?|@[\w.-]+))*"
    r"[\s,.!:;~-]*)+",
    re.IGNORECASE,
)
_SIGNOFF_WORDS = (
    r"thanks",
    r"thank\s+you",
    r"thx",
    r"ty",
    r"tia",
    r"cheers",
    r"regards",
    r"much\s+appreciated",
    r"appreciate\s+(?:it|any\s+help|the\s+help)",
    r"any\s+help\s+(?:is|would\s+be)\s+(?:much\s+|greatly\s+|really\s+)?appreciated",
)
_SIGNOFF_WORD = "|".join(_SIGNOFF_WORDS)
_SIGNOFF = re.compile(
    rf"(?:[\s,.;:!-]*\b(?:{_SIGNOFF_WORD})"
    r"(?:\s+(?:so\s+much|a\s+lot|all|team|folks|everyone|y'?all|in\s+advance|again))*"
    r"(?:[\s,]+\w+)?[\s.!]*)+$",
    re.IGNORECASE,
)
_SIGNOFF_START = re.compile(rf"(?=\b(?:{_SIGNOFF_WORD}))", re.IGNORECASE)
#: The letters each sign-off word starts with ("thank", "thx", …, "any"), found with str.find.
_SIGNOFF_PREFIXES = tuple(dict.fromkeys(re.sub(r"\W.*", "", w) for w in _SIGNOFF_WORDS))


def _signoff_starts(text: str) -> list[int]:
    """Positions where a sign-off word may start (a superset: ``_SIGNOFF`` decides), in order.

    ASCII text is searched with ``str.find`` on its lower-cased copy, tens of times faster than
    the regex engine trying every position; other text goes through ``_SIGNOFF_START``, since
    case-insensitive matching of non-ASCII letters has special cases (ſ matches s, ı matches i).
    """
    if not text.isascii():
        return [match.start() for match in _SIGNOFF_START.finditer(text)]
    lowered, found = text.lower(), set()
    for prefix in _SIGNOFF_PREFIXES:
        at = lowered.find(prefix)
        while at >= 0:
            if not at or not (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):  # \b
                found.add(at)
            at = lowered.find(prefix, at + 1)
    return sorted(found)


def _cut_signoff(text: str) -> str:
    """``_SIGNOFF.sub("", text)``, several times faster.

    A sign-off runs to the end, so ``sub`` cuts from the leftmost position where ``_SIGNOFF``
    matches, and the regex engine tries every position to find it. A match can only start in
    the run of separators before a sign-off word, and matches from the run's first separator
    whenever it matches from a later one, so only those positions are tried, leftmost first.
    """
    for word in _signoff_starts(text):
        start = word
        while start and (text[start - 1] in ",.;:!-" or text[start - 1].isspace()):  # \s
            start -= 1
        match = _SIGNOFF.match(text, start)
        if match:
            return text[:start] + text[match.end() :]
    return text


def strip_salutations(text: str) -> str:
    """Drop an opening greeting and a closing thanks/sign-off (with a name after it).

    People open and close Slack requests politely, and a model trained on a few hundred of them
    learns that "thanks kim" means Pipeline. What the model reads starts at the request itself;
    a text that is nothing but pleasantries is returned unchanged.
    """
    body = _cut_signoff(_GREETING.sub("", text)).strip()
    return body or text


def store_text(raw: str, redactor: Redactor = DEFAULT_REDACTOR) -> str:
    """What the request store keeps: normalised Slack text with PII redacted (greetings kept,
    so a person reading the request later sees what was asked)."""
    return redactor.redact(normalize(raw))


def model_text(raw: str, redactor: Redactor = DEFAULT_REDACTOR) -> str:
    """What the classifier reads: normalised Slack text, PII redacted, greetings and thanks cut.

    Normalising comes first because Slack wraps e-mails and links (``<mailto:a@b.gov|a@b.gov>``)
    in ways the PII patterns should not have to know about.
    """
    return strip_salutations(redactor.redact(normalize(raw)))


def near_duplicate_key(text: str) -> str:
    """Texts equal after model_text, lower-casing, numbers -> '0' and punctuation dropped are one
    request asked twice ("deploy 4411 failed!" and "Deploy 4412 failed") and train once."""
    return " ".join(_NOT_WORD.sub(" ", _NUMBER.sub("0", text.lower())).split())
