"""Lexical helpers shared by the parser and checker: comment scanning and name suggestions."""

from __future__ import annotations

import difflib


def scan_comments(text: str) -> tuple[list[tuple[int, str, bool]], tuple[int, str] | None]:
    """Find `#` comments outside strings: (offset, text, on a line of its own).

    Also returns the first unterminated string as (offset, message), since the grammar
    alone would only say that something else was expected there.
    """
    comments: list[tuple[int, str, bool]] = []
    i, n = 0, len(text)
    line_start = 0
    code_on_line = False
    while i < n:
        ch = text[i]
        if ch == "\n":
            line_start, code_on_line = i + 1, False
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            comments.append((i, text[i:end].rstrip(), not code_on_line))
            i = end
        elif text.startswith('"""', i):
            end = text.find('"""', i + 3)
            if end < 0:
                return comments, (i, 'this """ string is never closed')
            i = end + 3
            line_start = text.rfind("\n", 0, i) + 1
            code_on_line = True
        elif ch == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            if j >= n or text[j] != '"':
                return comments, (i, 'this string is never closed: a "..." string must end on '
                                     'the same line (use """...""" for several lines)')
            i = j + 1
            code_on_line = True
        else:
            if not ch.isspace():
                code_on_line = True
            i += 1
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
