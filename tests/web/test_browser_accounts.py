"""Accounts in a real browser: (a) a forgotten password reset by e-mail from end to end, the
message delivered by the dispatcher to a real SMTP server (aiosmtpd on 127.0.0.1) and its link
opened in the browser; (b) the lockout after repeated failed sign-ins, which then refuses even
the right password.

The real application runs on a free port with CSRF on, on a fresh SQLite database, as in
test_browser_dissemination.py. The browser must report no console error and no CSP violation;
the only HTTP errors are the refusals the story expects (401, 422, 429).
"""

from __future__ import annotations

import email.policy
import re
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from agreements import accounts, compiled, users
from agreements.dissemination import dispatcher
from tests.agreements.conftest import make_people
from tests.agreements.dissemination.test_mail import Recorder, smtp_server  # noqa: F401
from web.app import create_app

from .browser_support import (DESKTOP, TIMEOUT_MS, BrowserWatch, Screens, launch, live_server,
                              screenshot_folder)

OLD = "secret pw"  # make_people's
NEW = "violet kettle harbour 42"
DRAFTER = "drafter@compact.example"
SHOTS = screenshot_folder(Path(__file__).resolve().parents[2] / "build" / "screenshots"
                          / "accounts")


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real application (CSRF on) on a fresh SQLite database with a user of each role;
    yields (base URL, app)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)  # the cost is stored with each hash
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    assert app.config.get("WTF_CSRF_ENABLED", True), "the browser test runs with CSRF on"
    with app.extensions["compact.sessions"]() as session:
        make_people(session, ["lakeside"])
    with live_server(app) as base_url:
        monkeypatch.setenv("COMPACT_BASE_URL", base_url)  # the reset link points here
        yield base_url, app
    app.extensions["compact.engine"].dispose()


def unexpected(watch: BrowserWatch, *statuses: int) -> list[str]:
    """The browser's problems but the refusals the story expects (those statuses, as the watch
    and the console report them)."""
    expected = tuple(f"HTTP {s}: " for s in statuses)
    console = tuple(f"the server responded with a status of {s} " for s in statuses)
    return [p for p in watch.problems
            if not p.startswith(expected) and not any(c in p for c in console)]


def sign_in(page, address: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_forgotten_password_is_reset_from_the_mailed_link(server, smtp_server,  # noqa: F811
                                                            tmp_path):
    base_url, app = server
    screens = Screens(SHOTS)
    watch = BrowserWatch(base_url)
    handler = Recorder()
    port = smtp_server(handler)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = context.new_page()
            page.goto("/login")
            page.get_by_role("link", name="Forgotten your password?").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
            page.get_by_label("E-mail address").fill(DRAFTER.upper())  # as typed, any case
            screens.shoot(page, "forgotten password")
            page.get_by_role("button", name="Send the link").click()
            expect(page.get_by_role("status")).to_have_text(
                "If an active account uses that address, a link to choose a new password is on "
                "its way to it. The link works once, within one hour.")

            # The dissemination channel's mail, to a real SMTP server.
            config = dispatcher.Config(smtp_url=f"smtp://127.0.0.1:{port}",
                                       mail_from="compact@compact.example",
                                       folder=tmp_path / "outbox", name="browser-test")
            counts = dispatcher.dispatch_once(app.extensions["compact.sessions"], config,
                                              clock=False)
            assert counts["delivered"] == 1
            [(sender, recipients, raw)] = handler.received
            assert (sender, recipients) == ("compact@compact.example", [DRAFTER])
            message = BytesParser(policy=email.policy.default).parsebytes(raw)
            assert message["Subject"] == "Choose a new password for Compact"
            text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
            link = re.search(rf"({re.escape(base_url)}/login/reset/\S+)", text).group(1)
            html = message.get_body(("html",)).get_content()
            assert f'href="{link}"' in html

            # Opened from the mail, in a browser that is signed in nowhere.
            page.goto(link)
            expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
            new = page.get_by_label(re.compile(r"^New password(?! again)"))
            again = page.get_by_label("New password again")
            # A short one: the browser itself refuses it (the field asks for 12 characters) ...
            new.fill("short pw")
            again.fill("short pw")
            page.get_by_role("button", name="Set the new password").click()
            assert "12" in new.evaluate("e => e.validationMessage")
            assert page.url == link
            # ... and the server refuses a long but common one, and says why.
            new.fill("password1234")
            again.fill("password1234")
            page.get_by_role("button", name="Set the new password").click()
            expect(page.get_by_role("alert")).to_contain_text("That password is too easy to guess")
            screens.shoot(page, "a common password refused")
            new.fill(NEW)
            again.fill(NEW)
            page.get_by_role("button", name="Set the new password").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
            expect(page.locator(".flash-success")).to_have_text(
                "Your new password is set, and every session of your account has ended. Sign "
                "in with it.")
            screens.shoot(page, "new password set")

            # The old password no longer opens the account; the new one does.
            sign_in(page, DRAFTER, OLD)
            expect(page.get_by_role("alert")).to_have_text(
                "That e-mail address and password do not match an active account.")
            sign_in(page, DRAFTER, NEW)
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            page.goto("/account")
            expect(page.get_by_role("main")).to_contain_text(DRAFTER)
            screens.shoot(page, "signed in with the new password")

            # The link worked once.
            page.goto(link)
            expect(page.get_by_role("alert")).to_have_text(
                "This link to choose a new password is not valid: it has been used, it has "
                "expired or it was never sent. Ask for a new one.")
        finally:
            browser.close()
    assert not unexpected(watch, 401, 404, 422), "\n".join(watch.problems)
    assert {p for p in watch.problems if p.startswith("HTTP ")} == {
        f"HTTP 422: POST {link}", f"HTTP 401: POST {base_url}/login", f"HTTP 404: GET {link}"}


def test_repeated_failures_lock_the_account_even_for_the_right_password(server):
    base_url, app = server
    screens = Screens(SHOTS)
    watch = BrowserWatch(base_url)
    wrong = "not the password"
    refused = "That e-mail address and password do not match an active account."
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = context.new_page()
            attempts = 0
            while True:
                sign_in(page, DRAFTER, wrong)
                attempts += 1
                alert = page.get_by_role("alert")
                expect(alert).to_be_visible()
                if alert.inner_text() != refused:
                    break
                assert attempts <= accounts.ACCOUNT_LIMIT, "no lockout after the limit"
            assert attempts == accounts.ACCOUNT_LIMIT + 1
            lock = re.compile(r"^Too many failed sign-ins for this account: it is locked until "
                              r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\. Try again then, or choose a new "
                              r"password through “Forgotten your password\?”\.$")
            expect(page.get_by_role("alert")).to_have_text(lock)
            screens.shoot(page, "locked out")

            sign_in(page, DRAFTER, OLD)  # the right password, refused all the same
            expect(page.get_by_role("alert")).to_have_text(lock)
            expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
            page.goto("/account")
            expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        finally:
            browser.close()
    assert not unexpected(watch, 401, 429), "\n".join(watch.problems)
    assert {p for p in watch.problems if p.startswith("HTTP ")} == {
        f"HTTP 401: POST {base_url}/login", f"HTTP 429: POST {base_url}/login"}
