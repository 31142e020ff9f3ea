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
    text = _EMPHASIS.sub(r"\2", text)
    text = _SPACES.sub(" ", text)
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
_SIGNOFF = re.compile(
    r"(?:[\s,.;:!-]*\b(?:thanks|thank\s+you|thx|ty|tia|cheers|regards|much\s+appreciated"
    r"|appreciate\s+(?:it|any\s+help|the\s+help)"
    r"|any\s+help\s+(?:is|would\s+be)\s+(?:much\s+|greatly\s+|really\s+)?appreciated)"
    r"(?:\s+(?:so\s+much|a\s+lot|all|team|folks|everyone|y'?all|in\s+advance|again))*"
    r"(?:[\s,]+\w+)?[\s.!]*)+$",
    re.IGNORECASE,
)


def strip_salutations(text: str) -> str:
    """Drop an opening greeting and a closing thanks/sign-off (with a name after it).

    People open and close Slack requests politely, and a model trained on a few hundred of them
    learns that "thanks kim" means Pipeline. What the model reads starts at the request itself;
    a text that is nothing but pleasantries is returned unchanged.
    """
    body = _SIGNOFF.sub("", _GREETING.sub("", text)).strip()
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
