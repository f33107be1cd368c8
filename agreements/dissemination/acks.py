"""Acknowledging a duty from the link in a message: signed, bound to one duty and one
destination, single-use, expiring with the duty; recorded with the destination as its origin."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agreements.audit import operation, record
from agreements.clock import moment
from agreements.dissemination.models import AckLink
from agreements.duties import effective_state
from agreements.errors import Conflict, NotFound
from agreements.incidents import _change_state, lock_incident
from agreements.keys import verify

INVALID = ("This acknowledge link is not valid. Open the duty from the message's other link, "
           "or sign in to acknowledge it.")


def find_link(session: Session, text: str) -> AckLink:
    """The link a URL's last part names, if its signature is ours; NotFound otherwise."""
    token, _, signature = (text or "").rpartition(".")
    if not token or len(text) > 200 or not verify("ack", token, signature):
        raise NotFound(INVALID)
    link = session.scalar(select(AckLink).where(
        AckLink.digest == hashlib.sha256(token.encode()).hexdigest()))
    if link is None:
        raise NotFound(INVALID)
    return link


def why_not_usable(link: AckLink, at: datetime) -> str | None:
    """Why this link cannot acknowledge its duty now, or None."""
    if link.used_at is not None:
        return (f"This link was already used, on {link.used_at:%Y-%m-%d %H:%M} UTC; a link "
                f"acknowledges once.")
    if at >= link.expires_at:
        return f"This link expired on {link.expires_at:%Y-%m-%d %H:%M} UTC."
    state = effective_state(link.duty, at)
    if state != "open":
        return f"This duty is {state}; only an open duty can be acknowledged."
    return None


@operation
def acknowledge_by_link(session: Session, text: str, *, now: datetime | None = None) -> AckLink:
    at = moment(now)
    link = find_link(session, text)
    lock_incident(session, link.duty.incident_id)  # re-reads the duty as committed now
    session.refresh(link)
    problem = why_not_usable(link, at)
    if problem:
        raise Conflict(problem)
    used = session.execute(update(AckLink).where(AckLink.id == link.id, AckLink.used_at.is_(None))
                           .values(used_at=at))
    if used.rowcount != 1:
        raise Conflict("This link was already used; a link acknowledges once.")
    duty = link.duty
    origin = f"acknowledged from the link sent to {link.destination}"
    _change_state(session, duty, "acknowledged", None, at, origin)
    session.flush()
    record(session, None, "duty.acknowledge", duty, at=at, agreement=duty.agreement_slug,
           revision_hash=duty.content_hash, incident=duty.incident.key, clause=duty.clause,
           party=duty.party_id, origin=f"link sent to {link.destination}")
    session.refresh(link)
    return link
