"""The outbox and the dispatcher on SQLite and PostgreSQL: what each change writes, in its own
transaction; delivery, retries and attempts; the clock's reminders, waves and breaches."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agreements import incidents as incidents_module
from agreements import users
from agreements.cancellation import cancel_incident
from agreements.dissemination import dispatcher
from agreements.dissemination.message import Attempt
from agreements.dissemination.models import (ContactPoint, DeliveryAttempt, Notification,
                                             NotificationPreference)
from agreements.duties import change_duty
from agreements.incidents import record_incident, update_incident
from agreements.models import Duty

from ..conftest import library_text, make_people
from ..test_duty_races import (CAP_PARTIES, GOVERNOR, KEY, PARTIES, RECORDED, REQUEST, SLUG,
                               WRITTEN, _execute, duty_of, utc)


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def people(db):
    return make_people(db, CAP_PARTIES)


@pytest.fixture
def executed(db, people):
    _execute(db, people, library_text("intrastate-mutual-aid.agreement"), SLUG, PARTIES,
             "2026-01-02")


@pytest.fixture
def config(tmp_path):
    return dispatcher.Config(folder=tmp_path / "outbox", name="test-dispatcher")


def notifications(db, **where) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(db.scalars(query).all())


def test_recording_writes_one_message_per_duty_and_address(db, people, executed):
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    notify = duty_of(incident, "notify_state", "lakeside_county")
    sent = notifications(db, duty_id=notify.id)
    assert [(n.event, n.address, n.source) for n in sent] == [
        ("duty.given", "eoc@lakeside-county.example", "agreement contact"),
        ("duty.given", "lakeside_county@partner.example", "user")]
    assert sent[0].subject == (
        "[Compact] MUST by 16:00 UTC: notify the State EOC of the declaration and of the "
        "resources it expects to need (incident CIMA-2026-014)")
    text = sent[0].body_text
    assert "Due: 2026-04-10 16:00 UTC" in text
    assert ('Agreement: columbia-intrastate-mutual-aid, clause notify_state "Notice of the '
            'declared emergency"') in text
    assert '  - activated: incident.declaration in ["local", "governor"] (was "local")' in text
    assert "Acknowledge: http://127.0.0.1:5000/ack/" in text
    assert sent[0].payload["data"]["duty"]["id"] == notify.id
    live = [d for d in incident.duties if d.live]
    duty_messages = [n for n in notifications(db) if n.duty_id is not None]
    assert len(duty_messages) == 2 * len(live) == 22


def test_a_change_that_rolls_back_leaves_no_notification(db, people, executed, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(incidents_module, "_mark_breaches", fail)
    before = db.scalar(select(func.count()).select_from(Notification))  # the agreement's own
    with pytest.raises(RuntimeError):
        record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    assert db.scalar(select(func.count()).select_from(Notification)) == before
    assert db.scalar(select(func.count()).select_from(Duty)) == 0


def expected_messages(incident, at) -> set:
    """What an update at `at` must tell: a duty that went and came back changed is one
    'changed' message; one that only went is 'superseded'; one that only came is 'given'."""
    gone = {d for d in incident.duties if d.superseded_at == at}
    new = {d for d in incident.duties if d.created_at == at}
    back = {d.key for d in gone} & {d.key for d in new}
    return ({("duty.superseded", d.id) for d in gone if d.key not in back}
            | {("duty.changed" if d.key in back else "duty.given", d.id) for d in new})


def test_an_update_tells_of_changed_and_superseded_duties_and_a_cancel_once(db, people, executed):
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    for minutes, text, event in ((5, WRITTEN, "duty.superseded"), (7, GOVERNOR, "duty.changed")):
        before = {n.id for n in notifications(db)}
        at = RECORDED + timedelta(minutes=minutes)
        update_incident(db, people.coordinator, KEY, text, now=at)
        db.expire_all()
        told = [n for n in notifications(db) if n.id not in before]
        assert {(n.event, n.duty_id) for n in told} == expected_messages(incident, at)
        example = next(n for n in told if n.event == event)
        assert example.subject.endswith({"duty.superseded": "(no longer required)",
                                         "duty.changed": "(changed)"}[event])
    written = next(n for n in notifications(db) if n.event == "duty.superseded")
    assert written.duty.clause == "confirm_in_writing"
    before = {n.id for n in notifications(db)}
    cancel_incident(db, people.coordinator, KEY, reason="false alarm",
                    now=RECORDED + timedelta(minutes=10))
    new = [n for n in notifications(db) if n.id not in before]
    assert {n.event for n in new} == {"incident.cancelled"}
    parties = {n.organisation_id for n in new}
    assert parties == {d.party_id for d in incident.duties}
    # one message per party and address, not one per duty
    assert len(new) == len({(n.organisation_id, n.address) for n in new})


def test_contact_points_replace_the_agreement_contact_and_opt_out_is_kept(db, people, executed):
    db.add(ContactPoint(organisation_id="lakeside_county", kind="email",
                        address="duty-officer@lakeside.example", label="duty officer",
                        paused=False, created_at=RECORDED))
    db.add(NotificationPreference(user_id=people.partners["lakeside_county"].id, email_off=True,
                                  updated_at=RECORDED))
    db.commit()
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    notify = duty_of(incident, "notify_state", "lakeside_county")
    assert [(n.address, n.source) for n in notifications(db, duty_id=notify.id)] == [
        ("duty-officer@lakeside.example", "contact point")]


def test_the_dispatcher_delivers_to_files_and_keeps_every_attempt(db, people, executed, config,
                                                                   Session):
    record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    total = len(notifications(db))  # the duties' 22, and the agreement's signature and execution
    counts = dispatcher.dispatch_once(Session, config, now=lambda: RECORDED, clock=False)
    assert counts == {"raised": 0, "delivered": total, "retrying": 0, "failed": 0}
    files = sorted(p.name for p in Path(config.folder).iterdir())
    assert len(files) == total and files[0] == "ntf-1.eml"
    db.expire_all()
    assert {n.state for n in notifications(db)} == {"delivered"}
    attempts = db.scalars(select(DeliveryAttempt)).all()
    assert len(attempts) == total and all(a.delivered for a in attempts)
    assert attempts[0].outcome == "written to ntf-1.eml"
    # nothing is due any more: a second round sends nothing
    assert dispatcher.dispatch_once(Session, config, now=lambda: RECORDED, clock=False)[
        "delivered"] == 0


def test_a_failed_attempt_is_retried_with_backoff_then_failed_after_a_day(
        db, people, executed, config, Session, monkeypatch):
    record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    answers = []
    monkeypatch.setattr(dispatcher, "send", lambda n, c: answers.append(n.id) or Attempt(
        False, "451 4.3.0 try again later", where=n.address))
    counts = dispatcher.dispatch_once(Session, config, now=lambda: RECORDED, clock=False)
    fresh = [n for n in notifications(db) if n.duty_id is not None]
    # the agreement's messages of January, failing now for the first time, are past their day
    assert counts["retrying"] == len(fresh) == 22
    assert counts["failed"] == len(notifications(db)) - 22
    first = fresh[0]
    db.refresh(first)
    assert first.attempts == 1 and first.next_attempt_at == RECORDED + timedelta(minutes=1)
    assert first.last_outcome == "451 4.3.0 try again later"
    # not yet due again: nothing is sent
    assert dispatcher.dispatch_once(Session, config, now=lambda: RECORDED + timedelta(seconds=30),
                                    clock=False)["retrying"] == 0
    later = RECORDED + timedelta(minutes=1)
    dispatcher.dispatch_once(Session, config, now=lambda: later, clock=False)
    db.refresh(first)
    assert first.attempts == 2 and first.next_attempt_at == later + timedelta(minutes=2)
    end = RECORDED + timedelta(hours=23, minutes=59)
    dispatcher.dispatch_once(Session, config, now=lambda: end, clock=False)
    db.refresh(first)
    assert first.state == "failed" and first.attempts == 3
    assert [a.outcome for a in first.attempt_log] == ["451 4.3.0 try again later"] * 3
    # the receiver is back: nothing more is tried for a failed one
    monkeypatch.setattr(dispatcher, "send", lambda n, c: Attempt(True, "250 ok"))
    assert dispatcher.dispatch_once(Session, config, now=lambda: end, clock=False)[
        "delivered"] == 0


def test_reminder_then_waves_then_breach_on_a_controlled_clock(db, people, executed, config,
                                                               Session):
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    notify = duty_of(incident, "notify_state", "lakeside_county")  # due 16:00, given 14:05
    dispatcher.dispatch_once(Session, config, now=lambda: RECORDED)  # first delivery at 14:05

    def events_at(moment):
        dispatcher.dispatch_once(Session, config, now=lambda: moment)
        db.expire_all()
        return [(n.event, n.wave, n.source) for n in notifications(db, duty_id=notify.id)
                if n.event != "duty.given"]

    # 15 minutes after the first delivery, still open: the second wave to the party
    assert events_at(RECORDED + timedelta(minutes=14)) == []
    assert events_at(RECORDED + timedelta(minutes=15)) == [
        ("duty.not_acknowledged", 2, "agreement contact"), ("duty.not_acknowledged", 2, "user")]
    # 30 minutes after: the third wave, to every coordinator
    waves = events_at(RECORDED + timedelta(minutes=30))
    assert waves[2:] == [("duty.not_acknowledged", 3, "coordinator")]
    # a quarter of the 1 h 55 min allowed before 16:00 (28 min 45 s): the reminder, once
    assert all(e[0] != "duty.due_soon" for e in events_at(utc("2026-04-10T15:31:00Z")))
    soon = events_at(utc("2026-04-10T15:31:15Z"))
    assert [e for e in soon if e[0] == "duty.due_soon"] == [
        ("duty.due_soon", 1, "agreement contact"), ("duty.due_soon", 1, "user")]
    assert events_at(utc("2026-04-10T15:40:00Z")) == soon  # not again
    # past 16:00: the breach, to the party and the coordinators
    breached = [e for e in events_at(utc("2026-04-10T16:00:01Z")) if e[0] == "duty.breached"]
    assert breached == [("duty.breached", 1, "agreement contact"), ("duty.breached", 1, "user"),
                        ("duty.breached", 1, "coordinator")]


def test_an_acknowledged_duty_gets_no_further_wave(db, people, executed, config, Session):
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    notify = duty_of(incident, "notify_state", "lakeside_county")
    dispatcher.dispatch_once(Session, config, now=lambda: RECORDED)
    change_duty(db, people.partners["lakeside_county"], notify.id, "acknowledge",
                now=RECORDED + timedelta(minutes=3))
    dispatcher.dispatch_once(Session, config, now=lambda: RECORDED + timedelta(minutes=40))
    assert [n.event for n in notifications(db, duty_id=notify.id)] == ["duty.given"] * 2


def test_two_dispatchers_at_once_send_nothing_twice(db, people, executed, Session, tmp_path):
    incident = record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    duty = incident.duties[0]
    for i in range(1000 - len(notifications(db))):
        db.add(Notification(event="duty.given", wave=1, duty_id=duty.id, incident_id=incident.id,
                            channel="email", source="user", address=f"u{i}@example.org",
                            destination=f"email:u{i}@example.org", subject="s", body_text="t",
                            body_html="<p>t</p>", payload={}, state="queued", attempts=0,
                            created_at=RECORDED, next_attempt_at=RECORDED))
    db.commit()
    errors = []

    def run(name):
        try:
            cfg = dispatcher.Config(folder=tmp_path / name, name=name)
            dispatcher.dispatch_once(Session, cfg, now=lambda: RECORDED, limit=20, clock=False)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(f"d{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_notification = db.execute(select(DeliveryAttempt.notification_id, func.count())
                                  .group_by(DeliveryAttempt.notification_id)).all()
    assert len(per_notification) == 1000 and {c for _, c in per_notification} == {1}
    by = {name: len(list((tmp_path / name).iterdir())) for name in ("d0", "d1")}
    assert sum(by.values()) == 1000 and min(by.values()) > 0  # both took a share


def test_the_parties_hear_of_signatures_due_execution_and_withdrawal(db, people, executed):
    from agreements.signing import withdraw
    told = [(n.event, n.address, n.source) for n in notifications(db) if n.duty_id is None]
    awaiting = [t for t in told if t[0] == "revision.awaiting_signature"]
    assert sorted(a[1] for a in awaiting) == sorted(f"{p}@partner.example" for p in PARTIES)
    done = [t for t in told if t[0] == "agreement.executed"]
    assert ("agreement.executed", "seoc@columbia-em.example", "agreement contact") in done
    assert {t[1] for t in done} >= {f"{p}@partner.example" for p in PARTIES}
    withdraw(db, people.partners["harmon_county"], SLUG, reason="merger",
             now=utc("2026-03-01T10:00:00Z"))
    notice = notifications(db, event="agreement.withdrawal_notice")
    assert {n.address for n in notice} == {t[1] for t in done}
    assert notice[0].subject == f"[Compact] Notice of withdrawal: {SLUG}"
    assert "harmon_county gave notice of withdrawal" in notice[0].body_text
    assert "Reason given: merger" in notice[0].body_text


def test_a_dispatcher_whose_lease_ran_out_sends_nothing(db, people, executed, config, Session,
                                                         monkeypatch):
    record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)
    sent = []
    monkeypatch.setattr(dispatcher, "send", lambda n, c: sent.append(n.id) or Attempt(True, "ok"))
    with Session() as session:
        ids = dispatcher.claim(session, config, RECORDED, limit=5)
        late = RECORDED + dispatcher.LEASE + timedelta(seconds=1)
        assert [dispatcher.deliver(session, i, config, lambda: late) for i in ids] == [None] * 5
        assert sent == []
        # the late tries changed nothing: within the lease, the same dispatcher still sends
        assert dispatcher.deliver(session, ids[0], config,
                                  lambda: RECORDED + timedelta(seconds=30)) == "delivered"
        assert sent == [ids[0]]
    assert db.scalar(select(func.count()).select_from(DeliveryAttempt)) == 1
