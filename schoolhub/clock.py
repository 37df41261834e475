"""Calendar days and school years in Asia/Ho_Chi_Minh, whatever the server's own time zone.

`*_at` columns hold UTC instants (`utcnow()`); `*_on` columns hold the local day (`local_today()`).
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SCHOOL_YEAR_STARTS_IN = 8  # August: the Vietnamese school year runs from August/September to May


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current time in Asia/Ho_Chi_Minh."""
    return datetime.now(LOCAL_ZONE)


def local_today() -> date:
    """Today's date in Asia/Ho_Chi_Minh (the day a Vietnamese school is living)."""
    return local_now().date()


def local_time_of(epoch: float) -> datetime:
    """An instant given in epoch seconds, in Asia/Ho_Chi_Minh (e.g. when a login pause ends)."""
    return datetime.fromtimestamp(epoch, LOCAL_ZONE)


def local_day_of(instant: datetime) -> date:
    """The Asia/Ho_Chi_Minh calendar day of a UTC instant."""
    return instant.astimezone(LOCAL_ZONE).date()


def school_year_of(day: date) -> str:
    """The school year a day falls in, e.g. '2025-2026' for 14/12/2025 and for 20/5/2026."""
    start = day.year if day.month >= SCHOOL_YEAR_STARTS_IN else day.year - 1
    return f"{start}-{start + 1}"


def current_school_year() -> str:
    """The school year in force today."""
    return school_year_of(local_today())
