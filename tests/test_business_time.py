"""Business time: opening hours in a time zone with daylight saving, weekends and holidays."""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pytest

from supportml.business_time import BusinessHours, BusinessHoursError, business_seconds, clock_range
from tests.report.conftest import at


def test_business_hours_in_a_time_zone_with_daylight_saving():
    london = BusinessHours(timezone="Europe/London")
    # Monday 1 June 2026, 07:30 -> 08:30 UTC is 08:30 -> 09:30 BST: half an hour after opening
    start, end = at(1, 7, 30, month=6).timestamp(), at(1, 8, 30, month=6).timestamp()
    assert business_seconds(np.array([start]), np.array([end]), london)[0] == 1800
    assert business_seconds(np.array([start]), np.array([end]), BusinessHours())[0] == 0


def test_business_hours_skip_weekends_and_holidays():
    friday, monday = at(6, 16).timestamp(), at(9, 10).timestamp()
    assert business_seconds(np.array([friday]), np.array([monday]), BusinessHours())[0] == 7200
    short = BusinessHours(start=time(10), end=time(12), holidays=(date(2026, 3, 9),))
    tuesday = at(10, 11).timestamp()
    assert business_seconds(np.array([friday]), np.array([tuesday]), short)[0] == 3600
    missing = business_seconds(np.array([friday]), np.array([np.nan]), short)
    assert np.isnan(missing[0])


def test_bad_business_hours_are_user_errors():
    with pytest.raises(BusinessHoursError, match="Mars/Base"):
        BusinessHours(timezone="Mars/Base")
    with pytest.raises(BusinessHoursError, match="later"):
        BusinessHours(start=time(17), end=time(9))


def test_time_ranges_parse_with_or_without_minutes():
    assert clock_range("09:00-17:30") == (time(9), time(17, 30))
    assert clock_range(" 19-8 ") == (time(19), time(8))
    for bad in ("9am-5pm", "25:00-08:00", "09:00"):
        with pytest.raises(ValueError, match="time range like 09:00-17:00"):
            clock_range(bad)
