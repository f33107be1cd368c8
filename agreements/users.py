"""Organisations and user accounts: who someone is, which agency they act for, in which role."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.errors import Conflict, Invalid, NotFound
from agreements.models import ROLES, Organisation, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PARTY_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
# scrypt parameters: memory-hard, about 50 ms here; stored with the hash so they can change.
_N, _R, _P = 2 ** 14, 8, 1
MIN_PASSWORD = 12
MIN_SCORE = 3  # zxcvbn's 0..4: 3 is "safely unguessable: moderate protection from offline attacks"
_dummy_hashes: dict[int, str] = {}


def password_problem(password: str, *, user_inputs: tuple = ()) -> str | None:
    """Why a new password is refused (a sentence), or None. At least MIN_PASSWORD characters,
    and not among the commonest passwords (zxcvbn score under MIN_SCORE, with its advice)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    from zxcvbn import zxcvbn
    result = zxcvbn(password[:100], user_inputs=[str(u) for u in user_inputs if u])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    advice = " ".join(x for x in [feedback.get("warning") or ""]
                      + list(feedback.get("suggestions") or []) if x)
    return ("That password is too easy to guess" + (f": {advice}" if advice else ".")
            + ("" if advice.endswith(".") or not advice else "."))


def check_password_policy(password: str, *, user_inputs: tuple = ()) -> None:
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise Invalid(problem, [problem])


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        fresh = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(fresh.hex(), digest)


def _validate_user(email: str, name: str, role: str, organisation_id: str | None,
                   session: Session) -> None:
    problems = []
    if not _EMAIL.match(email or ""):
        problems.append("give an e-mail address such as name@agency.example")
    if not (name or "").strip():
        problems.append("give the person's name")
    if role not in ROLES:
        problems.append(f"the role must be one of {', '.join(ROLES)}")
    if role == "partner" and not organisation_id:
        problems.append("a partner acts for an organisation: choose one")
    if organisation_id and session.get(Organisation, organisation_id) is None:
        problems.append(f"there is no organisation '{organisation_id}'")
    if problems:
        raise Invalid("; ".join(problems), problems)


def create_user_unchecked(session: Session, *, email: str, name: str, role: str,
                          organisation_id: str | None = None, password: str | None = None,
                          at: datetime | None = None, actor: User | None = None) -> User:
    """For the first administrator and the demo data, where no one is signed in yet."""
    at = moment(at)
    email = (email or "").strip().lower()
    _validate_user(email, name, role, organisation_id, session)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"there is already a user {email}")
    user = User(email=email, name=name.strip(), role=role, organisation_id=organisation_id,
                password_hash=hash_password(password) if password else None, active=True,
                created_at=at)
    session.add(user)
    session.flush()
    record(session, actor, "user.create", user, at=at, email=email, role=role,
           organisation=organisation_id)
    return user


@operation
def create_user(session: Session, actor: User, *, email: str, name: str, role: str,
                organisation_id: str | None = None, password: str | None = None,
                now: datetime | None = None) -> User:
    require_role(actor, "admin", doing="create users")
    if password:
        check_password_policy(password, user_inputs=(email, name))
    return create_user_unchecked(session, email=email, name=name, role=role,
                                 organisation_id=organisation_id, password=password, at=now,
                                 actor=actor)


@operation
def update_user(session: Session, actor: User, user_id: int, *, role: str | None = None,
                organisation_id: str | None = None, active: bool | None = None,
                now: datetime | None = None) -> User:
    require_role(actor, "admin", doing="change users")
    at = moment(now)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"there is no user {user_id}")
    new_role = role or user.role
    new_org = organisation_id if organisation_id is not None else user.organisation_id
    _validate_user(user.email, user.name, new_role, new_org or None, session)
    if user.id == actor.id and (new_role != "admin" or active is False):
        raise Conflict("you cannot remove your own administrator rights")
    before = {"role": user.role, "organisation": user.organisation_id, "active": user.active}
    user.role, user.organisation_id = new_role, new_org or None
    if active is not None:
        user.active = active
    record(session, actor, "user.update", user, at=at, before=before,
           after={"role": user.role, "organisation": user.organisation_id, "active": user.active})
    return user


@operation
def create_organisation(session: Session, actor: User, org_id: str, name: str, *,
                        now: datetime | None = None) -> Organisation:
    require_role(actor, "admin", doing="create organisations")
    at = moment(now)
    org_id = (org_id or "").strip()
    if not _PARTY_ID.match(org_id):
        raise Invalid("an organisation id is the party id agreements use: lower-case letters, "
                      "digits, '_' and '-', starting with a letter")
    if not (name or "").strip():
        raise Invalid("give the organisation's name")
    if session.get(Organisation, org_id) is not None:
        raise Conflict(f"there is already an organisation '{org_id}'")
    org = Organisation(id=org_id, name=name.strip(), created_at=at)
    session.add(org)
    session.flush()
    record(session, actor, "organisation.create", ("organisation", org_id), at=at, name=org.name)
    return org


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, at the current cost: checked for an unknown account so
    that it takes as long as a known one (nobody learns which addresses have accounts)."""
    if _N not in _dummy_hashes:
        _dummy_hashes[_N] = hash_password(secrets.token_hex(16))
    return _dummy_hashes[_N]


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    matches = check_password(stored, password or "")  # always hashed, known account or not
    if user is None or not user.active or not user.password_hash or not matches:
        return None
    return user


# API tokens live in agreements/tokens.py; these names stay importable from here.
from agreements.tokens import create_token, revoke_token, user_for_token  # noqa: E402,F401
