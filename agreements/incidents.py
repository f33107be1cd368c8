"""Recording incidents and keeping their duties: evaluate, re-evaluate, supersede, never delete.

Concurrency: one incident, one writer at a time
-----------------------------------------------
Every operation that changes an incident's duties -- recording a CAP Update or Cancel,
update_incident, cancel_incident (agreements/cancellation.py), check_breaches, and each
change_duty (agreements/duties.py) -- first calls `lock_incident`, which

1. makes the transaction a write transaction (agreements.db.lock_for_write: BEGIN IMMEDIATE on
   SQLite, a bounded lock wait on PostgreSQL),
2. locks the incident row (SELECT ... FOR NO KEY UPDATE on PostgreSQL; on SQLite the database
   write lock already serialises all writers), and
3. re-reads the incident and all its duties with populate_existing, so that whatever the
   session loaded before (a page rendered from the same session, an object from an earlier
   transaction) is replaced by what is committed now.

Only then are states compared and changed, so two operations on one incident never act on the
same state: the second sees what the first committed (a duty already acknowledged, superseded
or breached) and either does what still makes sense or refuses with a Conflict naming the
state. Locks are always taken incident by incident in increasing id order (check_breaches is
the only operation that locks more than one), so operations cannot deadlock each other.

As a last guard, `_change_state` (agreements.due_marks) writes each transition as
`UPDATE duty SET state = :to WHERE id = :id AND state = :from` and refuses (Conflict) if no row matched, so a duty's history
(DutyEvent rows) is always a chain: each transition starts from the state the previous one
ended in, even for a caller that forgot the lock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from agreements import compiled as cache
from agreements.access import require_role
import agreements.dissemination.outbox  # noqa: F401 - its session hooks write the notifications
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.db import lock_for_write
from agreements.due_marks import (_change_state, _lapsing, _mark_breaches, _mark_lapses,
                                  _next_occurrence_due, _overdue)
from agreements.errors import Conflict, Invalid, NotFound, OperationError
from agreements.models import (Agreement, Duty, DutyBeneficiary, DutyEvent, Incident,
                               IncidentMessage, Organisation, Revision, User, Withdrawal)
from dsl.timestamps import parse_time
from engine.evaluator import Duty as EngineDuty
from engine.evaluator import Evaluation
from engine.incidents import Incident as EngineIncident
from engine.incidents import IncidentError, load_incident, load_incidents

LIVE_STATES = ("open", "acknowledged", "breached")


def parse_incident(text: str | bytes) -> EngineIncident:
    try:
        incident = load_incident(text)
    except IncidentError as exc:
        raise Invalid("the incident cannot be read: " + "; ".join(exc.messages), exc.messages)
    if not incident.id:
        raise Invalid("the incident cannot be read: $: the incident gives no 'id', which is required")
    return incident


def get_incident(session: Session, key: str) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.key == key))
    if incident is None:
        raise NotFound(f"there is no incident '{key}'")
    return incident


def lock_incident(session: Session, incident_id: int) -> Incident:
    """Lock the incident for this transaction and re-read it and its duties as committed now
    (see the module docstring). Call it before looking at any state that will be changed."""
    lock_for_write(session)
    incident = session.scalars(select(Incident).where(Incident.id == incident_id)
                               .with_for_update(key_share=True)
                               .execution_options(populate_existing=True)).one_or_none()
    if incident is None:
        raise NotFound(f"there is no incident {incident_id}")
    duties = session.scalars(select(Duty).where(Duty.incident_id == incident_id)
                             .order_by(Duty.id)
                             .execution_options(populate_existing=True)).all()
    set_committed_value(incident, "duties", list(duties))
    session.expire(incident, ["messages"])
    for duty in duties:
        session.expire(duty, ["events"])
    return incident


def _referenced_incident(session: Session, parsed: EngineIncident) -> Incident | None:
    """The incident an Update or Cancel refers to, through the identifiers in <references>."""
    identifiers = [ref.split(",")[1].strip() for ref in parsed.references if ref.count(",") >= 2]
    if not identifiers:
        return None
    message = session.scalar(select(IncidentMessage)
                             .where(IncidentMessage.cap_identifier.in_(identifiers))
                             .order_by(IncidentMessage.id.desc()).limit(1))
    return message.incident if message is not None else None


@dataclass(frozen=True)
class InForce:
    """An executed agreement's revision in force, as plain values (no ORM objects per incident)."""

    slug: str
    agreement_id: int
    id: int  # the revision's id
    content_hash: str
    session: Session = dataclasses.field(compare=False, repr=False)

    def source(self) -> str:
        return self.session.scalar(select(Revision.source).where(Revision.id == self.id))


