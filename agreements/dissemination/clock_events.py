"""What the clock raises on its own: breaches, reminders before a due time, and the waves
that follow a `must` duty nobody has acknowledged (dissemination.md, "What is sent")."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agreements.dissemination.models import Notification
from agreements.dissemination.outbox import (coordinator_destinations, duty_destinations,
                                             enqueue_duty, settings_of)
from agreements.models import Duty, Incident

MIN_LEAD = timedelta(minutes=10)


def reminder_lead(duty: Duty, lead_minutes: int | None) -> timedelta:
    """The organisation's lead time, else a quarter of the time allowed, at least 10 minutes."""
    if lead_minutes is not None:
        return timedelta(minutes=lead_minutes)
    allowed = (duty.due - duty.created_at) if duty.due else timedelta(0)
    return max(MIN_LEAD, allowed / 4)


def _already(session: Session, key: str) -> bool:
    return session.scalar(select(exists().where(Notification.dedupe_key == key)))


def _once(session: Session, key: str, enqueue) -> int:
    """Write one clock event's notifications unless another dispatcher already did."""
    if _already(session, key):
        return 0
    try:
        with session.begin_nested():
            written = len(enqueue())
    except IntegrityError:  # a dispatcher elsewhere raised it at the same moment
        return 0
    return written


def raise_due(session: Session, now: datetime) -> int:
    """Record breaches, then write the reminders and waves that are due; how many messages."""
    from agreements.incidents import check_breaches
    check_breaches(session, None, now=now)
    live = select(Duty).join(Incident).where(
        Incident.state == "active", Duty.past.is_(False), Duty.modality == "must")
    written = 0
    for duty in session.scalars(live.where(Duty.state.in_(("open", "acknowledged")),
                                           Duty.due.is_not(None), Duty.due > now)).all():
        settings = settings_of(session, duty.party_id)
        if now >= duty.due - reminder_lead(duty, settings.reminder_lead_minutes):
            written += _once(session, f"due_soon:{duty.id}", lambda d=duty: enqueue_duty(
                session, "duty.due_soon", d, duty_destinations(session, d), now,
                dedupe_key=f"due_soon:{d.id}"))
    coordinators = None
    for duty in session.scalars(live.where(Duty.state == "open")).all():
        first = session.scalar(select(Notification.delivered_at).where(
            Notification.duty_id == duty.id, Notification.wave == 1,
            Notification.event.in_(("duty.given", "duty.changed")),
            Notification.delivered_at.is_not(None)).order_by(Notification.delivered_at).limit(1))
        if first is None:
            continue
        wait = timedelta(minutes=settings_of(session, duty.party_id).ack_wait_minutes)
        if now >= first + wait:
            written += _once(session, f"unacked:2:{duty.id}", lambda d=duty: enqueue_duty(
                session, "duty.not_acknowledged", d, duty_destinations(session, d), now, wave=2,
                dedupe_key=f"unacked:2:{d.id}"))
        if now >= first + 2 * wait:
            if coordinators is None:
                coordinators = coordinator_destinations(session)
            written += _once(session, f"unacked:3:{duty.id}", lambda d=duty: enqueue_duty(
                session, "duty.not_acknowledged", d, coordinators, now, wave=3,
                dedupe_key=f"unacked:3:{d.id}"))
    session.commit()
    return written
