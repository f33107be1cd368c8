"""Faults are answered, not crashed: with the database cut off mid-use (a real TCP proxy in front
of PostgreSQL, closed and reopened), every request gets 503, JSON from the API and a page
from the site; nothing is half-written; and service comes back by itself."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from sqlalchemy import func, select, text

from agreements import compiled, users
from agreements.db import make_engine, session_factory
from agreements.models import Incident
from agreements.users import create_token
from tests.agreements.conftest import _postgres_database, make_people
from tests.agreements.conftest import postgres_url  # noqa: F401 - the fixture
from web.app import create_app

from .conftest import PASSWORD, TASK_FORCE

INCIDENT = json.dumps({"id": "F-1", "type": "flood warning", "reported_at": "2026-06-19T04:00:00Z"})


class Proxy:
    """A TCP forwarder on loopback to the PostgreSQL server; `cut()` closes every connection
    and refuses new ones until `restore()`."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.close()
            except OSError:
                pass

    def cut(self):
        self.open = False
        with self.lock:
            for pair in self.pairs:
                for s in pair:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    except OSError:
                        pass
            self.pairs.clear()

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def through_proxy(postgres_url, tmp_path, monkeypatch):
    if postgres_url is None:
        pytest.skip("PostgreSQL is not reachable here (see the notice above)")
    server, name, postgres_url = _postgres_database()  # a database of its own, dropped after
    monkeypatch.setattr(users, "_N", 2 ** 4)
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    proxy = Proxy()
    url = make_engine(postgres_url).url.set(host="127.0.0.1", port=proxy.port)
    compiled.clear()
    app = create_app({"TESTING": False, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test",
                      "DATABASE_URL": url.render_as_string(hide_password=False)})
    yield app, proxy, postgres_url
    proxy.close()
    app.extensions["compact.engine"].dispose()
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_an_unreachable_database_is_503_json_or_a_page_and_service_recovers(through_proxy):
    app, proxy, direct = through_proxy
    with app.extensions["compact.sessions"]() as session:
        from agreements.drafting import analyse
        from tests.agreements.conftest import library_text
        parties = analyse(library_text(TASK_FORCE)).parties
        people = make_people(session, [p for p, _ in parties], dict(parties))
        token = create_token(session, people.coordinator, "faults")[1]
        coordinator = people.coordinator.email
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    site = app.test_client()
    assert site.post("/login", data={"email": coordinator, "password": PASSWORD}).status_code \
        == 302
    assert api.get("/api/incidents", headers=bearer).status_code == 200

    proxy.cut()
    for _ in range(3):
        listed = api.get("/api/incidents", headers=bearer)
        assert listed.status_code == 503
        assert listed.mimetype == "application/json"
        assert listed.json["error"]["status"] == 503
        assert listed.json["error"]["message"].startswith(
            "The record cannot be reached right now, so nothing was read or saved.")
        assert listed.headers["Retry-After"] == "5"
        recorded = api.post("/api/incidents", data=INCIDENT,
                            headers={**bearer, "Content-Type": "application/json"})
        assert recorded.status_code == 503 and recorded.mimetype == "application/json"
        page = site.get("/incidents")
        assert page.status_code == 503
        assert b"The record cannot be reached right now" in page.data
        assert b"Traceback" not in page.data
        posted = site.post("/incidents/new", data={"source": "paste",
                                                   "incident_text": INCIDENT})
        assert posted.status_code == 503

    proxy.restore()
    recorded = None
    for _ in range(5):  # the pool notices the dead connections and opens new ones
        recorded = api.post("/api/incidents", data=INCIDENT,
                            headers={**bearer, "Content-Type": "application/json"})
        if recorded.status_code != 503:
            break
    assert recorded.status_code == 201, recorded.data[:300]
    assert site.get("/incidents").status_code == 200
    # Nothing of the refused attempts was kept: exactly the one incident recorded after.
    engine = make_engine(direct)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count(Incident.id))) == 1
    engine.dispose()


def test_an_error_inside_the_error_answer_is_still_json(through_proxy, monkeypatch):
    app, _proxy, _direct = through_proxy
    import web.errors as errors

    def broken(*_a, **_k):
        raise RuntimeError("the error page broke")

    monkeypatch.setattr(errors, "error_response", broken)

    @app.route("/api/boom")
    def boom():
        raise ValueError("boom")

    answer = app.test_client().get("/api/boom")
    assert answer.status_code == 500
    assert json.loads(answer.data) == {"error": {
        "status": 500, "title": "Something went wrong",
        "message": "Something went wrong on our side; nothing was saved. Try again, and tell "
                   "your administrator if it happens again."}}


def test_a_database_lost_in_the_middle_of_recording_keeps_nothing(through_proxy, monkeypatch):
    app, proxy, direct = through_proxy
    with app.extensions["compact.sessions"]() as session:
        from agreements.drafting import analyse
        from tests.agreements.conftest import library_text
        parties = analyse(library_text(TASK_FORCE)).parties
        people = make_people(session, [p for p, _ in parties], dict(parties))
        token = create_token(session, people.coordinator, "faults")[1]
    import agreements.incidents as record
    original = record.evaluate_in_store

    def cut_then_evaluate(*args, **kwargs):
        proxy.cut()  # the operation has read from the database already; now it is gone
        return original(*args, **kwargs)

    monkeypatch.setattr(record, "evaluate_in_store", cut_then_evaluate)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answer = api.post("/api/incidents", data=INCIDENT, headers=headers)
    assert answer.status_code == 503 and answer.json["error"]["status"] == 503
    monkeypatch.setattr(record, "evaluate_in_store", original)
    proxy.restore()
    engine = make_engine(direct)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count(Incident.id))) == 0
    engine.dispose()
    for _ in range(5):
        answer = api.post("/api/incidents", data=INCIDENT, headers=headers)
        if answer.status_code != 503:
            break
    assert answer.status_code == 201
