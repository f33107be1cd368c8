"""A duty's life after it is created: acknowledged, fulfilled, declined or waived, by whom and why.

A duty changes state only from the state stored when the change is made: `change_duty` checks
who may act (nothing of which changes) on what the session has, then locks the duty's incident
(agreements.incidents.lock_incident: BEGIN IMMEDIATE on SQLite, a row lock on the incident on
PostgreSQL) and re-reads the duty before it compares states. Of twenty people acknowledging
one duty at once, one succeeds and the others wait for it and are then told, with a Conflict
(409), that the duty is acknowledged; an update, cancel or breach check of the same incident
waits for the acknowledgement to commit, or the acknowledgement sees the duty superseded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Conflict, Invalid, NotAllowed, NotFound
from agreements.incidents import _change_state, lock_incident
from agreements.models import Duty, User

# action -> (state it leads to, states it starts from, who may take it, is a reason required)
TRANSITIONS = {
    "acknowledge": ("acknowledged", ("open",), ("partner", "coordinator", "admin"), False),
    "fulfil": ("fulfilled", ("open", "acknowledged", "breached"),
               ("partner", "coordinator", "admin"), False),
    "decline": ("declined", ("open", "acknowledged", "breached"),
                ("partner", "coordinator", "admin"), True),
    "waive": ("waived", ("open", "acknowledged", "breached"), ("coordinator", "admin"), True),
}


def effective_state(duty: Duty, now: datetime | None = None) -> str:
    """The state as a user should see it now: a `must` duty past due and not done is breached,
    even before the breach check has recorded it."""
    at = moment(now)
    if (duty.state in ("open", "acknowledged") and duty.modality == "must"
            and duty.due is not None and duty.due < at and not duty.past):
        return "breached"
    return duty.state


def get_duty(session: Session, duty_id: int) -> Duty:
    duty = session.get(Duty, duty_id)
    if duty is None:
        raise NotFound(f"there is no duty {duty_id}")
    return duty


@operation
def change_duty(session: Session, actor: User, duty_id: int, action: str, *,
                note: str | None = None, now: datetime | None = None) -> Duty:
    """Take `action` (acknowledge, fulfil, decline, waive) on a duty, recording who, when, why."""
    if action not in TRANSITIONS:
        raise Invalid(f"unknown action '{action}'; use one of {', '.join(TRANSITIONS)}")
    to_state, from_states, roles, needs_reason = TRANSITIONS[action]
    require_role(actor, *roles, doing=f"{action} a duty")
    at = moment(now)
    duty = get_duty(session, duty_id)
    if actor.role == "partner" and duty.party_id != actor.organisation_id:
        raise NotAllowed(f"this duty belongs to {duty.party_id}; a partner acts only on its own "
                         f"organisation's duties")
    note = (note or "").strip() or None
    if needs_reason and not note:
        raise Invalid(f"to {action} a duty, give the reason")
    # What the actor saw may be stale: compare with the state stored now, under the lock.
    lock_incident(session, duty.incident_id)  # re-reads `duty` too (populate_existing)
    state = effective_state(duty, at)
    if state not in from_states:
        raise Conflict(f"duty {duty.id} ({duty.clause} for {duty.party_id}) is {state}; it "
                       f"cannot be {to_state} from there")
    if state != duty.state:  # the breach check had not run yet: record the breach first
        _change_state(session, duty, state, None, at, "not fulfilled by its due time")
    _change_state(session, duty, to_state, actor, at, note)
    if to_state == "fulfilled":
        duty.fulfilled_at = at
    session.flush()
    record(session, actor, f"duty.{action}", duty, at=at, agreement=duty.agreement_slug,
           revision_hash=duty.content_hash, incident=duty.incident.key, clause=duty.clause,
           party=duty.party_id, note=note)
    return duty