def executed_in_force(session: Session) -> list[InForce]:
    rows = session.execute(
        select(Agreement.slug, Agreement.id, Revision.id, Revision.content_hash)
        .join(Revision, Agreement.executed_revision_id == Revision.id)
        .order_by(Agreement.slug)).all()
    return [InForce(*row, session=session) for row in rows]


def warm(session: Session) -> int:
    """Compile every agreement in force and index them, as a server does once at start, so that
    the first incident does not pay for it. Returns how many agreements are in force."""
    in_force = executed_in_force(session)
    cache.library(in_force)
    return len(in_force)


def withdrawn(session: Session, at: datetime) -> dict[int, frozenset]:
    """Agreement id -> the parties whose withdrawal has taken effect at `at`."""
    out: dict[int, set] = {}
    for agreement_id, party in session.execute(select(Withdrawal.agreement_id, Withdrawal.party_id)
                                               .where(Withdrawal.effective_at <= at)):
        out.setdefault(agreement_id, set()).add(party)
    return {k: frozenset(v) for k, v in out.items()}


def _with_fulfilments(parsed: EngineIncident, incident: Incident | None) -> EngineIncident:
    """The incident as the engine reads it, with the fulfilments recorded so far."""
    if incident is None:
        return parsed
    records = [{"agreement": d.agreement_slug, "clause": d.clause, "party": d.party_id,
                "at": d.fulfilled_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                **({"occurrence": d.occurrence} if d.occurrence is not None else {})}
               for d in incident.duties if d.state == "fulfilled" and d.fulfilled_at is not None]
    if not records:
        return parsed

    def add(data: dict) -> dict:
        return {**data, "fulfilled": list(data.get("fulfilled") or ()) + records}

    return dataclasses.replace(parsed, data=add(parsed.data),
                               variants=tuple((lang, add(d)) for lang, d in parsed.variants))


def _reported_as(parsed: EngineIncident, reported: datetime) -> EngineIncident:
    from engine.deadlines import utc_text
    text = utc_text(reported)

    def put(data: dict) -> dict:
        return {**data, "reported_at": text}

    return dataclasses.replace(parsed, data=put(parsed.data),
                               variants=tuple((lang, put(d)) for lang, d in parsed.variants))


def latest_facts(incident: Incident) -> EngineIncident:
    """The incident as its latest message tells it (a CAP Update keeps the first report)."""
    message = incident.latest_message
    parsed = parse_incident(message.received)
    if parsed.format == "cap" and message.sequence > 1:
        parsed = _reported_as(parsed, incident.reported_at)
    return parsed


def evaluate_in_store(session: Session, parsed: EngineIncident, at: datetime,
                      incident: Incident | None = None) -> tuple[Evaluation, dict]:
    """Evaluate against every executed agreement; withdrawn parties are left out.

    Returns the evaluation and the revision each agreement id was evaluated from.
    """
    revisions = {r.slug: r for r in executed_in_force(session)}
    reported = at if parsed.cancelled else _reported_at(parsed, at)
    gone = withdrawn(session, reported)
    excluded = {r.slug: gone[r.agreement_id] for r in revisions.values() if r.agreement_id in gone}
    library = cache.library(revisions.values())
    known = frozenset(session.scalars(select(Organisation.id)))
    try:
        evaluation = library.evaluate(_with_fulfilments(parsed, incident), at=at,
                                      excluded=excluded, known=known | library.known)
    except IncidentError as exc:
        raise Invalid("the incident does not fit the agreements in force: "
                      + "; ".join(exc.messages), exc.messages)
    return evaluation, revisions


