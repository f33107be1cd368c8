"""The dispatcher as its own process: killed with SIGKILL mid-batch (mid-send, even) it loses
nothing, and what it held is sent again with the same Message-ID once its lease has run out;
`compact dispatch --once` from the command line writes .eml files without COMPACT_SMTP_URL and
refuses a bad one with a clear message.

The store is a migrated SQLite file with the intrastate mutual aid agreement executed and the
Lakeside oral request recorded (moved to now, so that the clock raises nothing of its own); the
mail server is aiosmtpd on 127.0.0.1, slowed down so that a kill lands in the middle.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agreements import compiled, users
from agreements.db import make_engine, session_factory, upgrade
from agreements.dissemination import dispatcher
from agreements.dissemination.models import DeliveryAttempt, Notification
from agreements.incidents import record_incident
from tests.agreements.conftest import library_text, make_people
from tests.agreements.dissemination.test_mail import smtp_server  # noqa: F401
from tests.agreements.test_duty_races import PARTIES, REQUEST, SLUG, _execute

# The console script next to this interpreter: the command line as an operator types it.
COMPACT = str(Path(sys.executable).with_name("compact"))
MAIL_FROM = "compact@compact.example"
SLOW = 0.3  # seconds the server takes over each message
HELD = 5  # the message that is in the middle of being sent when the dispatcher is killed


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A migrated SQLite store with queued notifications; (environment for the command line,
    session factory, instance folder)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)
    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'compact.sqlite'}"
    # The links written into the messages are signed with the instance's key: the test
    # process and the dispatcher process must share the instance folder.
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("DATABASE_URL", url)
    compiled.clear()
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    at = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    with factory() as session:
        people = make_people(session, PARTIES)
        _execute(session, people, library_text("intrastate-mutual-aid.agreement"), SLUG,
                 PARTIES, "2026-01-02")
        record_incident(session, people.coordinator, json.dumps(
            {**REQUEST, "reported_at": at(now - timedelta(minutes=10)),
             "requested_at": at(now - timedelta(minutes=5))}))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("COMPACT_", "DATABASE_URL"))}
    env.update(COMPACT_INSTANCE_PATH=str(instance), DATABASE_URL=url, COMPACT_MAIL_FROM=MAIL_FROM,
               PYTHONUNBUFFERED="1")
    yield env, factory, instance
    engine.dispose()


class SlowRecorder:
    """An SMTP handler that keeps every message as it arrives (before it answers) and takes
    SLOW seconds to accept it; message number HELD is held until `release` is set, so that the
    dispatcher can be killed while the server already has it but has not yet said 250."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []
        self.holding = False
        self.release = False

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        if len(self.received) == HELD and not self.release:
            self.holding = True
            for _ in range(400):  # at most 20 s
                if self.release:
                    break
                await asyncio.sleep(0.05)
        else:
            await asyncio.sleep(SLOW)
        return "250 Message accepted for delivery"


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def notifications(factory) -> list[Notification]:
    with factory() as session:
        found = session.scalars(select(Notification).order_by(Notification.id)).all()
        session.expunge_all()
        return found


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_resends_with_the_same_id(
        store, smtp_server):  # noqa: F811
    env, factory, _instance = store
    queued = notifications(factory)
    assert len(queued) >= 2 * HELD and {n.state for n in queued} == {"queued"}
    assert len(queued) <= 50, "all of them in the dispatcher's first batch"
    handler = SlowRecorder()
    port = smtp_server(handler)
    env = {**env, "COMPACT_SMTP_URL": f"smtp://127.0.0.1:{port}"}

    first = subprocess.Popen([COMPACT, "dispatch", "--once"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: handler.holding or first.poll() is not None, 30,
                 f"message {HELD} to reach the server")
        assert first.poll() is None, first.communicate()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    handler.release = True
    assert first.returncode == -signal.SIGKILL

    # What the dead dispatcher left: HELD - 1 delivered, the rest (the one in flight among
    # them) still queued under its lease, nothing failed, nothing recorded for the one in flight.
    left = notifications(factory)
    states = Counter(n.state for n in left)
    assert states == {"delivered": HELD - 1, "queued": len(left) - (HELD - 1)}, states
    held = [n for n in left if n.state == "queued"]
    dead = {n.claimed_by for n in held}
    assert len(dead) == 1 and None not in dead  # all leased to the killed dispatcher
    assert all(n.lease_until is not None and n.attempts == 0 for n in held)

    # Restarted at once, a dispatcher leaves alone what is still under the dead one's lease.
    again = subprocess.run([COMPACT, "dispatch", "--once"], env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "0 delivered, 0 to retry, 0 failed" in again.stdout, again.stdout
    assert len(handler.received) == HELD

    # Once the lease has run out, the rest is claimed again and sent.
    later = datetime.now(timezone.utc) + dispatcher.LEASE + timedelta(seconds=1)
    config = dispatcher.Config(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=MAIL_FROM,
                               name="restarted")
    counts = dispatcher.dispatch_once(factory, config, now=lambda: later, clock=False)
    assert counts == {"raised": 0, "delivered": len(held), "retrying": 0, "failed": 0}

    done = notifications(factory)
    assert [n.id for n in done] == [n.id for n in queued]  # none lost, none added
    assert {n.state for n in done} == {"delivered"}
    domain = MAIL_FROM.rpartition("@")[2]
    expected = {f"<ntf-{n.id}@{domain}>": n for n in done}

    # Every message arrived; the only one that arrived twice is the one in flight at the kill,
    # and both copies carry the same Message-ID (and are the same message).
    by_id: dict[str, list] = defaultdict(list)
    for recipients, raw in handler.received:
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
        by_id[message["Message-ID"]].append((recipients, message))
    assert set(by_id) == set(expected)
    twice = {mid: copies for mid, copies in by_id.items() if len(copies) > 1}
    assert len(handler.received) == len(done) + 1 and len(twice) == 1, Counter(
        {mid: len(c) for mid, c in by_id.items()})
    [(in_flight, copies)] = twice.items()
    assert expected[in_flight].id == held[0].id  # the first the dead dispatcher had not finished
    (to1, m1), (to2, m2) = copies
    assert to1 == to2 == [expected[in_flight].address]
    assert (m1["Subject"], m1.get_body(("plain",)).get_content()) == \
           (m2["Subject"], m2.get_body(("plain",)).get_content())
    # A duplicate can be recognised by its id only: grouped by what they say, every message
    # to one recipient with one content carries one Message-ID.
    ids_by_content: dict[tuple, set] = defaultdict(set)
    for mid, copies in by_id.items():
        for recipients, message in copies:
            ids_by_content[(tuple(recipients), message["Subject"],
                            message.get_body(("plain",)).get_content())].add(mid)
    assert all(len(ids) == 1 for ids in ids_by_content.values())
    for mid, copies in by_id.items():
        assert {tuple(r) for r, _ in copies} == {(expected[mid].address,)}

    # One attempt per notification, and it is the delivery: the one in flight was never recorded.
    with factory() as session:
        per = dict(session.execute(
            select(DeliveryAttempt.notification_id, func.count(DeliveryAttempt.id))
            .where(DeliveryAttempt.delivered.is_(True))
            .group_by(DeliveryAttempt.notification_id)).all())
        assert per == {n.id: 1 for n in done}
        assert session.scalar(select(func.count(DeliveryAttempt.id))) == len(done)
        names = Counter(session.scalars(select(DeliveryAttempt.dispatcher)).all())
    assert names == {next(iter(dead)): HELD - 1, "restarted": len(held)}


def test_dispatch_once_from_the_command_line_writes_eml_files_without_a_mail_server(store):
    env, factory, instance = store
    queued = notifications(factory)
    result = subprocess.run([COMPACT, "dispatch", "--once"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    outbox = instance / "outbox"
    assert f"no COMPACT_SMTP_URL: e-mail is written as .eml files to {outbox}" in result.stdout
    assert f"{len(queued)} delivered, 0 to retry, 0 failed; 0 raised by the clock" \
        in result.stdout, result.stdout
    written = sorted(p.name for p in outbox.glob("*.eml"))
    assert written == sorted(f"ntf-{n.id}.eml" for n in queued)
    done = notifications(factory)
    assert {n.state for n in done} == {"delivered"}
    sample = BytesParser(policy=email.policy.default).parsebytes(
        (outbox / f"ntf-{queued[-1].id}.eml").read_bytes())
    assert sample["To"] == queued[-1].address and sample["Subject"] == queued[-1].subject

    again = subprocess.run([COMPACT, "dispatch", "--once"], env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0 and "0 delivered, 0 to retry, 0 failed" in again.stdout


@pytest.mark.parametrize("url, reason", [
    ("ftp://x", "the mail server URL must start with smtp:// or smtps://, not ftp://"),
    ("smtp://mail.example:99999", "the mail server URL has a port that is not a number"),
])
def test_a_bad_mail_server_url_stops_dispatch_with_a_clear_message(store, url, reason):
    env, factory, instance = store
    result = subprocess.run([COMPACT, "dispatch", "--once"],
                            env={**env, "COMPACT_SMTP_URL": url}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("compact: ") and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert {n.state for n in notifications(factory)} == {"queued"}  # nothing was tried
    assert not (instance / "outbox").exists()
