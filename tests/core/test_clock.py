"""Calendar days are Vietnamese days: Asia/Ho_Chi_Minh, whatever the server's time zone."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from schoolhub import clock


@pytest.mark.parametrize(("day", "year"), [
    (date(2025, 8, 1), "2025-2026"), (date(2025, 7, 31), "2024-2025"), (date(2025, 12, 14), "2025-2026"),
    (date(2026, 5, 20), "2025-2026"), (date(2026, 1, 1), "2025-2026"),
])
def test_school_year_of(day, year):
    assert clock.school_year_of(day) == year


def test_a_utc_evening_is_the_next_day_in_vietnam():
    # 18:30 UTC on 14/6 is 01:30 on 15/6 in Hồ Chí Minh City (UTC+7): the report period's cut-off matters.
    assert clock.local_day_of(datetime(2026, 6, 14, 18, 30, tzinfo=UTC)) == date(2026, 6, 15)
    assert clock.local_day_of(datetime(2026, 6, 14, 16, 59, tzinfo=UTC)) == date(2026, 6, 14)


def test_local_today_ignores_the_server_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert clock.local_today() == datetime.now(clock.LOCAL_ZONE).date()
        assert clock.local_now().utcoffset().total_seconds() == 7 * 3600
    finally:
        monkeypatch.undo()
        time.tzset()
