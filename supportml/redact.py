"""PII redaction (pure functions): personal data and secrets out of support text.

Support text carries personal data and secrets (an e-mail for an access request, a token pasted
with an error). `Redactor` replaces them with ``[email]``, ``[phone]``, ``[token]``… before
anything is stored or trained on. `Settings.redactor` is the configured one (SUPPORTML_REDACT_OFF,
SUPPORTML_REDACT_EXTRA); `DEFAULT_REDACTOR` has every built-in pattern and no extras.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from supportml.config import ConfigError

_Accept = Callable[[re.Match[str]], bool]


class _Form(NamedTuple):
    """One regex for a kind of PII: ``keep`` (a key such as ``password=``) stays, ``value`` goes.

    Where ``keep or value`` starts with a single character or class (``\\d\\d{9}``, not
    ``\\d{10}``), the regex engine skips the form at a position with one comparison, and a
    pass whose forms all start so checks the next character once for all of them (`_first`).
    """

    value: str
    keep: str = ""
    accept: _Accept | None = None  # a second look at a candidate: context words, digit count
    gate: str = ""  # a fast regex the lower-cased text must contain for this form to apply


@dataclass(frozen=True)
class PiiPattern:
    """A named kind of personal data or secret, its placeholder and the regexes that find it."""

    name: str
    placeholder: str
    summary: str
    forms: tuple[_Form, ...]


def _near(words: str) -> _Accept:
    """Accept a match only if one of ``words`` occurs up to 40 characters before or 24 after it.

    A bare 10-digit number is as often a Unix time or a CI run id as an EDIPI; what people write
    next to it tells them apart, and "edipi", "dod id", "ssn" are rare enough to allow a window.
    """
    context = re.compile(rf"\b(?:{words})\b", re.IGNORECASE)

    def accept(match: re.Match[str]) -> bool:
        text, start, end = match.string, match.start(), match.end()
        return bool(
            context.search(text, max(0, start - 40), start) or context.search(text, end, end + 24)
        )

    return accept


def _right_after(words: str, shape: str = "") -> _Accept:
    """Accept a match only directly after one of ``words`` ("cell: …", "call me at …").

    Words such as "call" or "mobile" are everywhere in support text ("the API call", "mobile
    release"), so for phone numbers without separators only the words right before count; a
    ``shape`` the number itself must have (after the separator) narrows it further.
    """
    context = re.compile(
        rf"\b(?:{words})(?:\s+(?:me|number|no\.?|#))*\s*(?:is|:|#|=|at|on)?\s*$", re.IGNORECASE
    )
    number = re.compile(shape or r".*")

    def accept(match: re.Match[str]) -> bool:
        start = match.start()
        return bool(
            number.fullmatch(match.group(), 1)
            and context.search(match.string, max(0, start - 32), start)
        )

    return accept


_SYSTEM_USERS = frozenset({"git", "ec2-user", "ubuntu", "root", "centos"})


def _not_a_system_user(match: re.Match[str]) -> bool:
    """``git@github.com:org/repo`` and ``ec2-user@host`` are SSH targets, not someone's address."""
    return match.group()[1:].partition("@")[0].lower() not in _SYSTEM_USERS


def _digits_between(low: int, high: int) -> _Accept:
    """International numbers have 8 to 15 digits (E.164); fewer is a diff stat or a +1."""
    return lambda match: low <= sum(c.isdigit() for c in match.group()) <= high


# Every form starts after a separator (see Redactor), so a number never starts inside a word,
# decimal, version or pod name; _END stops it from ending inside one, a path or a Slack ts.
_END = r"(?![\w/@-]|\.\d)"
_BARE10 = r"\d\d{9}" + _END  # shared by edipi and phone, told apart by context
_PHONE_WORDS = r"phone|cell|cellphone|mobile|tel|telephone|fax|sms|whatsapp|text me"
_US_AREA = r"(?:\([2-9]\d\d\)[ .-]?|[2-9]\d\d[ .-])"
_US_LOCAL = r"[2-9]\d\d[ .-]\d{4}" + _END
# Gates: most texts have neither an address (a mention "@someone" is not one) nor a secret key,
# so the forms that are slow to try at every word start run only on the few that do.
_AT = r"@(?<=[\w.%+-]@)"
_SECRET_KEYS = r"pass|pw|secret|key|token"
_KEY = (
    r"(?i:(?:[\w-]*[_-])?(?:password|passwd|passphrase|pwd|pass|secret"
    r"|(?:api|secret|access|private)[_-]?key|apikey|token))"
    r"[\"']?[ \t]*"
)
# A secret value ends at space, quote, , ; < > ( ) or at an & that starts the next query parameter.
_VALUE = r"(?:[^\s\"'`,;&<>()]|&(?!\w+=))+"

# "the password is hunter2", "pw was Tr0ub4dor&3": the value needs a digit or a symbol other
# than "-" (so "is wrong", "is case-sensitive", "is 8 characters" stay).
_PHRASE = r"[Pp](?i:(?<=p)(?:assword|asswd|assphrase|asscode|wd|w))[ \t]+(?i:is|was)[ \t]*:?[ \t]*"
_PHRASE_VALUE = r"(?![\[*$/{<])(?!\d{1,3}\b)(?=[^\s\"'`]*[\d!@#$%^&*_+=~])" + _VALUE
# A secret-ish word right before a value: "api key 3kF9…", "the AWS secret is wJalr…".
_WORD = (
    r"[PpSsTtKk](?i:(?<=p)(?:assword|asswd|assphrase|wd|w)|(?<=s)ecret|(?<=t)okens?|(?<=k)eys?)"
    r"(?:[ \t]+(?i:is|was))?[ \t]+"
)
_UUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.IGNORECASE)
_DIGEST = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.IGNORECASE)  # commit SHAs, sha256 sums


