"""How each party was reached, per duty, and a cheap version of an incident board so that an
open board can tell, without reloading, that something changed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agreements.dissemination.models import ChannelMessage, DeliveryAttempt, Notification
from agreements.models import Duty, DutyEvent, Incident


@dataclass(frozen=True)
class Reach:
    """The latest message about one duty to one destination, and what became of it."""

    event: str
    wave: int
    channel: str
    address: str
    source: str
    state: str  # queued, delivered, failed
    attempts: int
    delivered_at: datetime | None
    next_try: datetime | None
    outcome: str | None

    @property
    def words(self) -> str:
        if self.state == "delivered":
            return f"delivered {self.delivered_at:%Y-%m-%d %H:%M} UTC"
        if self.state == "failed":
            return f"failed: {self.outcome}"
        if self.attempts:
            return f"not yet delivered ({self.outcome}); next try {self.next_try:%H:%M} UTC"
        return "queued"


def reach_of(session: Session, duty_ids) -> dict[int, list[Reach]]:
    """Per duty, the latest notification to each destination (oldest destination first)."""
    duty_ids = list(duty_ids)
    if not duty_ids:
        return {}
    # The columns a Reach needs, not whole notifications (their bodies and payload): a board
    # of 500 duties reads this on every refresh.
    rows = session.execute(
        select(Notification.duty_id, Notification.destination, Notification.event,
               Notification.wave, Notification.channel, Notification.address,
               Notification.source, Notification.state, Notification.attempts,
               Notification.delivered_at, Notification.next_attempt_at,
               Notification.last_outcome)
        .where(Notification.duty_id.in_(duty_ids)).order_by(Notification.id))
    latest: dict[int, dict[str, Reach]] = {}
    for duty_id, destination, *fields in rows:
        latest.setdefault(duty_id, {})[destination] = Reach(*fields)  # later replace earlier
    return {duty_id: list(by_destination.values())
            for duty_id, by_destination in latest.items()}


def board_version(session: Session, incident: Incident) -> str:
    """Changes whenever a duty of the incident changes state, a message about it is delivered
    or fails, or its channel gets a message; a few indexed aggregates, no rows read."""
    duty_ids = select(Duty.id).where(Duty.incident_id == incident.id).scalar_subquery()
    events = session.execute(select(func.count(DutyEvent.id), func.max(DutyEvent.id))
                             .where(DutyEvent.duty_id.in_(duty_ids))).one()
    attempts = session.execute(
        select(func.count(DeliveryAttempt.id), func.max(DeliveryAttempt.id))
        .join(Notification, Notification.id == DeliveryAttempt.notification_id)
        .where(Notification.incident_id == incident.id)).one()
    queued = session.scalar(select(func.max(Notification.id))
                            .where(Notification.incident_id == incident.id))
    said = session.scalar(select(func.max(ChannelMessage.id))
                          .where(ChannelMessage.incident_id == incident.id))
    text = f"{incident.id}:{incident.updated_at}:{incident.state}:{tuple(events)}:" \
           f"{tuple(attempts)}:{queued}:{said}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def gaps(session: Session, party_ids, reach: dict[int, list[Reach]], duties_by_party: dict
         ) -> dict[str, list[str]]:
    """What keeps a party from being reached, for coordinators: paused or failing contact
    points, and parties that nothing was sent to at all (a gap, not a detail)."""
    from agreements.dissemination.dispatcher import contact_point_health
    from agreements.dissemination.models import ContactPoint
    out: dict[str, list[str]] = {}
    points = session.scalars(select(ContactPoint).where(
        ContactPoint.organisation_id.in_(list(party_ids)), ContactPoint.removed_at.is_(None))
        .order_by(ContactPoint.id)).all()
    for point in points:
        health = contact_point_health(session, point)
        if health != "ok":
            out.setdefault(point.organisation_id, []).append(
                f"{point.kind} contact point {point.address} is {health}")
    for party, duties in duties_by_party.items():
        if not any(reach.get(d.id) for d in duties):
            out.setdefault(party, []).append(
                "nothing was sent: it has no active contact point, no contact in the agreement "
                "and no partner user receiving e-mail")
        elif all(r.state == "failed" for d in duties for r in reach.get(d.id, [])):
            out.setdefault(party, []).append("every message to it failed")
    return out
