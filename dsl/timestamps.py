"""Times as the language and incidents write them: RFC 3339 with an offset, read into datetimes."""

from __future__ import annotations

from datetime import datetime

# A time of the language: RFC 3339 with seconds, optional fractions, and an offset (Z or ±hh:mm).
TIME_RE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"


def parse_time(raw: str) -> datetime:
    """An RFC 3339 time with an offset; ValueError for one without, or for no time at all."""
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time needs an offset such as Z or -05:00")
    return value
