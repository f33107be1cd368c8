"""Duties under concurrent changes, with real threads and one session (connection) each, on
SQLite and PostgreSQL: every state change is made from the state stored when it is made, so a
duty's history is always a chain and the audit log holds exactly the operations that succeeded.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements import db as store
from agreements import duties as duties_module
from agreements import incidents as incidents_module
from agreements import users
from agreements.cancellation import cancel_incident
from agreements.drafting import create_agreement, publish
from agreements.duties import change_duty
from agreements.errors import Conflict
from agreements.incidents import (
    check_breaches,
    evaluate_in_store,
    lock_incident,
    parse_incident,
    record_incident,
    update_incident,
)
from agreements.models import AuditEntry, Duty, DutyEvent, Incident, User
from agreements.signing import sign

from .conftest import LIBRARY, library_text, make_people
from .test_concurrency import BUSY, race

SLUG = "columbia-intrastate-mutual-aid"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county"]
REQUEST = json.loads((LIBRARY / "incidents" / "lakeside-flood-oral-request.json").read_text())
KEY = REQUEST["id"]
WRITTEN = json.dumps({**REQUEST, "request_form": "written"})  # supersedes confirm_in_writing
GOVERNOR = json.dumps({**REQUEST, "declaration": "governor",  # supersedes five, adds four
                       "requested_at": "2026-04-10T11:30:00-05:00"})
CAP_SLUG = "columbia-cap-joint-task-force"
CAP_PARTIES = PARTIES + ["state_patrol", "columbia_guard", "columbia_dep"]
ALERT = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes()
CAP_UPDATE = (LIBRARY / "incidents" / "cap-flash-flood-update.xml").read_bytes()
CAP_CANCEL = (LIBRARY / "incidents" / "cap-flash-flood-cancel.xml").read_bytes()


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


RECORDED = utc("2026-04-10T14:05:00Z")
LATER = utc("2026-04-10T14:20:00Z")  # nothing due yet
OVERDUE = utc("2026-04-10T17:00:00Z")  # notify_state (due 16:00) is past due


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)


def _execute(db, people, source, slug, parties, at):
    create_agreement(db, people.drafter, source, now=utc(f"{at}T09:00:00Z"))
    publish(db, people.drafter, slug, 1, now=utc(f"{at}T10:00:00Z"))
    for party in parties:
        sign(db, people.partners[party], slug, 1, signer_name=f"Director of {party}",
             signer_title="Director", consent=True, now=utc(f"{at}T11:00:00Z"))


@pytest.fixture
def people(db):
    return make_people(db, CAP_PARTIES)


@pytest.fixture
def incident(db, people):
    """The Lakeside flood request, recorded: eleven open duties."""
    _execute(db, people, library_text("intrastate-mutual-aid.agreement"), SLUG, PARTIES,
             "2026-01-02")
    return record_incident(db, people.coordinator, json.dumps(REQUEST), now=RECORDED)


@pytest.fixture
def alert(db, people):
    """The CAP flash-flood warning, recorded under the joint task force agreement."""
    _execute(db, people, library_text("cap-joint-task-force.agreement"), CAP_SLUG, CAP_PARTIES,
             "2026-05-10")
    return record_incident(db, people.coordinator, ALERT, now=utc("2026-06-19T04:15:00Z"))


def duty_of(incident: Incident, clause: str, party: str) -> Duty:
    return next(d for d in incident.duties
                if (d.clause, d.party_id) == (clause, party) and d.state != "superseded")


# ---------------------------------------------------------------- what every test checks


def assert_chains(Session, incident_id: int) -> list[Duty]:
    """Every duty of the incident has a history that is a chain: it starts from nothing, each
    transition starts where the previous one ended, it ends in the duty's state, it is
    superseded at most once and nothing happens after that; and no two live duties are the
    same (agreement, clause, party). Returns the duties, read afresh."""
    with Session() as session:
        duties = session.scalars(select(Duty).where(Duty.incident_id == incident_id)
                                 .order_by(Duty.id)).all()
        assert duties
        for duty in duties:
            steps = [(e.from_state, e.to_state) for e in session.scalars(
                select(DutyEvent).where(DutyEvent.duty_id == duty.id).order_by(DutyEvent.id))]
            where = f"duty {duty.id} ({duty.clause} for {duty.party_id}): {steps}"
            assert steps and steps[0] == (None, "open"), where
            for (_, ended), (started, _) in itertools.pairwise(steps):
                assert started == ended, where
            targets = [to for _, to in steps]
            assert targets.count("superseded") <= 1, where
            assert "superseded" not in targets[:-1], where
            assert targets[-1] == duty.state, where
            assert (duty.superseded_at is not None) == (duty.state == "superseded"), where
        live = [d.key for d in duties if d.state != "superseded"]
        assert len(live) == len(set(live)), live
        session.expunge_all()
        return duties


def history(Session, duty_id: int) -> list[tuple]:
    with Session() as session:
        return [(e.from_state, e.to_state) for e in session.scalars(
            select(DutyEvent).where(DutyEvent.duty_id == duty_id).order_by(DutyEvent.id))]


def audit(Session, action: str, **detail) -> list[AuditEntry]:
    with Session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).all()
        session.expunge_all()
    return [e for e in entries if all(e.detail.get(k) == v for k, v in detail.items())]


def assert_duty_audit_matches_history(Session, incident_id: int) -> None:
    """One duty.create per duty, one duty.breach per breach the breach check recorded, one
    duty.<action> per transition a person made."""
    with Session() as session:
        duty_ids = set(session.scalars(select(Duty.id).where(Duty.incident_id == incident_id)))
        events = session.scalars(select(DutyEvent).where(DutyEvent.duty_id.in_(duty_ids))).all()
        entries = [e for e in session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "duty")) if int(e.object_id) in duty_ids]

        def made(action):
            return sorted(int(e.object_id) for e in entries if e.action == action)

        assert made("duty.create") == sorted(duty_ids)
        assert made("duty.breach") == sorted(
            e.duty_id for e in events if e.to_state == "breached" and e.actor_id is None
            and e.note != "not fulfilled by its due time")  # change_duty's own breach note
        for action, state in (("duty.acknowledge", "acknowledged"), ("duty.fulfil", "fulfilled"),
                              ("duty.decline", "declined"), ("duty.waive", "waived")):
            assert made(action) == sorted(e.duty_id for e in events if e.to_state == state)


def outcomes(results) -> tuple[list, list]:
    """The values of the calls that succeeded, and the errors; anything but Conflict fails."""
    errors = [value for kind, value in results if kind == "error"]
    for error in errors:
        assert type(error) is Conflict and error.status == 409, repr(error)
    return [value for kind, value in results if kind == "ok"], errors


def acting(user_id, call):
    """A racer: load the actor (and what the page showed) first, then call(session, actor)."""
    def load(session):
        actor = session.get(User, user_id)
        return lambda: call(session, actor)
    return load


def state_message(duty: Duty, state: str, to_state: str) -> str:
    return (f"duty {duty.id} ({duty.clause} for {duty.party_id}) is {state}; it cannot be "
            f"{to_state} from there")


# ---------------------------------------------------------------- one duty, many hands


def test_twenty_acknowledgements_of_one_duty_one_succeeds(db, people, incident, Session):
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")
    actors = [people.partners["lakeside_county"].id, people.coordinator.id, people.admin.id]

    def acknowledger(i):
        def load(session):
            actor = session.get(User, actors[i % 3])
            assert session.get(Duty, duty.id).state == "open"  # what the page showed
            session.commit()  # that request is over (its objects stay loaded, and go stale)
            return lambda: change_duty(session, actor, duty.id, "acknowledge",
                                       now=LATER).state
        return load

    started = time.monotonic()
    results = race(Session, *(acknowledger(i) for i in range(20)))
    elapsed = time.monotonic() - started
    won, errors = outcomes(results)
    assert won == ["acknowledged"]
    assert len(errors) == 19
    assert {e.message for e in errors} == {state_message(duty, "acknowledged", "acknowledged")}
    assert history(Session, duty.id) == [(None, "open"), ("open", "acknowledged")]
    assert len(audit(Session, "duty.acknowledge")) == 1
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)
    assert elapsed < 20, elapsed


def test_acknowledging_and_fulfilling_at_once_each_start_from_what_the_other_left(
        db, people, incident, Session):
    duty = duty_of(incident, "notify_state", "lakeside_county")
    partner = people.partners["lakeside_county"].id
    results = race(Session,
                   acting(partner, lambda s, a: change_duty(s, a, duty.id, "acknowledge",
                                                            now=LATER).state),
                   acting(partner, lambda s, a: change_duty(s, a, duty.id, "fulfil",
                                                            now=LATER).state),
                   acting(people.coordinator.id, lambda s, a: change_duty(
                       s, a, duty.id, "waive", note="done by the state", now=LATER).state))
    won, _ = outcomes(results)
    steps = history(Session, duty.id)
    # Either fulfil or waive ends it; an acknowledgement counts only if it came first.
    assert steps[-1][1] in ("fulfilled", "waived")
    assert len(won) == len(steps) - 1
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)


# ---------------------------------------------------------------- updates, breaches, cancels


def test_two_updates_of_one_incident_at_once_are_applied_one_after_the_other(
        db, people, incident, Session):
    texts = [WRITTEN, GOVERNOR]
    coordinator = people.coordinator.id
    results = race(Session, *(acting(coordinator, lambda s, a, t=t: update_incident(
        s, a, KEY, t, now=LATER).id) for t in texts))
    won, errors = outcomes(results)
    assert won == [incident.id, incident.id] and errors == []
    duties = assert_chains(Session, incident.id)
    with Session() as session:
        stored = session.get(Incident, incident.id)
        messages = [(m.sequence, m.received) for m in stored.messages]
        assert [s for s, _ in messages] == [1, 2, 3]
        assert {t for _, t in messages[1:]} == set(texts)
        # What is live is what the last update gives, each once.
        last = parse_incident(messages[-1][1])
        evaluation, _ = evaluate_in_store(session, last, LATER, stored)
        assert sorted(d.key for d in duties if d.state != "superseded") == sorted(
            (d.agreement, d.clause, d.party, d.occurrence) for d in evaluation.duties)
    updates = audit(Session, "incident.update", incident=KEY)
    assert len(updates) == 2
    superseded = [d for d in duties if d.state == "superseded"]
    assert sum(e.detail["superseded"] for e in updates) == len(superseded)
    assert_duty_audit_matches_history(Session, incident.id)


def test_an_update_racing_an_acknowledgement(db, people, incident, Session):
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")  # the update supersedes it
    partner = people.partners["lakeside_county"].id
    results = race(Session,
                   acting(partner, lambda s, a: change_duty(s, a, duty.id, "acknowledge",
                                                            now=LATER).state),
                   acting(people.coordinator.id, lambda s, a: update_incident(
                       s, a, KEY, WRITTEN, now=LATER).id))
    won, errors = outcomes(results)
    steps = history(Session, duty.id)
    if errors:  # the update came first: the duty was superseded when the partner acted
        assert won == [incident.id]
        assert [e.message for e in errors] == [state_message(duty, "superseded", "acknowledged")]
        assert steps == [(None, "open"), ("open", "superseded")]
    else:  # the acknowledgement came first and was superseded after it committed
        assert sorted(map(str, won)) == sorted(["acknowledged", str(incident.id)])
        assert steps == [(None, "open"), ("open", "acknowledged"), ("acknowledged", "superseded")]
    assert len(audit(Session, "incident.update")) == 1
    assert len(audit(Session, "duty.acknowledge")) == (0 if errors else 1)
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)


class Paused:
    """Make `module.name` stop, in the thread that calls it first, until released: the call
    is then inside its operation and holds the incident's lock."""

    def __init__(self, monkeypatch, module, name):
        self.entered, self.released = threading.Event(), threading.Event()
        self.owner = None
        real = getattr(module, name)

        def paused(*args, **kwargs):
            if self.owner is None:
                self.owner = threading.get_ident()
            if self.owner == threading.get_ident() and not self.released.is_set():
                self.entered.set()
                assert self.released.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, paused)


