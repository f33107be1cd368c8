"""Due-time arithmetic: durations from an anchor, business days in the anchor's own offset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_FIXED = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
          "week": timedelta(weeks=1)}


def add_duration(anchor: datetime, amount: int, unit: str) -> datetime:
    """`anchor` plus a duration. Business days step a day at a time in the anchor's offset,
    counting only Monday to Friday and keeping the time of day: Friday or Saturday 10:00
    plus one business day is Monday 10:00."""
    if unit != "business day":
        return anchor + amount * _FIXED[unit]
    current = anchor
    remaining = amount
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, seconds always shown, fractions only when present."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
