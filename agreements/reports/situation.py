"""The situation report of one incident: its facts, duties with their states and history, the
channel's messages and the timeline, as plain values the PDF, the CSV and the pages print.

Access is the board's: the caller has checked `can_see_incident`; a partner's report holds only
its own organisation's duties (`visible_duties`), as the board shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from agreements.access import visible_duties
from agreements.clock import moment
from agreements.dissemination.models import ChannelMessage
from agreements.duties import consequence, effective_state
from agreements.models import Duty, DutyEvent, Incident, Organisation, Revision, User
from agreements.reports.facts import facts_of

# Timeline kinds, in the order entries of the same moment are listed.
KINDS = ("message", "duty", "escalation", "acknowledgement", "state", "breach", "lapse",
         "channel")
KIND_LABELS = {"message": "Message received", "duty": "Duty given",
               "escalation": "Escalation", "acknowledgement": "Acknowledged",
               "state": "State change", "breach": "Breach", "lapse": "Lapse",
               "channel": "Channel message"}
SYSTEM = "the system"


@dataclass(frozen=True)
class Action:
    """One change of a duty's state: who, when, from what to what, and why."""

    at: datetime
    from_state: str | None
    to_state: str
    actor: str  # the user's name, or "the system"
    note: str | None


@dataclass(frozen=True)
class DutyLine:
    id: int
    party_id: str
    party: str
    agreement: str
    clause: str
    title: str
    modality: str
    action: str
    due: datetime | None
    state: str  # as a user sees it now (effective_state)
    escalation_of: int | None
    given_at: datetime
    history: tuple[Action, ...]
    escalation_after: str = "breach"  # of an escalation: "breach", or "lapse" of a permission
    consequence: str | None = None  # a breached or lapsed duty's `otherwise`
    owed_to: tuple[str, ...] = ()  # the names of the parties it is owed to (`to ...`)
    occurrence: int | None = None  # of a recurring duty

    @property
    def acknowledged(self) -> Action | None:
        """The (last) acknowledgement, if the duty was acknowledged."""
        found = [a for a in self.history if a.to_state == "acknowledged"]
        return found[-1] if found else None

    @property
    def last_change(self) -> Action | None:
        changes = [a for a in self.history if a.from_state is not None]
        return changes[-1] if changes else None


@dataclass(frozen=True)
class Posted:
    at: datetime
    author: str
    body: str


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    text: str
    actor: str | None = None
    note: str | None = None
    duty_id: int | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Report:
    key: str
    type: str
    state: str
    exercise: bool
    reported_at: datetime
    recorded_at: datetime
    updated_at: datetime
    generated_at: datetime
    viewer: str  # who the report was made for, e.g. "Pat (Lakeside County ...)"
    partial: bool  # True for a partner's report: only its own organisation's duties
    facts: list[tuple[str, str]]
    duties: list[DutyLine]
    messages: list[Posted]
    timeline: list[Entry] = field(default_factory=list)


def _user_label(user: User | None, orgs: dict[str, str]) -> str:
    if user is None:
        return SYSTEM
    where = orgs.get(user.organisation_id) if user.organisation_id else None
    return f"{user.name} ({where or user.role})"


def _names(session: Session, duties) -> dict[str, str]:
    names: dict[str, str] = {}
    revisions = {d.revision_id for d in duties}
    if revisions:
        for parties in session.scalars(select(Revision.parties).where(Revision.id.in_(revisions))):
            for party, name in parties:
                names.setdefault(party, name)
    for org_id, name in session.execute(select(Organisation.id, Organisation.name)):
        names[org_id] = name
    return names


def _order(duty: Duty):
    return (duty.due is None, duty.due or datetime.min.replace(tzinfo=timezone.utc),
            duty.agreement_slug, duty.clause, duty.party_id, duty.id)


