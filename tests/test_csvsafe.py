"""OWASP's CSV-injection rule: text a spreadsheet would run gets a leading quote, numbers stay."""

from __future__ import annotations

import csv
import io

import pytest

from supportml.csvsafe import DictWriter, Writer, safe_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-1+2",
        "-",
        "=",
    ],
)
def test_formula_leading_text_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["-3", "-0.25", "+1e-3", "-.5", "plain text", "", "a=b", "1-2", -3, -0.5, None, True]
)
def test_numbers_and_harmless_text_stay(value):
    assert safe_cell(value) == value


def test_writers_neutralise_every_cell():
    handle = io.StringIO()
    writer = Writer(handle)
    writer.writerow(["text", "n"])
    writer.writerows([["=1+1", -2], ["ok", "-2"]])
    keyed = io.StringIO()
    dict_writer = DictWriter(keyed, fieldnames=["text", "n"])
    dict_writer.writeheader()
    dict_writer.writerows([{"text": "=1+1", "n": -2}, {"text": "ok", "n": "-2"}])
    for written in (handle, keyed):
        rows = list(csv.reader(io.StringIO(written.getvalue())))
        assert rows == [["text", "n"], ["'=1+1", "-2"], ["ok", "-2"]]
