"""Two people at once: no lost update, one winner, and the loser told so with a Conflict,
on SQLite and PostgreSQL, with separate sessions and with real threads."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from agreements import users
from agreements.drafting import create_agreement, get_agreement, publish, save_revision
from agreements.errors import Conflict
from agreements.incidents import record_incident
from agreements.models import (AuditEntry, Duty, Incident, IncidentMessage, Revision, Signature,
                               User)
from agreements.signing import sign

from .conftest import LIBRARY, library_text, make_people

SLUG = "columbia-intrastate-mutual-aid"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county"]
SOURCE = library_text("intrastate-mutual-aid.agreement")
REQUEST_TEXT = (LIBRARY / "incidents" / "lakeside-flood-oral-request.json").read_text()
SITREP = '''
clause sitrep "Situation report"
  when activated and incident.requested_by is given
  coordinator must "publish a situation report to every Party" within 12 hours
'''
CLEARANCE = '''
clause clearance "Debris clearance"
  when activated
  affected must "clear debris from the roads the responders use" within 24 hours
'''
GENERIC = ("somebody else changed this record at the same time; nothing was saved: reload it and "
           "try again")
BUSY = "the record is busy with another change; nothing was saved: try again"


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def one_of(*messages: str) -> str:
    return "^(" + "|".join(re.escape(m) if isinstance(m, str) else m.pattern
                           for m in messages) + ")$"


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Cheap scrypt parameters for the test users (they are stored with each hash)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def people(db):
    return make_people(db, PARTIES)


def race(Session, *calls):
    """Run each call(session) in its own thread and session, released together by a barrier.

    Returns one ("ok", value) or ("error", exception) per call, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        with Session() as session:
            try:
                prepared = call(session)  # load what the caller had on screen
                barrier.wait(timeout=30)
                results[i] = ("ok", prepared())
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                results[i] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing operation hung"
    return results


def winner_and_loser(results):
    outcomes = sorted(kind for kind, _ in results)
    errors = [value for kind, value in results if kind == "error"]
    assert outcomes == ["error", "ok"], [repr(v) for v in errors]
    loser = errors[0]
    assert type(loser) is Conflict, repr(loser)
    assert loser.status == 409
    return next(i for i, (kind, _) in enumerate(results) if kind == "ok"), loser


def test_two_sessions_saving_from_the_same_revision_lose_nothing(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    with Session() as first, Session() as second:
        dana = first.get(User, people.drafter.id)
        drew = second.get(User, people.drafter2.id)
        # Both editors open the agreement at revision 1.
        assert get_agreement(first, SLUG).latest_revision.number == 1
        assert get_agreement(second, SLUG).latest_revision.number == 1
        won, created = save_revision(first, dana, SLUG, SOURCE + SITREP, base_revision=1,
                                     now=utc("2026-01-03T09:00:00Z"))
        assert created and won.number == 2
        with pytest.raises(Conflict, match=one_of(
                f"revision 2 of '{SLUG}' was saved by Dana Drafter at 2026-01-03 09:00 UTC after "
                f"revision 1 that you started from; nothing was saved. Reload, merge your "
                f"changes and save again")):
            save_revision(second, drew, SLUG, SOURCE + CLEARANCE, base_revision=1,
                          now=utc("2026-01-03T09:05:00Z"))
        with Session() as reader:
            stored = reader.scalars(select(Revision).order_by(Revision.number)).all()
            assert [(r.number, r.source) for r in stored] == [(1, SOURCE), (2, SOURCE + SITREP)]
        # The loser reloads, merges and saves again, as revision 3.
        second.expire_all()
        latest = get_agreement(second, SLUG).latest_revision
        assert (latest.number, latest.source) == (2, SOURCE + SITREP)
        merged, created = save_revision(second, drew, SLUG, SOURCE + SITREP + CLEARANCE,
                                        base_revision=latest.number,
                                        now=utc("2026-01-03T09:10:00Z"))
        assert created and merged.number == 3
    with Session() as reader:
        stored = reader.scalars(select(Revision).order_by(Revision.number)).all()
        assert [(r.number, r.author.email, r.source) for r in stored] == [
            (1, "drafter@compact.example", SOURCE),
            (2, "drafter@compact.example", SOURCE + SITREP),
            (3, "drafter2@compact.example", SOURCE + SITREP + CLEARANCE)]
        saves = reader.scalars(select(AuditEntry).where(AuditEntry.action == "revision.save")
                               .order_by(AuditEntry.id)).all()
        assert [(e.detail["number"], e.actor_email) for e in saves] == [
            (1, "drafter@compact.example"), (2, "drafter@compact.example"),
            (3, "drafter2@compact.example")]


def test_two_drafters_saving_at_once_one_wins(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    texts = [SOURCE + SITREP, SOURCE + CLEARANCE]

    def saver(user_id, text):
        def load(session):
            actor = session.get(User, user_id)
            assert get_agreement(session, SLUG).latest_revision.number == 1
            session.rollback()  # the editor page was rendered; that request is over
            return lambda: save_revision(session, actor, SLUG, text, base_revision=1)[0].number
        return load

    results = race(Session, saver(people.drafter.id, texts[0]),
                   saver(people.drafter2.id, texts[1]))
    winner, loser = winner_and_loser(results)
    assert results[winner][1] == 2
    assert re.match(one_of(
        re.compile(re.escape(f"revision 2 of '{SLUG}' was saved by ") + r".* after revision 1 "
                   r"that you started from; nothing was saved\. Reload, merge your changes and "
                   r"save again"),
        GENERIC, BUSY), loser.message), loser.message
    with Session() as reader:
        stored = reader.scalars(select(Revision).order_by(Revision.number)).all()
        assert [r.number for r in stored] == [1, 2]
        assert stored[1].source == texts[winner]
        assert reader.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "revision.save")) == 2


