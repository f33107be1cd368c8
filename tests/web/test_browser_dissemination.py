"""The single dissemination channel in a real browser: a coordinator's open board shows a new
duty without a reload; the partner is mailed through a real SMTP server, acknowledges from the
message's link (without signing in), and the open board shows the duty acknowledged.

The real application runs on a free port with CSRF on, on a fresh SQLite database, as in
test_browser.py; the notifications are delivered by `dispatcher.dispatch_once` to aiosmtpd on
127.0.0.1. The browser must report no console error and no CSP violation throughout.
"""

from __future__ import annotations

import email.policy
import json
import re
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from agreements import compiled, users
from agreements.dissemination import dispatcher
from agreements.dissemination.models import Notification
from agreements.incidents import record_incident, update_incident
from agreements.models import Duty, User
from tests.agreements.conftest import library_text, make_people
from tests.agreements.dissemination.test_mail import Recorder, smtp_server  # noqa: F401
from tests.agreements.test_duty_races import PARTIES, REQUEST, SLUG, _execute
from web.app import create_app

from .browser_support import DESKTOP, TIMEOUT_MS, BrowserWatch, launch, live_server

PASSWORD = "secret pw"  # make_people's
COORDINATOR = "coordinator@compact.example"
PARTY = "harmon_county"  # an assisting county: the update gives it the `report` duty
LIVE_MS = 15_000  # dissemination.md: an open board shows a change within 15 seconds


def facts(now: datetime, **extra) -> str:
    """The Lakeside oral request moved to now (reported ten minutes ago), so its duties are
    live rather than months overdue."""
    at = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return json.dumps({**REQUEST, "reported_at": at(now - timedelta(minutes=10)),
                       "requested_at": at(now - timedelta(minutes=5)), **extra})


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real application (CSRF on) on a fresh SQLite database, with the intrastate mutual
    aid agreement executed by its five parties; yields (base URL, app)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)  # the cost is stored with each hash
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    assert app.config.get("WTF_CSRF_ENABLED", True), "the browser test runs with CSRF on"
    with app.extensions["compact.sessions"]() as session:
        people = make_people(session, PARTIES)
        _execute(session, people, library_text("intrastate-mutual-aid.agreement"), SLUG,
                 PARTIES, "2026-01-02")
    with live_server(app) as base_url:
        # Before any duty's notification is written: its links must point at this server.
        monkeypatch.setenv("COMPACT_BASE_URL", base_url)
        yield base_url, app
    app.extensions["compact.engine"].dispose()


