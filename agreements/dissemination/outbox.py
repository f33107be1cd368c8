"""The outbox: who hears of what, written in the same transaction as the change that causes it.

Every change of a duty's state is a DutyEvent row. A session hook collects those a transaction
flushes and, just before it commits, writes the notifications they call for (dissemination.md,
"What is sent, and when"): a change that commits has its notifications, one that rolls back has
none. Events that are not changes of a duty (an incident's channel, signatures) call
`enqueue_*` from their own operations, inside their transactions too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from agreements import compiled
from agreements.dissemination import render
from agreements.dissemination.models import (AckLink, ContactPoint, Notification,
                                             NotificationPreference, OrganisationSettings)
from agreements.keys import sign
from agreements.models import Duty, DutyEvent, Incident, Organisation, User

PENDING = "compact_duty_events"  # session.info key: DutyEvents flushed, not yet notified
ACK_EVENTS = ("duty.given", "duty.changed", "duty.due_soon", "duty.not_acknowledged")


@dataclass(frozen=True)
class Destination:
    channel: str  # email or webhook
    address: str
    source: str  # contact point, agreement contact, user, coordinator
    organisation_id: str | None = None
    contact_point_id: int | None = None
    user_id: int | None = None

    @property
    def key(self) -> str:
        if self.contact_point_id is not None:
            return f"cp:{self.contact_point_id}"
        return f"{self.channel}:{self.address.lower()}"[:300]


def settings_of(session: Session, org_id: str | None) -> OrganisationSettings:
    found = session.get(OrganisationSettings, org_id) if org_id else None
    return found or OrganisationSettings(organisation_id=org_id, time_zone="UTC",
                                         reminder_lead_minutes=None, ack_wait_minutes=15)


def agreement_contact(session: Session, org_id: str, content_hash: str, source,
                      slug: str) -> str | None:
    """The `contact` a revision gives for a party, if it gives an e-mail address."""
    try:
        agreement = compiled.by_hash(content_hash, source, f"{slug}.agreement", session)
    except Exception:  # an unreadable revision reaches nobody through its text
        return None
    party = agreement.party_index.get(org_id)
    contact = party.attributes.get("contact") if party else None
    return contact if isinstance(contact, str) and "@" in contact else None


def party_destinations(session: Session, org_id: str, *, contact: str | None = None
                       ) -> list[Destination]:
    """An organisation's active contact points, else the agreement's `contact`; and its
    partner users who have not turned e-mail off. One destination per address."""
    points = session.scalars(select(ContactPoint).where(
        ContactPoint.organisation_id == org_id, ContactPoint.removed_at.is_(None))
        .order_by(ContactPoint.id)).all()
    out = [Destination(p.kind, p.address, "contact point", org_id, contact_point_id=p.id)
           for p in points if not p.paused]
    if not any(p.kind == "email" for p in points) and contact:
        out.append(Destination("email", contact, "agreement contact", org_id))
    out += user_destinations(session, select(User).where(
        User.organisation_id == org_id, User.role == "partner"), "user")
    return _unique(out)


def coordinator_destinations(session: Session) -> list[Destination]:
    return user_destinations(session, select(User).where(User.role == "coordinator"),
                             "coordinator")


def user_destinations(session: Session, query, source: str) -> list[Destination]:
    users = session.scalars(query.where(User.active.is_(True)).order_by(User.id)).all()
    off = set(session.scalars(select(NotificationPreference.user_id).where(
        NotificationPreference.email_off.is_(True))).all())
    return [Destination("email", u.email, source, u.organisation_id, user_id=u.id)
            for u in users if u.id not in off]


def _unique(destinations: list[Destination]) -> list[Destination]:
    seen, out = set(), []
    for d in destinations:
        address = (d.channel, d.address.lower())
        if address not in seen:
            seen.add(address)
            out.append(d)
    return out


def duty_destinations(session: Session, duty: Duty) -> list[Destination]:
    contact = agreement_contact(session, duty.party_id, duty.content_hash,
                                lambda: duty.revision.source, duty.agreement_slug)
    return party_destinations(session, duty.party_id, contact=contact)


# ---------------------------------------------------------------- writing notifications

def _add(session: Session, dest: Destination, event_name: str, rendered: render.Rendered, at,
         *, duty: Duty | None = None, incident: Incident | None = None, wave: int = 1,
         dedupe_key: str | None = None) -> Notification:
    notification = Notification(
        event=event_name, wave=wave, duty=duty, incident=incident or (duty.incident if duty else None),
        organisation_id=dest.organisation_id, user_id=dest.user_id,
        contact_point_id=dest.contact_point_id, channel=dest.channel, source=dest.source,
        address=dest.address, destination=dest.key, dedupe_key=dedupe_key,
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
        payload=rendered.payload, state="queued", attempts=0, created_at=at, next_attempt_at=at)
    session.add(notification)
    return notification


def ack_url(session: Session, duty: Duty, dest: Destination, at: datetime) -> str:
    """A new acknowledge link for one duty and one destination (single use, expiring)."""
    token = secrets.token_urlsafe(24)
    expires = max(duty.due or at, at) + timedelta(days=1)
    session.add(AckLink(digest=hashlib.sha256(token.encode()).hexdigest(), duty=duty,
                        destination=dest.address, created_at=at, expires_at=expires))
    return f"{render.base_url()}/ack/{token}.{sign('ack', token)}"


def enqueue_duty(session: Session, event_name: str, duty: Duty, destinations, at: datetime, *,
                 wave: int = 1, dedupe_key: str | None = None, why: str = "") -> list[Notification]:
    org = session.get(Organisation, duty.party_id)
    party_name = org.name if org else duty.party_id
    out = []
    for dest in destinations:
        settings = settings_of(session, dest.organisation_id or duty.party_id)
        link = (ack_url(session, duty, dest, at)
                if event_name in ACK_EVENTS and duty.state == "open" else None)
        rendered = render.duty_message(event_name, duty, party_name=party_name,
                                       time_zone=settings.time_zone, now=at, ack_url=link,
                                       wave=wave, why=why)
        out.append(_add(session, dest, event_name, rendered, at, duty=duty, wave=wave,
                        dedupe_key=dedupe_key))
    return out


def enqueue_incident(session: Session, event_name: str, incident: Incident, destinations, at, *,
                     title: str, body: str, author: str = "") -> list[Notification]:
    rendered = render.incident_message(event_name, incident, title=title, body=body, now=at,
                                       author=author)
    return [_add(session, d, event_name, rendered, at, incident=incident)
            for d in _unique(list(destinations))]


def enqueue_agreement(session: Session, event_name: str, slug: str, destinations, at, *,
                      title: str, body: str) -> list[Notification]:
    rendered = render.agreement_message(event_name, slug, title, body=body, now=at,
                                        link=f"/agreements/{slug}")
    return [_add(session, d, event_name, rendered, at) for d in _unique(list(destinations))]


def notify_duty_events(session: Session, events: list[DutyEvent]) -> int:
    """The notifications a transaction's duty events call for; how many were written."""
    by_duty: dict[int, tuple[Duty, list[DutyEvent]]] = {}
    for ev in events:
        by_duty.setdefault(id(ev.duty), (ev.duty, []))[1].append(ev)
    added = {d.key for d, evs in by_duty.values() if any(e.from_state is None for e in evs)}
    replaced = {d.key for d, evs in by_duty.values() if any(e.to_state == "superseded" for e in evs)}
    cancelled: dict[int, tuple[Incident, set[str]]] = {}
    written = 0
    coordinators = None
    for duty, evs in by_duty.values():
        incident, at = duty.incident, evs[-1].at
        if duty.past:
            continue  # an expired alert recorded late: its duties are history, told to no one
        if incident.state == "cancelled" and evs[-1].to_state == "superseded":
            cancelled.setdefault(incident.id, (incident, set()))[1].add(duty.party_id)
            continue
        if any(e.from_state is None for e in evs):
            name = "duty.changed" if duty.key in replaced else "duty.given"
            written += len(enqueue_duty(session, name, duty, duty_destinations(session, duty), at))
        elif evs[-1].to_state == "superseded" and duty.key not in added:
            written += len(enqueue_duty(session, "duty.superseded", duty,
                                        duty_destinations(session, duty), at, why=evs[-1].note or ""))
        if any(e.to_state == "breached" for e in evs):
            if coordinators is None:
                coordinators = coordinator_destinations(session)
            written += len(enqueue_duty(session, "duty.breached", duty,
                                        _unique(duty_destinations(session, duty) + coordinators), at))
    for incident, parties in cancelled.values():
        at = incident.updated_at
        for party in sorted(parties):
            duty = next(d for d in incident.duties if d.party_id == party)
            written += len(enqueue_incident(
                session, "incident.cancelled", incident, duty_destinations(session, duty), at,
                title="Incident cancelled", body=f"The incident {incident.key} was cancelled; "
                f"the duties it gave {party} are no longer required."))
    return written


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    new = [obj for obj in session.new if isinstance(obj, DutyEvent)]
    if new:
        session.info.setdefault(PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if not session.info.get(PENDING) and not session.new and not session.dirty:
        return
    session.flush()
    events = session.info.pop(PENDING, [])
    if events:
        notify_duty_events(session, events)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