def in_thread(Session, call) -> tuple[threading.Thread, list]:
    out: list = []

    def run():
        with Session() as session:
            try:
                out.append(("ok", call(session)))
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                out.append(("error", exc))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_an_acknowledgement_waits_for_an_update_and_then_finds_the_duty_superseded(
        db, people, incident, Session, monkeypatch):
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")
    pause = Paused(monkeypatch, incidents_module, "sync_duties")
    coordinator, partner = people.coordinator.id, people.partners["lakeside_county"].id
    updater, updated = in_thread(Session, lambda s: update_incident(
        s, s.get(User, coordinator), KEY, WRITTEN, now=LATER).id)
    assert pause.entered.wait(30)
    with Session() as session:  # the partner's page still shows the duty open
        actor = session.get(User, partner)
        assert session.get(Duty, duty.id).state == "open"
        acknowledger, acknowledged = in_thread(Session, lambda s: change_duty(
            s, s.get(User, partner), duty.id, "acknowledge", now=LATER))
        time.sleep(0.5)
        assert acknowledger.is_alive(), acknowledged  # it waits for the update's lock
        pause.released.set()
        updater.join(30)
        acknowledger.join(30)
        assert updated == [("ok", incident.id)]
        [(kind, error)] = acknowledged
        assert kind == "error" and type(error) is Conflict, error
        assert error.message == state_message(duty, "superseded", "acknowledged")
        # The same stale session, acting itself, is told the same.
        with pytest.raises(Conflict, match="is superseded; it cannot be acknowledged"):
            change_duty(session, actor, duty.id, "acknowledge", now=LATER)
    assert history(Session, duty.id) == [(None, "open"), ("open", "superseded")]
    assert audit(Session, "duty.acknowledge") == []
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)


