"""The words and token patterns of the agreement language, shared by both parsers."""

from __future__ import annotations

import re
import textwrap

import pyparsing as pp

from dsl.timestamps import TIME_RE

DECLARATION_KEYWORDS = ("agreement", "recital", "party", "fields", "role", "trigger", "clause",
                        "example")
# Words that cannot name a party, role, trigger or clause: each could stand where a name
# can, so allowing it would make a line mean two things. Header and example words (title,
# kind, at, expect, ...) never stand in such places and stay free for names.
RESERVED = frozenset(DECLARATION_KEYWORDS + (
    "is", "parties", "when", "unless", "must", "may", "not", "and", "or", "costs", "borne", "by",
    "shared", "equally", "text", "within", "of", "breach", "breached", "given", "in", "contains",
    "incident", "yes", "no", "duty", "otherwise", "lapsed", "lapse", "fulfilled", "to",
))
NAME_RE = (r"(?!(?:" + "|".join(sorted(RESERVED, key=len, reverse=True)) + r")(?![A-Za-z0-9_]))"
           r"[A-Za-z_][A-Za-z0-9_]*")
HEADER_WORDS = ("title", "kind", "binding", "non-binding", "effective", "governing", "withdrawal",
                "language", "holidays")
SLUG_RE = r"(?!(?:" + "|".join(HEADER_WORDS) + r")(?![\w.-]))[A-Za-z_][A-Za-z0-9_.\-]*"
KINDS = ("mou", "mutual-aid", "compact", "protocol", "other")
SCALE_TYPES = ("severity", "urgency", "certainty")
SIMPLE_TYPES = ("text", "number", "yes/no", "date", "time", "party") + SCALE_TYPES
SIMPLE_TYPE_RE = r"yes/no|(?:text|number|date|time|party|severity|urgency|certainty)(?![\w/-])"
UNITS = {"minute": "minute", "minutes": "minute", "hour": "hour", "hours": "hour",
         "day": "day", "days": "day", "week": "week", "weeks": "week",
         "month": "month", "months": "month", "year": "year", "years": "year",
         "business day": "business day", "business days": "business day",
         "calendar day": "day", "calendar days": "day"}
UNIT_RE = r"(minutes?|hours?|days?|weeks?|months?|years?)(?![\w-])"
UNIT_NAMES = "a unit (minutes, hours, days, business days, calendar days, weeks, months or years)"
WHOLE_RE = r"\d+(?![\w.%])"

DATE_RE = r"\d{4}-\d{2}-\d{2}"
DATE_LIT_RE = DATE_RE + r"(?![\w:.+-])"
TIME_LIT_RE = TIME_RE + r"(?![\w:.+-])"
NAIVE_TIME_RE = (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                 r"(?:[+-]\d{1,4}(?::\d{1,2})?|[A-Za-z]+)?")
MALFORMED_OFFSET_RE = r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+\-A-Za-z]"
NUMBER_RE = r"-?\d+(?:\.\d+)?%?(?![\w.])"
PERCENT_RE = r"\d+(?:\.\d+)?%"
STRING_RE = r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"'
FIELD_NAME_RE = r"[A-Za-z_][A-Za-z0-9_]*"
COMPARISON_RE = r"==|!=|<=|>=|<|>"

# The characters that may not touch a keyword: those of a name, and '-' (as in non-binding).
KEYWORD_CHARS = pp.identbodychars + "-"

_ESCAPE = re.compile(r"\\(.)")
_ANY_ESCAPE = re.compile(r"\\(.)")


def bad_escape(raw: str) -> re.Match | None:
    """The first escape of a one-line string other than \\", \\\\ and \\n, if any."""
    if raw.startswith('"""'):
        return None
    return next((m for m in _ANY_ESCAPE.finditer(raw) if m.group(1) not in '"\\n'), None)


def bad_escape_message(match: re.Match) -> str:
    return f"unknown escape '\\{match.group(1)}' in a string; use \\\", \\\\ or \\n"


def unquote(raw: str) -> str:
    """The value of a string literal as written in the source."""
    if raw.startswith('"""'):
        body = raw[3:-3].replace("\r\n", "\n")
        if body.startswith("\n"):
            body = body[1:]
        elif body.startswith("\r\n"):
            body = body[2:]
        lines = body.split("\n")
        if len(lines) > 1 and not lines[-1].strip():
            lines = lines[:-1]
            body = "\n".join(lines)
        return textwrap.dedent(body)
    return _ESCAPE.sub(lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), raw[1:-1])