def _same(stored: Duty, fresh: EngineDuty, content_hash: str) -> bool:
    return (stored.content_hash == content_hash and stored.modality == fresh.modality
            and stored.action == fresh.action and stored.role == fresh.role
            and stored.due == fresh.due and stored.title == fresh.title
            and stored.costs == [{"party": p, "share": s} for p, s in fresh.costs]
            and stored.owed_to == (list(fresh.to) if fresh.to else None))


def sync_duties(session: Session, incident: Incident, message: IncidentMessage,
                evaluation: Evaluation, revisions: dict, actor: User | None, at: datetime,
                reason: str) -> tuple[dict, list[Duty]]:
    """Make the incident's live duties those of `evaluation`: keep what is unchanged,
    supersede what no longer applies or changed, add what is new. Returns counts and the new.
    The caller holds the incident's lock (`lock_incident`)."""
    live = {d.key: d for d in incident.duties if d.state != "superseded"}
    fresh = {(d.agreement, d.clause, d.party, d.occurrence): d for d in evaluation.duties}
    counts = {"added": 0, "superseded": 0, "kept": 0}
    added = []
    for key, duty in live.items():
        new = fresh.get(key)
        if new is not None and _same(duty, new, revisions[new.agreement].content_hash):
            counts["kept"] += 1
            continue
        _change_state(session, duty, "superseded", actor, at, reason)
        duty.superseded_at = at
        counts["superseded"] += 1
    for key, new in fresh.items():
        if key in live and live[key].state != "superseded":
            continue
        revision = revisions[new.agreement]
        duty = Duty(incident=incident, message=message, agreement_id=revision.agreement_id,
                    revision_id=revision.id, content_hash=revision.content_hash,
                    agreement_slug=new.agreement, clause=new.clause, title=new.title,
                    party_id=new.party, role=new.role, modality=new.modality, action=new.action,
                    due=new.due, note=new.note, occurrence=new.occurrence,
                    costs=[{"party": p, "share": s} for p, s in new.costs],
                    because=list(new.because), exercise=evaluation.exercise, state="open",
                    past=incident.state == "past",
                    created_at=at, escalation_of_id=_escalated_duty(incident, revision, new),
                    beneficiaries=[DutyBeneficiary(party_id=p, position=i)
                                   for i, p in enumerate(new.to or ())])
        session.add(duty)
        session.add(DutyEvent(duty=duty, from_state=None, to_state="open",
                              actor_id=actor.id if actor else None, note=reason, at=at))
        added.append(duty)
        counts["added"] += 1
    session.flush()
    for duty in added:
        record(session, actor, "duty.create", duty, at=at, agreement=duty.agreement_slug,
               revision_hash=duty.content_hash, incident=incident.key, clause=duty.clause,
               party=duty.party_id, due=duty.due, escalation_of=duty.escalation_of_id)
    lapsing = {(d.agreement, d.clause, d.party, d.occurrence) for d in evaluation.duties
               if d.status == "lapsed"}
    _mark_breaches(session, incident, at)
    _mark_lapses(session, incident, at, lapsing)
    return counts, added


def cancel_duties(session: Session, incident: Incident, actor: User | None, at: datetime,
                  note: str) -> int:
    """Supersede every live duty of a cancelled incident (nothing is deleted); how many.
    The caller holds the incident's lock (`lock_incident`)."""
    superseded = 0
    for duty in incident.duties:
        if duty.state != "superseded":
            _change_state(session, duty, "superseded", actor, at, note)
            duty.superseded_at = at
            superseded += 1
    incident.state = "cancelled"
    incident.updated_at = at
    return superseded


