"""The dispatcher: claims due notifications, delivers them, keeps every attempt, retries with
backoff, and raises the events that come with the clock (reminders, waves, breaches).

Claims: one short transaction selects due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, under
SQLite's write lock there) and gives them a lease, so that several dispatchers on several hosts
never hold the same row. Each notification is then sent and its outcome committed on its own:
a dispatcher killed mid-batch loses nothing; what it held is claimed again when the lease runs
out and sent with the same stable id (at least once, duplicates recognisable).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from agreements.clock import utcnow
from agreements.db import instance_path, lock_for_write
from agreements.dissemination import clock_events
from agreements.dissemination.mail import send_email
from agreements.dissemination.message import Attempt, Outgoing
from agreements.dissemination.models import ContactPoint, DeliveryAttempt, Notification
from agreements.dissemination.webhooks import allowed_networks, send_webhook

log = logging.getLogger("compact.dispatcher")
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Config:
    smtp_url: str | None = None
    mail_from: str = "compact@localhost"
    folder: Path = field(default_factory=lambda: instance_path() / "outbox")
    webhook_allow: tuple = ()
    webhook_timeout: float = 10.0
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @classmethod
    def from_env(cls) -> "Config":
        """COMPACT_SMTP_URL, COMPACT_MAIL_FROM, COMPACT_WEBHOOK_ALLOW (ValueError if bad)."""
        return cls(smtp_url=os.environ.get("COMPACT_SMTP_URL") or None,
                   mail_from=os.environ.get("COMPACT_MAIL_FROM", "compact@localhost"),
                   webhook_allow=allowed_networks(os.environ.get("COMPACT_WEBHOOK_ALLOW")))


def backoff(attempts: int) -> timedelta:
    """About 1, 2, 4, ... minutes after each failed attempt, capped at 1 hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def claim(session: Session, config: Config, now: datetime, limit: int = 50) -> list[int]:
    """Lease up to `limit` due notifications to this dispatcher; their ids."""
    lock_for_write(session)
    query = (select(Notification.id)
             .where(Notification.state == "queued", Notification.next_attempt_at <= now,
                    or_(Notification.lease_until.is_(None), Notification.lease_until < now))
             .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query).all())
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids))
                        .values(lease_until=now + LEASE, claimed_by=config.name))
    session.commit()
    return ids


def outgoing(n: Notification) -> Outgoing:
    payload = {"id": n.stable_id, **n.payload}
    return Outgoing(id=n.stable_id, event=n.event, subject=n.subject, text=n.body_text,
                    html=n.body_html, payload=payload, created_at=n.created_at)


def send(n: Notification, config: Config) -> Attempt:
    out = outgoing(n)
    if n.channel == "webhook":
        point = n.contact_point
        return send_webhook(out, n.address, point.secret if point else "",
                            allow=config.webhook_allow, timeout=config.webhook_timeout)
    return send_email(out, n.address, smtp_url=config.smtp_url, mail_from=config.mail_from,
                      folder=config.folder)


def deliver(session: Session, notification_id: int, config: Config, now=utcnow) -> str | None:
    """Send one claimed notification and record the attempt; its new state (None if it was
    no longer ours: another dispatcher's lease, or already done)."""
    n = session.get(Notification, notification_id, populate_existing=True)
    if n is None or n.state != "queued" or n.claimed_by != config.name:
        session.rollback()
        return None
    # Renew the lease before sending, and only while it is still ours and running: a
    # dispatcher whose lease ran out (a slow batch) leaves the row to whoever claims it next.
    renewed = session.execute(update(Notification).where(
        Notification.id == n.id, Notification.claimed_by == config.name,
        Notification.lease_until > now()).values(lease_until=now() + LEASE))
    if renewed.rowcount != 1:
        session.rollback()
        return None
    point = n.contact_point
    if point is not None and (point.paused or point.removed_at is not None):
        attempt = Attempt(False, "the contact point is paused" if point.paused
                          else "the contact point was removed", permanent=point.removed_at is not None,
                          where=n.address)
    else:
        session.commit()  # hold no transaction while the network is slow
        attempt = send(n, config)
    at = now()
    session.add(DeliveryAttempt(notification_id=n.id, at=at, address=attempt.where or n.address,
                                delivered=attempt.delivered, outcome=attempt.outcome[:2000],
                                dispatcher=config.name))
    values = {"attempts": Notification.attempts + 1, "last_outcome": attempt.outcome[:2000],
              "lease_until": None, "claimed_by": None}
    if attempt.delivered:
        values.update(state="delivered", delivered_at=at)
    elif attempt.permanent or at + backoff(n.attempts + 1) > n.created_at + GIVE_UP_AFTER:
        values.update(state="failed")
    else:
        values.update(next_attempt_at=at + backoff(n.attempts + 1))
    # Only while the lease is still ours: a dispatcher that overran it leaves the row alone.
    session.execute(update(Notification).where(Notification.id == n.id,
                                               Notification.claimed_by == config.name)
                    .values(**values))
    session.commit()
    return values.get("state", "queued")


def dispatch_once(factory: sessionmaker, config: Config | None = None, *, now=utcnow,
                  limit: int = 50, clock: bool = True) -> dict:
    """Raise the clock's events, then deliver everything due, batch by batch; counts."""
    config = config or Config.from_env()
    counts = {"raised": 0, "delivered": 0, "retrying": 0, "failed": 0}
    with factory() as session:
        if clock:
            counts["raised"] = clock_events.raise_due(session, now())
        while True:
            ids = claim(session, config, now(), limit)
            for nid in ids:
                state = deliver(session, nid, config, now)
                if state == "delivered":
                    counts["delivered"] += 1
                elif state == "failed":
                    counts["failed"] += 1
                elif state == "queued":
                    counts["retrying"] += 1
            if len(ids) < limit:
                return counts


def run(factory: sessionmaker, config: Config | None = None, *, interval: float = 5.0,
        stop: threading.Event | None = None) -> None:
    """Dispatch every `interval` seconds until `stop` is set (a fault is logged, never fatal)."""
    config = config or Config.from_env()
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            dispatch_once(factory, config)
        except Exception:  # the database away, a bug in one message: keep going
            log.exception("the dispatcher's round failed; it tries again in %s s", interval)
        stop.wait(interval)


def start_background(factory: sessionmaker, config: Config | None = None,
                     interval: float = 5.0) -> threading.Event:
    """A dispatcher in a daemon thread (for `compact serve`); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(factory, config), name="compact-dispatcher",
                              kwargs={"interval": interval, "stop": stop}, daemon=True)
    thread.start()
    return stop


def contact_point_health(session: Session, point: ContactPoint) -> str:
    """'paused', 'failing: <last outcome>' or 'ok', from the last attempts through it."""
    if point.paused:
        return "paused"
    last = session.execute(select(DeliveryAttempt.delivered, DeliveryAttempt.outcome)
                           .join(Notification, Notification.id == DeliveryAttempt.notification_id)
                           .where(Notification.contact_point_id == point.id)
                           .order_by(DeliveryAttempt.id.desc()).limit(1)).first()
    if last is not None and not last.delivered:
        return f"failing: {last.outcome}"
    return "ok"
