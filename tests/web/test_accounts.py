"""Accounts in the browser: password change, reset by e-mail, lockout, sessions ended by
signing out or a new password, the audit entries."""

from __future__ import annotations

import email.policy
import re
from datetime import timedelta
from email.parser import BytesParser

import lxml.html
import pytest
from sqlalchemy import select

from agreements import accounts, clock
from agreements.dissemination import dispatcher
from agreements.models import AuditEntry, LoginFailure

from .conftest import PASSWORD, T0, login

STRONG = "violet kettle harbour 42"
clock_now = {"now": T0}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    clock_now["now"] = T0
    monkeypatch.setattr(clock, "utcnow", lambda: clock_now["now"])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", lxml.html.fromstring(response.data).text_content())


def alerts(response) -> list[str]:
    doc = lxml.html.fromstring(response.data)
    return [re.sub(r"\s+", " ", e.text_content()).strip()
            for e in doc.xpath('//*[contains(concat(" ", @class, " "), " flash ")]')]


def copy_of(app, client):
    """A second client presenting the same cookie, as someone who copied it would."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def actions(session):
    session.expire_all()
    return [(e.action, e.actor_id, e.detail.get("email"))
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("auth.%"))
                                     .order_by(AuditEntry.id))]


# ---------------------------------------------------------------- sessions end server-side

def test_a_copied_cookie_stops_working_after_signing_out(app, session, people):
    client = app.test_client()
    login(client, people.drafter)
    thief = copy_of(app, client)
    assert thief.get("/account").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert ("You are signed out, here and on every other device or browser where you were "
            "signed in.") in alerts(response)
    response = thief.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Another session of the same user, signed in before, ends too.
    other = app.test_client()
    login(other, people.drafter)
    login(client, people.drafter)
    client.post("/logout")
    assert other.get("/account").status_code == 302


def test_change_the_password_ends_other_sessions_and_keeps_this_one(app, session, people):
    client = app.test_client()
    login(client, people.coordinator)
    thief = copy_of(app, client)
    page = client.get("/account/password")
    assert page.status_code == 200 and "Change your password" in text_of(page)
    assert 'href="/account/password"' in client.get("/account").data.decode()

    def change(current, new, again=None):
        return client.post("/account/password", data={
            "current_password": current, "new_password": new,
            "confirm_password": new if again is None else again})

    response = change("wrong one", STRONG)
    assert response.status_code == 422
    assert alerts(response) == ["Your current password is not right."]
    response = change(PASSWORD, "abcdefghijk")  # 11 characters
    assert response.status_code == 422
    assert alerts(response) == ["A password needs at least 12 characters."]
    response = change(PASSWORD, "password1234")
    assert response.status_code == 422
    assert alerts(response) == ["That password is too easy to guess: This is a very common "
                                "password. Add another word or two. Uncommon words are better."]
    response = change(PASSWORD, STRONG, "something else")
    assert alerts(response) == ["The new password and its repetition differ."]
    assert STRONG not in response.data.decode()
    response = change(PASSWORD, STRONG)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert ("Your password is changed. You stay signed in here; every other session of your "
            "account has ended.") in alerts(client.get("/account"))
    assert thief.get("/account").status_code == 302  # the copied cookie is refused
    assert sign_in(app.test_client(), people.coordinator.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), people.coordinator.email, STRONG).status_code == 302


def test_the_password_page_wants_a_signed_in_user(app, people):
    response = app.test_client().get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# ---------------------------------------------------------------- a forgotten password

def test_a_forgotten_password_is_reset_through_the_emailed_link(app, session, people, tmp_path):
    anonymous = app.test_client()
    assert 'href="/login/forgot"' in anonymous.get("/login").data.decode()
    assert anonymous.get("/login/forgot").status_code == 200
    same = ("If an active account uses that address, a link to choose a new password is on "
            "its way to it. The link works once, within one hour.")
    for address in ("nobody@nowhere.example", people.drafter.email.upper()):
        response = anonymous.post("/login/forgot", data={"email": address})
        assert response.status_code == 200 and alerts(response) == [same]
    signed_in = app.test_client()
    login(signed_in, people.drafter)
    before = copy_of(app, signed_in)

    config = dispatcher.Config(folder=tmp_path / "outbox", name="web-test")
    counts = dispatcher.dispatch_once(app.extensions["compact.sessions"], config,
                                      now=lambda: T0, clock=False)
    assert counts["delivered"] == 1
    [eml] = (tmp_path / "outbox").glob("*.eml")
    mail = BytesParser(policy=email.policy.default).parsebytes(eml.read_bytes())
    assert mail["To"] == people.drafter.email and mail["X-Compact-Event"] == "account.password_reset"
    assert mail["Subject"] == "Choose a new password for Compact"
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/login/reset/(\S+)", body)
    path = "/login/reset/" + link.group(1)

    page = anonymous.get(path)
    assert page.status_code == 200 and "Choose a new password" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"
    response = anonymous.post(path, data={"new_password": "abcdefghijk",
                                          "confirm_password": "abcdefghijk"})
    assert response.status_code == 422
    assert alerts(response) == ["A password needs at least 12 characters."]
    response = anonymous.post(path, data={"new_password": STRONG, "confirm_password": STRONG})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert ("Your new password is set, and every session of your account has ended. Sign in "
            "with it.") in alerts(anonymous.get("/login"))
    assert before.get("/account").status_code == 302  # sessions from before the reset end
    assert sign_in(app.test_client(), people.drafter.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), people.drafter.email, STRONG).status_code == 302

    used = ("This link to choose a new password is not valid: it has been used, it has expired "
            "or it was never sent. Ask for a new one.")
    again = anonymous.get(path)
    assert again.status_code == 404 and alerts(again) == [used]
    again = anonymous.post(path, data={"new_password": "another strong phrase 7",
                                       "confirm_password": "another strong phrase 7"})
    assert again.status_code == 404 and alerts(again) == [used]
    assert sign_in(app.test_client(), people.drafter.email, STRONG).status_code == 302


def test_a_reset_link_expires_after_an_hour(app, session, people):
    token = accounts.request_reset(session, people.partners["state_eoc"].email)
    client = app.test_client()
    clock_now["now"] = T0 + timedelta(minutes=59)
    assert client.get(f"/login/reset/{token}").status_code == 200
    clock_now["now"] = T0 + timedelta(hours=1)
    response = client.post(f"/login/reset/{token}",
                           data={"new_password": STRONG, "confirm_password": STRONG})
    assert response.status_code == 404
    assert "it has expired" in alerts(response)[0]
    assert client.get("/login/reset/not-a-token").status_code == 404


# ---------------------------------------------------------------- lockout

def test_200_wrong_attempts_lock_the_account_until_the_lock_expires(app, session, people):
    client = app.test_client()
    email = people.coordinator.email
    statuses = [sign_in(client, email, f"guess number {n}").status_code for n in range(200)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    response = sign_in(client, email, PASSWORD)  # the right password, while locked
    assert response.status_code == 429 and response.headers["Retry-After"] == "900"
    assert alerts(response) == [
        "Too many failed sign-ins for this account: it is locked until 2026-06-18 12:15 UTC. "
        "Try again then, or choose a new password through \u201cForgotten your password?\u201d."]
    clock_now["now"] = T0 + timedelta(minutes=14, seconds=59)
    assert sign_in(client, email, PASSWORD).status_code == 429
    clock_now["now"] = T0 + timedelta(minutes=15)
    assert sign_in(client, email, PASSWORD).status_code == 302
    session.expire_all()
    assert len(session.scalars(select(LoginFailure)).all()) == 10


def test_fifty_failures_from_one_address_refuse_it(app, session, people):
    client = app.test_client()
    for n in range(accounts.ADDRESS_LIMIT):
        assert sign_in(client, f"someone{n}@x.example", "guess").status_code == 401
    response = sign_in(client, people.admin.email, PASSWORD)
    assert response.status_code == 429
    assert alerts(response) == ["Too many failed sign-ins from your address: signing in from it "
                                "is refused until 2026-06-18 12:15 UTC."]
    elsewhere = app.test_client()
    response = elsewhere.post("/login", data={"email": people.admin.email, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 302
    clock_now["now"] = T0 + timedelta(minutes=15)
    assert sign_in(client, people.admin.email, PASSWORD).status_code == 302


# ---------------------------------------------------------------- the audit log

def test_sign_in_sign_out_and_failures_are_audited(app, session, people):
    client = app.test_client()
    assert sign_in(client, "Nobody@Nowhere.example", "guess").status_code == 401
    assert sign_in(client, people.drafter.email, "guess").status_code == 401
    assert sign_in(client, people.drafter.email, PASSWORD).status_code == 302
    client.post("/logout")
    assert actions(session) == [
        ("auth.sign_in_failed", None, "nobody@nowhere.example"),
        ("auth.sign_in_failed", None, people.drafter.email),
        ("auth.sign_in", people.drafter.id, None),
        ("auth.sign_out", people.drafter.id, None),
    ]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sign_in")).one()
    assert entry.detail["address"] == "127.0.0.1"


# ---------------------------------------------------------------- the administrator's form

@pytest.mark.parametrize("password, words", [
    ("abcdefghijk", "A password needs at least 12 characters."),
    ("password1234", "This is a very common password."),
])
def test_the_admin_form_applies_the_policy(app, people, client_for, password, words):
    response = client_for(people.admin).post("/admin/users", data={
        "email": "new@x.example", "name": "New", "role": "drafter", "password": password})
    assert response.status_code == 422 and words in text_of(response)


def test_the_admin_form_takes_a_strong_password(app, people, client_for):
    response = client_for(people.admin).post("/admin/users", data={
        "email": "new@x.example", "name": "New", "role": "drafter", "password": STRONG})
    assert response.status_code == 302
    assert sign_in(app.test_client(), "new@x.example", STRONG).status_code == 302
