"""Time zones of users and organisations: which zone someone sees times in, and changing them.

A user's own zone (user_account.time_zone) comes first, then the organisation's
(organisation.time_zone), then UTC. Zones are IANA names as zoneinfo knows them (the `tzdata`
package provides the database where the system has none). A name stored earlier that the
zone database no longer knows counts as not set, never as an error on every page.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timezone, tzinfo

from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.models import Organisation, User

MAX_NAME = User.time_zone.property.columns[0].type.length  # 64
# The regions of the zone database whose zones a person would pick from a list (others, such
# as "US/Eastern" or "Etc/GMT+5", are still accepted when typed or set before).
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")
# Names of UTC itself: times in them are shown as UTC, with nothing beside.
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu",
                       "UCT", "Etc/UCT"})


@functools.cache
def available() -> frozenset[str]:
    """Every zone name zoneinfo can load here, and UTC even without a zone database."""
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


@functools.cache
def choices() -> tuple[str, ...]:
    """The zones offered in a list: UTC, then the regional zones by name."""
    return ("UTC",) + tuple(sorted(n for n in available() if n.split("/", 1)[0] in REGIONS
                                   and "/" in n))


def problem(name: str) -> str | None:
    """Why `name` is not a time zone (a sentence), or None when it is one."""
    example = "an IANA name such as Europe/Berlin or America/New_York"
    if not name:
        return f"Give a time zone: {example}."
    if len(name) > MAX_NAME or name not in available():
        shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"
        close = _close_to(name)
        return (f"“{shown}” is not a time zone: use {example}"
                + (f" (did you mean {close}?)" if close else "") + ".")
    return None


def _close_to(name: str) -> str | None:
    """A known zone differing only in case or in spaces for underscores ("europe/berlin")."""
    wanted = name.strip().replace(" ", "_").lower()
    for known in available():
        if known.lower() == wanted:
            return known
    return None


def zone(name: str | None) -> tzinfo:
    """The zone of a name, UTC for None or a name no longer known."""
    if not name or name in UTC_NAMES or name not in available():
        return timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return timezone.utc


def known(name: str | None) -> str | None:
    """The name if it is a zone zoneinfo knows, else None."""
    return name if name and name in available() else None


def zone_name_of(user: User | None) -> str:
    """The zone `user` sees times in: theirs, else their organisation's, else UTC."""
    if user is None:
        return "UTC"
    organisation = user.organisation
    return (known(user.time_zone)
            or known(organisation.time_zone if organisation is not None else None) or "UTC")


def organisation_zone_name(user: User | None) -> str:
    """What "Use my organisation's" stands for: the organisation's zone, else UTC."""
    organisation = user.organisation if user is not None else None
    return known(organisation.time_zone if organisation is not None else None) or "UTC"


def _checked(time_zone: str | None) -> str | None:
    """The name to store: None for "not set" (empty), else a known zone; Invalid otherwise."""
    time_zone = (time_zone or "").strip()
    if not time_zone:
        return None
    if (why := problem(time_zone)) is not None:
        raise Invalid(why, [why])
    return time_zone


@operation
def set_user_time_zone(session: Session, actor: User, time_zone: str | None, *,
                       user_id: int | None = None, now: datetime | None = None) -> User:
    """Set the zone a user sees times in (None or "": their organisation's). Users set their
    own; an administrator may set anyone's."""
    if actor is None or not actor.active:
        raise NotAllowed("you must be signed in to choose a time zone")
    at = moment(now)
    user = actor
    if user_id is not None and user_id != actor.id:
        require_role(actor, "admin", doing="choose other users' time zones")
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id}")
    chosen = _checked(time_zone)
    if chosen != user.time_zone:
        before = user.time_zone
        user.time_zone = chosen
        record(session, actor, "user.time_zone", user, at=at, before=before, after=chosen)
    return user


@operation
def set_organisation_time_zone(session: Session, actor: User, org_id: str,
                               time_zone: str | None, *,
                               now: datetime | None = None) -> Organisation:
    """Set the zone an organisation's users see times in unless they chose their own (None or
    "": UTC). Administrators only."""
    require_role(actor, "admin", doing="set an organisation's time zone")
    at = moment(now)
    organisation = session.get(Organisation, org_id) if org_id else None
    if organisation is None:
        raise NotFound(f"there is no organisation '{org_id}'")
    chosen = _checked(time_zone)
    if chosen != organisation.time_zone:
        before = organisation.time_zone
        organisation.time_zone = chosen
        record(session, actor, "organisation.time_zone", ("organisation", org_id), at=at,
               before=before, after=chosen)
    return organisation
