"""Time zones in a real browser at 1280 px: a coordinator chooses America/New_York on the
account page, records an incident typing local times (the form says which zone), and the board
shows every time in New York time with UTC on hover (the title); a drafter without a zone sees
the same times in plain UTC. Screenshots in COMPACT_SCREENSHOTS (default: a temporary folder).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from agreements import compiled, users
from agreements.models import Incident
from tests.agreements.conftest import library_text, make_people
from tests.agreements.test_duty_races import PARTIES, SLUG, _execute
from web.app import create_app

from .browser_support import (DESKTOP, TIMEOUT_MS, BrowserWatch, launch, live_server,
                              screenshot_folder)

PASSWORD = "secret pw"  # make_people's
COORDINATOR = "coordinator@compact.example"
DRAFTER = "drafter@compact.example"
KEY = "TZ-BROWSER-1"
# Typed in New York (in April EDT, UTC-4): reported 10:00 and requested 11:30 local are 14:00 and 15:30
# UTC; lakeside_county must notify the state within 2 hours of the report: 16:00 UTC.
NOTIFY_DUE = "2026-04-10T16:00:00Z"


def new_york_now() -> str:
    """The zone as pages name it: with its abbreviation today (EST in winter, EDT in summer)."""
    return f"America/New_York ({datetime.now(ZoneInfo('America/New_York')):%Z})"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real application (CSRF on) on a fresh SQLite database, with the intrastate mutual
    aid agreement executed by its five parties; yields (base URL, app)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)
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
        yield base_url, app
    app.extensions["compact.engine"].dispose()


def sign_in(context, email: str):
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def shown_time(page, instant: str):
    """The time element showing that instant (not a countdown to it)."""
    return page.locator(f'time[datetime="{instant}"]:not(.countdown)').first


def test_times_in_the_users_zone_with_utc_on_hover(server, tmp_path):
    base_url, app = server
    folder = screenshot_folder(tmp_path / "screens")
    watch = BrowserWatch(base_url)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = sign_in(context, COORDINATOR)

            # ------------------------------------------- the account page: choose a zone
            page.goto("/account")
            zone = page.get_by_label("Your time zone")
            expect(zone.locator("option:checked")).to_have_text("Use the default (UTC)")
            zone.select_option("America/New_York")
            page.get_by_role("button", name="Save the time zone").click()
            expect(page.get_by_role("status").filter(has_text="Times are now shown")).to_have_text(
                f"Times are now shown in {new_york_now()}, with UTC when you point at one.")
            expect(page.locator("#zone-in-use")).to_have_text(new_york_now())
            page.locator("#time-zone").screenshot(path=str(folder / "time-zone-account.png"))

            # ------------------------------------------- the form takes New York time
            page.goto("/incidents/new")
            reported = page.locator('input[name="field-reported_at"]')
            box = page.locator('.field:has(input[name="field-reported_at"])').first
            expect(box).to_contain_text(f"Times in {new_york_now()}.")
            fill = {"field-id": KEY, "field-type": "flood", "field-region": "North Valley",
                    "field-area": "FIPS:039001", "field-reported_at": "2026-04-10T10:00",
                    "field-requested_at": "2026-04-10T11:30"}
            for name, value in fill.items():
                page.locator(f'[name="{name}"]').fill(value)
            choose = {"field-severity": "severe", "field-urgency": "immediate",
                      "field-certainty": "observed", "field-status": "actual",
                      "field-declaration": "local", "field-requested_by": "lakeside_county",
                      "field-request_form": "oral", "field-request_authorised": "yes"}
            for name, value in choose.items():
                page.locator(f'select[name="{name}"]').select_option(value)
            expect(reported).to_have_value("2026-04-10T10:00")
            page.locator("#by-form").get_by_role("button", name="Record the incident").click()
            expect(page.get_by_role("heading", name=KEY)).to_be_visible()
            with app.extensions["compact.sessions"]() as session:
                incident = session.scalar(select(Incident).where(Incident.key == KEY))
                assert incident.reported_at.strftime("%Y-%m-%dT%H:%M:%SZ") == \
                    "2026-04-10T14:00:00Z"

            # ------------------------------------------- the board: local, UTC on hover
            due = shown_time(page, NOTIFY_DUE)
            due.scroll_into_view_if_needed()
            expect(due).to_be_visible()
            expect(due).to_have_text("2026-04-10 12:00 EDT")
            due.hover()
            expect(due).to_have_attribute("title", "2026-04-10 16:00 UTC")
            # A dotted underline says there is more to see on hover.
            assert due.evaluate("e => getComputedStyle(e).textDecorationStyle") == "dotted"
            assert due.evaluate("e => getComputedStyle(e).cursor") == "help"
            reported_at = shown_time(page, "2026-04-10T14:00:00Z")
            expect(reported_at).to_have_text("2026-04-10 10:00 EDT")
            expect(reported_at).to_have_attribute("title", "2026-04-10 14:00 UTC")
            expect(page.locator("footer")).to_contain_text(
                f"Times are in {new_york_now()}; point at one to see it in UTC.")
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            page.screenshot(path=str(folder / "time-zone-board-new-york.png"), full_page=False)
            due_box = due.bounding_box()
            assert due_box and due_box["width"] > 0 and due_box["x"] + due_box["width"] <= 1280

            # ------------------------------------------- a drafter in UTC: plain UTC
            other = browser.new_context(viewport=DESKTOP, base_url=base_url)
            other.set_default_timeout(TIMEOUT_MS)
            watch.watch(other)
            drafter = sign_in(other, DRAFTER)
            drafter.goto(f"/incidents/{KEY}")
            expect(drafter.get_by_role("heading", name=KEY)).to_be_visible()
            expect(drafter.locator("body")).to_contain_text("2026-04-10 16:00 UTC")
            expect(drafter.locator("time[title]")).to_have_count(0)
            expect(drafter.locator("footer")).to_contain_text("Times are UTC.")
            drafter.screenshot(path=str(folder / "time-zone-board-utc.png"), full_page=False)
        finally:
            browser.close()
    # The browser's problems, but its icon request cut short by the next navigation.
    problems = [p for p in watch.problems
                if not (p.startswith("request failed: GET ") and "/static/favicon" in p
                        and p.endswith("net::ERR_ABORTED"))]
    assert not problems, "\n".join(problems)
