"""SIGTERM under load: gunicorn, started as the README says (`-c python:web.gunicorn_conf`),
answers every request it has accepted before its workers exit (none is reset), stops promptly,
and leaves no half-written record; on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from agreements import users
from agreements.db import make_engine, session_factory, upgrade
from agreements.drafting import analyse, create_agreement, publish
from agreements.models import Incident
from agreements.signing import sign
from agreements.users import create_token
from tests.agreements.conftest import _postgres_database, library_text, make_people
from tests.agreements.conftest import postgres_url  # noqa: F401 - the fixture

from .conftest import T0, TASK_FORCE, TASK_FORCE_ID

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    """A database with the task force protocol executed, and a coordinator's API token."""
    monkeypatch.setattr(users, "_N", 2 ** 4)
    dropped = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'compact.sqlite'}"
    else:
        if request.getfixturevalue("postgres_url") is None:
            pytest.skip("PostgreSQL is not reachable here (see the notice above)")
        server, name, url = _postgres_database()
        dropped = (server, name)
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session:
        parties = analyse(library_text(TASK_FORCE)).parties
        people = make_people(session, [p for p, _ in parties], dict(parties))
        create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
        publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
        for party, partner in people.partners.items():
            sign(session, partner, TASK_FORCE_ID, 1, signer_name="S", signer_title="D",
                 consent=True, now=T0)
        token = create_token(session, people.coordinator, "shutdown")[1]
    yield url, token, engine
    engine.dispose()
    if dropped:
        from sqlalchemy import text
        server, name = dropped
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_sigterm_mid_load_resets_nothing_and_loses_nothing(store, tmp_path):
    url, token, engine = store
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "COMPACT_INSTANCE_PATH": str(tmp_path / "i"),
           "COMPACT_SECRET_KEY": "shutdown-test", "COMPACT_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2"}
    server = subprocess.Popen([str(GUNICORN), "-c", "python:web.gunicorn_conf", "web.wsgi:app"],
                              cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        outcomes: list[tuple[str, str | None]] = []
        lock = threading.Lock()
        stop = time.monotonic() + 3.5

        def client(n: int):
            k = 0
            while time.monotonic() < stop:
                key = f"SHUT-{n:02d}-{k:04d}"
                body = json.dumps({"id": key, "type": "flash flood warning",
                                   "severity": "extreme", "urgency": "immediate",
                                   "certainty": "observed", "area": ["FIPS:039001"],
                                   "reported_at": "2026-06-19T04:00:00Z"})
                k += 1
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    connection.request("POST", "/api/incidents", body, {
                        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    result = (str(response.status), key)
                except ConnectionRefusedError:
                    result = ("refused", None)  # after the server stopped listening: fine
                except (http.client.HTTPException, OSError) as exc:
                    result = (type(exc).__name__, key)
                finally:
                    connection.close()
                with lock:
                    outcomes.append(result)
                if result[0] == "refused":
                    time.sleep(0.05)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        asked = time.monotonic()
        os.killpg(server.pid, signal.SIGTERM)
        code = server.wait(30)
        took = time.monotonic() - asked
        for t in threads:
            t.join(30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    counts = Counter(status for status, _ in outcomes)
    assert code == 0, server.stdout.read()
    assert took < 10, f"shutdown took {took:.1f} s"
    assert set(counts) <= {"201", "refused"}, counts  # no reset, no 5xx
    assert counts["201"] > 0
    recorded = {key for status, key in outcomes if status == "201"}
    with session_factory(engine)() as session:
        stored = set(session.scalars(select(Incident.key).where(Incident.key.like("SHUT-%"))))
    assert stored == recorded  # every answered recording kept, nothing unanswered half-kept
