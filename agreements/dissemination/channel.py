"""An incident's channel: append-only messages, told to every party with a live duty and every coordinator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import can_see_incident, has_own_duty
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.dissemination.models import ChannelMessage
from agreements.dissemination.outbox import (coordinator_destinations, duty_destinations,
                                             enqueue_incident)
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.incidents import get_incident
from agreements.models import Duty, Incident, Organisation, User

MAX_BODY = 10_000  # characters of a message, once stripped
POSTERS = ("coordinator", "admin")  # may post in any incident; a partner only where it has a duty
EVENT = "incident.message"


def _active(user: User | None) -> bool:
    return user is not None and bool(user.active)


def can_read_channel(user: User | None, session: Session, incident: Incident) -> bool:
    """Whoever may see the incident: staff (drafters too), a partner whose organisation has or
    had a duty in it."""
    return can_see_incident(user, session, incident)


def can_post(user: User | None, session: Session, incident: Incident) -> bool:
    if not _active(user):
        return False
    if user.role in POSTERS:
        return True
    # A partner posts where its organisation has a duty; one a duty is only owed to reads.
    return user.role == "partner" and has_own_duty(user, session, incident)


def channel_messages(session: Session, incident: Incident) -> list[ChannelMessage]:
    """The incident's messages, oldest first."""
    return list(session.scalars(select(ChannelMessage)
                                .where(ChannelMessage.incident_id == incident.id)
                                .order_by(ChannelMessage.posted_at, ChannelMessage.id)).all())


def author_label(session: Session, user: User) -> str:
    """`Name (Organisation)` for a partner, `Name (role)` for staff."""
    org = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    return f"{user.name} ({org.name if org else user.role})"


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise Invalid("the message must be text")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("write the message first")
    if "\x00" in body:
        raise Invalid("the message holds a NUL character (U+0000), which no message may hold")
    if len(body) > MAX_BODY:
        raise Invalid(f"the message is {len(body):,} characters long; a message may hold at "
                      f"most {MAX_BODY:,}: split it into several")
    return body


def channel_incident(session: Session, actor: User, key: str) -> Incident:
    """The incident, or NotFound (the same answer for one the actor may not see)."""
    key = key if isinstance(key, str) else ""
    if "\x00" in key or len(key) > 300:
        raise NotFound(f"there is no incident '{key[:200]}'")
    incident = get_incident(session, key)
    if not can_read_channel(actor, session, incident):
        raise NotFound(f"there is no incident '{key}'")
    return incident


def live_duty_per_party(session: Session, incident: Incident) -> list[Duty]:
    """One live (not superseded) duty for each party that has any, by party."""
    duties = session.scalars(select(Duty).where(Duty.incident_id == incident.id,
                                                Duty.state != "superseded")
                             .order_by(Duty.party_id, Duty.id)).all()
    first: dict[str, Duty] = {}
    for duty in duties:
        first.setdefault(duty.party_id, duty)
    return list(first.values())


@operation
def post_message(session: Session, actor: User, incident_key: str, body, *,
                 now: datetime | None = None) -> ChannelMessage:
    """Post a message in an incident's channel, with its audit entry and its notifications.

    Coordinators and administrators post in any incident, a partner in one where its
    organisation has or had a duty; a cancelled incident takes messages too (a correction after
    cancelling). The message goes to every party with a live duty and to every coordinator,
    the author included (a copy of what was sent)."""
    if not _active(actor):
        raise NotAllowed("you must be signed in to post a message")
    incident = channel_incident(session, actor, incident_key)
    if not can_post(actor, session, incident):
        raise NotAllowed(f"only coordinators, administrators and the parties with a duty in "
                         f"the incident may post in its channel; you are "
                         f"{'an' if actor.role[:1] in 'aeiou' else 'a'} {actor.role}")
    body = _clean_body(body)
    at = moment(now)
    message = ChannelMessage(incident_id=incident.id, author_id=actor.id,
                             organisation_id=actor.organisation_id, body=body, posted_at=at)
    session.add(message)
    session.flush()
    author = author_label(session, actor)
    destinations = []
    for duty in live_duty_per_party(session, incident):
        destinations += duty_destinations(session, duty)
    destinations += coordinator_destinations(session)
    notifications = enqueue_incident(session, EVENT, incident, destinations, at,
                                     title=f"Message from {author}", body=body, author=author)
    record(session, actor, EVENT, message, at=at, incident=incident.key,
           characters=len(body), notifications=len(notifications))
    return message


def board_context(session: Session, user: User | None, incident: Incident) -> dict:
    """What dissemination/channel.html expects: nothing for someone who may not read it."""
    if not can_read_channel(user, session, incident):
        return {"channel_messages": [], "can_post": False, "incident": incident}
    return {"channel_messages": channel_messages(session, incident),
            "can_post": can_post(user, session, incident), "incident": incident}