def _random_looking(match: re.Match[str]) -> bool:
    """A value that looks generated: letters and digits mixed inside one chunk, 3+ bits of
    Shannon entropy per character, and not a UUID, commit SHA or sha256 (ids people paste).

    Names such as ``release-2026-03-01`` or ``svc-account-2`` have chunks that are all letters
    or all digits, which is how they differ from ``wJalrXUtnFEMI/K7MDENG``.
    """
    value = match.group().split()[-1]
    if _UUID.fullmatch(value) or _DIGEST.fullmatch(value):
        return False
    if not any(
        re.search(r"[A-Za-z]", c) and re.search(r"\d", c) for c in re.split(r"[-_.]", value)
    ):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.0


#: The built-in patterns, in the order they are tried at one position; names are what
#: ``Redactor(off=…)`` / ``SUPPORTML_REDACT_OFF`` accept and what `Redaction.found` counts.
PII_PATTERNS: tuple[PiiPattern, ...] = (
    PiiPattern(
        "icn",
        "[icn]",
        "VA Integration Control Number: 10 digits, V, 6 digits (1012345678V123456)",
        (_Form(r"\d\d{9}[Vv]\d{6}(?!\w)"),),
    ),
    PiiPattern(
        "edipi",
        "[edipi]",
        "DoD EDIPI: a 10-digit number with 'edipi', 'dod id' or 'cac' near it, or 1234567890@mil",
        (
            _Form(r"\d\d{9}@mil(?![\w.-])", gate=_AT),
            _Form(_BARE10, accept=_near(r"edi[ _-]?pi|dod[ _-]?id|dod edi\w*|cac")),
        ),
    ),
    PiiPattern(
        "ssn",
        "[ssn]",
        "US SSN: 123-45-6789, or 9 digits (123456789, 123 45 6789) with 'ssn' near it",
        (
            _Form(r"\d\d\d-\d\d-\d{4}" + _END),
            _Form(r"\d\d\d ?\d\d ?\d{4}" + _END, accept=_near(r"ssns?|social security")),
        ),
    ),
    PiiPattern(
        "phone",
        "[phone]",
        "phone numbers: US (202) 555-0147, 202-555-0147, 202.555.0147, +1 202 555 0147, "
        "1-800-555-0199; international +44 20 7946 0958, +442079460958; 555-0147; other "
        "7-digit 867-5309 and bare 10-digit numbers only right after 'phone', 'cell', 'call'…",
        (
            _Form(r"\([2-9]\d\d\)[ .-]?" + _US_LOCAL),
            _Form(r"[2-9]\d\d[ .-]" + _US_LOCAL),
            _Form(r"1[ .-]?" + _US_AREA + _US_LOCAL),
            _Form(r"\+1[ .-]?" + _US_AREA + _US_LOCAL),
            _Form(
                r"\+[1-9]\d{0,3}(?:[ .-]?\(\d{1,4}\)\d{0,10}|[ .-]\d{1,10})+" + _END,
                accept=_digits_between(8, 15),
            ),
            _Form(r"\+[1-9]\d{7,14}" + _END),
            _Form(r"555-\d{4}" + _END),
            _Form(r"[2-9]\d\d-\d{4}" + _END, accept=_right_after(_PHONE_WORDS + "|call|dial")),
            _Form(_BARE10, accept=_right_after(_PHONE_WORDS, shape=r"[2-9]\d\d[2-9]\d{6}")),
        ),
    ),
    PiiPattern(
        "email",
        "[email]",
        "e-mail addresses (not git@github.com-style SSH users or icon@2x.png assets)",
        (
            _Form(
                r"[A-Za-z0-9][\w.%+-]*@(?!\d+x\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
                accept=_not_a_system_user,
                gate=_AT,
            ),
        ),
    ),
    PiiPattern(
        "slack_token",
        "[token]",
        "Slack tokens xoxb-/xoxp-/xoxa-/xoxr-/xoxe-…, app tokens xapp-…, webhook URLs",
        (
            _Form(r"x(?:ox(?:e\.xox)?[abposre]|app)-[A-Za-z0-9-]{10,}"),
            _Form(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]+"),
        ),
    ),
    PiiPattern(
        "github_token",
        "[token]",
        "GitHub tokens ghp_/gho_/ghs_/ghu_/ghr_… and fine-grained github_pat_…",
        (_Form(r"g(?:h[pousr]_[A-Za-z0-9]{20,}|ithub_pat_\w{20,})"),),
    ),
    PiiPattern(
        "aws_key",
        "[token]",
        "AWS access key ids AKIA…/ASIA… (20 characters) and aws_secret_access_key=… values",
        (
            _Form(r"A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
            _Form(
                r"[A-Za-z0-9/+=]{16,}",
                keep=r"[Aa](?i:ws_secret_access_key)[\"']?[ \t]*[=:][ \t]*[\"']?",
                gate=_SECRET_KEYS,
            ),
        ),
    ),
    PiiPattern(
        "bearer_token",
        "[token]",
        "Bearer <token> / bearer token: <token> (12+ characters with a digit), "
        "Authorization: Basic/Token <value>, JWTs",
        (
            _Form(
                r"(?=[\w.~+/-]*\d)[\w.~+/-]{12,}=*",
                keep=r"[Bb](?i:earer[ \t]+(?:token[ \t]*[:=]?[ \t]*)?)",
            ),
            _Form(
                r"[\w.~+/-]{8,}=*",
                keep=r"[Aa](?i:uthorization)[\"']?[ \t]*[=:][ \t]*[\"']?(?i:basic|token)[ \t]+",
            ),
            _Form(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
        ),
    ),
    PiiPattern(
        "password",
        "[secret]",
        "values of password, pwd, secret, api_key, secret_key, token… keys (DB_PASSWORD=…, "
        "'secret': …; after ':' only secret-looking values), user:password@ in URLs and "
        "'the password is X' / 'pw is X' (X with a digit or symbol); the key stays",
        (
            _Form(
                r"(?![\[*$/{<=])" + _VALUE,
                keep=_KEY + r"=[ \t]*[\"']?",
                gate=_SECRET_KEYS,
            ),
            _Form(
                r"(?![\[*$/{<])(?![a-z]+://)(?!\d{1,5}\b)"
                r"(?=[^\s\"'`]*[\d!@#%^&*_+=~-]|[^\s\"'`,;<>()]{12})" + _VALUE,
                keep=_KEY + r":[ \t]*[\"']?",
                gate=_SECRET_KEYS,
            ),
            _Form(r"(?!\[)[^\s/@]+(?=@)", keep=r"(?<=://)[^\s/:@]+:", gate=_AT),
            _Form(_PHRASE_VALUE, keep=_PHRASE, gate=_SECRET_KEYS),
        ),
    ),
    PiiPattern(
        "google_api_key",
        "[token]",
        "Google API keys: AIza and 35 more characters",
        (_Form(r"AIza[\w-]{35}(?![\w-])", gate="aiza"),),
    ),
    PiiPattern(
        "private_key",
        "[secret]",
        "PEM private key blocks (-----BEGIN … PRIVATE KEY----- to its END line, or to the end "
        "of a text that was cut off)",
        (
            _Form(
                r"-----BEGIN[ A-Z0-9]*PRIVATE KEY-----"
                r"(?s:.*?-----END[ A-Z0-9]*PRIVATE KEY-----|.*)",
                gate="private key-----",
            ),
        ),
    ),
    PiiPattern(
        "secret_value",
        "[secret]",
        "random-looking values (16+ characters, letters and digits mixed, 3+ bits of entropy per "
        "character; not UUIDs or commit SHAs) right after secret, key, token, password, pw: "
        "'the api key is 3kF9…', 'AWS secret wJalrXUtnFEMI/K7MDENG…'",
        (
            _Form(
                r"[A-Za-z0-9/+=_.~-]{16,}(?![^\s\"'`,;<>()])",
                keep=_WORD,
                accept=_random_looking,
                gate=_SECRET_KEYS,
            ),
        ),
    ),
)
PII_NAMES: tuple[str, ...] = tuple(p.name for p in PII_PATTERNS)
EXTRA_PLACEHOLDER = "[redacted]"  # what a match of a configured extra regex becomes


class Redaction(NamedTuple):
    """Redacted text and how many of each kind were replaced (``"extra"`` for extra regexes)."""

    text: str
    found: Counter[str]


class _Rule(NamedTuple):
    candidates: tuple[tuple[str, str, _Accept | None], ...]  # (name, placeholder, accept) in order
    value: str | None  # the group where the replaced value starts, after a kept key


class _Pass(NamedTuple):
    regex: re.Pattern[str]
    rules: dict[str, _Rule]
    gate: re.Pattern[str] | None  # run only where this finds something in the lower-cased text


@dataclass(frozen=True)
class Redactor:
    """Replaces PII and secrets with placeholders such as ``[email]`` (one harmless word each).

    What counts (see `PII_PATTERNS` for every form) is tuned on tests/data/redaction_corpus.yaml
    for recall over false alarms, with these decisions:

    - A bare 10-digit number is an EDIPI only with "edipi", "dod id" or "cac" near it, and a
      phone number only right after "phone", "cell", "tel"… with a US shape; otherwise it stays,
      because in support text such numbers are mostly Unix times, CI run ids and build numbers,
      and a Slack ts (1712345678.123456) or a number inside a path or pod name never matches.
    - 555-0100 style numbers (the fictional range fixtures use) are always phones; other 7-digit
      ones only right after "phone", "call"….
    - Values after ``password:`` must look secret (a digit or symbol, or 12+ characters), so
      "password: expired" survives; after ``password=`` any value goes unless it is a variable
      (``$DB_PASSWORD``, ``{{ … }}``) or already a placeholder.
    - IP addresses, UUIDs, host names and commit SHAs are not personal data and stay (user
      mentions are gone already: `normalize`).

    Built-in forms are compiled into a few alternations (one per gate) with a named group per
    form. Each starts with one separator character (anything but an ASCII letter, digit, ``_``,
    ``.``, ``+`` or ``-``), so the engine jumps between word starts instead of trying every form
    at every position; context checks run only on the rare candidates. ``extra`` regexes run
    afterwards, each on its own so their groups and flags stay theirs.
    """

    off: frozenset[str] = frozenset()
    extra: tuple[str, ...] = ()
    _passes: tuple[_Pass, ...] = field(init=False, repr=False, compare=False)
    _extra: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.off) - set(PII_NAMES))
        if unknown:
            raise ConfigError(
                f"unknown PII pattern {unknown[0]!r} to switch off; known: {', '.join(PII_NAMES)}"
            )
        gates: dict[str, dict[_Form, list[tuple[str, str, _Accept | None]]]] = {"": {}}
        for pattern in PII_PATTERNS:
            if pattern.name not in self.off:
                for form in pattern.forms:
                    shape = form._replace(accept=None)  # same regex: candidates in order
                    gates.setdefault(form.gate, {}).setdefault(shape, []).append(
                        (pattern.name, pattern.placeholder, form.accept)
                    )
        passes = [_compile_pass(gate, forms) for gate, forms in gates.items() if forms]
        object.__setattr__(self, "_passes", tuple(passes))
        object.__setattr__(self, "_extra", tuple(_compile_extra(r) for r in self.extra))

    @classmethod
    def configure(cls, off: Iterable[str] = (), extra: Iterable[str] = ()) -> Redactor:
        """A redactor without the named built-in patterns and with extra regexes (from Settings)."""
        return cls(off=frozenset(off), extra=tuple(extra))

    def redact(self, text: str) -> str:
        """``text`` with every enabled kind of PII replaced by its placeholder."""
        return self._apply(text, None)

    def redact_counted(self, text: str) -> Redaction:
        """Like `redact`, also counting what was found, so importers can report it."""
        found: Counter[str] = Counter()
        return Redaction(self._apply(text, found), found)

    def _apply(self, text: str, found: Counter[str] | None) -> str:
        lowered = text.lower()
        for regex, rules, gate in self._passes:
            if gate is not None and gate.search(lowered) is None:
                continue

            def replace(match: re.Match[str], rules: dict[str, _Rule] = rules) -> str:
                rule = rules[match.lastgroup or ""]
                for name, placeholder, accept in rule.candidates:
                    if accept is None or accept(match):
                        if found is not None:
                            found[name] += 1
                        start = match.start(rule.value) if rule.value else match.start() + 1
                        return match.string[match.start() : start] + placeholder
                return match.group()

            # The leading space lets a form match at the very start (after a "separator").
            text = regex.sub(replace, " " + text)[1:]

        def replace_extra(match: re.Match[str]) -> str:
            if not match.group():  # a zero-width match (\b, lookarounds) has nothing to hide
                return ""
            if found is not None:
                found["extra"] += 1
            return EXTRA_PLACEHOLDER

        for pattern in self._extra:
            text = pattern.sub(replace_extra, text)
        return text


