"""Public holidays of the calendars an agreement names, for business days: one set of dates
per calendar and year, made once per process."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from dsl.holiday_calendars import split


@lru_cache(maxsize=4096)
def _year(code: str, year: int) -> frozenset[date]:
    import holidays
    country, subdivision = split(code)
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def closed_on(calendars: tuple[str, ...]):
    """A test `day -> bool`: is `day` a public holiday in any of these calendars? None for no
    calendars (business days are then Monday to Friday)."""
    if not calendars:
        return None
    return _closed(tuple(calendars))


@lru_cache(maxsize=256)
def _closed(calendars: tuple[str, ...]):
    def closed(day: date) -> bool:
        return any(day in _year(code, day.year) for code in calendars)
    return closed


def holiday_name(calendars: tuple[str, ...], day: date) -> str | None:
    """What the day is a holiday for, in the first calendar that has it (for explanations)."""
    import holidays
    for code in calendars:
        if day in _year(code, day.year):
            country, subdivision = split(code)
            return holidays.country_holidays(country, subdiv=subdivision, years=day.year).get(day)
    return None
