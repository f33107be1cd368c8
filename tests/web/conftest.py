"""Web fixtures: an app on a fresh SQLite store, people of every role, signed-in clients."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agreements import compiled, users
from agreements.drafting import analyse, create_agreement, publish
from agreements.signing import sign
from tests.agreements.conftest import LIBRARY, library_text, make_people
from web.app import create_app, db

T0 = datetime(2026, 6, 18, 12, 0, tzinfo=timezone.utc)
PASSWORD = "secret pw"  # make_people gives every user this password
TASK_FORCE = "cap-joint-task-force.agreement"
TASK_FORCE_ID = "columbia-cap-joint-task-force"
ALERT = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes()


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)  # the cost is stored with each hash


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    compiled.clear()
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite'}",
                      "SECRET_KEY": "test"})

    @app.before_request
    def sign_in_afresh():
        # Requests share the test's app context and so its `g`, where Flask-Login keeps the
        # signed-in user: forget it, so that each client is whoever its own cookie says.
        from flask import g
        g.pop("_login_user", None)

    yield app
    app.extensions["compact.engine"].dispose()


def app_on(request, tmp_path, monkeypatch, database: str):
    """The app on a fresh SQLite file (`database` "sqlite") or on the session's PostgreSQL
    database emptied ("postgresql"; skipped when PostgreSQL is not reachable), for the tests
    that must hold on both databases."""
    from sqlalchemy import text
    from agreements.models import Base
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    compiled.clear()
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
        if url is None:
            pytest.skip("PostgreSQL is not reachable here")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "DATABASE_URL": url,
                      "SECRET_KEY": "test"})
    if database == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with app.extensions["compact.engine"].begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return app


@pytest.fixture
def session(app):
    """The database session of an app context held through the test, for arranging and
    checking the store; requests share it (and so see and show the same rows)."""
    with app.app_context():
        yield db()


@pytest.fixture
def people(session):
    """Users of every role; one partner per party of the CAP joint task force protocol."""
    parties = analyse(library_text(TASK_FORCE)).parties
    return make_people(session, [p for p, _ in parties], dict(parties))


@pytest.fixture
def executed(session, people):
    """The CAP joint task force protocol, published and signed by every party (revision 1)."""
    revision = create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
    for party, partner in people.partners.items():
        sign(session, partner, TASK_FORCE_ID, 1, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=T0)
    return revision


def login(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data[:500]


@pytest.fixture
def client_for(app):
    """client_for(user): a test client signed in as that user."""
    def make(user):
        client = app.test_client()
        login(client, user)
        return client
    return make
