"""The documented limits of what Compact reads, checked before anything is stored.

Pure functions (no Flask, no database), so that SQLite and PostgreSQL see the same values and a
value no store could keep is refused with a clear message instead of failing in the database.

The limits (README.md, "Limits and pagination"):

* an incident id is at most MAX_ID_LENGTH characters and matches ID_PATTERN: a letter or digit,
  then letters, digits and ``_ . : @ -`` (no spaces, no ``/``, no ``..``), which every CAP
  identifier (``urn:oid:2.49.0.1.840.0.…``) and every id of the library fits;
* an incident type is at most MAX_TYPE_LENGTH characters;
* every other text (any string, key or value, at any depth) is at most MAX_TEXT_LENGTH characters;
* no text holds a NUL character (U+0000);
* numbers are JSON numbers a double can hold: no NaN or Infinity, no integer of more than
  MAX_DIGITS digits, no number beyond ±1.8e308;
* a time or date (a text of the form YYYY-MM-DD…) has a year in MIN_YEAR..MAX_YEAR;
* objects and arrays nest at most MAX_DEPTH levels.
"""

from __future__ import annotations

import json
import math
import re

MAX_ID_LENGTH = 200
MAX_TYPE_LENGTH = 200
MAX_TEXT_LENGTH = 10_000
MAX_DIGITS = 300
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_DEPTH = 64
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:@-]*"
# Numbers of a route (a duty id, a revision number): what the Integer columns hold on every store
# (32 bits on PostgreSQL; a larger number names no row, and would fail in the query).
MAX_ROUTE_ID = 2 ** 31 - 1

_ID = re.compile(ID_PATTERN)
_DATED = re.compile(r"(\d{4,})-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}.*)?", re.DOTALL)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
TOO_DEEP = (f"the JSON nests objects and arrays deeper than {MAX_DEPTH} levels, which no "
            "incident does, so it is refused")


class LimitError(ValueError):
    """Values beyond the documented limits: one message per problem, each starting with its
    JSON path ($.field) when it has one."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


class SyntaxLimitError(LimitError):
    """The text is not JSON as RFC 8259 has it (NaN, Infinity), or nests too deep to read."""


class _TooBig(str):
    """A number read from the JSON that no double holds; reported with its path after parsing."""


# ---------------------------------------------------------------- reading JSON

def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than `limit` (strings are skipped)."""
    if "[" not in text and "{" not in text:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _constant(name: str):
    raise SyntaxLimitError(f"not valid JSON: {name} is not a JSON number; send a number, or "
                           "null for none")


def _integer(raw: str):
    if len(raw.lstrip("-")) > MAX_DIGITS:
        return _TooBig(raw)
    return int(raw)


def _float(raw: str):
    value = float(raw)
    return _TooBig(raw) if math.isinf(value) else value


def loads(text: str, check: bool = True):
    """json.loads within the limits: too deep, NaN and Infinity raise SyntaxLimitError (the text
    is unreadable); the values read are then checked by check_value (unless `check` is false:
    a number no double holds is then left in place, for check_value to report with its path
    later). json.JSONDecodeError
    passes through, for the caller to word."""
    if too_deep(text):
        raise SyntaxLimitError(TOO_DEEP)
    try:
        value = json.loads(text, parse_constant=_constant, parse_int=_integer,
                           parse_float=_float)
    except RecursionError:
        raise SyntaxLimitError(TOO_DEEP) from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        if isinstance(exc, (json.JSONDecodeError, LimitError)):
            raise
        raise LimitError(f"the JSON holds a number beyond the limits ({exc})") from None
    if check:
        check_value(value)
    return value


# ---------------------------------------------------------------- checking values

def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key[:40] + ('…' if len(key) > 40 else ''))}]"


def _text_problems(value: str, path: str, what: str = "the text") -> list[str]:
    problems = []
    if "\x00" in value:
        problems.append(f"{path}: {what} holds a NUL character (U+0000), which no text may "
                        "hold; remove it")
    if len(value) > MAX_TEXT_LENGTH:
        problems.append(f"{path}: {what} is {len(value):,} characters long; at most "
                        f"{MAX_TEXT_LENGTH:,} are accepted")
    return problems


