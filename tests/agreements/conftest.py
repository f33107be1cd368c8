"""Database fixtures: every persistence test runs on SQLite and, where reachable, PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from agreements import compiled
from agreements.db import make_engine, session_factory, upgrade
from agreements.models import Base, Organisation
from agreements.users import create_user_unchecked

POSTGRES_SERVER = os.environ.get("COMPACT_TEST_POSTGRES",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 6, 18, 12, 0, tzinfo=timezone.utc)
_postgres_notice_printed = False


def _postgres_database():
    """A fresh database on the PostgreSQL server for this run, or None if none is reachable."""
    try:
        server = make_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            name = f"compact_test_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means: skip, and say so
        return None, None, str(exc).splitlines()[0]
    url = server.url.set(database=name).render_as_string(hide_password=False)
    return server, name, url


@pytest.fixture(scope="session")
def postgres_url(request):
    server, name, url_or_error = _postgres_database()
    if server is None:
        message = (f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({url_or_error}); "
                   f"the persistence tests run on SQLite only")
        print(f"\nNOTICE: {message}")
        request.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"NOTICE: {message}", yellow=True)
        yield None
        return
    engine = make_engine(url_or_error)
    upgrade(engine)
    engine.dispose()
    yield url_or_error
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "compact.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, sqlite_template):
    """A migrated, empty database of each kind."""
    compiled.clear()
    if request.param == "sqlite":
        path = tmp_path / "compact.sqlite"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_url")
        if url is None:
            pytest.skip("PostgreSQL is not reachable here (see the notice above)")
        engine = make_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture
def Session(engine):
    return session_factory(engine)


@pytest.fixture
def db(Session):
    with Session() as session:
        yield session


@dataclass
class People:
    admin: object
    drafter: object
    drafter2: object
    coordinator: object
    partners: dict


def make_people(session, party_ids: list[str], names: dict[str, str] | None = None) -> People:
    """An admin, two drafters, a coordinator and one partner user per party."""
    names = names or {}
    for party in party_ids:
        if session.get(Organisation, party) is None:
            session.add(Organisation(id=party, name=names.get(party, party), created_at=T0))
    user = lambda email, name, role, org=None: create_user_unchecked(  # noqa: E731
        session, email=email, name=name, role=role, organisation_id=org, password="secret pw",
        at=T0)
    people = People(
        admin=user("admin@compact.example", "Ada Admin", "admin"),
        drafter=user("drafter@compact.example", "Dana Drafter", "drafter"),
        drafter2=user("drafter2@compact.example", "Drew Drafter", "drafter"),
        coordinator=user("coordinator@compact.example", "Cory Coordinator", "coordinator"),
        partners={p: user(f"{p}@partner.example", f"Signer of {p}", "partner", p)
                  for p in party_ids})
    session.commit()
    return people


LIBRARY = Path(__file__).resolve().parents[2] / "agreements" / "library"


def library_text(name: str) -> str:
    return (LIBRARY / name).read_text(encoding="utf-8")