def _escalated_duty(incident: Incident, revision, new: EngineDuty) -> int | None:
    """The breached duty (or lapsed permission) an escalation duty answers (its deadline runs
    from that breach or lapse)."""
    clause = cache.by_hash(revision.content_hash, revision.source,
                           f"{revision.slug}.agreement").clause_index.get(new.clause)
    terms = clause.deadline.singles() if clause is not None and clause.deadline else ()
    answered = next((t.breach_of or t.lapse_of for t in terms
                     if t.kind in ("within_breach", "within_lapse")), None)
    if answered is None:
        return None
    late = [d for d in incident.duties if d.agreement_slug == new.agreement
            and d.clause == answered and d.state != "superseded" and d.due is not None]
    late.sort(key=lambda d: d.due)
    return late[0].id if late else None


def evaluation_notes(session: Session, parsed: EngineIncident, evaluation: Evaluation | None,
                     at: datetime) -> dict:
    """What an evaluation said besides its duties, kept with the message: its warnings and,
    when it gave no duty, why each agreement in force gave nothing."""
    if evaluation is None:
        return {"warnings": [], "why_none": []}
    notes = {"warnings": [w.as_dict() for w in evaluation.warnings], "why_none": []}
    if not evaluation.duties:
        from engine.whynot import nothing_given
        revisions = executed_in_force(session)
        library = cache.library(revisions)
        gone = withdrawn(session, at)
        excluded = {r.slug: gone[r.agreement_id] for r in revisions if r.agreement_id in gone}
        notes["why_none"] = [[a, reasons] for a, reasons in
                             nothing_given(library.agreements, parsed, at=at, excluded=excluded)]
    return notes


def _add_message(session: Session, incident: Incident, parsed: EngineIncident, text,
                 actor: User, at: datetime, notes: dict | None = None) -> IncidentMessage:
    # The text as the engine read it (an alert in UTF-16 or Latin-1 decoded as it declares).
    received = parsed.received or (text.decode("utf-8-sig", errors="replace")
                                   if isinstance(text, bytes) else text)
    sequence = len(incident.messages) + 1
    message = IncidentMessage(incident=incident, sequence=sequence, format=parsed.format,
                              message_type=parsed.message_type or ("Alert" if sequence == 1
                                                                   else "Update"),
                              cap_identifier=parsed.id if parsed.format == "cap" else None,
                              received=received, mapped=parsed.data, received_at=at,
                              received_by_id=actor.id, notes=notes)
    session.add(message)
    return message


def time_field(parsed: EngineIncident, name: str) -> datetime | None:
    """A time field of the incident, or None when it has none that reads as a time (the
    engine's validation then reports the field with its JSON path)."""
    value = parsed.data.get(name)
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _reported_at(parsed: EngineIncident, default: datetime) -> datetime:
    """The incident's report time, or `default` when it has none that reads as a time."""
    return time_field(parsed, "reported_at") or default


def _evaluation_time(parsed: EngineIncident, at: datetime) -> datetime:
    """Now, or the report time when the incident is reported for later (an exercise, say)."""
    return max(at, _reported_at(parsed, at))


def expired_at(parsed: EngineIncident) -> datetime | None:
    """When the alert expires (`expires`), if it says so in a readable time."""
    return time_field(parsed, "expires")


class ExpiredAlert(Conflict):
    """An alert whose `expires` has passed when it is received: the coordinator decides
    whether to record it as a past incident or not at all (interfaces.md)."""


