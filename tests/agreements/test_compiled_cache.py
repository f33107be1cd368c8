"""The compiled_form table: a process that finds the compiled forms of the agreements in force
there loads them instead of parsing, and a row it cannot use never makes anything fail."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

import engine.compiler
from agreements import compiled
from agreements.incidents import executed_in_force, record_incident, warm
from agreements.models import CompiledForm
from engine import persist

from .test_operations import REQUEST_TEXT, execute, utc
from .conftest import make_people

PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county"]


@pytest.fixture
def parses(monkeypatch):
    """Every parse from here on (the way test_operations counts them)."""
    seen = []
    real_parse = engine.compiler.parse
    monkeypatch.setattr(engine.compiler, "parse",
                        lambda *args, **kwargs: seen.append(args[1:]) or real_parse(*args,
                                                                                    **kwargs))
    return seen


def new_process():
    """What a new worker starts with: no compiled agreement in memory."""
    compiled.clear()
    engine.compiler._compile_cached.cache_clear()


@pytest.fixture
def people(db):
    return make_people(db, PARTIES + ["estmark_mfa"])


def rows(Session):
    with Session() as session:
        return session.execute(select(CompiledForm.content_hash, CompiledForm.compact_version)
                               ).all()


def test_a_second_process_loads_the_agreements_in_force_without_parsing(db, people, Session,
                                                                        parses):
    revision = execute(db, people)
    new_process()
    with Session() as session:
        assert warm(session) == 1  # the first process compiles, and writes the row
    assert rows(Session) == [(revision.content_hash, persist.VERSION)]
    new_process()
    parses.clear()
    with Session() as session:
        assert warm(session) == 1
        library = compiled.library(executed_in_force(session))
    assert parses == []
    agreement = library.agreements[0] if hasattr(library, "agreements") else None
    loaded = compiled._agreements[revision.content_hash]
    assert loaded.document is None and loaded.symbols is None
    assert agreement is None or agreement is loaded
    # ... and evaluates from it: recording an incident parses nothing either
    with Session() as session:
        from agreements.models import User
        record_incident(session, session.get(User, people.coordinator.id), REQUEST_TEXT,
                        now=utc("2026-04-10T14:05:00Z"))
    assert parses == []


def test_a_revision_compiled_in_a_session_writes_its_row(db, people, Session):
    revision = execute(db, people)
    new_process()
    with Session() as session:
        compiled.compiled(session.get(type(revision), revision.id))
    assert rows(Session) == [(revision.content_hash, persist.VERSION)]


def test_rows_of_another_version_or_damaged_are_ignored_and_replaced(db, people, Session,
                                                                      parses):
    revision = execute(db, people)
    new_process()
    with Session() as session:
        warm(session)
    with Session() as session, session.begin():
        good = session.scalar(select(CompiledForm.data))
        session.execute(update(CompiledForm).values(compact_version="0.0.1+old"))
    new_process()
    parses.clear()
    with Session() as session:
        assert warm(session) == 1
    assert len(parses) == 1  # compiled again, not loaded from the old version's pickle
    assert sorted(v for _, v in rows(Session)) == sorted(["0.0.1+old", persist.VERSION])

    with Session() as session, session.begin():  # this version's row, damaged
        session.execute(update(CompiledForm).where(CompiledForm.compact_version ==
                                                   persist.VERSION)
                        .values(data=good[:len(good) // 2]))
    new_process()
    parses.clear()
    with Session() as session:
        assert warm(session) == 1
    assert len(parses) == 1
    assert compiled.stats["rejected"] >= 1


def test_without_the_table_agreements_are_compiled(db, people, Session, parses):
    execute(db, people)
    with Session() as session, session.begin():
        session.execute(delete(CompiledForm))
    new_process()
    parses.clear()
    with Session() as session:
        assert warm(session) == 1
    assert len(parses) == 1
    with Session() as session:
        assert session.scalar(select(func.count()).select_from(CompiledForm)) == 1