def test_two_partners_of_one_party_signing_at_once_one_wins(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    deputy = users.create_user(db, people.admin, email="deputy@lakeside.example",
                               name="Deputy of Lakeside", role="partner",
                               organisation_id="lakeside_county")
    signers = {people.partners["lakeside_county"].id: "Lee Lake", deputy.id: "Dee Deputy"}

    def signer(user_id):
        def load(session):
            actor = session.get(User, user_id)
            session.rollback()
            return lambda: sign(session, actor, SLUG, 1, signer_name=signers[user_id],
                                signer_title="Director", consent=True,
                                address="192.0.2.1").user_id
        return load

    ids = list(signers)
    results = race(Session, signer(ids[0]), signer(ids[1]))
    winner, loser = winner_and_loser(results)
    assert re.match(one_of(
        re.compile(re.escape(signers[ids[winner]]) + re.escape(
            f" already signed revision 1 of '{SLUG}' for lakeside_county on ") + r".* UTC"),
        GENERIC, BUSY), loser.message), loser.message
    with Session() as reader:
        signatures = reader.scalars(select(Signature)).all()
        assert [(s.party_id, s.user_id, s.signer_name) for s in signatures] == [
            ("lakeside_county", ids[winner], signers[ids[winner]])]
        assert get_agreement(reader, SLUG).state == "out_for_signature"
        assert reader.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "revision.sign")) == 1


def test_the_same_incident_recorded_twice_at_once_is_recorded_once(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES:
        sign(db, people.partners[party], SLUG, 1, signer_name="X", signer_title="Director",
             consent=True, now=utc("2026-01-04T09:00:00Z"))

    def recorder(session):
        actor = session.get(User, people.coordinator.id)
        session.rollback()
        return lambda: record_incident(session, actor, REQUEST_TEXT,
                                       now=utc("2026-04-10T14:05:00Z")).id

    results = race(Session, recorder, recorder)
    winner, loser = winner_and_loser(results)
    assert re.match(one_of(
        "incident 'CIMA-2026-014' is already recorded; send changed facts as an update of it",
        GENERIC, BUSY), loser.message), loser.message
    with Session() as reader:
        incidents = reader.scalars(select(Incident)).all()
        assert [(i.id, i.key) for i in incidents] == [(results[winner][1], "CIMA-2026-014")]
        assert reader.scalar(select(func.count()).select_from(IncidentMessage)) == 1
        duties = reader.scalars(select(Duty)).all()
        assert len(duties) == 11
        assert len({(d.clause, d.party_id) for d in duties}) == 11
        assert reader.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "incident.record")) == 1
