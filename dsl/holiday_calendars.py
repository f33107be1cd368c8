"""Which public-holiday calendars exist: ISO 3166 codes of the `holidays` package, checked."""

from __future__ import annotations

from functools import lru_cache

from dsl.lexical import suggest


@lru_cache(maxsize=1)
def supported() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, as the `holidays` package lists them (imported
    only when an agreement names a calendar: the package is large)."""
    import holidays
    return {country: tuple(subdivisions)
            for country, subdivisions in holidays.list_supported_countries().items()}


def split(code: str) -> tuple[str, str | None]:
    """"US-FL" -> ("US", "FL"); "LT" -> ("LT", None)."""
    country, _, subdivision = code.partition("-")
    return country, (subdivision or None)


def problem(code: str) -> str | None:
    """The error for a calendar the package does not have, with a suggestion; None if known."""
    known = supported()
    country, subdivision = split(code)
    if country in known and (subdivision is None or subdivision in known[country]):
        return None
    if country in known:
        hint = suggest(code, [f"{country}-{s}" for s in known[country]])
    else:
        hint = suggest(code, [c for c in known if len(c) == 2]) if subdivision is None else \
            suggest(code, [f"{c}-{s}" for c, subs in known.items() for s in subs])
    return (f"unknown holiday calendar '{code}'" + (f" (did you mean '{hint}'?)" if hint else "")
            + "; write an ISO 3166 country code, with a subdivision after '-' if need be, "
              "as the holidays package names them (\"US-FL\", \"LT\")")
