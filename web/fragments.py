"""Rendered duty cards kept per worker, so that a board of hundreds of duties is assembled, not
re-rendered, on every refresh.

A card shows only what never changes for a duty of a database (its text, due time, costs:
duties are never edited) and what is in its key (the database, the duty's id, its state,
countdown text, actions offered, party names, the viewer's time zone), so a cached card is
never stale. The per-request parts (the CSRF token, the page to return to) are markers,
filled in when the page is put together; escaped user text cannot contain them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from markupsafe import escape

CSRF_MARK = "<!--csrf-->"
COUNTDOWN_MARK = "<!--countdown-->"  # "in 2 h 05 min" changes every minute: filled per request
NEXT_MARK = "<!--next-->"
MAX_CARDS = 20_000

_lock = threading.Lock()
_cards: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()


def cached(keys) -> dict[tuple, tuple[str, ...]]:
    """The cards already rendered for these keys."""
    out = {}
    with _lock:
        for key in keys:
            hit = _cards.get(key)
            if hit is not None:
                _cards.move_to_end(key)
                out[key] = hit
    return out


def keep(key: tuple, html: str) -> tuple[str, ...]:
    """Keep a rendered card, cut at its countdown (if it shows one)."""
    parts = tuple(html.split(COUNTDOWN_MARK, 1))
    with _lock:
        _cards[key] = parts
        while len(_cards) > MAX_CARDS:
            _cards.popitem(last=False)
    return parts


def assemble(parts: tuple[str, ...], countdown_text: str | None) -> str:
    if len(parts) == 1:
        return parts[0]
    return parts[0] + str(escape(countdown_text or "")) + parts[1]


def fill(html: str, csrf: str, next_url: str) -> str:
    return html.replace(CSRF_MARK, str(escape(csrf))).replace(NEXT_MARK, str(escape(next_url)))


def clear() -> None:
    with _lock:
        _cards.clear()