def _first(regex: str) -> str | None:
    """The character or class a regex must start with, as a class; None if it is not that simple."""
    if regex.startswith("["):
        item = regex[: regex.find("]", 2) + 1]
    elif regex.startswith("\\"):
        item = regex[:2]
    else:
        item = "" if regex[0] in "().^$|" else f"[{re.escape(regex[0])}]"
    if not item or regex[len(item) : len(item) + 1] in ("?", "*", "+", "{"):
        return None
    return item if item.startswith("[") else f"[{item}]"


def _compile_pass(gate: str, forms: dict[_Form, list[tuple[str, str, _Accept | None]]]) -> _Pass:
    """One alternation: a separator, then (if every form allows it) a look at the next character.

    On typical messages the look-ahead halves the time: most word starts fail it at once.
    """
    alternatives, rules, firsts = [], {}, []
    for i, (form, candidates) in enumerate(forms.items()):
        value = f"v{i}" if form.keep else None
        start = f"{form.keep}(?P<{value}>)" if value else ""
        alternatives.append(f"{start}{form.value}(?P<g{i}>)")
        rules[f"g{i}"] = _Rule(tuple(candidates), value)
        firsts.append(_first(form.keep or form.value))
    known = [first for first in firsts if first is not None]
    ahead = "" if len(known) < len(firsts) else "(?=" + "|".join(dict.fromkeys(known)) + ")"
    regex = re.compile(r"[^A-Za-z0-9_.+-]" + ahead + "(?:" + "|".join(alternatives) + ")")
    return _Pass(regex, rules, re.compile(gate) if gate else None)


def _compile_extra(regex: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(regex)
    except re.error as exc:
        raise ConfigError(f"extra redaction regex {regex!r} is invalid: {exc}") from None
    if pattern.search("") is not None:
        raise ConfigError(f"extra redaction regex {regex!r} matches empty text; make it specific")
    return pattern


DEFAULT_REDACTOR = Redactor()
