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
    return by_hash(revision.content_hash, lambda: revision.source,
                   f"{revision.agreement.slug}.agreement")


def by_hash(content_hash: str, source, filename: str) -> CompiledAgreement:
    """The compiled agreement of a hash; `source()` gives its text, read only on a cache miss."""
    agreement = _agreements.get(content_hash)
    if agreement is None:
        agreement = load(source(), filename)
        with _lock:
            _agreements[content_hash] = agreement
    return agreement


def library(revisions) -> Library:
    """A trigger index over these revisions, rebuilt only when the set in force changes.

    `revisions` are Revision rows, or anything with `content_hash`, `slug` and a `source()`
    that reads the text (so that a cache hit reads no agreement text at all)."""
    revisions = list(revisions)
    key = frozenset(r.content_hash for r in revisions)
    with _lock:
        hit = _libraries.get(key)
        if hit is not None:
            _libraries.move_to_end(key)
            return hit
    built = Library([compiled(r) if hasattr(r, "agreement") else
                     by_hash(r.content_hash, r.source, f"{r.slug}.agreement") for r in revisions])
    with _lock:
        _libraries[key] = built
        while len(_libraries) > LIBRARY_CACHE_SIZE:
            _libraries.popitem(last=False)
    return built


def clear() -> None:
    with _lock:
        _agreements.clear()
        _libraries.clear()
