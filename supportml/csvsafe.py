"""CSV cells a spreadsheet cannot run (pure functions): OWASP's CSV-injection rule, written once.

Every CSV we write (the report, `export training`, `predict --out`, `replay --out`) carries text
people typed or a model learned from it, and a manager opens it in a spreadsheet. A cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula there
(``=HYPERLINK(…)``, ``-2+3+cmd|' /C calc'!A0``), so such text cells get a leading ``'``, which
spreadsheets show as text and never evaluate.

Decision on numbers: values that are numbers in Python (int, float, …) are written as they are,
since they never come from text; a text cell that is *entirely* a plain decimal number
(``-3``, ``-0.25``, ``+1e-3``) stays too, because a spreadsheet reads it as that number and
nothing else. Anything else that starts with a trigger, ``-1+2`` included, is prefixed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class Writer:
    """`csv.writer` whose every cell goes through `safe_cell`."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every value (and header) goes through `safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
