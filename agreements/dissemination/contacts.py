"""Contact points, an organisation's notification settings and a user's e-mail opt-out."""

from __future__ import annotations

import os
import re
import zoneinfo
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import managed_organisation, require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.dissemination import dispatcher, webhooks
from agreements.dissemination.models import (CONTACT_KINDS, ContactPoint, NotificationPreference,
                                             OrganisationSettings)
from agreements.dissemination.outbox import settings_of
from agreements.errors import Conflict, Invalid, NotAllowed, NotFound
from agreements.models import Organisation, User

MAX_EMAIL = 254
MAX_ADDRESS = ContactPoint.address.property.columns[0].type.length  # 2000
MAX_LABEL = ContactPoint.label.property.columns[0].type.length  # 200
MAX_TIME_ZONE = OrganisationSettings.time_zone.property.columns[0].type.length  # 64
LEAD_RANGE = (1, 10080)  # a reminder at most a week before the due time
WAIT_RANGE = (1, 1440)  # the next wave at most a day after the first delivery
_NOT_IN_EMAIL = re.compile(r"[\s,;<>]")


# ---------------------------------------------------------------- who may

def _may_manage(session: Session, actor: User | None, org_id: str, doing: str) -> Organisation:
    return managed_organisation(session, actor, org_id, what="contact points and settings", doing=doing)


def _point(session: Session, actor: User | None, point_id: int, doing: str, *,
           removed: bool = False) -> ContactPoint:
    """A contact point (not removed, unless `removed`), if the actor may manage its
    organisation's."""
    require_role(actor, "admin", "partner", doing=doing)
    point = session.get(ContactPoint, point_id)
    if point is None:
        raise NotFound(f"there is no contact point {point_id}")
    _may_manage(session, actor, point.organisation_id, doing)
    if point.removed_at is not None and not removed:
        raise Conflict(f"the contact point {point.address} was removed; nothing was changed")
    return point


# ---------------------------------------------------------------- checking addresses

def check_email(address: str) -> str | None:
    """None if `address` is one e-mail address, else a sentence saying why not."""
    if not address:
        return "give an e-mail address such as duty-desk@agency.example"
    if len(address) > MAX_EMAIL:
        return f"an e-mail address has at most {MAX_EMAIL} characters; this one has {len(address)}"
    local, _, domain = address.partition("@")
    if address.count("@") != 1 or not local or not domain or _NOT_IN_EMAIL.search(address):
        return (f"{address!r} is not one e-mail address; give a single address such as "
                f"duty-desk@agency.example, without spaces or commas")
    return None


def check_webhook(address: str) -> str | None:
    """None if a webhook may be sent to `address` in this deployment, else why not."""
    if not address:
        return "give the webhook's URL, such as https://hooks.agency.example/compact"
    if len(address) > MAX_ADDRESS:
        return f"a webhook URL has at most {MAX_ADDRESS} characters; this one has {len(address)}"
    if re.search(r"\s", address):
        return "a webhook URL has no spaces or line breaks"
    try:
        allow = webhooks.allowed_networks(os.environ.get("COMPACT_WEBHOOK_ALLOW"))
    except ValueError as exc:  # the deployment's setting is wrong: say so, do not fail
        return str(exc)
    return webhooks.check_url(address, allow)


def check_time_zone(name: str) -> str | None:
    if not name:
        return "give a time zone: an IANA name such as Europe/Vilnius"
    refusal = f"{name!r} is not a time zone; use an IANA name such as Europe/Vilnius"
    if len(name) > MAX_TIME_ZONE:
        return refusal
    if name == "UTC":
        return None  # known even where the system has no zone database
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return refusal
    return None


# ---------------------------------------------------------------- contact points

@operation
def add_contact_point(session: Session, actor: User, org_id: str, *, kind: str, address: str,
                      label: str = "", now: datetime | None = None
                      ) -> tuple[ContactPoint, str | None]:
    """A new contact point and, for a webhook, its signing secret (to be shown once)."""
    org = _may_manage(session, actor, org_id, "manage contact points")
    at = moment(now)
    address, label = (address or "").strip(), (label or "").strip()
    if kind not in CONTACT_KINDS:
        raise Invalid(f"a contact point is an e-mail address or a webhook, not {kind!r}")
    problem = check_email(address) if kind == "email" else check_webhook(address)
    if problem:
        raise Invalid(problem)
    if len(label) > MAX_LABEL:
        raise Invalid(f"a label has at most {MAX_LABEL} characters; this one has {len(label)}")
    existing = session.scalars(select(ContactPoint).where(
        ContactPoint.organisation_id == org.id, ContactPoint.kind == kind,
        ContactPoint.removed_at.is_(None))).all()
    same = (lambda a: a.lower() == address.lower()) if kind == "email" else (
        lambda a: a == address)
    if any(same(p.address) for p in existing):
        raise Conflict(f"{org.name} already has the {_kind_word(kind)} {address}")
    secret = webhooks.new_secret() if kind == "webhook" else None
    point = ContactPoint(organisation_id=org.id, kind=kind, address=address, secret=secret,
                         label=label, paused=False, created_at=at, created_by_id=actor.id)
    session.add(point)
    session.flush()
    record(session, actor, "contact_point.add", ("contact_point", point.id), at=at,
           organisation=org.id, kind=kind, address=address, label=label)
    return point, secret