def test_an_update_waits_for_an_acknowledgement_and_then_supersedes_it(
        db, people, incident, Session, monkeypatch):
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")
    pause = Paused(monkeypatch, duties_module, "record")  # change_duty's audit entry
    coordinator, partner = people.coordinator.id, people.partners["lakeside_county"].id
    acknowledger, acknowledged = in_thread(Session, lambda s: change_duty(
        s, s.get(User, partner), duty.id, "acknowledge", now=LATER).state)
    assert pause.entered.wait(30)
    updater, updated = in_thread(Session, lambda s: update_incident(
        s, s.get(User, coordinator), KEY, WRITTEN, now=LATER).id)
    time.sleep(0.5)
    assert updater.is_alive(), updated  # it waits for the acknowledgement's lock
    pause.released.set()
    acknowledger.join(30)
    updater.join(30)
    assert acknowledged == [("ok", "acknowledged")]
    assert updated == [("ok", incident.id)]
    assert history(Session, duty.id) == [(None, "open"), ("open", "acknowledged"),
                                         ("acknowledged", "superseded")]
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)


def test_a_breach_check_racing_an_update(db, people, incident, Session):
    overdue = duty_of(incident, "notify_state", "lakeside_county")  # due 16:00
    results = race(Session,
                   lambda s: lambda: [i.id for i in check_breaches(s, now=OVERDUE)],
                   acting(people.coordinator.id, lambda s, a: update_incident(
                       s, a, KEY, GOVERNOR, now=OVERDUE).id))
    won, errors = outcomes(results)
    assert errors == [] and len(won) == 2
    checked = won[0] if isinstance(won[0], list) else won[1]
    # Whichever came first recorded the breach; the breach check found nothing left if second.
    steps = history(Session, overdue.id)
    assert steps[:2] == [(None, "open"), ("open", "breached")]
    assert [to for _, to in steps].count("breached") == 1
    assert len(audit(Session, "duty.breach", clause="notify_state")) == 1
    assert len(audit(Session, "incident.update")) == 1
    assert len(audit(Session, "incident.reevaluate")) == len(checked) <= 1
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)