def test_the_open_board_shows_a_new_duty_and_its_acknowledgement_from_the_mail(
        server, smtp_server, tmp_path):  # noqa: F811
    base_url, app = server
    sessions = app.extensions["compact.sessions"]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with sessions() as session:
        coordinator = session.scalar(select(User).where(User.email == COORDINATOR))
        incident = record_incident(session, coordinator, facts(now))
        key = incident.key
        assert not [d for d in incident.duties if d.clause == "report"]
        before = len([d for d in incident.duties if d.party_id == PARTY])

    watch = BrowserWatch(base_url)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            board_context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            board_context.set_default_timeout(TIMEOUT_MS)
            watch.watch(board_context)
            board = board_context.new_page()
            board.goto("/login")
            board.get_by_label("E-mail address").fill(COORDINATOR)
            board.get_by_label("Password").fill(PASSWORD)
            board.get_by_role("button", name="Sign in").click()
            expect(board.get_by_role("button", name="Sign out")).to_be_visible()
            board.goto(f"/incidents/{key}")
            expect(board.get_by_role("heading", name=key)).to_be_visible()
            # The board's table: each duty of the party names it on hover, "Name (id)".
            party_duties = board.locator(f'#duties td.c-party [title$="({PARTY})"]')
            expect(party_duties).to_have_count(before)
            reports = board.locator('#duties td.c-clause a[title^="Report of aid provided"]')
            expect(reports).to_have_count(0)
            board.evaluate("window.__stay = 1")  # gone if the page is reloaded or left
            assert board.evaluate("document.visibilityState") == "visible"  # board.js polls

            # ---------------------------------------- (a) a new duty while the board is open
            with sessions() as session:
                coordinator = session.scalar(select(User).where(User.email == COORDINATOR))
                updated = update_incident(session, coordinator, key,
                                          facts(now, aid_ended_at=now.strftime("%Y-%m-%dT%H:%M:%SZ")))
                duty = next(d for d in updated.duties
                            if (d.clause, d.party_id) == ("report", PARTY) and d.state == "open")
                duty_id, action = duty.id, duty.action
            card = board.locator(f"#duty-{duty_id}")
            expect(card).to_be_visible(timeout=LIVE_MS)
            expect(card.locator("td.c-clause")).to_have_text("report")
            expect(card.locator("td.c-clause a")).to_have_attribute(
                "title", re.compile(r"^Report of aid provided"))
            expect(card.locator("td.c-state .badge.state-open")).to_have_text("open")
            expect(party_duties).to_have_count(before + 1)
            expect(board.locator(f'#duties tr:has(td.c-party [title$="({PARTY})"]) '
                                 'td.c-clause a[title^="Report of aid provided"]')
                   ).to_have_count(1)
            assert board.evaluate("window.__stay") == 1, "the board was reloaded"

            # ---------------------------------------- (b) mailed, acknowledged from the link
            handler = Recorder()
            port = smtp_server(handler)
            config = dispatcher.Config(smtp_url=f"smtp://127.0.0.1:{port}",
                                       mail_from="compact@compact.example",
                                       folder=tmp_path / "outbox", name="browser-test")
            counts = dispatcher.dispatch_once(sessions, config, clock=False)
            with sessions() as session:
                assert counts["delivered"] == len(session.scalars(select(Notification)).all())
                partner = session.scalar(select(User).where(User.organisation_id == PARTY))
                partner_email = partner.email
            messages = [BytesParser(policy=email.policy.default).parsebytes(raw)
                        for _, _, raw in handler.received]
            texts = [m.get_body(("plain",)).get_content().replace("\r\n", "\n")
                     for m in messages if m["To"] == partner_email]
            [text] = [t for t in texts if f"/duties/{duty_id}" in t]
            link = re.search(rf"Acknowledge: ({re.escape(base_url)}/ack/\S+)", text).group(1)

            # The partner opens the link in a browser of its own, not signed in.
            mail_context = browser.new_context(viewport=DESKTOP)
            mail_context.set_default_timeout(TIMEOUT_MS)
            watch.watch(mail_context)
            ack = mail_context.new_page()
            ack.goto(link)
            expect(ack.get_by_role("heading", level=1)).to_contain_text(action)
            expect(ack.locator("#duty-state")).to_have_text("open")
            button = ack.get_by_role("button", name="Acknowledge this duty")
            expect(button).to_be_visible()
            with sessions() as session:  # opening the link (a mail scanner does) changes nothing
                assert session.get(Duty, duty_id).state == "open"
            button.click()
            expect(ack.get_by_role("status")).to_contain_text(
                f"Acknowledged. Thank you: {PARTY}'s acknowledgement is recorded, from the link "
                f"sent to {partner_email}.")
            expect(ack.get_by_role("button", name="Acknowledge this duty")).to_have_count(0)

            # The coordinator's board, still open, shows it within 15 s.
            expect(card.locator("td.c-state .badge.state-acknowledged")).to_have_text(
                "acknowledged", timeout=LIVE_MS)
            assert board.evaluate("window.__stay") == 1, "the board was reloaded"
            assert board.url == f"{base_url}/incidents/{key}"
        finally:
            browser.close()
    with sessions() as session:
        assert session.get(Duty, duty_id).state == "acknowledged"
    assert not watch.problems, "\n".join(watch.problems)
