"""The diagnostic of a syntax error: where pyparsing stopped, said in the author's words."""

from __future__ import annotations

import re

import pyparsing as pp

from dsl.errors import Diagnostic, Span
from dsl.lexical import suggest
from dsl.tokens import DECLARATION_KEYWORDS, KINDS, RESERVED, UNITS

FATAL = "\x00"  # marks a message we wrote ourselves; pyparsing re-wraps exception classes


_WORD = re.compile(r'"""|"(?:[^"\\\n]|\\.)*"?|[A-Za-z_][A-Za-z0-9_./-]*|\d[\w:.+%-]*|==|!=|<=|>=|\S')


def syntax_diagnostic(exc: pp.ParseBaseException, text: str, filename: str) -> Diagnostic:
    """The diagnostic for where the grammar stopped: our own message, or what it expected there,
    with a hint where the mistake is a likely one."""
    loc = _skip_blank(text, exc.loc)
    match = _WORD.match(text, loc) if loc < len(text) else None
    found_len = len(match.group(0)) if match else 1
    if exc.msg.startswith(FATAL):
        return _diagnostic(exc.msg[len(FATAL):], text, loc, found_len, filename)
    expected = exc.msg[len("Expected "):] if exc.msg.startswith("Expected ") else exc.msg
    expected = expected.strip()
    if expected.startswith(("{", "Keyword", "W:", "Re:")):
        expected = "something else"
    if match is None:
        # Point at the end of the last line rather than past the end of the file.
        return _diagnostic(f"expected {expected}, found the end of the file", text,
                           len(text.rstrip()), 1, filename)
    token = match.group(0)
    hinted = _drafting_hint(token, text, loc, expected, filename)
    if hinted is not None:
        return hinted
    shown = token if len(token) <= 30 else token[:27] + "..."
    message = f"expected {expected}, found '{shown}'"

    before = re.search(r"(?<![.\w])([A-Za-z_]\w*)[ \t]*$", text[:loc])
    if token in ("==", "!=", "<", "<=", ">", ">=", "contains", "in") and before \
            and before.group(1) not in RESERVED:
        # `when type == "flood"`: a bare name where a field was meant.
        name = before.group(1)
        return _diagnostic(f"'{name}' is not a value; to read the incident's field write "
                           f"incident.{name}", text, before.start(1), len(name), filename)
    if expected.startswith("a clause line"):
        # `ROLE mst "..."`: the second word is the real mistake.
        after = re.match(r"([A-Za-z_]\w*)[ \t]+([a-z]+)\b", text[loc:])
        keywords = DECLARATION_KEYWORDS + ("when", "unless", "costs", "text", "otherwise",
                                           "fulfilled")
        if (after and after.group(2) not in RESERVED and after.group(1) not in RESERVED
                and not suggest(after.group(1), keywords)):
            word = after.group(2)
            hint = suggest(word, ("must", "may"))
            return _diagnostic(f"expected 'must', 'may' or 'must not', found '{word}'"
                               + (f" (did you mean '{hint}'?)" if hint else ""),
                               text, loc + after.start(2), len(word), filename)
    previous = re.search(r"(\w+)[ \t]*$", text[:loc])
    if token in RESERVED and previous and previous.group(1) in DECLARATION_KEYWORDS:
        return _diagnostic(f"'{token}' is a keyword of the language and cannot be used as a "
                           "name here; choose another name", text, loc, found_len, filename)
    if expected.startswith("a whole number") and token in UNITS:
        # `every day`, `within hours`: the number was left out, not misspelt.
        return _diagnostic(f"{message} (a duration is a number and a unit: 1 {token})", text,
                           loc, found_len, filename)
    if token not in RESERVED:
        words = set(re.findall(r"[a-z][a-z-]*", expected))
        if not re.fullmatch(r"'[a-z]+'", expected):  # one word wanted: only it is a hint
            words |= set(DECLARATION_KEYWORDS) | set(UNITS) | set(KINDS)
        hint = suggest(token, words)
        if hint:
            message += f" (did you mean '{hint}'?)"
    return _diagnostic(message, text, loc, found_len, filename)


STATUSES = ("open", "breached", "fulfilled", "lapsed")
_COSTS_FORMS = ("'costs borne by ROLE', 'costs shared equally by ROLE, ...' or "
                "'costs shared ROLE N%, ROLE N%, ...'")
