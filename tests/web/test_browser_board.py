"""The incident board at a glance in a real browser (issue 11, point 1): 26 duties fit one
1280 x 800 screen under the next deadlines and the filters, and read on a 390 px phone; a board
of 500 duties loads, folds by party, filters, sorts and searches by its address.

The real application runs on a free port with CSRF on, on a fresh SQLite database; the
agreement, its signatures and the incident are arranged through the service layer. Screenshots
go to $COMPACT_SCREENSHOTS, else a temporary folder."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from agreements import compiled
from agreements.drafting import create_agreement, publish
from agreements.incidents import record_incident
from agreements.models import Duty, Organisation, User
from agreements.signing import sign
from agreements.users import create_user_unchecked
from web.app import create_app

from .browser_support import (DESKTOP, PHONE, TIMEOUT_MS, BrowserWatch, launch, live_server,
                              screenshot_folder)

PASSWORD = "correct horse battery"
COORDINATOR = "coordinator@compact.example"
KEY = "FLOOD-BOARD-1"
_YEAR = date.today().year
EFFECTIVE = f"{min(_YEAR, 2026)}-01-01 until {max(_YEAR + 2, 2028)}-12-31"
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth")


def party_id(p: int) -> str:
    return f"member_{p:02d}"


def party_name(p: int) -> str:
    return f"Zone {p + 1} County Emergency Management"


def agreement(parties: int, clauses: int) -> str:
    """Every party gets a duty from each clause: `parties` x `clauses` duties, due one hour
    apart by clause (the first a `may`, to show a lapse rather than a countdown)."""
    lines = ["agreement regional-flood-plan", '  title "Regional Flood Response Plan"',
             "  kind protocol", "  binding", f"  effective {EFFECTIVE}", ""]
    for p in range(parties):
        lines += [f'party {party_id(p)} "{party_name(p)}"', f'  region "Zone {p % 5}"', ""]
    lines += ["fields", '  type text one of "flood", "storm"', "",
              "role members is parties where party.region is given", ""]
    for c in range(clauses):
        verb = "may" if c == 0 else "must"
        lines += [f'clause step_{c:02d} "Response step {c + 1}"', '  when incident.type == "flood"',
                  f'  members {verb} "carry out the {ORDINALS[c]} step of the regional flood '
                  f'response plan in its zone" within {c + 1} hours', ""]
    return "\n".join(lines)


@pytest.fixture
def board_server(tmp_path, monkeypatch):
    """make(parties, clauses) -> base URL of the real app with that board recorded now."""
    started = []

    def make(parties: int, clauses: int):
        instance = tmp_path / f"instance-{parties}-{clauses}"
        monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(instance))
        monkeypatch.setenv("DATABASE_URL",
                           f"sqlite:///{tmp_path / f'board-{parties}-{clauses}.sqlite'}")
        monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
        compiled.clear()
        app = create_app()
        t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
        with app.extensions["compact.sessions"]() as session:
            drafter = create_user_unchecked(session, email="drafter@compact.example",
                                            name="Dana Drafter", role="drafter",
                                            password=PASSWORD)
            coordinator = create_user_unchecked(session, email=COORDINATOR,
                                                name="Cory Coordinator", role="coordinator",
                                                password=PASSWORD)
            session.commit()
            revision = create_agreement(session, drafter, agreement(parties, clauses), now=t0)
            publish(session, drafter, revision.agreement.slug, 1, confirm_warnings=True, now=t0)
            for p in range(parties):
                if session.get(Organisation, party_id(p)) is None:
                    session.add(Organisation(id=party_id(p), name=party_name(p), created_at=t0))
                partner = create_user_unchecked(
                    session, email=f"{party_id(p)}@partner.example", name=f"Pat {p}",
                    role="partner", organisation_id=party_id(p), password=PASSWORD)
                session.commit()
                sign(session, partner, "regional-flood-plan", 1, signer_name="Director",
                     signer_title="Director", consent=True, now=t0)
            now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
            record_incident(session, coordinator, json.dumps(
                {"id": KEY, "type": "flood", "reported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}),
                now=now)
            assert session.query(Duty).count() == parties * clauses
        server = live_server(app)
        base_url = server.__enter__()
        started.append((server, app))
        return base_url, app

    yield make
    for server, app in started:
        server.__exit__(None, None, None)
        app.extensions["compact.engine"].dispose()


def signed_in(browser, base_url, watch, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    watch.watch(context)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(COORDINATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return context, page


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def test_26_duties_fit_one_screen_and_read_on_a_phone(board_server, tmp_path):
    base_url, app = board_server(13, 2)
    shots = screenshot_folder(tmp_path / "screenshots")
    watch = BrowserWatch(base_url)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context, page = signed_in(browser, base_url, watch)
            page.goto(f"/incidents/{KEY}")
            rows = page.locator("#duties tbody tr")
            expect(rows).to_have_count(26)
            strip = page.locator("#next-deadlines")
            expect(strip.locator("li")).to_have_count(5)
            page.screenshot(path=str(shots / "board-26-desktop.png"), animations="disabled")
            page.screenshot(path=str(shots / "board-26-desktop-full.png"), full_page=True,
                            animations="disabled")
            # The soonest first: the `may` duties of step 1, lapsing within the hour.
            expect(strip.locator("li").first).to_contain_text(
                re.compile(r"lapses in (54|55) min step_00 " + re.escape(party_name(0))))
            assert page.evaluate("window.scrollY") == 0
            strip_box, last = box(strip), box(rows.nth(25))
            assert strip_box["y"] >= 0
            assert last["y"] > strip_box["y"] + strip_box["height"]
            assert last["y"] + last["height"] <= DESKTOP["height"], \
                f"the 26th row ends at {last['y'] + last['height']} px"
            # One line a duty, every column shown, nothing wider than the screen.
            assert max(box(rows.nth(i))["height"] for i in range(26)) < 26
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            first = rows.first
            expect(first.locator("td.c-party")).to_have_text(party_name(0))
            expect(first.locator("td.c-clause")).to_have_text("step_00")
            expect(first.locator("td.c-modality")).to_have_text("may")
            expect(first.locator("td.c-countdown")).to_have_text(re.compile(r"^lapses in 5\d min$"))
            expect(first.locator("td.c-state")).to_have_text("open")
            expect(first.locator("td.c-reached")).to_have_text("queued")
            expect(rows.nth(13).locator("td.c-countdown")).to_have_text(
                re.compile(r"^in 1 h 5\d min$"))
            expect(page.locator(".tally")).to_contain_text("all 26")
            expect(page.locator(".tally")).to_contain_text("open 26")

            # Printed: the next deadlines and every duty in full, without filters or buttons.
            page.emulate_media(media="print")
            expect(page.locator(".board-filters")).to_be_hidden()
            expect(rows.first.locator("td.c-do")).to_be_hidden()
            expect(page.locator("#next-deadlines")).to_be_visible()
            expect(rows.nth(25)).to_be_visible()
            assert rows.first.locator("td.c-action").evaluate(
                "cell => cell.scrollWidth <= cell.clientWidth")  # not cut short
            page.screenshot(path=str(shots / "board-26-printed.png"), full_page=True,
                            animations="disabled")
            page.emulate_media(media="screen")

            # The row's action: acknowledged from the table, back at the same view.
            page.goto(f"/incidents/{KEY}?sort=party&dir=asc")
            row = page.locator("#duties tbody tr").first
            expect(row.locator("td.c-party")).to_have_text(party_name(0))
            row.get_by_role("button", name="Acknowledge").click()
            expect(page).to_have_url(re.compile(rf"/incidents/{KEY}\?sort=party&dir=asc#duty-\d+$"))
            row = page.locator("#duties tbody tr").first
            expect(row.locator("td.c-state")).to_have_text("acknowledged")
            expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
            expect(page.locator(".tally")).to_contain_text("acknowledged 1")

            # On a phone: two lines a duty, nothing wider than the screen, the action at hand.
            page.set_viewport_size(PHONE)
            page.goto(f"/incidents/{KEY}")
            rows = page.locator("#duties tbody tr")
            expect(rows).to_have_count(26)
            page.screenshot(path=str(shots / "board-26-phone.png"), animations="disabled")
            page.screenshot(path=str(shots / "board-26-phone-full.png"), full_page=True,
                            animations="disabled")
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            expect(page.locator("#next-deadlines")).to_be_in_viewport()
            expect(rows.first).to_be_in_viewport()
            for i in (0, 25):
                expect(rows.nth(i).locator("td.c-party")).to_be_visible()
                expect(rows.nth(i).locator("td.c-countdown")).to_be_visible()
                expect(rows.nth(i).locator("td.c-state")).to_be_visible()
                assert box(rows.nth(i))["width"] <= PHONE["width"]
            expect(rows.nth(1).get_by_role("button", name="Acknowledge")).to_be_visible()
            context.close()
            browser.close()
    finally:
        expect.set_options(timeout=5_000)
    assert not watch.problems, "\n".join(watch.problems)


def test_500_duties_fold_filter_sort_and_search(board_server, tmp_path):
    base_url, app = board_server(50, 10)
    shots = screenshot_folder(tmp_path / "screenshots")
    watch = BrowserWatch(base_url)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context, page = signed_in(browser, base_url, watch)
            started = time.monotonic()
            page.goto(f"/incidents/{KEY}")
            expect(page.locator("#duties tbody tr")).to_have_count(500)
            assert time.monotonic() - started < 10
            expect(page.locator(".tally")).to_contain_text("all 500")
            page.screenshot(path=str(shots / "board-500-desktop.png"), animations="disabled")

            # Grouped by party: 50 folded groups, their counts in the summary.
            page.get_by_label("Group", exact=True).select_option("party")
            page.get_by_role("button", name="Filter").click()
            expect(page).to_have_url(re.compile(r"group=party"))
            groups = page.locator("details.board-group")
            expect(groups).to_have_count(50)
            expect(page.locator("details.board-group[open]")).to_have_count(0)
            expect(page.locator("details.board-group tbody tr").first).to_be_hidden()
            third = groups.nth(2)  # names in reading order: Zone 1, Zone 2, Zone 3, ...

            expect(third.locator("summary")).to_contain_text(f"{party_name(2)} 10 duties open 10")
            page.screenshot(path=str(shots / "board-500-grouped-desktop.png"),
                            animations="disabled")
            third.locator("summary").click()
            expect(third.locator("tbody tr")).to_have_count(10)
            expect(third.locator("tbody tr").first).to_be_visible()
            expect(third.locator("tbody tr").first.locator("td.c-party")).to_have_text(
                party_name(2))
            page.screenshot(path=str(shots / "board-500-group-open-desktop.png"),
                            animations="disabled")

            # Filters in the address: a party and a modality; the form shows what is chosen.
            page.goto(f"/incidents/{KEY}")
            page.get_by_label("Party", exact=True).select_option(party_id(7))
            page.get_by_label("Modality", exact=True).select_option("must")
            page.get_by_role("button", name="Filter").click()
            expect(page).to_have_url(re.compile(
                rf"/incidents/{KEY}\?state=&party={party_id(7)}&agreement=&modality=must&q=&group="))
            rows = page.locator("#duties tbody tr")
            expect(rows).to_have_count(9)
            expect(rows.locator("td.c-party")).to_have_text([party_name(7)] * 9)
            expect(page.get_by_label("Party", exact=True)).to_have_value(party_id(7))
            expect(page.locator(".tally")).to_contain_text("all 9")

            # A text search, then sorting by a column header (a link: the view is kept).
            page.goto(f"/incidents/{KEY}?q=Tenth+STEP")
            rows = page.locator("#duties tbody tr")
            expect(rows).to_have_count(50)
            expect(rows.locator("td.c-clause")).to_have_text(["step_09"] * 50)
            expect(page.get_by_label("Search the duties")).to_have_value("Tenth STEP")
            page.locator("#duties thead").get_by_role("link", name="Party").click()
            expect(page).to_have_url(re.compile(r"q=Tenth\+STEP&sort=party&dir=asc"))
            expect(rows.first.locator("td.c-party")).to_have_text(party_name(0))
            page.locator("#duties thead").get_by_role("link", name="Party").click()
            expect(page).to_have_url(re.compile(r"sort=party&dir=desc"))
            expect(rows.first.locator("td.c-party")).to_have_text(party_name(49))  # "Zone 50 …"
            expect(page.locator('#duties th[aria-sort="descending"]')).to_have_text("Party ▼")

            # A count by state is a link that filters.
            page.goto(f"/incidents/{KEY}")
            page.locator(".tally").get_by_role("link", name="open 500").click()
            expect(page).to_have_url(re.compile(r"\?state=open$"))
            expect(page.locator("#duties tbody tr")).to_have_count(500)
            context.close()
            browser.close()
    finally:
        expect.set_options(timeout=5_000)
    assert not watch.problems, "\n".join(watch.problems)