def _apply(session: Session, actor: User, incident: Incident | None, parsed: EngineIncident,
           text, at: datetime, as_past: bool = False) -> tuple[Incident, dict]:
    if parsed.cancelled:
        if incident is None:
            raise Invalid("this CAP Cancel references no alert recorded here; nothing to cancel")
        _add_message(session, incident, parsed, text, actor, at)
        superseded = cancel_duties(session, incident, actor, at,
                                   f"the alert was cancelled by CAP message {parsed.id}")
        record(session, actor, "incident.cancel", incident, at=at, incident=incident.key,
               message=parsed.id, superseded=superseded)
        return incident, {"added": 0, "superseded": superseded, "kept": 0}
    expires = expired_at(parsed)
    past = expires is not None and expires < at
    if past and not as_past:
        raise ExpiredAlert(
            f"alert {parsed.id} expired at {expires.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC, "
            "before it was received; "
            "record it as a past incident (its duties are evaluated at its own time and are "
            "never breached by the delay), or do not record it",
            [f"expires: {parsed.data['expires']}"])
    if incident is not None and parsed.format == "cap":
        # A CAP Update is sent later about the same incident: deadlines that run from the
        # report keep running from the first alert, not from each update.
        parsed = _reported_as(parsed, incident.reported_at)
    evaluation_at = _reported_at(parsed, at) if past else _evaluation_time(parsed, at)
    evaluation, revisions = evaluate_in_store(session, parsed, evaluation_at, incident)
    created = incident is None
    if created:
        incident = Incident(key=parsed.id, state="past" if past else "active",
                            type=str(parsed.data.get("type", "")),
                            exercise=evaluation.exercise,
                            reported_at=parse_time(parsed.data["reported_at"]),
                            recorded_at=at, updated_at=at, recorded_by_id=actor.id)
        session.add(incident)
    else:
        incident.type = str(parsed.data.get("type", incident.type))
        incident.exercise = evaluation.exercise
        incident.reported_at = parse_time(parsed.data["reported_at"])
        incident.updated_at = at
        incident.state = "past" if past else "active"
    message = _add_message(session, incident, parsed, text, actor, at,
                           evaluation_notes(session, parsed, evaluation, evaluation_at))
    reason = ("recorded" if created else f"re-evaluated after update {message.sequence}")
    counts, _ = sync_duties(session, incident, message, evaluation, revisions, actor,
                            evaluation_at, reason)
    record(session, actor, "incident.record" if created else "incident.update", incident, at=at,
           incident=incident.key, format=parsed.format, message_type=message.message_type,
           in_force=len(revisions), evaluated_at=evaluation_at,
           revision_hashes={d.agreement: revisions[d.agreement].content_hash
                            for d in evaluation.duties}, **counts)
    return incident, counts


@operation
def record_incident(session: Session, actor: User, text: str | bytes, *,
                    as_past: bool = False, now: datetime | None = None) -> Incident:
    """Record a new incident (JSON or CAP), or apply a CAP Update/Cancel to the one it references."""
    require_role(actor, "coordinator", "admin", doing="record an incident")
    at = moment(now)
    parsed = parse_incident(text)
    # Serialised with every other writer: on SQLite the "already recorded" check below is then
    # exact; on PostgreSQL a second recording of the same key meets the unique key instead.
    lock_for_write(session)
    existing = None
    if parsed.format == "cap" and parsed.message_type in ("Update", "Cancel"):
        existing = _referenced_incident(session, parsed)
        if existing is not None:
            existing = lock_incident(session, existing.id)
            if existing.state == "cancelled":  # as update_incident and cancel_incident say
                if parsed.cancelled:
                    raise Conflict(f"incident '{existing.key}' was already cancelled on "
                                   f"{existing.updated_at:%Y-%m-%d %H:%M} UTC")
                raise Conflict(f"incident '{existing.key}' was cancelled; record a new "
                               f"incident instead")
    if existing is None:
        if session.scalar(select(Incident.id).where(Incident.key == parsed.id)) is not None:
            raise Conflict(f"incident '{parsed.id}' is already recorded; send changed facts as an "
                           f"update of it")
    incident, _ = _apply(session, actor, existing, parsed, text, at, as_past)
    return incident


@dataclass(frozen=True)
class Recorded:
    """One alert of a file that held several: its place, and the incident or the refusal."""

    position: int
    identifier: str | None
    incident: Incident | None = None
    error: OperationError | None = None


def holds_several(text: str | bytes) -> bool:
    """Whether the text is a feed, distribution or list of more than one alert."""
    try:
        return len(load_incidents(text)) > 1
    except IncidentError:
        return False


