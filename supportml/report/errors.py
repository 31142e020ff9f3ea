"""The error a report raises for a request it cannot build as asked (period, time zone, hours)."""

from __future__ import annotations

from supportml.errors import UserError


class ReportError(UserError):
    """A report cannot be built as asked (bad period, unknown time zone, bad business hours)."""
