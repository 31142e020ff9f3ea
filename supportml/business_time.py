"""Business time: the seconds between two moments that fall inside opening hours.

Times arrive as UTC epoch seconds (one numpy array per column of a large fetch), so the
arithmetic is vectorised: each moment is mapped to a "business clock" (business seconds since
1970-01-01 in the team's time zone, weekends and holidays skipped), and a duration is a
difference of two clock readings. No portable SQL has a calendar, hence numpy.

Core, not report: the report's response-time KPIs and the responder's live follow-up
(`supportml.followup`) judge "business hours waited" with this one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from supportml.config import ACK_TARGET_HOURS
from supportml.errors import UserError


class BusinessHoursError(UserError):
    """Opening hours, a time zone or a target that cannot be used: one line."""


HOURS_RANGE = re.compile(r"^(\d{1,2}):?(\d{2})?-(\d{1,2}):?(\d{2})?$")


def clock_range(value: str) -> tuple[time, time]:
    """``"09:00-17:00"`` (or ``9-17``) -> (09:00, 17:00); a ValueError names what is expected."""
    match = HOURS_RANGE.match(value.strip())
    try:
        if match is None:
            raise ValueError
        h1, m1, h2, m2 = match.groups()
        return time(int(h1), int(m1 or 0)), time(int(h2), int(m2 or 0))
    except ValueError:
        raise ValueError(f"{value!r}: expected a time range like 09:00-17:00") from None


def check_timezone(timezone: str) -> ZoneInfo:
    """The zone named ``timezone``, or a BusinessHoursError saying how to name one."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BusinessHoursError(
            f"time zone {timezone!r} is unknown; use an IANA name like Europe/London"
        ) from None


@dataclass(frozen=True)
class BusinessHours:
    """When people are expected to answer: weekdays ``start``–``end`` in ``timezone``."""

    start: time = time(9)
    end: time = time(17)
    timezone: str = "UTC"
    target_hours: float = ACK_TARGET_HOURS
    holidays: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise BusinessHoursError(
                f"business hours {self.start}-{self.end}: the end must be later"
            )
        if self.target_hours <= 0:
            raise BusinessHoursError(
                f"acknowledgement target {self.target_hours} h: must be positive"
            )
        check_timezone(self.timezone)

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
