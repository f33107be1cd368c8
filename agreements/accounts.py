"""A user's own account: signing in (with lockout), signing out everywhere, changing a password
and resetting a forgotten one through a single-use e-mailed link.

Lockout counts failed sign-ins in the database (login_failure), so every worker and host
shares them: ACCOUNT_LIMIT failures for one e-mail address within WINDOW lock that address
(known account or not, so a lock says nothing of which accounts exist) until fewer than
ACCOUNT_LIMIT failures remain in the window, at most LOCK after it began; ADDRESS_LIMIT failures
from one client address within WINDOW refuse that address the same way. Attempts refused by a
lock check no password and are not counted, so they neither extend the lock nor cost a hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import escape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.models import LoginFailure, PasswordReset, User
from agreements.users import authenticate, check_password, check_password_policy, hash_password

WINDOW = timedelta(minutes=15)
LOCK = WINDOW  # a lock lasts until the failures that caused it leave the window
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 50
RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 5  # outstanding links per account: more requests send nothing more
KEEP_FAILURES = timedelta(days=1)
RESET_EVENT = "account.password_reset"


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: `user` when it succeeded; else `refused` is
    "password", "account_locked" or "address_limited", with `until` for a lock."""

    user: User | None
    refused: str | None = None
    until: datetime | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _locked_until(session: Session, column, value: str, limit: int, now: datetime):
    """When the limit-th most recent failure in the window leaves it, if there are that many."""
    oldest_counted = session.scalar(
        select(LoginFailure.at).where(column == value, LoginFailure.at > now - WINDOW)
        .order_by(LoginFailure.at.desc(), LoginFailure.id.desc()).offset(limit - 1).limit(1))
    return oldest_counted + LOCK if oldest_counted is not None else None


def address_locked_until(session: Session, address: str, now: datetime | None = None):
    return _locked_until(session, LoginFailure.address, address or "", ADDRESS_LIMIT, moment(now))


def account_locked_until(session: Session, email: str, now: datetime | None = None):
    return _locked_until(session, LoginFailure.email, (email or "").strip().lower(),
                         ACCOUNT_LIMIT, moment(now))


@operation
def sign_in(session: Session, email: str, password: str, *, address: str,
            now: datetime | None = None) -> SignIn:
    """Check a sign-in, counting a failure and recording the outcome in the audit log."""
    at = moment(now)
    email = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    until = address_locked_until(session, address, at)
    if until is not None:
        record(session, None, "auth.sign_in_refused", ("user", email or "-"), at=at,
               email=email, address=address, reason="address_limited", until=until)
        return SignIn(None, "address_limited", until)
    until = account_locked_until(session, email, at)
    if until is not None:
        record(session, None, "auth.sign_in_refused", ("user", email or "-"), at=at,
               email=email, address=address, reason="account_locked", until=until)
        return SignIn(None, "account_locked", until)
    user = authenticate(session, email, password)
    if user is None:
        known = session.scalar(select(User).where(User.email == email))
        session.add(LoginFailure(email=email, address=address, at=at))
        session.execute(delete(LoginFailure).where(LoginFailure.email == email,
                                                   LoginFailure.at < at - KEEP_FAILURES))
        record(session, None, "auth.sign_in_failed", known or ("user", email or "-"), at=at,
               email=email, address=address)
        return SignIn(None, "password")
    record(session, user, "auth.sign_in", user, at=at, address=address)
    return SignIn(user)


@operation
def sign_out(session: Session, user: User, *, address: str | None = None,
             now: datetime | None = None) -> None:
    """End every session of the user, on every device (their session cookies are refused)."""
    at = moment(now)
    user.session_version = (user.session_version or 0) + 1
    record(session, user, "auth.sign_out", user, at=at, address=address)