@operation
def set_paused(session: Session, actor: User, point_id: int, paused: bool,
               now: datetime | None = None) -> ContactPoint:
    point = _point(session, actor, point_id, "pause or resume contact points")
    at = moment(now)
    if point.paused != bool(paused):
        point.paused = bool(paused)
        record(session, actor, "contact_point.pause" if paused else "contact_point.resume",
               ("contact_point", point.id), at=at, organisation=point.organisation_id,
               address=point.address)
    return point


@operation
def remove_contact_point(session: Session, actor: User, point_id: int,
                         now: datetime | None = None) -> ContactPoint:
    """Mark the contact point removed; it is kept for the messages already sent through it.
    Removing it again changes nothing (a second click is not an error)."""
    point = _point(session, actor, point_id, "remove contact points", removed=True)
    if point.removed_at is not None:
        return point
    at = moment(now)
    point.removed_at = at
    record(session, actor, "contact_point.remove", ("contact_point", point.id), at=at,
           organisation=point.organisation_id, kind=point.kind, address=point.address)
    return point


@operation
def rotate_secret(session: Session, actor: User, point_id: int,
                  now: datetime | None = None) -> str:
    """A new signing secret for a webhook (the old one stops verifying at once)."""
    point = _point(session, actor, point_id, "rotate webhook secrets")
    at = moment(now)
    if point.kind != "webhook":
        raise Invalid(f"only a webhook has a signing secret; {point.address} is an e-mail "
                      f"address")
    point.secret = webhooks.new_secret()
    record(session, actor, "contact_point.rotate_secret", ("contact_point", point.id), at=at,
           organisation=point.organisation_id, address=point.address)
    return point.secret


# ---------------------------------------------------------------- settings and opt-out

@operation
def update_settings(session: Session, actor: User, org_id: str, *, time_zone: str,
                    reminder_lead_minutes: int | None, ack_wait_minutes: int,
                    now: datetime | None = None) -> OrganisationSettings:
    org = _may_manage(session, actor, org_id, "change an organisation's settings")
    at = moment(now)
    time_zone = (time_zone or "").strip()
    problems = []
    if (problem := check_time_zone(time_zone)) is not None:
        problems.append(problem)
    if reminder_lead_minutes is not None and not _within(reminder_lead_minutes, LEAD_RANGE):
        problems.append(f"the reminder lead time is {LEAD_RANGE[0]} to {LEAD_RANGE[1]} minutes "
                        f"(a week), or empty for a quarter of the time allowed, at least 10 "
                        f"minutes")
    if not _within(ack_wait_minutes, WAIT_RANGE):
        problems.append(f"the wait for an acknowledgement is {WAIT_RANGE[0]} to {WAIT_RANGE[1]} "
                        f"minutes (a day)")
    if problems:
        raise Invalid("; ".join(problems), problems)
    settings = session.get(OrganisationSettings, org.id)
    before = _settings_dict(settings_of(session, org.id))
    if settings is None:
        settings = OrganisationSettings(organisation_id=org.id)
        session.add(settings)
    settings.time_zone = time_zone
    settings.reminder_lead_minutes = reminder_lead_minutes
    settings.ack_wait_minutes = ack_wait_minutes
    settings.updated_at = at
    record(session, actor, "organisation.settings", ("organisation", org.id), at=at,
           before=before, after=_settings_dict(settings))
    return settings


@operation
def set_email_off(session: Session, actor: User, off: bool,
                  now: datetime | None = None) -> NotificationPreference:
    """The acting user's own choice not to receive their organisation's notifications by e-mail."""
    if actor is None or not actor.active:
        raise NotAllowed("you must be signed in to change your notifications")
    at = moment(now)
    preference = session.get(NotificationPreference, actor.id)
    if preference is None:
        preference = NotificationPreference(user_id=actor.id)
        session.add(preference)
    preference.email_off = bool(off)
    preference.updated_at = at
    record(session, actor, "user.notifications", actor, at=at, email_off=bool(off))
    return preference


def email_off(session: Session, user: User | None) -> bool:
    preference = session.get(NotificationPreference, user.id) if user is not None else None
    return bool(preference and preference.email_off)


# ---------------------------------------------------------------- reading

def falls_back(session: Session, org_id: str) -> bool:
    """Whether the agreement's `contact` is the organisation's e-mail contact point: it has
    none of its own that is not removed (as outbox.party_destinations decides)."""
    return session.scalar(select(ContactPoint.id).where(
        ContactPoint.organisation_id == org_id, ContactPoint.kind == "email",
        ContactPoint.removed_at.is_(None)).limit(1)) is None


def contact_overview(session: Session, org_id: str) -> list[dict]:
    """The organisation's contact points that are not removed, with their health."""
    points = session.scalars(select(ContactPoint).where(
        ContactPoint.organisation_id == org_id, ContactPoint.removed_at.is_(None))
        .order_by(ContactPoint.id)).all()
    fallback = not any(p.kind == "email" for p in points)
    return [{"id": p.id, "kind": p.kind, "address": p.address, "label": p.label,
             "paused": p.paused, "health": dispatcher.contact_point_health(session, p),
             "falls_back": fallback} for p in points]


def _within(value, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def _settings_dict(settings: OrganisationSettings) -> dict:
    return {"time_zone": settings.time_zone,
            "reminder_lead_minutes": settings.reminder_lead_minutes,
            "ack_wait_minutes": settings.ack_wait_minutes}


def _kind_word(kind: str) -> str:
    return "e-mail contact point" if kind == "email" else "webhook"
