"""The tables of the dissemination channel: contact points, the outbox, attempts, channel
messages, feed tokens and acknowledgement links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agreements.models import (AppendOnlyError, Base, Duty, Incident, Organisation, User,
                               UTCDateTime)

CONTACT_KINDS = ("email", "webhook")
NOTIFICATION_STATES = ("queued", "delivered", "failed")


class OrganisationSettings(Base):
    """How an organisation is to be reached: its time zone and how soon it is reminded."""

    __tablename__ = "organisation_settings"
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Minutes before the due time of a reminder; None: a quarter of the time allowed, >= 10.
    reminder_lead_minutes: Mapped[int | None] = mapped_column(Integer)
    # Minutes a `must` duty may stay open after its first delivery before the next wave.
    ack_wait_minutes: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()


class ContactPoint(Base):
    """Where an organisation hears of its duties: an e-mail address or a webhook endpoint."""

    __tablename__ = "contact_point"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # email or webhook
    address: Mapped[str] = mapped_column(String(2000))  # the e-mail address or the URL
    secret: Mapped[str | None] = mapped_column(String(200))  # a webhook's signing secret
    label: Mapped[str] = mapped_column(String(200), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()

    @property
    def active(self) -> bool:
        return self.removed_at is None and not self.paused


class NotificationPreference(Base):
    """A user's choice not to receive their organisation's notifications by e-mail."""

    __tablename__ = "notification_preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    email_off: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    """One message to one destination, in the outbox until delivered or failed for good."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "state", "next_attempt_at", "id"),
        Index("ix_notification_duty", "duty_id", "id"),
        UniqueConstraint("dedupe_key", "destination", name="uq_notification_dedupe"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    wave: Mapped[int] = mapped_column(Integer, default=1)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duty.id"))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    channel: Mapped[str] = mapped_column(String(10))  # email or webhook
    # How the address was found: contact point, agreement contact, user, coordinator.
    source: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(2000))
    destination: Mapped[str] = mapped_column(String(300))  # "email:a@b" / "cp:12": for dedupe
    # For events the dispatcher raises on a clock (reminders, waves): one per duty and wave.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(Text)

    duty: Mapped[Duty | None] = relationship()
    incident: Mapped[Incident | None] = relationship()
    contact_point: Mapped[ContactPoint | None] = relationship()
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="notification", order_by="DeliveryAttempt.id")

    @property
    def stable_id(self) -> str:
        """The id every copy of this message carries (Message-ID, webhook-id)."""
        return f"ntf-{self.id}"


class DeliveryAttempt(Base):
    """One try at delivering a notification: when, where, by which dispatcher, and the outcome."""

    __tablename__ = "delivery_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str] = mapped_column(String(2000))  # the address or URL tried, or the file
    delivered: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(Text)
    dispatcher: Mapped[str] = mapped_column(String(200))

    notification: Mapped[Notification] = relationship(back_populates="attempt_log")


class ChannelMessage(Base):
    """One message of an incident's channel; never edited or deleted (a correction is new)."""

    __tablename__ = "channel_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    body: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship()
    incident: Mapped[Incident] = relationship()


class FeedToken(Base):
    """A read-only token for an organisation's Atom feed; only its digest is kept."""

    __tablename__ = "feed_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AckLink(Base):
    """An acknowledge link sent in one message: bound to one duty and one destination,
    single-use, expiring with the duty. The link carries a random token; only its digest is
    kept, and the link is signed with the server's key so that a forged one is refused unread."""

    __tablename__ = "ack_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty.id"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    destination: Mapped[str] = mapped_column(String(2000))  # the address it was sent to
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    duty: Mapped[Duty] = relationship()


@event.listens_for(ChannelMessage, "before_update")
@event.listens_for(ChannelMessage, "before_delete")
@event.listens_for(DeliveryAttempt, "before_update")
@event.listens_for(DeliveryAttempt, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AppendOnlyError(f"a {type(target).__name__} is never changed or deleted")
