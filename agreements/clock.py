"""The current time, in one place so that operations and tests agree on it."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def moment(now: datetime | None) -> datetime:
    """`now` as an aware UTC time, or the current time when None."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("a naive time was given; times carry their offset")
    return now.astimezone(timezone.utc)
