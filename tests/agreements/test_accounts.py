"""Accounts: password policy, constant-time sign-in, lockout, reset links, audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from agreements import accounts, users
from agreements.dissemination.models import Notification
from agreements.errors import Invalid, NotFound
from agreements.models import AuditEntry, LoginFailure, PasswordReset, User
from tests.agreements.conftest import T0, make_people

STRONG = "violet kettle harbour 42"


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def people(db):
    return make_people(db, ["lakeside_county"])


def audit(db, action):
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                      .order_by(AuditEntry.id)).all()


# ---------------------------------------------------------------- the policy

def test_the_policy_wants_twelve_characters_and_no_common_password():
    assert users.password_problem("abcdefghijk") == "A password needs at least 12 characters."
    problem = users.password_problem("password1234")
    assert problem.startswith("That password is too easy to guess: ")
    assert "This is a very common password." in problem  # zxcvbn's own words
    assert users.password_problem(STRONG) is None


def test_create_user_applies_the_policy_and_the_unchecked_path_does_not(db, people):
    with pytest.raises(Invalid, match="at least 12 characters"):
        users.create_user(db, people.admin, email="n@x.example", name="N", role="drafter",
                          password="short pw")
    with pytest.raises(Invalid, match="very common password"):
        users.create_user(db, people.admin, email="n@x.example", name="N", role="drafter",
                          password="password1234")
    made = users.create_user(db, people.admin, email="n@x.example", name="N", role="drafter",
                             password=STRONG)
    assert users.check_password(made.password_hash, STRONG)
    assert users.check_password(people.drafter.password_hash, "secret pw")  # fixtures still work


# ---------------------------------------------------------------- signing in

def test_an_unknown_account_is_hashed_like_a_known_one(db, people, monkeypatch):
    calls = []
    real = users.check_password
    monkeypatch.setattr(users, "check_password",
                        lambda stored, pw: calls.append(stored) or real(stored, pw))
    assert users.authenticate(db, "nobody@x.example", "secret pw") is None
    assert len(calls) == 1 and calls[0].startswith("scrypt$16$")  # a real hash, at the real cost
    people.drafter.active = False
    assert users.authenticate(db, people.drafter.email, "secret pw") is None
    assert len(calls) == 2  # an inactive account too


def test_sign_in_outcomes_are_in_the_audit_log(db, people):
    ok = accounts.sign_in(db, "Drafter@Compact.example", "secret pw", address="10.0.0.1", now=T0)
    assert ok.user.id == people.drafter.id and ok.refused is None
    [entry] = audit(db, "auth.sign_in")
    assert entry.actor_id == people.drafter.id and entry.detail["address"] == "10.0.0.1"
    assert accounts.sign_in(db, people.drafter.email, "wrong", address="10.0.0.1",
                            now=T0).refused == "password"
    assert accounts.sign_in(db, "Nobody@X.example", "wrong", address="10.0.0.2",
                            now=T0).refused == "password"
    known, unknown = audit(db, "auth.sign_in_failed")
    assert known.actor_id is None and known.object_id == str(people.drafter.id)
    assert unknown.actor_id is None and unknown.detail["email"] == "nobody@x.example"
    assert unknown.detail["address"] == "10.0.0.2"
    accounts.sign_out(db, people.drafter, address="10.0.0.1", now=T0)
    [out] = audit(db, "auth.sign_out")
    assert out.actor_id == people.drafter.id and people.drafter.session_version == 1


def test_200_wrong_attempts_lock_the_account_until_the_lock_expires(db, people):
    email = people.drafter.email
    outcomes = [accounts.sign_in(db, email, f"guess {n}", address=f"10.1.{n // 40}.{n % 40}",
                                 now=T0 + timedelta(seconds=n)) for n in range(200)]
    assert [o.refused for o in outcomes[:10]] == ["password"] * 10
    assert {o.refused for o in outcomes[10:]} == {"account_locked"}
    until = T0 + timedelta(seconds=0) + accounts.LOCK  # 15 minutes after the first failure
    assert {o.until for o in outcomes[10:]} == {until}
    # Refused attempts check no password and are not counted: the lock does not grow.
    assert db.scalar(select(func.count(LoginFailure.id))) == 10
    locked = accounts.sign_in(db, email, "secret pw", address="10.9.9.9",
                              now=until - timedelta(seconds=1))
    assert locked.user is None and locked.refused == "account_locked" and locked.until == until
    assert accounts.sign_in(db, email, "secret pw", address="10.9.9.9", now=until).user is not None
    assert len(audit(db, "auth.sign_in_refused")) == 191


def test_an_unknown_address_is_locked_like_a_known_one(db, people):
    for n in range(accounts.ACCOUNT_LIMIT):
        accounts.sign_in(db, "ghost@x.example", "x", address=f"10.2.0.{n}", now=T0)
    assert accounts.sign_in(db, "ghost@x.example", "x", address="10.2.1.1",
                            now=T0).refused == "account_locked"


def test_fifty_failures_from_one_address_refuse_it(db, people):
    for n in range(accounts.ADDRESS_LIMIT):
        accounts.sign_in(db, f"user{n}@x.example", "x", address="192.0.2.7",
                         now=T0 + timedelta(seconds=n))
    refused = accounts.sign_in(db, people.coordinator.email, "secret pw", address="192.0.2.7",
                               now=T0 + timedelta(minutes=5))
    assert refused.refused == "address_limited" and refused.until == T0 + accounts.LOCK
    assert accounts.sign_in(db, people.coordinator.email, "secret pw", address="192.0.2.8",
                            now=T0 + timedelta(minutes=5)).user is not None  # others may
    later = T0 + accounts.LOCK + timedelta(seconds=accounts.ADDRESS_LIMIT)
    assert accounts.sign_in(db, people.coordinator.email, "secret pw", address="192.0.2.7",
                            now=later).user is not None


# ---------------------------------------------------------------- passwords

def test_change_password_wants_the_current_one_and_the_policy(db, people):
    user = people.partners["lakeside_county"]
    with pytest.raises(Invalid, match="current password is not right"):
        accounts.change_password(db, user, "wrong", STRONG, now=T0)
    with pytest.raises(Invalid, match="at least 12 characters"):
        accounts.change_password(db, user, "secret pw", "abcdefghijk", now=T0)
    accounts.change_password(db, user, "secret pw", STRONG, now=T0)
    assert users.authenticate(db, user.email, STRONG) is not None
    assert user.session_version == 1 and audit(db, "user.password_change")


def test_a_reset_link_is_sent_through_the_outbox_and_works_once(db, people):
    assert accounts.request_reset(db, "nobody@x.example", now=T0) is None
    assert db.scalar(select(func.count(Notification.id))) == 0
    token = accounts.request_reset(db, "Drafter@compact.example", address="10.0.0.1", now=T0)
    [note] = db.scalars(select(Notification)).all()
    assert note.event == "account.password_reset" and note.channel == "email"
    assert note.address == people.drafter.email and note.state == "queued"
    assert f"/login/reset/{token}" in note.body_text and f"/login/reset/{token}" in note.body_html
    [reset] = db.scalars(select(PasswordReset)).all()
    assert token not in reset.digest and len(reset.digest) == 64  # only a digest is kept
    assert reset.expires_at == T0 + timedelta(hours=1)
    with pytest.raises(Invalid, match="very common"):
        accounts.reset_password(db, token, "password1234", now=T0)
    accounts.reset_password(db, token, STRONG, now=T0 + timedelta(minutes=5))
    assert users.authenticate(db, people.drafter.email, STRONG) is not None
    assert people.drafter.session_version == 1
    with pytest.raises(NotFound, match="it has been used, it has expired"):
        accounts.reset_password(db, token, "another strong passphrase", now=T0)
    sent, unknown = (audit(db, "user.password_reset_request")[1],
                     audit(db, "user.password_reset_request")[0])
    assert sent.detail["sent"] is True and unknown.detail["sent"] is False
    assert audit(db, "user.password_reset")


def test_a_reset_link_expires_after_an_hour(db, people):
    token = accounts.request_reset(db, people.drafter.email, now=T0)
    assert accounts.reset_for_token(db, token, T0 + timedelta(minutes=59)) is not None
    with pytest.raises(NotFound):
        accounts.reset_password(db, token, STRONG, now=T0 + timedelta(hours=1))
    assert accounts.reset_for_token(db, "made-up", T0) is None


def test_reset_requests_are_limited_per_account(db, people):
    tokens = [accounts.request_reset(db, people.drafter.email, now=T0) for _ in range(7)]
    assert sum(t is not None for t in tokens) == accounts.RESETS_PER_HOUR
