"""Second thoughts and duties by their nature (issue 11, points 2 and 6), on the store:
reopening a closed duty with a reason, a `may` that is never fulfilled, a `must not` that is
only acknowledged."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements.drafting import create_agreement, publish
from agreements.duties import TRANSITIONS, change_duty, effective_state
from agreements.errors import Conflict, Invalid, NotAllowed
from agreements.incidents import check_breaches, record_incident
from agreements.models import AuditEntry, DutyEvent
from agreements.signing import sign

from .conftest import LIBRARY, library_text, make_people

SLUG = "columbia-cap-joint-task-force"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county",
           "state_patrol", "columbia_guard", "columbia_dep"]
ALERT = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes()
AT = datetime(2026, 6, 19, 4, 20, tzinfo=timezone.utc)  # the alert was sent at 04:12Z


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def exact(text: str) -> str:
    return "^" + re.escape(text) + "$"


@pytest.fixture
def flood(db):
    people = make_people(db, PARTIES)
    create_agreement(db, people.drafter, library_text("cap-joint-task-force.agreement"),
                     now=utc("2026-05-01T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-05-02T09:00:00Z"))
    for party in PARTIES:
        sign(db, people.partners[party], SLUG, 1, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=utc("2026-05-03T09:00:00Z"))
    incident = record_incident(db, people.coordinator, ALERT, now=utc("2026-06-19T04:15:00Z"))
    duties = {(d.clause, d.party_id): d for d in incident.duties}
    return people, duties


def history(db, duty) -> list[tuple]:
    return [(e.from_state, e.to_state, e.actor.name if e.actor else None, e.note)
            for e in db.scalars(select(DutyEvent).where(DutyEvent.duty_id == duty.id)
                                .order_by(DutyEvent.id))]


def test_reopen_is_an_action_of_coordinators_and_administrators_with_a_reason():
    assert TRANSITIONS["reopen"] == ("open", ("fulfilled", "declined", "waived"),
                                     ("coordinator", "admin"), True)


def test_a_reopened_duty_goes_back_to_acknowledged_and_keeps_its_history(db, flood):
    people, duties = flood
    relay = duties[("relay_warning", "lakeside_county")]
    lakeside = people.partners["lakeside_county"]
    change_duty(db, lakeside, relay.id, "acknowledge", now=AT)
    change_duty(db, lakeside, relay.id, "fulfil", note="sirens and radio",
                now=utc("2026-06-19T04:30:00Z"))
    assert relay.fulfilled_at == utc("2026-06-19T04:30:00Z")
    with pytest.raises(NotAllowed):
        change_duty(db, lakeside, relay.id, "reopen", note="we were wrong")
    for note in (None, "", "  "):
        with pytest.raises(Invalid, match=exact("to reopen a duty, give the reason")):
            change_duty(db, people.coordinator, relay.id, "reopen", note=note)
    change_duty(db, people.coordinator, relay.id, "reopen", note="sirens not heard in the north",
                now=utc("2026-06-19T04:35:00Z"))
    db.expire_all()
    assert relay.state == "acknowledged" and relay.fulfilled_at is None
    assert history(db, relay) == [
        (None, "open", "Cory Coordinator", "recorded"),
        ("open", "acknowledged", "Signer of lakeside_county", None),
        ("acknowledged", "fulfilled", "Signer of lakeside_county", "sirens and radio"),
        ("fulfilled", "acknowledged", "Cory Coordinator", "sirens not heard in the north")]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "duty.reopen")).one()
    assert entry.actor_email == "coordinator@compact.example"
    assert entry.object_id == str(relay.id)
    assert entry.detail["note"] == "sirens not heard in the north"
    assert entry.detail["reopened_from"] == "fulfilled"
    assert entry.detail["to_state"] == "acknowledged"
    # and it is done again, by its party
    change_duty(db, lakeside, relay.id, "fulfil", now=utc("2026-06-19T04:40:00Z"))
    assert relay.state == "fulfilled" and relay.fulfilled_at == utc("2026-06-19T04:40:00Z")
    assert len(history(db, relay)) == 5


def test_a_duty_never_acknowledged_reopens_open_and_past_due_is_breached(db, flood):
    people, duties = flood
    liaison = duties[("liaison", "harmon_county")]  # due 06:10Z
    change_duty(db, people.partners["harmon_county"], liaison.id, "decline",
                note="no officer free", now=AT)
    late = utc("2026-06-19T07:00:00Z")
    change_duty(db, people.admin, liaison.id, "reopen", note="an officer is back", now=late)
    assert liaison.state == "open"
    assert effective_state(liaison, late) == "breached"  # at once, as a user sees it
    check_breaches(db, None, now=late)  # and on record, by the usual breach check
    db.expire_all()
    assert liaison.state == "breached"
    assert history(db, liaison)[-2:] == [
        ("declined", "open", "Ada Admin", "an officer is back"),
        ("open", "breached", None, "not fulfilled by its due time 2026-06-19 06:10 UTC")]


def test_only_a_closed_duty_is_reopened(db, flood):
    people, duties = flood
    stand_up = duties[("stand_up", "state_eoc")]
    with pytest.raises(Conflict, match=exact(
            f"duty {stand_up.id} (stand_up for state_eoc) is open; only a fulfilled, declined "
            "or waived duty is reopened")):
        change_duty(db, people.coordinator, stand_up.id, "reopen", note="why not", now=AT)


def test_a_may_duty_is_not_fulfilled(db, flood):
    people, duties = flood
    guard = duties[("high_water", "columbia_guard")]
    for actor in (people.partners["columbia_guard"], people.coordinator):
        with pytest.raises(Invalid, match=exact(
                f"duty {guard.id} (high_water for columbia_guard) cannot be fulfilled: a 'may' "
                "duty is a permission, not an obligation; there is nothing to fulfil, and it "
                "lapses at its due time")):
            change_duty(db, actor, guard.id, "fulfil", now=AT)
    assert guard.state == "open"
    change_duty(db, people.partners["columbia_guard"], guard.id, "acknowledge", now=AT)
    assert guard.state == "acknowledged"


def test_a_must_not_duty_is_only_acknowledged(db, flood):
    people, duties = flood
    ban = duties[("no_self_dispatch", "pine_ridge_county")]
    pine_ridge = people.partners["pine_ridge_county"]
    for actor, action, to_state in ((pine_ridge, "fulfil", "fulfilled"),
                                    (pine_ridge, "decline", "declined"),
                                    (people.coordinator, "waive", "waived")):
        with pytest.raises(Invalid, match=exact(
                f"duty {ban.id} (no_self_dispatch for pine_ridge_county) cannot be {to_state}: "
                "a 'must not' duty is a standing prohibition; it is only acknowledged")):
            change_duty(db, actor, ban.id, action, note="a reason", now=AT)
    change_duty(db, pine_ridge, ban.id, "acknowledge", now=AT)
    assert ban.state == "acknowledged"
    assert [e.to_state for e in ban.events] == ["open", "acknowledged"]
