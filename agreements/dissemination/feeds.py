"""Organisations' Atom feeds: read-only feed tokens (shown once, digest kept) and the entries."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from agreements.access import managed_organisation, require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.dissemination.models import ChannelMessage, FeedToken
from agreements.dissemination.render import MODAL_WORDS
from agreements.errors import Conflict, Invalid, NotFound
from agreements.models import Duty, DutyEvent, Organisation, User, UTCDateTime

TOKEN_PREFIX = "cft_"
MAX_LABEL = FeedToken.label.property.columns[0].type.length  # 200
MAX_ENTRIES = 200
TAG = "tag:compact,2026:"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _may_manage(session: Session, actor: User | None, org_id: str, doing: str) -> Organisation:
    return managed_organisation(session, actor, org_id, what="feed tokens", doing=doing)


@operation
def create_feed_token(session: Session, actor: User, org_id: str, label: str = "",
                      now: datetime | None = None) -> tuple[FeedToken, str]:
    """A new feed token for the organisation: (record, the token). The token itself is
    returned once and never stored, nor written to the audit log."""
    org = _may_manage(session, actor, org_id, "create feed tokens")
    at = moment(now)
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise Invalid(f"a feed token's label has at most {MAX_LABEL} characters; this one has "
                      f"{len(label)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed_token = FeedToken(organisation_id=org.id, digest=_digest(token), label=label,
                           created_at=at, created_by_id=actor.id)
    session.add(feed_token)
    session.flush()
    record(session, actor, "feed_token.create", feed_token, at=at, organisation=org.id,
           label=label)
    return feed_token, token


@operation
def revoke_feed_token(session: Session, actor: User, token_id: int,
                      now: datetime | None = None) -> FeedToken:
    """Revoke a feed token: from now on its feed answers 404. Revoking twice is a Conflict."""
    require_role(actor, "admin", "partner", doing="revoke feed tokens")
    feed_token = session.get(FeedToken, token_id)
    if feed_token is None or (actor.role == "partner"
                              and feed_token.organisation_id != actor.organisation_id):
        raise NotFound(f"there is no feed token {token_id}")
    _may_manage(session, actor, feed_token.organisation_id, "revoke feed tokens")
    if feed_token.revoked_at is not None:
        raise Conflict(f"the feed token {feed_token.label or feed_token.id} was already revoked")
    at = moment(now)
    feed_token.revoked_at = at
    record(session, actor, "feed_token.revoke", feed_token, at=at,
           organisation=feed_token.organisation_id, label=feed_token.label)
    return feed_token


def feed_tokens(session: Session, org_id: str) -> list[FeedToken]:
    """The organisation's feed tokens, newest first (revoked ones too)."""
    return list(session.scalars(select(FeedToken).where(FeedToken.organisation_id == org_id)
                                .order_by(FeedToken.created_at.desc(), FeedToken.id.desc())))


def org_for_feed_token(session: Session, token: str | None) -> str | None:
    """The organisation a feed token reads, or None for an unknown or revoked one."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = session.scalar(select(FeedToken).where(FeedToken.digest == _digest(token)))
    if found is None or found.revoked_at is not None:
        return None
    return found.organisation_id


@dataclass(frozen=True)
class Entry:
    id: str  # a tag URI, the same on every fetch
    title: str
    updated: datetime
    summary: str
    link: str  # a path on the server, such as /duties/12


def _utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _live(org_id: str):
    """The conditions of an organisation's live duties: not superseded, not of a past incident."""
    return (Duty.party_id == org_id, Duty.state != "superseded", Duty.past.is_(False))


def duty_title(duty: Duty) -> str:
    modal = MODAL_WORDS.get(duty.modality, duty.modality.upper())
    head = f"{modal} by {_utc(duty.due)}" if duty.due else modal
    title = f"{head}: {duty.action} (incident {duty.incident.key})"
    return f"[EXERCISE] {title}" if duty.exercise else title


def _duty_summary(duty: Duty) -> str:
    lines = [f"State: {duty.state}",
             f"Due: {_utc(duty.due)}" if duty.due else "Due: no due time",
             f"Agreement: {duty.agreement_slug}, clause {duty.clause} \"{duty.title}\"",
             f"Incident: {duty.incident.key} ({duty.incident.type})"]
    if duty.because:
        lines += ["Why:"] + [f"  - {line}" for line in duty.because]
    return "\n".join(lines)


def feed_entries(session: Session, org_id: str, now: datetime) -> list[Entry]:
    """The organisation's live duties and the channel messages of the incidents in which it has
    one, as they stood at `now` (nothing recorded later), newest first, at most 200."""
    now = moment(now)
    last_event = (select(DutyEvent.duty_id, func.max(DutyEvent.at).label("at"))
                  .where(DutyEvent.at <= now).group_by(DutyEvent.duty_id).subquery())
    updated = type_coerce(func.coalesce(last_event.c.at, Duty.created_at), UTCDateTime())
    rows = session.execute(
        select(Duty, updated.label("updated"))
        .outerjoin(last_event, last_event.c.duty_id == Duty.id)
        .where(*_live(org_id), Duty.created_at <= now)
        .order_by(updated.desc(), Duty.id.desc()).limit(MAX_ENTRIES)
        .options(selectinload(Duty.incident))).all()
    entries = [Entry(id=f"{TAG}duty-{duty.id}", title=duty_title(duty),
                     updated=_aware(when), summary=_duty_summary(duty),
                     link=f"/duties/{duty.id}") for duty, when in rows]
    messages = session.scalars(
        select(ChannelMessage)
        .where(ChannelMessage.incident_id.in_(select(Duty.incident_id).where(*_live(org_id))),
               ChannelMessage.posted_at <= now)
        .order_by(ChannelMessage.posted_at.desc(), ChannelMessage.id.desc())
        .limit(MAX_ENTRIES)
        .options(selectinload(ChannelMessage.author), selectinload(ChannelMessage.incident)))
    for message in messages:
        key = message.incident.key
        entries.append(Entry(
            id=f"{TAG}channel-{message.id}",
            title=f"Message in incident {key} from {message.author.name}",
            updated=message.posted_at, summary=message.body,
            link=f"/incidents/{quote(key, safe='/:@')}#message-{message.id}"))
    entries.sort(key=lambda e: e.updated, reverse=True)  # stable: ties keep the query order
    return entries[:MAX_ENTRIES]


def _aware(value) -> datetime:
    """A time from the coalesced column: aware UTC whatever the driver gave back."""
    if isinstance(value, str):  # SQLite's max() may come back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None \
        else value.astimezone(timezone.utc)


def atom_feed(entries: list[Entry], *, org_name: str, feed_url: str, base_url: str,
              now: datetime | None = None) -> bytes:
    """The Atom document of the entries (newest first); `feed_url` is its own address (without
    the token, which would otherwise be copied wherever the feed goes)."""
    from feedgen.feed import FeedGenerator

    base_url = base_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(f"Compact: duties and incident messages for {org_name}")
    feed.author({"name": "Compact"})
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=base_url + "/", rel="alternate")
    feed.updated(max((e.updated for e in entries), default=None) or moment(now))
    for entry in entries:
        item = feed.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.updated(entry.updated)
        item.summary(entry.summary, type="text")
        item.link(href=base_url + entry.link, rel="alternate")
    return feed.atom_str(pretty=True)