def _year_problem(value: str, path: str) -> str | None:
    match = _DATED.fullmatch(value)
    if match is None or len(value) > 64:
        return None
    year = int(match.group(1))
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    return (f"{path}: the year {year} of '{value}' is outside {MIN_YEAR}..{MAX_YEAR}, the years "
            "a time may have")


def value_problems(value, path: str = "$", depth: int = 0) -> list[str]:
    """Every problem of a JSON value (of any depth) with the limits, each with its path."""
    problems: list[str] = []
    stack = [(value, path, depth)]
    while stack:
        current, where, level = stack.pop()
        if level > MAX_DEPTH:
            problems.append(f"{where}: {TOO_DEEP}")
            continue
        if isinstance(current, dict):
            for key, item in current.items():
                if isinstance(key, str):
                    problems += _text_problems(key, _path(where, key), "the name")
                stack.append((item, _path(where, key), level + 1))
        elif isinstance(current, (list, tuple)):
            stack.extend((item, _path(where, i), level + 1) for i, item in enumerate(current))
        elif isinstance(current, _TooBig):
            problems.append(f"{where}: the number {current[:20]}… is beyond what a double holds "
                            f"(at most {MAX_DIGITS} digits, at most ±1.8e308)")
        elif isinstance(current, str):
            problems += _text_problems(current, where)
            year = _year_problem(current, where)
            if year:
                problems.append(year)
        elif isinstance(current, float) and not math.isfinite(current):
            problems.append(f"{where}: {current} is not a JSON number")
        elif isinstance(current, int) and not isinstance(current, bool) \
                and abs(current) >= 10 ** MAX_DIGITS:
            problems.append(f"{where}: the number is beyond what a double holds (at most "
                            f"{MAX_DIGITS} digits, at most ±1.8e308)")
    return sorted(set(problems), key=problems.index)


def check_value(value, path: str = "$") -> None:
    problems = value_problems(value, path)
    if problems:
        raise LimitError(problems)


def id_problems(value, path: str = "$.id", what: str = "an incident id") -> list[str]:
    """The problems of an incident id with its limits (a non-text id is the schema's to refuse)."""
    if not isinstance(value, str):
        return []
    shown = value if len(value) <= 60 else value[:60] + "…"
    if "\x00" in value:
        return [f"{path}: {what} may not hold a NUL character (U+0000)"]
    if len(value) > MAX_ID_LENGTH:
        return [f"{path}: {what} is at most {MAX_ID_LENGTH} characters; this one has "
                f"{len(value):,}"]
    if not _ID.fullmatch(value) or ".." in value:
        return [f"{path}: '{shown}' is not a valid incident id: it must start with a letter or "
                "digit and hold only letters, digits and _ . : @ - (no spaces, no '/', no "
                "'..')"]
    return []


def valid_id(value) -> bool:
    """Whether a text is an incident id within the limits (one a route may look up)."""
    return isinstance(value, str) and not id_problems(value)


def incident_problems(data) -> list[str]:
    """Every problem of an incident's mapping with the limits."""
    if not isinstance(data, dict):
        return value_problems(data)
    problems = id_problems(data.get("id"))
    kind = data.get("type")
    if isinstance(kind, str) and len(kind) > MAX_TYPE_LENGTH:
        problems.append(f"$.type: an incident type is at most {MAX_TYPE_LENGTH} characters; "
                        f"this one has {len(kind):,}")
    taken = {p.split(":", 1)[0] for p in problems}
    return problems + [p for p in value_problems(data) if p.split(":", 1)[0] not in taken]


def check_incident(data) -> None:
    problems = incident_problems(data)
    if problems:
        raise LimitError(problems)


def route_id(value: int) -> bool:
    """Whether a number of a route (a duty id, a revision number) can name a row at all."""
    return 0 <= value <= MAX_ROUTE_ID