_SEPARATED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_TERMS = re.compile(r"\bwithin\b.*?\b(or)\b")


def _drafting_hint(token: str, text: str, loc: int, expected: str,
                   filename: str) -> Diagnostic | None:
    """What a drafter most likely meant, for the mistakes that the grammar's 'expected ...'
    words badly: a limit after costs, a number with separators, deadline terms joined by 'or'
    without saying which of them counts."""
    line_start = text.rfind("\n", 0, loc) + 1
    line_end = text.find("\n", loc)
    line = text[line_start:len(text) if line_end < 0 else line_end]
    before = text[line_start:loc]
    if token == "," and re.search(r"\d$", before):
        number = re.search(r"\d+$", before)
        whole = _SEPARATED.match(text, line_start + number.start())
        if whole and whole.end() > loc:
            written = whole.group(0)
            return _diagnostic(f"numbers are written without separators: write "
                               f"{written.replace(',', '')}, not {written}", text,
                               whole.start(), len(written), filename)
    if expected.startswith("a clause line") and before.lstrip().startswith("costs "):
        limit = "" if token != "up" else (
            ", with no limit; a limit such as '" + text[loc:loc + len(line) - len(before)].strip()
            + "' belongs in the clause's text")
        return _diagnostic(f"unexpected '{token}' after the costs: a costs line is "
                           f"{_COSTS_FORMS}{limit}", text, loc, len(token), filename)
    said = before.split()
    if said[:1] == ["expect"] and expected.startswith("an example line"):
        shown = token if len(token) <= 30 else token[:27] + "..."
        if said[1:2] == ["no"] and len(said) == 3:
            return _diagnostic(f"expected 'for PARTY' or the end of the expect line, found "
                               f"'{shown}'", text, loc, len(token), filename)
        if said[1:2] != ["no"] and said[-1] in STATUSES:
            return _diagnostic(f"expected the end of the expect line after its status, found "
                               f"'{shown}'", text, loc, len(token), filename)
        if said[1:2] != ["no"]:
            hint = suggest(token, STATUSES)
            return _diagnostic("expected a status (open, breached, fulfilled or lapsed) or the "
                               f"end of the expect line, found '{shown}'"
                               + (f" (did you mean '{hint}'?)" if hint else ""),
                               text, loc, len(token), filename)
    if said == ["expect", "warning"] and not token.startswith('"'):
        return _diagnostic(f"expected the warning's text in double quotes, found '{token}'",
                           text, loc, len(token), filename)
    if "whichever" not in line:
        terms = _TERMS.search(_unquoted(line))
        if token == "or" and terms and line_start + terms.start(1) == loc:
            return _whichever(text, line_start, line, terms, filename)
    if not before.strip():  # the error is at the start of a line: look at the line before
        previous_end = line_start - 1
        while previous_end > 0:
            previous_start = text.rfind("\n", 0, previous_end) + 1
            previous = text[previous_start:previous_end]
            if previous.strip():
                terms = _TERMS.search(_unquoted(previous))
                if terms and "whichever" not in previous:
                    return _whichever(text, previous_start, previous, terms, filename)
                break
            previous_end = previous_start - 1
    return None


def _unquoted(line: str) -> str:
    """The line with its quoted text blanked (an action may well say 'within ... or ...')."""
    return re.sub(r'"(?:[^"\\\n]|\\.)*"?', lambda m: " " * len(m.group(0)), line)


def _whichever(text: str, line_start: int, line: str, terms: re.Match,
               filename: str) -> Diagnostic:
    written = line[terms.start():].strip()
    return _diagnostic("deadline terms joined by 'or' must say which of them counts: close them "
                       "with ', whichever is earlier' or ', whichever is later' "
                       f"({written}, whichever is earlier)", text, line_start + terms.start(1),
                       2, filename)


def _skip_blank(text: str, loc: int) -> int:
    """Past white space and comments, which the grammar skips too."""
    while loc < len(text):
        if text[loc] in " \t\r\n":
            loc += 1
        elif text[loc] == "#":
            end = text.find("\n", loc)
            loc = len(text) if end < 0 else end
        else:
            break
    return loc


def _diagnostic(message: str, text: str, loc: int, length: int, filename: str) -> Diagnostic:
    return Diagnostic("error", message, Span.at(text, loc, min(len(text), loc + length)),
                      filename, text)
