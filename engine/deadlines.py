"""Due-time arithmetic: durations from an anchor, calendar months and business days in the
anchor's own offset."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone

_FIXED = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
          "week": timedelta(weeks=1)}
_MONTHS = {"month": 1, "year": 12}


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` plus whole calendar months in its own offset, keeping the time of day; a day
    the target month lacks becomes its last day (31 January + 1 month = 28 or 29 February)."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return anchor.replace(year=year, month=month + 1, day=day)


def add_duration(anchor: datetime, amount: int, unit: str, closed=None) -> datetime:
    """`anchor` plus a duration. Months and years step the calendar (see `add_months`).
    Business days step a day at a time in the anchor's offset, counting only Monday to Friday
    that are not in `closed(day)` (public holidays), keeping the time of day: Friday or
    Saturday 10:00 plus one business day is Monday 10:00."""
    if unit in _MONTHS:
        return add_months(anchor, amount * _MONTHS[unit])
    if unit != "business day":
        return anchor + amount * _FIXED[unit]
    current = anchor
    remaining = amount
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and not (closed is not None and closed(current.date())):
            remaining -= 1
    return current


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, seconds always shown, fractions only when present."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
