"""Input advice shared by both evaluators: values outside every `one of`, unknown parties, suggestions."""

from __future__ import annotations

import difflib
import json
from typing import Iterable


def value_key(value):
    """A scalar incident or literal value as a hashable key that never equates yes/no with 1/0;
    None for lists and objects."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    return None


def quoted(value) -> str:
    """A value as a message shows it: text in single quotes, yes/no as written, numbers bare."""
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def closest(value, candidates: Iterable) -> str | None:
    """The candidate a mistyped text most likely meant: the same but for case and white
    space, else a small edit away, else one that begins or ends with it (an id typed short)."""
    if not isinstance(value, str):
        return None
    texts = sorted({c for c in candidates if isinstance(c, str) and c != value})
    if not texts:
        return None
    wanted = _normal(value)
    if not wanted:
        return None
    for text in texts:
        if _normal(text) == wanted:
            return text
    by_normal = {}
    for text in texts:
        by_normal.setdefault(_normal(text), text)
    found = difflib.get_close_matches(wanted, list(by_normal), n=1, cutoff=0.75)
    if found:
        return by_normal[found[0]]
    if len(wanted) >= 3:
        longer = [t for t in texts if _normal(t).startswith(wanted) or _normal(t).endswith(wanted)
                  or wanted.startswith(_normal(t)) and len(_normal(t)) >= 3]
        if len(longer) == 1:
            return longer[0]
    return None


def hint(suggestion: str | None) -> str:
    return f" (did you mean {quoted(suggestion)}?)" if suggestion is not None else ""


def one_of_message(field: str, value, suggestion: str | None) -> str:
    return (f"{field} {quoted(value)} is not one of the values any agreement lists"
            + hint(suggestion))


def unknown_party_message(value: str, suggestion: str | None) -> str:
    return f"{quoted(value)} is not a known party" + hint(suggestion)


def field_values(value) -> list:
    """The scalar values a field holds: the value itself, or each item of a list."""
    items = value if isinstance(value, list) else [value]
    return [v for v in items if value_key(v) is not None]
