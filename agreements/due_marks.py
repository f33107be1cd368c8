"""A duty's state on record: the guarded change of state, and what the clock marks by itself
(a `must` past due breached, a `may` past due and unused lapsed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect as orm_state
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from agreements.audit import record
from agreements.errors import Conflict
from agreements.models import Duty, DutyEvent, Incident, User


def _change_state(session: Session, duty: Duty, to_state: str, actor: User | None, at: datetime,
                  note: str | None = None) -> None:
    """Move the duty from the state this transaction read to `to_state`, and record the event.

    The UPDATE matches only if the stored state is still the one read (callers hold the
    incident's lock, so it is; this is the guard that keeps the history a chain regardless)."""
    seen = duty.state
    state = orm_state(duty)
    if state.pending or state.attrs["state"].history.has_changes():
        session.flush()
    table = Duty.__table__
    result = session.connection().execute(
        update(table).where(table.c.id == duty.id, table.c.state == seen).values(state=to_state))
    if result.rowcount != 1:
        current = session.connection().execute(
            select(table.c.state).where(table.c.id == duty.id)).scalar()
        raise Conflict(f"duty {duty.id} ({duty.clause} for {duty.party_id}) is {current}; it "
                       f"cannot be {to_state} from there")
    set_committed_value(duty, "state", to_state)
    session.add(DutyEvent(duty=duty, from_state=seen, to_state=to_state,
                          actor_id=actor.id if actor else None, note=note, at=at))


def _next_occurrence_due(incident: Incident, at: datetime) -> bool:
    """Whether the latest recorded occurrence of some recurring duty is due by `at` (so the
    next occurrence is to be given)."""
    latest: dict[tuple, Duty] = {}
    for duty in incident.duties:
        if duty.occurrence is None or duty.state == "superseded":
            continue
        key = duty.key[:3]
        if key not in latest or duty.occurrence > latest[key].occurrence:
            latest[key] = duty
    return any(d.due is not None and d.due <= at for d in latest.values())


def _overdue(duty: Duty, at: datetime) -> bool:
    return (duty.modality == "must" and duty.state in ("open", "acknowledged")
            and duty.due is not None and duty.due < at)


def _mark_breaches(session: Session, incident: Incident, at: datetime) -> int:
    """Mark the incident's overdue duties breached; the caller holds the incident's lock."""
    marked = 0
    for duty in incident.duties:
        if _overdue(duty, at):
            _change_state(session, duty, "breached", None, at,
                          f"not fulfilled by its due time {duty.due:%Y-%m-%d %H:%M} UTC")
            record(session, None, "duty.breach", duty, at=at, agreement=duty.agreement_slug,
                   revision_hash=duty.content_hash, incident=incident.key, clause=duty.clause,
                   party=duty.party_id)
            marked += 1
    return marked


def _lapsing(duty: Duty, at: datetime) -> bool:
    """A permission past its due time, still open on record and not yet found used by then
    (the evaluation decides whether it lapsed)."""
    return (duty.modality == "may" and duty.state in ("open", "acknowledged") and not duty.past
            and duty.due is not None and duty.due < at
            and not any(e.from_state == e.to_state for e in duty.events))


def _mark_lapses(session: Session, incident: Incident, at: datetime, lapsed: set) -> int:
    """Mark the incident's permissions the evaluation found lapsed as `lapsed`, once each (a
    lapsed duty is closed: nothing more is done on it). The caller holds the incident's lock."""
    marked = 0
    for duty in incident.duties:
        if not _lapsing(duty, at):
            continue
        if duty.key not in lapsed:  # used by its due time: it stays open, looked at once
            session.add(DutyEvent(duty=duty, from_state=duty.state, to_state=duty.state,
                                  note=f"used by its due time {duty.due:%Y-%m-%d %H:%M} UTC; "
                                       "it does not lapse", at=at))
            continue
        _change_state(session, duty, "lapsed", None, at,
                      f"not used by its due time {duty.due:%Y-%m-%d %H:%M} UTC")
        record(session, None, "duty.lapse", duty, at=at, agreement=duty.agreement_slug,
               revision_hash=duty.content_hash, incident=incident.key, clause=duty.clause,
               party=duty.party_id)
        marked += 1
    return marked
