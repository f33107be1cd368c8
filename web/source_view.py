"""Agreement text as a page shows it: syntax highlighting, and side-by-side diffs of revisions."""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

DIFF_CONTEXT = 3


KEYWORDS = frozenset("""
agreement title kind binding non-binding effective until language recital party fields role
is parties except where whose intersects trigger when clause must may not unless within of
breach by costs borne shared equally text example incident at expect no duty for and or in
contains given breached one yes holidays whichever earlier later every otherwise lapsed
lapse fulfilled to
""".split())

# The same tokens as static/highlight.js: keep the two in step.
_TOKEN = re.compile(r'''
  (?P<str>"""[\s\S]*?(?:"""|\Z) | "(?:[^"\\\n]|\\.)*"?)
| (?P<com>\#[^\n]*)
| (?P<num>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?
        | \d+[ \t]+(?:(?:business|calendar)[ \t]+days?
                     |minutes?|hours?|days?|weeks?|months?|years?)(?![A-Za-z0-9_])
        | -?\d+(?:\.\d+)?%?)
| (?P<path>(?:incident|party)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
| (?P<phrase>(?:governing[ \t]+law|withdrawal[ \t]+notice)(?![A-Za-z0-9_]))
| (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
| (?P<op>==|!=|<=|>=|<|>)
| (?P<other>[^"\#A-Za-z0-9_=!<>-]+|[\s\S])
''', re.VERBOSE)
_CLASSES = {"str": "tok-str", "com": "tok-com", "num": "tok-num", "path": "tok-path",
            "phrase": "tok-kw", "op": "tok-op"}


def highlight_lines(text: str) -> list[Markup]:
    """The text as escaped HTML, one item per line, with tok-* spans (never across lines)."""
    lines: list[list[str]] = [[]]
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        css = _CLASSES.get(kind)
        if kind == "word" and token in KEYWORDS:
            css = "tok-kw"
        for i, part in enumerate(token.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append(f'<span class="{css}">{escape(part)}</span>' if css
                                 else str(escape(part)))
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # a final newline ends the last line; it does not start another
    return [Markup("".join(parts)) for parts in lines]



_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


def _intraline(old: str, new: str) -> tuple[Markup, Markup]:
    """Two changed lines with the changed words marked (a space between two changes is part
    of the change, so that '1 hour' → '45 minutes' reads as one change, not two)."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    segments = []  # [changed?, old text, new text]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        segments.append([tag != "equal", "".join(a[i1:i2]), "".join(b[j1:j2])])
    for k in range(1, len(segments) - 1):
        if not segments[k][0] and not segments[k][1].strip() and segments[k - 1][0] \
                and segments[k + 1][0]:
            segments[k][0] = True
    merged: list[list] = []
    for segment in segments:
        if merged and merged[-1][0] and segment[0]:
            merged[-1][1] += segment[1]
            merged[-1][2] += segment[2]
        else:
            merged.append(list(segment))
    left, right = [], []
    for changed, x, y in merged:
        if not changed:
            left.append(str(escape(x)))
            right.append(str(escape(y)))
            continue
        if x:
            left.append(f"<del>{escape(x)}</del>")
        if y:
            right.append(f"<ins>{escape(y)}</ins>")
    return Markup("".join(left)), Markup("".join(right))


def diff_rows(old_text: str, new_text: str, *, context: int | None = DIFF_CONTEXT) -> list[dict]:
    """Side-by-side rows: kind (equal, change, delete, insert, skip), numbers and texts."""
    old, new = old_text.split("\n"), new_text.split("\n")
    if old and old[-1] == "":
        old.pop()
    if new and new[-1] == "":
        new.pop()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    rows: list[dict] = []

    def row(kind, i=None, j=None, left="", right=""):
        rows.append({"kind": kind, "old_no": None if i is None else i + 1,
                     "new_no": None if j is None else j + 1, "old": left, "new": right})

    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            count = i2 - i1
            first, last = index == 0, index == len(opcodes) - 1
            keep_head = 0 if first else context
            keep_tail = 0 if last else context
            if context is None or count <= keep_head + keep_tail + 1:
                for k in range(count):
                    row("equal", i1 + k, j1 + k, escape(old[i1 + k]), escape(new[j1 + k]))
                continue
            for k in range(keep_head):
                row("equal", i1 + k, j1 + k, escape(old[i1 + k]), escape(new[j1 + k]))
            rows.append({"kind": "skip", "count": count - keep_head - keep_tail,
                         "old_no": i1 + keep_head + 1, "new_no": j1 + keep_head + 1})
            for k in range(count - keep_tail, count):
                row("equal", i1 + k, j1 + k, escape(old[i1 + k]), escape(new[j1 + k]))
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                if i < i2 and j < j2:
                    left, right = _intraline(old[i], new[j])
                    row("change", i, j, left, right)
                elif i < i2:
                    row("delete", i, None, escape(old[i]))
                else:
                    row("insert", None, j, "", escape(new[j]))
        elif tag == "delete":
            for i in range(i1, i2):
                row("delete", i, None, escape(old[i]))
        else:
            for j in range(j1, j2):
                row("insert", None, j, "", escape(new[j]))
    return rows
