"""Compiled agreements and trigger indexes, cached by revision hash so evaluation never re-parses.

Two levels: this process keeps the compact compiled form of every revision it has met (no
syntax tree: `CompiledAgreement.without_syntax`), and the `compiled_form` table keeps the same
form pickled (`engine.persist`), keyed by content hash and Compact version, for every process
and host. A revision missing from both is parsed, checked and compiled once, and its row is
written (in a transaction of its own, never the caller's). A row of another version, or one
that does not load, is ignored and replaced; the cache can never make anything fail.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import object_session

from engine import persist
from engine.compiler import CompiledAgreement, compile_source
from engine.index import Library

log = logging.getLogger(__name__)

_lock = threading.Lock()
_agreements: dict[str, CompiledAgreement] = {}
_libraries: OrderedDict[frozenset, Library] = OrderedDict()
_unsaved: dict[str, bytes] = {}  # compiled here, not yet written (the database was busy)
LIBRARY_CACHE_SIZE = 8
_CHUNK = 20_000  # hashes per query (SQLite allows 32,766 parameters, PostgreSQL 65,535)
stats = {"parsed": 0, "loaded": 0, "stored": 0, "rejected": 0}


def compiled(revision) -> CompiledAgreement:
    """The revision compiled once; a revision is immutable, so its hash is a safe key."""
    return by_hash(revision.content_hash, lambda: revision.source,
                   f"{revision.agreement.slug}.agreement", session=object_session(revision))


def by_hash(content_hash: str, source, filename: str, session=None) -> CompiledAgreement:
    """The compiled agreement of a hash; `source()` gives its text, read only on a cache miss.

    With a session (given, or the one of `source`'s InForce row) a miss is looked up in the
    compiled_form table before anything is parsed."""
    agreement = _agreements.get(content_hash)
    if agreement is None:
        session = session if session is not None else _session_of(source)
        agreement = _fetch({content_hash: (source, filename)}, session)[content_hash]
    return agreement


def library(revisions) -> Library:
    """A trigger index over these revisions, rebuilt only when the set in force changes.

    `revisions` are Revision rows, or anything with `content_hash`, `slug` and a `source()`
    that reads the text (so that a cache hit reads no agreement text at all). Those compiled
    in no earlier call are read from the compiled_form table in one query."""
    revisions = list(revisions)
    key = frozenset(r.content_hash for r in revisions)
    with _lock:
        hit = _libraries.get(key)
        if hit is not None:
            _libraries.move_to_end(key)
            return hit
    wanted, session = {}, None
    for r in revisions:
        if r.content_hash in _agreements or r.content_hash in wanted:
            continue
        if hasattr(r, "agreement"):  # a Revision row
            wanted[r.content_hash] = ((lambda r=r: r.source), f"{r.agreement.slug}.agreement")
            session = session or object_session(r)
        else:
            wanted[r.content_hash] = (r.source, f"{r.slug}.agreement")
            session = session or _session_of(r.source)
    found = _fetch(wanted, session) if wanted else {}
    with _no_gc():
        built = Library([_agreements.get(r.content_hash) or found[r.content_hash]
                         for r in revisions])
    with _lock:
        _libraries[key] = built
        while len(_libraries) > LIBRARY_CACHE_SIZE:
            _libraries.popitem(last=False)
    return built


def clear() -> None:
    with _lock:
        _agreements.clear()
        _libraries.clear()
        _unsaved.clear()


# ---------------------------------------------------------------- the compiled_form table

def _session_of(source):
    """The session of an InForce row's bound `source` method, if that is what `source` is."""
    return getattr(getattr(source, "__self__", None), "session", None)


def _engine_of(session):
    """The session's engine, or None where a second connection would not see the same
    database (SQLite in memory) or there is no session."""
    if session is None:
        return None
    try:
        engine = session.get_bind()
    except Exception:
        return None
    engine = getattr(engine, "engine", engine)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    return engine


@contextmanager
def _no_gc():
    """Loading thousands of pickles makes millions of objects at once; the collector would
    walk them all again and again for nothing (none of them is garbage)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fetch(wanted: dict, session) -> dict[str, CompiledAgreement]:
    """hash -> compiled agreement for `wanted` (hash -> (source(), filename)): from the table
    where a row of this version loads, else compiled (and the row written)."""
    engine = _engine_of(session)
    out = _load_rows(engine, list(wanted)) if engine is not None else {}
    made = {}  # hash -> pickled compact form, to be written
    for content_hash, (source, filename) in wanted.items():
        if content_hash not in out:
            agreement = compile_source(source(), filename).without_syntax()
            stats["parsed"] += 1
            try:  # kept as a later start will load it: interned, shared, without the source
                data = persist.dumps(agreement)
                with _no_gc():
                    agreement = persist.loads(data)
                made[content_hash] = data
            except Exception as exc:  # a condition the pickler does not know: no row, no harm
                log.warning("compiled form of %s cannot be pickled: %s", content_hash[:12], exc)
            out[content_hash] = agreement
    with _lock:
        for content_hash, agreement in out.items():
            out[content_hash] = _agreements.setdefault(content_hash, agreement)
    if engine is not None and (made or _unsaved):
        if _holds_sqlite_write_lock(session, engine):
            _postpone(made)  # our connection would only wait for the caller's transaction
        else:
            _store(engine, made)
    return out


def _holds_sqlite_write_lock(session, engine) -> bool:
    if engine.dialect.name != "sqlite" or session.get_transaction() is None:
        return False
    try:
        return bool(session.connection().connection.driver_connection.in_transaction)
    except Exception:
        return True


def _postpone(made: dict[str, bytes]) -> None:
    with _lock:
        _unsaved.update(made)


def _load_rows(engine, hashes: list[str]) -> dict[str, CompiledAgreement]:
    from agreements.models import CompiledForm
    out = {}
    try:
        with engine.connect() as connection, _no_gc():
            for i in range(0, len(hashes), _CHUNK):
                rows = connection.execute(
                    select(CompiledForm.content_hash, CompiledForm.data)
                    .where(CompiledForm.compact_version == persist.VERSION,
                           CompiledForm.content_hash.in_(hashes[i:i + _CHUNK])))
                for content_hash, data in rows:
                    try:
                        agreement = persist.loads(data)
                    except persist.StaleForm as exc:
                        stats["rejected"] += 1
                        log.warning("compiled form of %s ignored, compiling again: %s",
                                    content_hash[:12], exc)
                        continue
                    if agreement.content_hash != content_hash:
                        stats["rejected"] += 1
                        log.warning("compiled form of %s is of another text (%s); ignored",
                                    content_hash[:12], agreement.content_hash[:12])
                        continue
                    out[content_hash] = agreement
    except Exception as exc:  # no table yet, a lost connection...: compile instead
        log.warning("compiled forms could not be read, compiling instead: %s", exc)
        return {}
    stats["loaded"] += len(out)
    return out


def _store(engine, made: dict[str, bytes]) -> None:
    """Write the rows of `made` (and of earlier ones not yet written) in a transaction of its
    own; a busy or failing database only postpones them (they are a cache)."""
    from agreements.models import CompiledForm
    with _lock:
        rows = {**_unsaved, **made}
    if not rows:
        return
    now = datetime.now(timezone.utc)
    values = [{"content_hash": h, "compact_version": persist.VERSION, "data": data,
               "created_at": now} for h, data in rows.items()]
    dialect = engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        insert = None
    try:
        with engine.connect() as connection:
            if dialect == "sqlite":  # never wait behind the caller's own write transaction
                busy = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                connection.exec_driver_sql("PRAGMA busy_timeout=200")
                connection.commit()  # (a pragma only; the transaction below is the one)
            try:
                with connection.begin():
                    if dialect == "postgresql":
                        connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                    existing = set()
                    if insert is None:
                        existing = set(connection.scalars(
                            select(CompiledForm.content_hash)
                            .where(CompiledForm.compact_version == persist.VERSION,
                                   CompiledForm.content_hash.in_(list(rows)))))
                        statement = CompiledForm.__table__.insert()
                    else:
                        statement = insert(CompiledForm.__table__).on_conflict_do_nothing()
                    batch = [v for v in values if v["content_hash"] not in existing]
                    for i in range(0, len(batch), 500):
                        connection.execute(statement, batch[i:i + 500])
            finally:
                if dialect == "sqlite":
                    connection.rollback()
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy)}")
                    connection.commit()
    except Exception as exc:
        with _lock:
            _unsaved.update(rows)
        log.warning("compiled forms not stored yet (%d): %s", len(rows), exc)
        return
    with _lock:
        for h in rows:
            _unsaved.pop(h, None)
    stats["stored"] += len(rows)