def record_incidents(session: Session, actor: User, text: str | bytes, *,
                     as_past: bool = False, now: datetime | None = None) -> list[Recorded]:
    """Record each alert of a feed, EDXL-DE distribution or list as its own incident (or
    update), each in its own transaction: one refused alert does not refuse the others."""
    require_role(actor, "coordinator", "admin", doing="record an incident")
    try:
        loaded = load_incidents(text)
    except IncidentError as exc:
        raise Invalid("the incident cannot be read: " + "; ".join(exc.messages), exc.messages)
    out = []
    for item in loaded:
        if not item.ok:
            out.append(Recorded(item.position, item.identifier, error=Invalid(
                "; ".join(item.error.messages), item.error.messages)))
            continue
        try:
            incident = record_incident(session, actor, item.incident.received or text,
                                       as_past=as_past, now=now)
        except OperationError as exc:
            out.append(Recorded(item.position, item.identifier, error=exc))
        else:
            out.append(Recorded(item.position, item.identifier, incident))
    return out


@operation
def update_incident(session: Session, actor: User, key: str, text: str | bytes, *,
                    as_past: bool = False, now: datetime | None = None) -> Incident:
    """New facts about a recorded incident: re-evaluate; what no longer applies is superseded."""
    require_role(actor, "coordinator", "admin", doing="update an incident")
    at = moment(now)
    incident = get_incident(session, key)
    parsed = parse_incident(text)
    if parsed.format == "json" and parsed.id != key:
        raise Invalid(f"the update names incident '{parsed.id}', not '{key}'")
    incident = lock_incident(session, incident.id)  # from here on: what is committed now
    if incident.state == "cancelled":
        raise Conflict(f"incident '{key}' was cancelled; record a new incident instead")
    incident, _ = _apply(session, actor, incident, parsed, text, at, as_past)
    return incident


@operation
def check_breaches(session: Session, actor: User | None = None, *,
                   now: datetime | None = None) -> list[Incident]:
    """Mark duties past their due time as breached (a `must`) or lapsed (a `may`) and
    re-evaluate those incidents, so that escalation clauses (`breached C`, `within ... of
    breach of C`, `lapsed C`, `within ... of lapse of C`) give their duties. A lapse is
    recorded once (the duty leaves `open`), so a later tick finds nothing more to do.

    Nothing is locked unless something is overdue (board views run this on every view); each
    overdue incident is then locked in id order and looked at again as committed now, since
    another operation may have fulfilled, superseded or breach-checked it meanwhile."""
    at = moment(now)
    candidates = session.scalars(select(Incident.id).join(Duty).where(
        Incident.state == "active", Duty.modality == "must",
        Duty.state.in_(("open", "acknowledged")), Duty.due < at).distinct()
        .order_by(Incident.id)).all()
    lapsing = session.scalars(select(Incident.id).join(Duty).where(
        Incident.state == "active", Duty.modality == "may", Duty.past.is_(False),
        Duty.state.in_(("open", "acknowledged")), Duty.due < at,
        ~exists().where(DutyEvent.duty_id == Duty.id,
                        DutyEvent.from_state == DutyEvent.to_state)).distinct()).all()
    # A recurring duty whose latest occurrence has come due has a next one to give.
    recurring = session.scalars(select(Incident.id).join(Duty).where(
        Incident.state == "active", Duty.occurrence.is_not(None), Duty.state != "superseded",
        Duty.due <= at).distinct()).all()
    overdue = []
    for incident_id in sorted(set(candidates) | set(recurring) | set(lapsing)):
        incident = lock_incident(session, incident_id)
        if incident.state != "active" or not (any(_overdue(d, at) or _lapsing(d, at)
                                                  for d in incident.duties)
                                              or _next_occurrence_due(incident, at)):
            continue
        overdue.append(incident)
        message = incident.latest_message
        parsed = latest_facts(incident)
        evaluation, revisions = evaluate_in_store(session, parsed, at, incident)
        lapse_only = (any(_lapsing(d, at) for d in incident.duties)
                      and not any(_overdue(d, at) for d in incident.duties))
        counts, _ = sync_duties(session, incident, message, evaluation, revisions, None, at,
                                f"re-evaluated after a {'lapse' if lapse_only else 'breach'}")
        record(session, None, "incident.reevaluate", incident, at=at, incident=incident.key,
               reason="duties past their due time", **counts)
    return list(overdue)
