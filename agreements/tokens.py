"""API tokens: creating (with an optional expiry and a read-only scope), revoking, checking one
a request presents, and recording its last use without a write per request.

Last use is written at most once per LAST_USE_EVERY per token: a request whose token was
recorded as used less than that long ago writes nothing, so reads stay reads. The write is a
conditional UPDATE (`... WHERE last_used_at IS NULL OR last_used_at <= cutoff`), committed at
once, so workers that race each other store one time, and a busy database (another writer
holding the SQLite lock) skips the record rather than refuse the request. `last_used_at` is
therefore exact to within LAST_USE_EVERY: the account page says "about".
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.models import ApiToken, User

PREFIX = "cpt_"
LAST_USE_EVERY = timedelta(minutes=1)
MAX_DAYS = 3660  # ten years: a longer-lived secret is better without an expiry at all
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expiry_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def expiry_from_text(text: str | None, now: datetime | None = None) -> datetime | None:
    """An expiry as a person gives it: empty (never), a number of days from now, or a date
    (YYYY-MM-DD: the token works until that day begins, 00:00 UTC). Invalid with a sentence
    for anything else, a past or present moment, or more than MAX_DAYS ahead."""
    at = moment(now)
    text = (text or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        days = int(text[:6]) if len(text) <= 6 else MAX_DAYS + 1
        if not 1 <= days <= MAX_DAYS:
            raise _bad_expiry(f"a token expires after 1 to {MAX_DAYS} days; {text} days is not "
                              f"allowed")
        return at + timedelta(days=days)
    if not _DATE.match(text):
        raise _bad_expiry(f"give the expiry as a number of days (such as 90) or a date "
                          f"(YYYY-MM-DD), or leave it empty for a token that does not expire; "
                          f"'{text[:40]}' is neither")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _bad_expiry(f"{text} is not a date in the calendar") from None
    expires = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    if expires <= at:
        raise _bad_expiry(f"the expiry {text} is not in the future: choose a later day")
    if expires > at + timedelta(days=MAX_DAYS):
        raise _bad_expiry(f"the expiry {text} is more than {MAX_DAYS} days away")
    return expires


def _bad_expiry(message: str) -> Invalid:
    return Invalid(message, [f"expires: {message}"])


@operation
def create_token(session: Session, actor: User, name: str, *, for_user: int | None = None,
                 expires_at: datetime | None = None, read_only: bool = False,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token for the actor (or, by an admin, for another user): (record, the token).
    The token itself is returned once and never stored."""
    if actor is None or not actor.active:
        raise NotAllowed("you must be signed in to create an API token")
    at = moment(now)
    owner = actor
    if for_user is not None and for_user != actor.id:
        require_role(actor, "admin", doing="create API tokens for other users")
        owner = session.get(User, for_user)
        if owner is None:
            raise NotFound(f"there is no user {for_user}")
    name = (name or "").strip()
    if not name:
        raise Invalid("give the token a name that says what uses it, such as 'dispatch sync'")
    if expires_at is not None and moment(expires_at) <= at:
        raise _bad_expiry("the expiry is not in the future")
    token = PREFIX + secrets.token_urlsafe(32)
    record_ = ApiToken(user_id=owner.id, name=name[:100], token_hash=_token_digest(token),
                       created_at=at, read_only=bool(read_only),
                       expires_at=moment(expires_at) if expires_at is not None else None)
    session.add(record_)
    session.flush()
    record(session, actor, "token.create", record_, at=at, owner=owner.email, name=name,
           read_only=bool(read_only),
           expires_at=record_.expires_at.isoformat() if record_.expires_at else None)
    return record_, token


@operation
def revoke_token(session: Session, actor: User, token_id: int, *,
                 now: datetime | None = None) -> ApiToken:
    at = moment(now)
    token = session.get(ApiToken, token_id)
    if token is None or actor is None or (token.user_id != actor.id and actor.role != "admin"):
        raise NotFound(f"there is no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = at
        record(session, actor, "token.revoke", token, at=at, owner=token.user.email)
    return token


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token comes to: `token` (and its user) when it may be used; else
    `refused` says why in a sentence for the caller."""

    token: ApiToken | None
    refused: str | None = None

    @property
    def user(self) -> User | None:
        return self.token.user if self.token is not None else None


UNKNOWN = ("The API token is not valid: it is unknown, revoked, or its user is deactivated.")


def check_token(session: Session, token: str, now: datetime | None = None) -> TokenCheck:
    """The token a request presents, checked: unknown, revoked, expired or of a deactivated
    user is refused. A token that may be used has its last use recorded (see the module)."""
    at = moment(now)
    if not token or not token.startswith(PREFIX):
        return TokenCheck(None, UNKNOWN)
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if found is None or found.revoked_at is not None or not found.user.active:
        return TokenCheck(None, UNKNOWN)
    if found.expires_at is not None and found.expires_at <= at:
        return TokenCheck(None, f"This token expired on {expiry_text(found.expires_at)}: "
                                "create a new one on your account page.")
    note_use(session, found, at)
    return TokenCheck(found)


def note_use(session: Session, token: ApiToken, at: datetime) -> bool:
    """Record that the token was used at `at`, unless that was done less than LAST_USE_EVERY
    ago: True when this call wrote. Commits the session, so call it before other work."""
    cutoff = at - LAST_USE_EVERY
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return False
    try:
        result = session.execute(
            update(ApiToken).where(ApiToken.id == token.id,
                                   or_(ApiToken.last_used_at.is_(None),
                                       ApiToken.last_used_at <= cutoff))
            .values(last_used_at=at).execution_options(synchronize_session=False))
        session.commit()
    except OperationalError:
        session.rollback()  # the record is busy: this use goes unrecorded, the request goes on
        return False
    # As stored (no pending change to flush later); also when another worker wrote first.
    set_committed_value(token, "last_used_at", at)
    return result.rowcount == 1


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked or expired)."""
    return check_token(session, token, now).user