def test_two_breach_checks_at_once_record_each_breach_once(db, people, incident, Session):
    results = race(Session, *(lambda s: lambda: len(check_breaches(s, now=OVERDUE))
                              for _ in range(4)))
    won, errors = outcomes(results)
    assert errors == [] and sorted(won) == [0, 0, 0, 1]
    assert len(audit(Session, "incident.reevaluate")) == 1
    breached = [d for d in assert_chains(Session, incident.id) if d.state == "breached"]
    assert len(audit(Session, "duty.breach")) == len(breached) >= 1
    assert_duty_audit_matches_history(Session, incident.id)


def test_a_cancel_racing_an_acknowledgement(db, people, incident, Session):
    duty = duty_of(incident, "respond", "harmon_county")
    partner = people.partners["harmon_county"].id
    results = race(Session,
                   acting(partner, lambda s, a: change_duty(s, a, duty.id, "acknowledge",
                                                            now=LATER).state),
                   acting(people.coordinator.id, lambda s, a: cancel_incident(
                       s, a, KEY, reason="a duplicate of another request", now=LATER).state))
    won, errors = outcomes(results)
    steps = history(Session, duty.id)
    if errors:
        assert won == ["cancelled"]
        assert [e.message for e in errors] == [state_message(duty, "superseded", "acknowledged")]
        assert steps == [(None, "open"), ("open", "superseded")]
    else:
        assert sorted(won) == ["acknowledged", "cancelled"]
        assert steps == [(None, "open"), ("open", "acknowledged"), ("acknowledged", "superseded")]
    duties = assert_chains(Session, incident.id)
    assert all(d.state == "superseded" for d in duties)
    [cancel] = audit(Session, "incident.cancel")
    assert cancel.detail["superseded"] == len(duties)
    assert_duty_audit_matches_history(Session, incident.id)