@operation
def change_password(session: Session, user: User, current: str, new: str, *,
                    now: datetime | None = None) -> User:
    """A new password, given the current one; every other session of the user ends."""
    at = moment(now)
    if user is None or not user.active:
        raise NotAllowed("you must be signed in to change your password")
    if not check_password(user.password_hash, current or ""):
        raise Invalid("Your current password is not right.", ["Your current password is not right."])
    check_password_policy(new, user_inputs=(user.email, user.name))
    user.password_hash = hash_password(new)
    user.session_version = (user.session_version or 0) + 1
    record(session, user, "user.password_change", user, at=at)
    return user


@operation
def request_reset(session: Session, email: str, *, address: str | None = None,
                  now: datetime | None = None) -> str | None:
    """E-mail a reset link to the active account with that address, through the outbox.
    The token, or None when nothing was sent; the caller tells everyone the same thing."""
    from agreements.dissemination.outbox import Destination, _add
    from agreements.dissemination.render import Rendered, base_url

    at = moment(now)
    email = (email or "").strip().lower()
    user = session.scalar(select(User).where(User.email == email)) if email else None
    if user is None or not user.active:
        record(session, None, "user.password_reset_request", ("user", email[:100] or "-"), at=at,
               email=email[:254], address=address, sent=False)
        return None
    outstanding = session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
        PasswordReset.created_at > at - timedelta(hours=1)))
    if outstanding >= RESETS_PER_HOUR:
        record(session, None, "user.password_reset_request", user, at=at, email=email,
               address=address, sent=False, reason="too many requests")
        return None
    token = secrets.token_urlsafe(32)
    expires = at + RESET_LIFETIME
    session.add(PasswordReset(user_id=user.id, digest=_digest(token), created_at=at,
                              expires_at=expires))
    link = f"{base_url()}/login/reset/{token}"
    when = expires.strftime("%Y-%m-%d %H:%M UTC")
    text = (f"Hello {user.name},\n\n"
            f"Someone (we hope you) asked to choose a new password for {user.email}.\n"
            f"To choose one, open this link before {when}; it works once:\n\n{link}\n\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n")
    html = (f"<p>Hello {escape(user.name)},</p>"
            f"<p>Someone (we hope you) asked to choose a new password for {escape(user.email)}."
            f"</p><p>To choose one, open this link before {when}; it works once:</p>"
            f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
            "<p>If you did not ask for this, ignore this message: your password stays as it is."
            "</p>")
    rendered = Rendered(subject="Choose a new password for Compact", text=text, html=html,
                        payload={"type": RESET_EVENT, "user": user.email,
                                 "expires_at": expires.isoformat()})
    # To the account's own address, whatever its notification preferences: it is about the
    # account itself.
    _add(session, Destination("email", user.email, "user", user.organisation_id,
                              user_id=user.id), RESET_EVENT, rendered, at)
    record(session, None, "user.password_reset_request", user, at=at, email=email,
           address=address, sent=True, expires_at=expires)
    return token


def reset_for_token(session: Session, token: str, now: datetime | None = None
                    ) -> PasswordReset | None:
    """The unused, unexpired reset a token is for, or None."""
    at = moment(now)
    if not token or len(token) > 200:
        return None
    found = session.scalar(select(PasswordReset).where(PasswordReset.digest == _digest(token)))
    if (found is None or found.used_at is not None or found.expires_at <= at
            or not found.user.active):
        return None
    return found


@operation
def reset_password(session: Session, token: str, new: str, *,
                   now: datetime | None = None) -> User:
    """Set a new password through a reset link, once; every session of the user ends."""
    at = moment(now)
    reset = reset_for_token(session, token, at)
    if reset is None:
        raise NotFound("This link to choose a new password is not valid: it has been used, "
                       "it has expired or it was never sent. Ask for a new one.")
    user = reset.user
    check_password_policy(new, user_inputs=(user.email, user.name))
    user.password_hash = hash_password(new)
    user.session_version = (user.session_version or 0) + 1
    for other in session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))):
        other.used_at = at  # this link and any other outstanding one
    record(session, user, "user.password_reset", user, at=at)
    return user
