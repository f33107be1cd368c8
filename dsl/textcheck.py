"""Durations and percentages in a clause's legal text, and where they disagree with its logic."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from dsl import ast

ONES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
        "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
        "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
NUMBER_WORDS = set(ONES) | set(TENS) | {"hundred", "a", "an", "and"}

# A unit word and the unit it means; `calendar`, `business` and `working` qualify a day.
UNITS = {"minute": "minute", "minutes": "minute", "hour": "hour", "hours": "hour",
         "day": "day", "days": "day", "week": "week", "weeks": "week",
         "month": "month", "months": "month", "year": "year", "years": "year"}
DAY_QUALIFIERS = {"calendar": "day", "business": "business day", "working": "business day"}
# What a duration is counted in, for comparing: minutes, business days, or months.
IN_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60, "calendar day": 24 * 60,
              "week": 7 * 24 * 60}
IN_MONTHS = {"month": 1, "year": 12}
# Words before `a`/`an` + unit that make it a frequency ("once a day", "24 hours a day").
FREQUENCY = {"once", "twice", "thrice", "times", "per", "each", "every"}

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|[()%:\-]|[^\sA-Za-z\d]")


@dataclass(frozen=True)
class Stated:
    """A duration or percentage the text states: its words as written, amount and unit."""

    raw: str
    amount: float
    unit: str  # minute hour day "business day" week month year, or "percent"


def number(words: list[str]) -> int | None:
    """The value of English number words (one .. ninety-nine, hundreds, `a`, `an`), or None.

    `words` are lower-case tokens without hyphens: ["twenty", "four"], ["a", "hundred"],
    ["one", "hundred", "and", "five"].
    """
    if not words:
        return None
    if words in (["a"], ["an"]):
        return 1
    if "hundred" in words:
        at = words.index("hundred")
        head, tail = words[:at], words[at + 1:]
        if head in ([], ["a"], ["one"]):
            hundreds = 1
        else:
            hundreds = _below_hundred(head)
            if hundreds is None or not 1 <= hundreds <= 9:
                return None
        if tail[:1] == ["and"]:
            tail = tail[1:]
            if not tail:
                return None
        rest = _below_hundred(tail) if tail else 0
        return None if rest is None else hundreds * 100 + rest
    return _below_hundred(words)


def _below_hundred(words: list[str]) -> int | None:
    if len(words) == 1:
        word = words[0]
        return ONES.get(word, TENS.get(word))
    if len(words) == 2 and words[0] in TENS and words[1] in ONES and 1 <= ONES[words[1]] <= 9:
        return TENS[words[0]] + ONES[words[1]]
    return None


def _quote(text: str, start: int, end: int) -> str:
    """The words as written, on one line (a long text breaks lines anywhere)."""
    return " ".join(text[start:end].split())


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _figure(token: str) -> float | None:
    return float(token) if token[0].isdigit() else None


def _words_before(tokens, end: int) -> tuple[int, int | None]:
    """The number words that end just before tokens[end]: (index of the first, value)."""
    start = end
    while start > 0 and (tokens[start - 1][0].lower() in NUMBER_WORDS or (
            tokens[start - 1][0] == "-" and start > 1
            and tokens[start - 2][0].lower() in NUMBER_WORDS)):
        start -= 1
    # The longest run that reads as a number: "within a two hours" still reads "two".
    for first in range(start, end):
        words = [t[0].lower() for t in tokens[first:end] if t[0] != "-"]
        value = number(words)
        if value is not None and tokens[first][0] != "-":
            return first, value
    return end, None


def _amount_before(tokens, end: int) -> tuple[int, float | None]:
    """The amount just before tokens[end]: `six (6)`, `6`, `six`, `a` as (first index, value)."""
    at = end
    if at > 0 and tokens[at - 1][0] == "-":
        at -= 1  # "24-hour", "six-month"
    if at >= 3 and tokens[at - 1][0] == ")" and _figure(tokens[at - 2][0]) is not None \
            and tokens[at - 3][0] == "(":
        value = _figure(tokens[at - 2][0])
        first, _words = _words_before(tokens, at - 3)
        return first if first < at - 3 else at - 3, value
    if at >= 1 and _figure(tokens[at - 1][0]) is not None:
        if at >= 2 and tokens[at - 2][0] in (":", "."):
            return end, None  # a clock time ("08:00 hours") or a decimal part
        return at - 1, _figure(tokens[at - 1][0])
    return _words_before(tokens, at)


def durations(text: str) -> list[Stated]:
    """Every duration the text states in figures or in English words, in order."""
    tokens = _tokens(text)
    found: list[Stated] = []
    for index, (token, _start, end) in enumerate(tokens):
        unit = UNITS.get(token.lower())
        if unit is None:
            continue
        before = index
        if unit == "day" and index > 0 and tokens[index - 1][0].lower() in DAY_QUALIFIERS:
            unit = DAY_QUALIFIERS[tokens[index - 1][0].lower()]
            before = index - 1
        first, amount = _amount_before(tokens, before)
        if amount is None:
            continue
        words = [t[0].lower() for t in tokens[first:before] if t[0] != "-"]
        if words in (["a"], ["an"]):
            previous = tokens[first - 1][0].lower() if first > 0 else ""
            if previous in FREQUENCY or previous in UNITS:
                continue  # "once a day", "24 hours a day"
            if previous == "half":
                first, amount = first - 1, 0.5  # "half an hour", "half a day"
        if unit == "hour" and words and len(words[0]) == 4 and words[0].isdigit() \
                and int(words[0][2:]) < 60 and first == before - 1:
            continue  # "1400 hours" is a time of day
        found.append(Stated(_quote(text, tokens[first][1], end), amount, unit))
    return found


def percentages(text: str) -> list[Stated]:
    """Every percentage the text states: `75%`, `seventy-five per cent (75%)`, `60 percent`."""
    tokens = _tokens(text)
    found: list[Stated] = []
    index = 0
    while index < len(tokens):
        token = tokens[index][0].lower()
        last = None
        if token == "percent":
            last = index
        elif token == "per" and index + 1 < len(tokens) and tokens[index + 1][0].lower() == "cent":
            last = index + 1
        elif token == "%" and index > 0 and _figure(tokens[index - 1][0]) is not None:
            start = index - 1
            found.append(Stated(_quote(text, tokens[start][1], tokens[index][2]),
                                _figure(tokens[start][0]), "percent"))
            index += 1
            continue
        if last is None:
            index += 1
            continue
        first, amount = _amount_before(tokens, index)
        end = last
        # "seventy-five per cent (75%)": the figure in brackets is part of the same statement.
        if last + 4 < len(tokens) and tokens[last + 1][0] == "(" and _figure(
                tokens[last + 2][0]) is not None and tokens[last + 3][0] == "%" \
                and tokens[last + 4][0] == ")":
            amount, end = _figure(tokens[last + 2][0]), last + 4
        if amount is not None:
            found.append(Stated(_quote(text, tokens[first][1], tokens[end][2]), amount, "percent"))
        index = end + 1
    return found


def measure(amount: float, unit: str) -> tuple[str, float]:
    """A duration as something comparable: minutes, business days or months."""
    if unit in IN_MINUTES:
        return "minutes", amount * IN_MINUTES[unit]
    if unit in IN_MONTHS:
        return "months", amount * IN_MONTHS[unit]
    return unit, amount


def _deadline_durations(node) -> list[ast.Duration]:
    """Every duration in a deadline (each term of a deadline with several)."""
    if isinstance(node, ast.Duration):
        return [node]
    found = []
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            found.extend(_deadline_durations(getattr(node, f.name)))
    elif isinstance(node, (tuple, list)):
        for item in node:
            found.extend(_deadline_durations(item))
    return found


def _listing(items: list[str], quote: bool = False) -> str:
    shown = [f"'{i}'" if quote else i for i in dict.fromkeys(items)]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _show_duration(d: ast.Duration) -> str:
    return f"{d.amount} {d.raw_unit}"


def text_disagreements(clause: ast.ClauseDecl) -> list[str]:
    """Warnings for a clause whose text states durations none of which is its deadline, or
    percentages that are not its cost shares. A clause without a deadline (or without shares
    in percent) is not compared: the text's durations may be about something else."""
    text = clause.get("text")
    if not isinstance(text, ast.Literal):
        return []
    out = []
    statement = clause.get("statement")
    deadline = getattr(statement, "deadline", None)
    deadline_durations = _deadline_durations(deadline) if deadline is not None else []
    if deadline_durations:
        stated = durations(text.value)
        wanted = {measure(d.amount, d.unit) for d in deadline_durations}
        if stated and not any(measure(s.amount, s.unit) in wanted for s in stated):
            deadlines = " or ".join(dict.fromkeys(_show_duration(d) for d in deadline_durations))
            out.append(f"the text says {_listing([s.raw for s in stated], quote=True)}, "
                       f"the deadline is {deadlines}")
    costs = clause.get("costs")
    if isinstance(costs, ast.Costs) and costs.kind == "percent":
        shares = [share.percent.value for share in costs.shares]
        wrong = [s for s in percentages(text.value) if not any(abs(s.amount - v) < 1e-9
                                                               for v in shares)]
        if wrong:
            out.append(f"the text says {_listing([s.raw for s in wrong], quote=True)}, the costs "
                       f"are {_listing([f'{v:g}%' for v in shares])}")
    return out
