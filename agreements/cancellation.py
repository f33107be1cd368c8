"""Cancelling an incident by hand: every duty it gave is superseded, nothing is deleted.

The cancel locks the incident first (agreements.incidents.lock_incident), so it supersedes the
duties as they are once every acknowledgement, fulfilment, update or breach check of the
incident that started before it has committed; those that come after it find the incident
cancelled and its duties superseded (409).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Conflict, Invalid
from agreements.incidents import cancel_duties, get_incident, lock_incident
from agreements.models import Incident, User


@operation
def cancel_incident(session: Session, actor: User, key: str, *, reason: str,
                    now: datetime | None = None) -> Incident:
    """A coordinator calls an incident off (a false alarm, a duplicate, an exercise ended early):
    its duties that are not yet superseded are superseded with the reason, and it is cancelled.

    This is the hand-made counterpart of a CAP `Cancel`, for incidents received as JSON or for
    an alert whose Cancel never came; the messages received stay as they were.
    """
    require_role(actor, "coordinator", "admin", doing="cancel an incident")
    at = moment(now)
    incident = get_incident(session, key)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("to cancel an incident, give the reason")
    incident = lock_incident(session, incident.id)  # from here on: what is committed now
    if incident.state == "cancelled":
        raise Conflict(f"incident '{key}' was already cancelled on "
                       f"{incident.updated_at:%Y-%m-%d %H:%M} UTC")
    superseded = cancel_duties(session, incident, actor, at,
                               f"the incident was cancelled: {reason}")
    record(session, actor, "incident.cancel", incident, at=at, incident=incident.key,
           reason=reason, superseded=superseded, by="hand")
    return incident
