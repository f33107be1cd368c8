"""Lexical helpers shared by the parser and checker: comment scanning and name suggestions."""

from __future__ import annotations

import difflib
import re


# A closed triple-quoted string, an unclosed one, a one-line string, a comment, a stray quote.
_LEXEMES = re.compile(r'''"""[\s\S]*?"""|"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|"''')


def scan_comments(text: str) -> tuple[list[tuple[int, str, bool]], tuple[int, str] | None]:
    """Find `#` comments outside strings: (offset, text, on a line of its own).

    Also returns the first unterminated string as (offset, message), since the grammar
    alone would only say that something else was expected there.
    """
    comments: list[tuple[int, str, bool]] = []
    for match in _LEXEMES.finditer(text):
        token = match.group(0)
        start = match.start()
        if token == '"""':
            return comments, (start, 'this """ string is never closed')
        if token == '"':
            return comments, (start, 'this string is never closed: a "..." string must end on '
                                     'the same line (use """...""" for several lines)')
        if token.startswith("#"):
            line_start = text.rfind("\n", 0, start) + 1
            own_line = not text[line_start:start].strip()
            comments.append((start, token.rstrip(), own_line))
    return comments, None


def suggest(word: str, candidates) -> str | None:
    """The closest candidate to a misspelt word, if one is close enough to be a likely typo."""
    candidates = [c for c in set(candidates) if c != word]
    if not candidates or not word:
        return None
    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.75)
    if found:
        return found[0]
    lowered = {c.lower(): c for c in candidates}
    return lowered.get(word.lower())