def situation_report(session: Session, user: User, incident: Incident,
                     now: datetime | None = None) -> Report:
    """The report of `incident` as `user` may see it (the caller checked can_see_incident)."""
    at = moment(now)
    duties = session.scalars(select(Duty).where(Duty.incident_id == incident.id)
                             .options(selectinload(Duty.events).selectinload(DutyEvent.actor))
                             ).all()
    duties = sorted(visible_duties(user, duties), key=_order)
    names = _names(session, duties)
    lines = []
    for duty in duties:
        history = tuple(Action(e.at, e.from_state, e.to_state, _user_label(e.actor, names), e.note)
                        for e in duty.events)
        lines.append(DutyLine(
            id=duty.id, party_id=duty.party_id, party=names.get(duty.party_id, duty.party_id),
            agreement=duty.agreement_slug, clause=duty.clause, title=duty.title,
            modality=duty.modality, action=duty.action, due=duty.due,
            state=effective_state(duty, at), escalation_of=duty.escalation_of_id,
            given_at=duty.created_at, history=history,
            escalation_after=_answered(session, duty),
            consequence=consequence(duty, effective_state(duty, at), session),
            owed_to=tuple(names.get(p, p) for p in duty.owed_to or ()),
            occurrence=duty.occurrence))
    posted = session.scalars(select(ChannelMessage).where(ChannelMessage.incident_id == incident.id)
                             .options(selectinload(ChannelMessage.author))
                             .order_by(ChannelMessage.posted_at, ChannelMessage.id)).all()
    messages = [Posted(m.posted_at, _user_label(m.author, names), m.body) for m in posted]
    report = Report(
        key=incident.key, type=incident.type, state=incident.state, exercise=incident.exercise,
        reported_at=incident.reported_at, recorded_at=incident.recorded_at,
        updated_at=incident.updated_at, generated_at=at, viewer=_user_label(user, names),
        partial=user.role == "partner", facts=facts_of(incident), duties=lines,
        messages=messages)
    report.timeline.extend(timeline(incident, lines, messages))
    return report


def _answered(session: Session, duty: Duty) -> str:
    """What an escalation duty follows: the breach of a `must`, or the lapse of a `may`."""
    if duty.escalation_of_id is None:
        return "breach"
    answered = session.get(Duty, duty.escalation_of_id)
    return "lapse" if answered is not None and answered.modality == "may" else "breach"


def _duty_words(line: DutyLine) -> str:
    return f"{line.party}: {line.modality} {line.action} ({line.agreement} › {line.clause})"


def timeline(incident: Incident, lines: list[DutyLine], messages: list[Posted]) -> list[Entry]:
    """Everything that happened to the incident, oldest first: messages received, duties given
    (escalations marked), acknowledgements and other changes of state, breaches, lapses of
    permissions, and the channel's messages."""
    entries: list[Entry] = []
    for m in incident.messages:
        kind = "CAP alert" if m.format == "cap" else "JSON incident"
        ident = f" ({m.cap_identifier})" if m.cap_identifier else ""
        entries.append(Entry(m.received_at, "message",
                             f"Message {m.sequence}: {kind}, {m.message_type}{ident}"))
    for line in lines:
        for action in line.history:
            if action.from_state is None:
                due = (f", due {line.due.astimezone(timezone.utc):%Y-%m-%d %H:%M UTC}"
                       if line.due else "")
                kind = "escalation" if line.escalation_of is not None else "duty"
                after = (f" after the {line.escalation_after} of duty {line.escalation_of}"
                         if line.escalation_of is not None else "")
                entries.append(Entry(action.at, kind, f"{_duty_words(line)}{due}{after}",
                                     action.actor, action.note, line.id))
                continue
            kind = {"acknowledged": "acknowledgement", "breached": "breach", "lapsed": "lapse"}.get(
                action.to_state, "state")
            entries.append(Entry(action.at, kind,
                                 f"{_duty_words(line)}: {action.from_state} → {action.to_state}",
                                 action.actor, action.note, line.id))
        if not any(a.from_state is None for a in line.history):  # a duty without its first event
            entries.append(Entry(line.given_at, "escalation" if line.escalation_of else "duty",
                                 _duty_words(line), None, None, line.id))
    for m in messages:
        entries.append(Entry(m.at, "channel", m.body, m.author))
    rank = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(entries, key=lambda e: (e.at, rank[e.kind], e.duty_id or 0))
