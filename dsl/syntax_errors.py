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
    if token not in RESERVED:
        words = set(re.findall(r"[a-z][a-z-]*", expected)) | set(DECLARATION_KEYWORDS)
        words |= set(UNITS) | set(KINDS)
        hint = suggest(token, words)
        if hint:
            message += f" (did you mean '{hint}'?)"
    return _diagnostic(message, text, loc, found_len, filename)


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
