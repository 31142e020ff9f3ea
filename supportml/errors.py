"""The one error type the CLI turns into a clean `error: …` line with exit code 2.

Each module raises its own subclass (DataError, ModelError, …) so callers can be specific, while
the CLI needs to know only this base and never imports the adapters to catch their errors.
"""

from __future__ import annotations


class UserError(ValueError):
    """Something the user can fix (a file, a row, a flag, a setting); the message is one line."""
