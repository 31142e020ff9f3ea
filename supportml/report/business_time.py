"""Business time: the seconds between two moments that fall inside opening hours.

Times arrive as UTC epoch seconds (one numpy array per column of a large fetch), so the
arithmetic is vectorised: each moment is mapped to a "business clock" (business seconds since
1970-01-01 in the team's time zone, weekends and holidays skipped), and a duration is a
difference of two clock readings. No portable SQL has a calendar, hence numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from supportml.report.errors import ReportError


@dataclass(frozen=True)
class BusinessHours:
    """When people are expected to answer: weekdays ``start``–``end`` in ``timezone``."""

    start: time = time(9)
    end: time = time(17)
    timezone: str = "UTC"
    target_hours: float = 3.0  # acknowledgement target, in business hours
    holidays: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ReportError(f"business hours {self.start}-{self.end}: the end must be later")
        if self.target_hours <= 0:
            raise ReportError(f"acknowledgement target {self.target_hours} h: must be positive")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ReportError(
                f"time zone {self.timezone!r} is unknown; use an IANA name like Europe/London"
            ) from None

    @property
    def day_seconds(self) -> int:
        return _seconds(self.end) - _seconds(self.start)

    def describe(self) -> str:
        return f"Mon–Fri {self.start:%H:%M}–{self.end:%H:%M} {self.timezone}" + (
            f", {len(self.holidays)} holidays" if self.holidays else ""
        )


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _wall_clock(epoch: np.ndarray, timezone: str) -> np.ndarray:
    """UTC epoch seconds -> local wall-clock datetime64[ms] (daylight saving applied).

    Rounded to the millisecond: SQLite's julianday arithmetic is off by microseconds, which
    would otherwise push an answer at exactly the target past it.
    """
    millis = np.round(epoch * 1000).astype(np.int64)
    stamps = pd.to_datetime(millis, unit="ms", utc=True).tz_convert(timezone).tz_localize(None)
    return np.asarray(stamps.values).astype("datetime64[ms]")


def _business_clock(epoch: np.ndarray, hours: BusinessHours) -> np.ndarray:
    """Business seconds elapsed since 1970-01-01 at each moment: differences are business time."""
    local = _wall_clock(epoch, hours.timezone)
    days = local.astype("datetime64[D]")
    into_day = (local - days).astype(np.int64) / 1000
    within = np.clip(into_day - _seconds(hours.start), 0, hours.day_seconds)
    holidays = np.array(hours.holidays, dtype="datetime64[D]")
    open_day = np.is_busday(days, holidays=holidays)
    before = np.busday_count(np.datetime64("1970-01-01"), days, holidays=holidays)
    return before * float(hours.day_seconds) + np.where(open_day, within, 0.0)


def business_seconds(start: np.ndarray, end: np.ndarray, hours: BusinessHours) -> np.ndarray:
    """Business seconds between UTC epoch seconds ``start`` and ``end`` (NaN where either is)."""
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    result = np.full(start.shape, np.nan)
    known = np.isfinite(start) & np.isfinite(end)
    if known.any():
        result[known] = _business_clock(end[known], hours) - _business_clock(start[known], hours)
    return result
