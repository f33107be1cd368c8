"""A duty's life after it is created: acknowledged, fulfilled, declined or waived, by whom and why.

A duty changes state only from the state stored when the change is made: `change_duty` checks
who may act (nothing of which changes) on what the session has, then locks the duty's incident
(agreements.incidents.lock_incident: BEGIN IMMEDIATE on SQLite, a row lock on the incident on
PostgreSQL) and re-reads the duty before it compares states. Of twenty people acknowledging
one duty at once, one succeeds and the others wait for it and are then told, with a Conflict
(409), that the duty is acknowledged; an update, cancel or breach check of the same incident
waits for the acknowledgement to commit, or the acknowledgement sees the duty superseded.

What may be done depends on the duty's nature (MODALITY_REFUSALS): a `must` may be fulfilled,
declined or waived; a `may` is a permission, so there is nothing to fulfil (it lapses at its
due time); a `must not` is a standing prohibition, only acknowledged.

Second thoughts: a coordinator or administrator may reopen a fulfilled, declined or waived
duty, with a reason. Nothing is erased: the reopening is one more event of its history. It goes
back to `acknowledged` if the party had acknowledged it before (that receipt still holds),
else to `open`; past its due time, a reopened `must` is breached by the usual rules
(effective_state at once, then the breach check records it and gives any escalation).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, object_session

from agreements import compiled as cache

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Conflict, Invalid, NotAllowed, NotFound
from agreements.incidents import _change_state, lock_incident
from agreements.models import Duty, DutyBeneficiary, DutyEvent, Revision, User

# action -> (state it leads to, states it starts from, who may take it, is a reason required)
TRANSITIONS = {
    "acknowledge": ("acknowledged", ("open",), ("partner", "coordinator", "admin"), False),
    "fulfil": ("fulfilled", ("open", "acknowledged", "breached"),
               ("partner", "coordinator", "admin"), False),
    "decline": ("declined", ("open", "acknowledged", "breached"),
                ("partner", "coordinator", "admin"), True),
    "waive": ("waived", ("open", "acknowledged", "breached"), ("coordinator", "admin"), True),
    # to "open", or "acknowledged" if it had been acknowledged before (reopened_state)
    "reopen": ("open", ("fulfilled", "declined", "waived"), ("coordinator", "admin"), True),
}
CLOSED_STATES = ("fulfilled", "declined", "waived")

# modality -> {action it does not take: why}
MODALITY_REFUSALS = {
    "may": {"fulfil": "a 'may' duty is a permission, not an obligation; there is nothing to "
                      "fulfil, and it lapses at its due time"},
    "must not": dict.fromkeys(("fulfil", "decline", "waive"),
                              "a 'must not' duty is a standing prohibition; it is only "
                              "acknowledged"),
}


def refusal(duty: Duty, action: str) -> str | None:
    """Why this duty, by its nature, does not take this action; None if it may."""
    return MODALITY_REFUSALS.get(duty.modality, {}).get(action)


def reopened_state(session: Session, duty: Duty) -> str:
    """Where a reopened duty goes: back to `acknowledged` if it was ever acknowledged (read
    from the database, under the incident's lock, not from a history loaded earlier)."""
    acknowledged = session.scalar(select(exists().where(
        DutyEvent.duty_id == duty.id, DutyEvent.to_state == "acknowledged")))
    return "acknowledged" if acknowledged else "open"


def effective_state(duty: Duty, now: datetime | None = None) -> str:
    """The state as a user should see it now: a `must` duty past due and not done is breached,
    even before the breach check has recorded it."""
    at = moment(now)
    if (duty.state in ("open", "acknowledged") and duty.modality == "must"
            and duty.due is not None and duty.due < at and not duty.past):
        return "breached"
    return duty.state


def consequence(duty, state: str | None = None, session: Session | None = None) -> str | None:
    """The clause's `otherwise` once the duty is breached or lapsed (`state`, else its stored
    one): what follows, read from the revision it was given under; None before or without.
    `duty` is a Duty or a row with its content_hash, revision_id, agreement_slug and clause."""
    if (state or duty.state) not in ("breached", "lapsed"):
        return None
    session = session if session is not None else object_session(duty)
    agreement = cache.by_hash(duty.content_hash, lambda: session.scalar(
        select(Revision.source).where(Revision.id == duty.revision_id)),
        f"{duty.agreement_slug}.agreement", session)
    clause = agreement.clause_index.get(duty.clause)
    return clause.consequence if clause is not None else None


def beneficiaries(session: Session, duty_ids) -> dict[int, list[str]]:
    """Duty id -> the parties it is owed to, in order (one query; duties owed to nobody left
    out)."""
    out: dict[int, list[str]] = {}
    if not duty_ids:
        return out
    for duty_id, party in session.execute(
            select(DutyBeneficiary.duty_id, DutyBeneficiary.party_id)
            .where(DutyBeneficiary.duty_id.in_(list(duty_ids)))
            .order_by(DutyBeneficiary.duty_id, DutyBeneficiary.position)):
        out.setdefault(duty_id, []).append(party)
    return out


def get_duty(session: Session, duty_id: int) -> Duty:
    duty = session.get(Duty, duty_id)
    if duty is None:
        raise NotFound(f"there is no duty {duty_id}")
    return duty


@operation
def change_duty(session: Session, actor: User, duty_id: int, action: str, *,
                note: str | None = None, now: datetime | None = None) -> Duty:
    """Take `action` (acknowledge, fulfil, decline, waive, reopen) on a duty, recording who,
    when and why."""
    if action not in TRANSITIONS:
        raise Invalid(f"unknown action '{action}'; use one of {', '.join(TRANSITIONS)}")
    to_state, from_states, roles, needs_reason = TRANSITIONS[action]
    require_role(actor, *roles, doing=f"{action} a duty")
    at = moment(now)
    duty = get_duty(session, duty_id)
    if actor.role == "partner" and duty.party_id != actor.organisation_id:
        raise NotAllowed(f"this duty belongs to {duty.party_id}; a partner acts only on its own "
                         f"organisation's duties")
    refused = refusal(duty, action)  # a duty's modality never changes: no lock needed
    if refused:
        raise Invalid(f"duty {duty.id} ({duty.clause} for {duty.party_id}) cannot be "
                      f"{to_state if action != 'reopen' else 'reopened'}: {refused}")
    note = (note or "").strip() or None
    if needs_reason and not note:
        raise Invalid(f"to {action} a duty, give the reason")
    # What the actor saw may be stale: compare with the state stored now, under the lock.
    lock_incident(session, duty.incident_id)  # re-reads `duty` too (populate_existing)
    state = effective_state(duty, at)
    if state not in from_states:
        raise Conflict(f"duty {duty.id} ({duty.clause} for {duty.party_id}) is {state}; "
                       + (f"it cannot be {to_state} from there" if action != "reopen" else
                          "only a fulfilled, declined or waived duty is reopened"))
    if state != duty.state:  # the breach check had not run yet: record the breach first
        _change_state(session, duty, state, None, at, "not fulfilled by its due time")
    extra = {}
    if action == "reopen":
        to_state = reopened_state(session, duty)
        extra = {"reopened_from": state, "to_state": to_state}
    _change_state(session, duty, to_state, actor, at, note)
    if to_state == "fulfilled":
        duty.fulfilled_at = at
    elif action == "reopen":
        duty.fulfilled_at = None  # no longer fulfilled; when it was stays in its history
    session.flush()
    record(session, actor, f"duty.{action}", duty, at=at, agreement=duty.agreement_slug,
           revision_hash=duty.content_hash, incident=duty.incident.key, clause=duty.clause,
           party=duty.party_id, note=note, **extra)
    return duty
