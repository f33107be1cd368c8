"""Compiled agreements and trigger indexes, cached by revision hash so evaluation never re-parses."""

from __future__ import annotations

import threading
from collections import OrderedDict

from engine.compiler import CompiledAgreement, load
from engine.index import Library

_lock = threading.Lock()
_agreements: dict[str, CompiledAgreement] = {}
_libraries: OrderedDict[frozenset, Library] = OrderedDict()
LIBRARY_CACHE_SIZE = 8


def compiled(revision) -> CompiledAgreement:
    """The revision compiled once; a revision is immutable, so its hash is a safe key."""
    key = revision.content_hash
    agreement = _agreements.get(key)
    if agreement is None:
        agreement = load(revision.source, f"{revision.agreement.slug}.agreement")
        with _lock:
            _agreements[key] = agreement
    return agreement


def library(revisions) -> Library:
    """A trigger index over these revisions, rebuilt only when the set in force changes."""
    revisions = list(revisions)
    key = frozenset(r.content_hash for r in revisions)
    with _lock:
        hit = _libraries.get(key)
        if hit is not None:
            _libraries.move_to_end(key)
            return hit
    built = Library([compiled(r) for r in revisions])
    with _lock:
        _libraries[key] = built
        while len(_libraries) > LIBRARY_CACHE_SIZE:
            _libraries.popitem(last=False)
    return built


def clear() -> None:
    with _lock:
        _agreements.clear()
        _libraries.clear()