def test_a_cap_cancel_and_update_racing_acknowledgements(db, people, alert, Session):
    """The CAP path (record_incident of an Update or a Cancel) takes the same lock."""
    at = utc("2026-06-19T04:30:00Z")  # before the relay deadline (04:42)
    relay = duty_of(alert, "relay_warning", "lakeside_county")
    stand_up = duty_of(alert, "stand_up", "state_eoc")
    coordinator = people.coordinator.id
    results = race(
        Session,
        acting(people.partners["lakeside_county"].id, lambda s, a: change_duty(
            s, a, relay.id, "acknowledge", now=at).state),
        acting(people.partners["state_eoc"].id, lambda s, a: change_duty(
            s, a, stand_up.id, "fulfil", now=at).state),
        acting(coordinator, lambda s, a: record_incident(s, a, CAP_UPDATE, now=at).state),
        acting(coordinator, lambda s, a: record_incident(s, a, CAP_CANCEL, now=at).state))
    _, errors = outcomes(results)
    assert ("ok", "cancelled") in results
    after_cancel = f"incident '{alert.key}' was cancelled; record a new incident instead"
    for error in errors:
        assert error.message in (state_message(relay, "superseded", "acknowledged"),
                                 state_message(stand_up, "superseded", "fulfilled"),
                                 after_cancel), error.message
    duties = assert_chains(Session, alert.id)
    with Session() as session:  # whatever came after the Cancel was refused
        assert session.get(Incident, alert.id).state == "cancelled"
    assert all(d.state == "superseded" for d in duties)
    assert len(audit(Session, "incident.cancel")) == 1
    assert len(audit(Session, "incident.update")) == (0 if ("error", after_cancel) in [
        (kind, getattr(value, "message", None)) for kind, value in results] else 1)
    assert_duty_audit_matches_history(Session, alert.id)


