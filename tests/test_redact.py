"""PII redaction: a labelled corpus for recall and false positives, plus the Redactor's contract."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from supportml.config import ConfigError, Settings
from supportml.data import load_requests
from supportml.errors import UserError
from supportml.redact import (
    DEFAULT_REDACTOR,
    EXTRA_PLACEHOLDER,
    PII_NAMES,
    PII_PATTERNS,
    Redactor,
)
from supportml.text import model_text, normalize

HERE = Path(__file__).resolve().parent
CORPUS = yaml.safe_load((HERE / "data" / "redaction_corpus.yaml").read_text(encoding="utf-8"))
SAMPLE = HERE.parent / "datasets" / "sample_requests.csv"
PLACEHOLDER = {p.name: p.placeholder for p in PII_PATTERNS}
MIN_RECALL = 0.99
MAX_FALSE_POSITIVE_RATE = 0.02

# One sample per built-in pattern that no other pattern catches; tokens are assembled here so
# that secret scanners don't flag this file.
ONLY = {
    "email": "please add jane.doe@example.gov to the org",
    "phone": "call me at (202) 555-0147 tonight",
    "ssn": "the log has 123-45-6789 in it",
    "edipi": "EDIPI 1234567890 cannot sign in",
    "icn": "ICN 1012345678V123456 times out",
    "slack_token": "bot posted " + "xox" + "b-2048613597-4096172835-kT9fQ2xLm8ZpR4vW1sN",
    "github_token": "my PAT " + "gh" + "p_" + "R4nd0mF4k3T0k3nV4lu3F0rT3st1ng00001" + " expired",
    "aws_key": "found " + "AK" + "IAIOSFODNN7EXAMPLE" + " in a commit",
    "bearer_token": "Authorization: Bearer abc123def456ghi789",
    "password": "the sandbox user is qa / password=hunter2",
    "google_api_key": "the widget has "
    + "AI"
    + "zaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
    + " in main.js",
    "private_key": "-----BEGIN "
    + "PRIV"
    + "ATE KEY----- MIIBVgIBADANBgkqhkiG9w0 -----END "
    + "PRIV"
    + "ATE KEY----- is it valid?",
    "secret_value": "my api key is 3kF9sLq2Zx8Vb7Nm1Pw4Rt6Y and it returns 401",
}


def test_corpus_is_big_enough_and_covers_every_pattern():
    assert len(CORPUS["positives"]) >= 200 and len(CORPUS["negatives"]) >= 200
    assert {case["kind"] for case in CORPUS["positives"]} == set(PII_NAMES)
    assert set(ONLY) == set(PII_NAMES)


def test_corpus_recall_and_false_positive_rate():
    misses = []
    for case in CORPUS["positives"]:
        out = DEFAULT_REDACTOR.redact(normalize(case["text"]))
        if case["pii"] in out or PLACEHOLDER[case["kind"]] not in out:
            misses.append(f"{case['kind']}: {out!r}")
    changed = []
    for text in CORPUS["negatives"]:
        clean = normalize(text)
        out = DEFAULT_REDACTOR.redact(clean)
        if out != clean:
            changed.append(f"{clean!r} -> {out!r}")
    recall = 1 - len(misses) / len(CORPUS["positives"])
    false_positive_rate = len(changed) / len(CORPUS["negatives"])
    report = (
        f"recall {recall:.4f} (min {MIN_RECALL}), false-positive rate "
        f"{false_positive_rate:.4f} (max {MAX_FALSE_POSITIVE_RATE})\nmissed:\n  "
        + "\n  ".join(misses)
        + "\nchanged:\n  "
        + "\n  ".join(changed)
    )
    assert recall >= MIN_RECALL and false_positive_rate <= MAX_FALSE_POSITIVE_RATE, report


@pytest.mark.parametrize("name", PII_NAMES)
def test_each_pattern_finds_its_kind_and_can_be_switched_off(name):
    text = ONLY[name]
    found = DEFAULT_REDACTOR.redact_counted(text)
    assert dict(found.found) == {name: 1}
    assert PLACEHOLDER[name] in found.text
    without = Redactor.configure(off=[name]).redact_counted(text)
    assert without.text == text and not without.found


def test_everything_off_changes_nothing():
    redactor = Redactor.configure(off=PII_NAMES)
    assert all(redactor.redact(text) == text for text in ONLY.values())


def test_key_of_a_key_value_secret_stays():
    assert DEFAULT_REDACTOR.redact("DB_PASSWORD=hunter2 and pwd: Tr0ub4dor&3") == (
        "DB_PASSWORD=[secret] and pwd: [secret]"
    )
    assert DEFAULT_REDACTOR.redact("postgres://app:s3cret@db/claims") == (
        "postgres://app:[secret]@db/claims"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EDIPI 1234567890 is locked", "EDIPI [edipi] is locked"),
        ("1234567890@mil cannot log in", "[edipi] cannot log in"),
        ("my cell is 2025550147", "my cell is [phone]"),
        ("thread ts 1712345678.123456", "thread ts 1712345678.123456"),
        ("run 8123456789 failed", "run 8123456789 failed"),
        ("created_at=1712345678", "created_at=1712345678"),
        ("the mobile release 1712345678 crashed", "the mobile release 1712345678 crashed"),
    ],
)
def test_bare_ten_digit_numbers_need_context(text, expected):
    assert DEFAULT_REDACTOR.redact(text) == expected


def test_counts_every_kind_found():
    result = DEFAULT_REDACTOR.redact_counted(
        "jane.doe@example.gov and sam@example.gov, call (202) 555-0147"
    )
    assert result.text == "[email] and [email], call [phone]"
    assert result.found == {"email": 2, "phone": 1}


def test_extra_regexes_are_redacted_and_counted():
    redactor = Redactor.configure(extra=[r"EMP-\d{6}", r"(?i)case\s+#?\d{5}"])
    result = redactor.redact_counted("EMP-123456 opened Case #44110 from jane.doe@example.gov")
    assert result.text == f"{EXTRA_PLACEHOLDER} opened {EXTRA_PLACEHOLDER} from [email]"
    assert result.found == {"extra": 2, "email": 1}


def test_extra_regexes_from_settings():
    settings = Settings.from_env(
        {"SUPPORTML_REDACT_OFF": "phone", "SUPPORTML_REDACT_EXTRA": r"EMP-\d{6}"}
    )
    redactor = settings.redactor
    assert redactor is settings.redactor  # built once
    assert redactor.redact("EMP-123456 at (202) 555-0147") == "[redacted] at (202) 555-0147"


def test_unknown_pattern_name_is_a_user_error_naming_it():
    with pytest.raises(ConfigError, match="'phones'") as info:
        Redactor.configure(off=["email", "phones"])
    assert isinstance(info.value, UserError)
    assert "\n" not in str(info.value) and "phone" in str(info.value)


@pytest.mark.parametrize(("regex", "reason"), [("EMP-(\\d+", "invalid"), ("x*", "empty")])
def test_unusable_extra_regex_is_a_user_error_naming_it(regex, reason):
    with pytest.raises(ConfigError, match=re.escape(repr(regex))) as info:
        Redactor.configure(extra=[regex])
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_zero_width_extra_matches_change_nothing():
    assert Redactor.configure(extra=[r"\b"]).redact("a b") == "a b"


def test_redacting_twice_is_redacting_once():
    texts = [case["text"] for case in CORPUS["positives"]] + CORPUS["negatives"]
    for text in map(normalize, texts):
        once = DEFAULT_REDACTOR.redact(text)
        assert DEFAULT_REDACTOR.redact(once) == once, text


PII_ALPHABET = "abcxyz0123456789 @.-+:=/()_'\"\nVAKIbBgh"
LONGEST_PLACEHOLDER = max(len(p.placeholder) for p in PII_PATTERNS)


@given(st.text())
def test_never_raises_and_never_grows_beyond_its_placeholders(text):
    result = DEFAULT_REDACTOR.redact_counted(text)
    assert len(result.text) <= len(text) + LONGEST_PLACEHOLDER * sum(result.found.values())


@given(st.text(alphabet=PII_ALPHABET, max_size=60))
def test_pii_like_text_is_redacted_idempotently(text):
    once = DEFAULT_REDACTOR.redact(text)
    assert DEFAULT_REDACTOR.redact(once) == once


@given(st.text(alphabet=st.characters(whitelist_categories=("L", "Zs")), max_size=200))
def test_plain_words_are_left_alone(text):
    assert DEFAULT_REDACTOR.redact(text) == text


def test_model_text_normalises_before_redacting():
    assert model_text("hi! <mailto:jane.doe@example.gov|jane.doe@example.gov> needs access") == (
        "[email] needs access"
    )
    keep_emails = Redactor.configure(off=["email"])
    assert model_text("jane.doe@example.gov needs access", redactor=keep_emails) == (
        "jane.doe@example.gov needs access"
    )


def test_sample_dataset_loses_its_fake_contact_details():
    raw = SAMPLE.read_text(encoding="utf-8")
    emails = set(re.findall(r"[\w.+-]+@example\.gov", raw))
    phones = set(re.findall(r"\b555-01\d\d\b", raw))
    assert emails and phones  # the sample does carry some, so this checks something
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        assert any(any(e in row["text"] for e in emails) for row in csv.DictReader(handle))
    texts = load_requests(SAMPLE).texts
    survivors = {item for item in emails | phones for text in texts if item in text}
    assert not survivors
    assert sum("[email]" in t for t in texts) >= len(emails)
    assert any("[phone]" in t for t in texts)
