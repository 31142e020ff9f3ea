"""The error every importer raises for input the user can fix (a file, a line, a key, a flag)."""

from __future__ import annotations

from supportml.errors import UserError


class IngestError(UserError):
    """One line naming the file and the line, array index or key at fault, and how to fix it."""
