"""The agreement in plain words in a real browser: a partner opens the amendment out for
signature from the agreement page, reads it at a desktop and a phone width (and as printed),
then on the sign page reads what changed since the revision in force.

The real application runs on a free port with CSRF on, on a fresh SQLite database, as in
test_browser.py; the browser must report no console error and no CSP violation throughout.
Screenshots go to $COMPACT_SCREENSHOTS, else a temporary folder.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from agreements import compiled, users
from agreements.drafting import analyse, create_agreement, publish, save_revision
from agreements.signing import sign
from tests.agreements.conftest import T0, library_text, make_people
from web.app import create_app

from .browser_support import (DESKTOP, PHONE, TIMEOUT_MS, BrowserWatch, Screens, launch,
                              live_server, screenshot_folder)
from .conftest import TASK_FORCE, TASK_FORCE_ID
from .test_document_pages import TITLE, amended_text

PASSWORD = "secret pw"  # make_people's
PARTNER = "lakeside_county@partner.example"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The CAP joint task force protocol: revision 1 in force, revision 2 out for signature."""
    monkeypatch.setattr(users, "_N", 2 ** 4)  # the cost is stored with each hash
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    assert app.config.get("WTF_CSRF_ENABLED", True), "the browser test runs with CSRF on"
    with app.extensions["compact.sessions"]() as session:
        parties = analyse(library_text(TASK_FORCE)).parties
        people = make_people(session, [p for p, _ in parties], dict(parties))
        create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
        publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
        for party, partner in people.partners.items():
            sign(session, partner, TASK_FORCE_ID, 1, signer_name=f"Signer of {party}",
                 signer_title="Director", consent=True, now=T0)
        save_revision(session, people.drafter, TASK_FORCE_ID, amended_text(), base_revision=1,
                      now=T0)
        publish(session, people.drafter, TASK_FORCE_ID, 2, now=T0)
    with live_server(app) as base_url:
        yield base_url
    app.extensions["compact.engine"].dispose()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def box(locator) -> dict:
    return locator.bounding_box()


def test_a_partner_reads_the_amendment_in_plain_words_and_what_changed(server, tmp_path):
    base_url = server
    shots = Screens(screenshot_folder(tmp_path / "screenshots"))
    watch = BrowserWatch(base_url)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("E-mail address").fill(PARTNER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()

            # ------------------------------------------------ from the agreement page
            page.goto(f"/agreements/{TASK_FORCE_ID}")
            page.get_by_role("link", name="Read revision 2 in plain words").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(page.locator(".doc-state")).to_contain_text("Revision 2 out for signature")
            clause = page.locator("#clause-2")
            expect(clause.get_by_role("heading", level=3)).to_have_text(
                "2. Relay of protective actions")
            summary = clause.get_by_role("region", name="Summary of clause 2")
            expect(summary.locator("dt:text-is('By when') + dd")).to_have_text(
                "within 45 minutes of the incident's onset")
            own = page.locator("#annex-lakeside_county")
            expect(own.get_by_role("heading", level=3)).to_contain_text("your organisation")
            expect(own.locator("tbody tr")).to_have_count(5)
            expect(own.locator("tbody tr").nth(2)).to_contain_text("6. Opening of shelters")
            # Beside the clause on a desktop, below it on a phone; no sideways scrolling.
            text = clause.locator(".clause-body")
            assert abs(box(summary)["y"] - box(text)["y"]) < 2
            assert box(summary)["x"] > box(text)["x"] + box(text)["width"] - 1
            no_sideways_scroll(page)
            page.set_viewport_size(PHONE)
            assert box(summary)["y"] >= box(text)["y"] + box(text)["height"] - 1
            no_sideways_scroll(page)
            by_when = own.locator("tbody tr").nth(2).locator("td").nth(2)
            # Each cell says what it is, as the table's header is not shown on a phone.
            expect(own.locator("thead")).to_be_hidden()
            assert by_when.evaluate("td => getComputedStyle(td, '::before').content") == \
                '"By when"'
            expect(by_when).to_have_text("within 3 hours of the incident's onset")
            page.set_viewport_size(DESKTOP)
            shots.shoot(page, "plain words revision 2")

            # ------------------------------------------------ as printed
            page.emulate_media(media="print")
            expect(page.locator(".topbar")).to_be_hidden()
            expect(page.locator(".doc-contents")).to_be_hidden()
            expect(page.locator(".doc-actions")).to_be_hidden()
            expect(page.get_by_role("heading", name="Annex: duties by party")).to_be_visible()
            page.screenshot(path=str(shots.folder / "plain-words-printed.png"), full_page=True)
            page.emulate_media(media="screen")

            # ------------------------------------------------ the sign page
            page.get_by_role("link", name="Sign revision 2").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Sign revision 2")
            page.get_by_role("link", name="what changed since revision 1 (in force)").click()
            changes = page.locator("#changes")
            expect(changes.get_by_role("heading", level=2)).to_have_text(
                "What changed since revision 1 (in force)")
            relay = changes.locator("table").first.locator("tbody tr")
            expect(relay).to_have_count(1)
            expect(relay.locator("th, td")).to_have_text([
                "By when", "within 30 minutes of the incident's onset",
                "within 45 minutes of the incident's onset"])
            expect(changes).to_contain_text("Added: Columbia River Basin Board (river_board)")
            expect(changes).to_contain_text("Clause 5 of revision 1 removed: High-water vehicles")
            no_sideways_scroll(page)
            page.set_viewport_size(PHONE)
            no_sideways_scroll(page)
            page.set_viewport_size(DESKTOP)
            shots.shoot(page, "sign page with the changes")

            with page.expect_navigation():
                changes.get_by_role("link", name="Compare the text line by line").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("revision")
            assert page.url.endswith(f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2")
        finally:
            expect.set_options(timeout=5_000)  # Playwright's default, for any other test
            browser.close()
            if watch.problems:
                print("Browser problems:", *watch.problems, sep="\n  ")
    assert not watch.problems, "\n".join(watch.problems)
    assert len(shots.taken) == 2 * shots.count == 4