def test_many_hands_on_one_incident_leave_a_chain(db, people, incident, Session):
    """Mixed load on one incident: updates, acknowledgements, fulfilments, breach checks and
    board reads at once; whatever the order, histories are chains and the audit log holds
    exactly what succeeded."""
    duties = {d.clause + "/" + d.party_id: d for d in incident.duties}
    coordinator = people.coordinator.id
    partner = {p: people.partners[p].id for p in PARTIES}

    def act(key, action, note=None):
        duty = duties[key]
        return acting(partner[duty.party_id], lambda s, a: change_duty(
            s, a, duty.id, action, note=note, now=OVERDUE).state)

    def board(session):
        def view():
            check_breaches(session, now=LATER)  # nothing overdue then: no lock
            return len(session.get(Incident, incident.id).duties)
        return view

    calls = [act("notify_state/lakeside_county", "acknowledge"),
             act("notify_state/lakeside_county", "fulfil"),
             act("confirm_in_writing/lakeside_county", "acknowledge"),
             act("respond/harmon_county", "acknowledge"),
             act("respond/harmon_county", "decline", "crews committed"),
             act("mission_number/state_eoc", "fulfil"),
             acting(coordinator, lambda s, a: ("updated", update_incident(
                 s, a, KEY, WRITTEN, now=OVERDUE).id)),
             acting(coordinator, lambda s, a: ("updated", update_incident(
                 s, a, KEY, GOVERNOR, now=OVERDUE).id)),
             lambda s: lambda: len(check_breaches(s, now=OVERDUE)),
             board, board]
    results = race(Session, *calls)
    won, errors = outcomes(results)
    assert len(won) + len(errors) == len(calls)
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)
    # Updates never conflict with one another or with duty actions: both are applied.
    assert won.count(("updated", incident.id)) == 2
    assert len(audit(Session, "incident.update")) == 2
    kind, reevaluated = results[8]  # the breach check: how many incidents it re-evaluated
    assert len(audit(Session, "incident.reevaluate")) == (reevaluated if kind == "ok" else 0)


# ---------------------------------------------------------------- waits and locks


def test_a_lock_wait_that_runs_out_is_a_busy_conflict(db, people, incident, Session,
                                                      monkeypatch):
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")
    monkeypatch.setattr(store, "LOCK_TIMEOUT_SECONDS", 0.3)
    with Session() as holder:
        lock_incident(holder, incident.id)  # a long operation on the incident, still running
        with Session() as session:
            actor = session.get(User, people.partners["lakeside_county"].id)
            started = time.monotonic()
            with pytest.raises(Conflict) as caught:
                change_duty(session, actor, duty.id, "acknowledge", now=LATER)
            assert time.monotonic() - started < 10
            assert caught.value.message == BUSY and caught.value.status == 409
        holder.rollback()
    assert history(Session, duty.id) == [(None, "open")]
    assert audit(Session, "duty.acknowledge") == []
    # Once the lock is free, the same request succeeds.
    with Session() as session:
        actor = session.get(User, people.partners["lakeside_county"].id)
        assert change_duty(session, actor, duty.id, "acknowledge", now=LATER).state == \
            "acknowledged"


def test_a_board_view_with_nothing_overdue_takes_no_write_lock(db, people, incident, Session,
                                                               monkeypatch):
    monkeypatch.setattr(store, "LOCK_TIMEOUT_SECONDS", 0.3)
    with Session() as holder:
        lock_incident(holder, incident.id)
        with Session() as viewer:
            started = time.monotonic()
            assert check_breaches(viewer, now=LATER) == []
            assert len(viewer.get(Incident, incident.id).duties) == 11
            assert time.monotonic() - started < 0.3
        holder.rollback()


def test_a_stale_session_sees_what_was_committed_once_it_holds_the_lock(db, people, incident,
                                                                        Session):
    """A session that loaded the incident before someone else changed it acts on what is
    stored, not on what it loaded: its update supersedes the acknowledged duty, not an open one
    (and does not supersede again what the other update superseded)."""
    duty = duty_of(incident, "confirm_in_writing", "lakeside_county")
    assert [d.state for d in incident.duties] == ["open"] * 11  # `db` has them loaded
    with Session() as other:
        change_duty(other, other.get(User, people.partners["lakeside_county"].id), duty.id,
                    "acknowledge", now=LATER)
        update_incident(other, other.get(User, people.coordinator.id), KEY, GOVERNOR,
                        now=LATER)
    update_incident(db, people.coordinator, KEY, WRITTEN, now=LATER)
    assert history(Session, duty.id) == [(None, "open"), ("open", "acknowledged"),
                                         ("acknowledged", "superseded")]
    assert [m.sequence for m in db.get(Incident, incident.id).messages] == [1, 2, 3]
    assert_chains(Session, incident.id)
    assert_duty_audit_matches_history(Session, incident.id)
