"""axe-core in a real browser: every main page, for each role that sees it, has no accessibility
violation of serious or critical impact.

axe-core comes from the npm registry through tests/web/axe/package-lock.json (`make install`
runs `npm ci` there). It is injected with Playwright's add_script_tag into each page; the
browser context bypasses the application's strict Content-Security-Policy for that (the test's
own script only: the pages themselves run as they always do). The data is arranged beforehand:
an agreement executed by its parties with an amendment out for signature, a live incident with
its duties, a channel message, and the notifications in the outbox.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from agreements import compiled, users
from agreements.dissemination.channel import post_message
from agreements.dissemination.models import Notification
from agreements.drafting import publish, save_revision
from agreements.incidents import record_incident
from agreements.models import Duty, User
from tests.agreements.conftest import library_text, make_people
from tests.agreements.test_duty_races import PARTIES, REQUEST, SLUG, _execute
from web.app import create_app

from .browser_support import (DESKTOP, TIMEOUT_MS, BrowserWatch, Screens, launch, live_server,
                              screenshot_folder)

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "secret pw"  # make_people's
PARTY = "lakeside_county"
BLOCKING = ("serious", "critical")
SHOTS = screenshot_folder(Path(__file__).resolve().parents[2] / "build" / "screenshots" / "axe")
EMAILS = {"admin": "admin@compact.example", "drafter": "drafter@compact.example",
          "coordinator": "coordinator@compact.example", "partner": f"{PARTY}@partner.example"}


def _at(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real application on a fresh SQLite database, with its record arranged; yields
    (base URL, the incident's key, a duty of PARTY)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.extensions["compact.sessions"]() as session:
        people = make_people(session, PARTIES)
        source = library_text("intrastate-mutual-aid.agreement")
        _execute(session, people, source, SLUG, PARTIES, "2026-01-02")
        # An amendment out for signature: the diff, and a sign page for the partners.
        save_revision(session, people.drafter, SLUG,
                      "# Amended: the contact list is reviewed every year.\n" + source,
                      base_revision=1)
        publish(session, people.drafter, SLUG, 2)
        incident = record_incident(session, people.coordinator, json.dumps(
            {**REQUEST, "reported_at": _at(now - timedelta(minutes=10)),
             "requested_at": _at(now - timedelta(minutes=5))}))
        key = incident.key
        duty = session.scalars(select(Duty).where(Duty.incident_id == incident.id,
                                                  Duty.party_id == PARTY)
                               .order_by(Duty.id)).first().id
        coordinator = session.scalar(select(User).where(User.email == EMAILS["coordinator"]))
        post_message(session, coordinator, key, "Staging area moved to the county fairground.")
        # The acknowledge link a partner's e-mail carries (its path: the server's port is new).
        mailed = session.scalars(select(Notification).where(Notification.organisation_id == PARTY,
                                                            Notification.channel == "email"))
        ack = next(re.search(r"/ack/[\w.-]+", n.body_text).group(0) for n in mailed
                   if "/ack/" in (n.body_text or ""))
    with live_server(app) as base_url:
        yield base_url, key, duty, ack
    app.extensions["compact.engine"].dispose()


def pages(key: str, duty: int, ack: str = "/ack/-") -> dict[str, list[str]]:
    """The main pages, each for the roles whose view of it differs (a board with or without
    actions, the agreement's page with or without editing), within about a minute."""
    agreement = f"/agreements/{SLUG}"
    return {
        "anonymous": ["/login", "/login/forgot", ack],
        "coordinator": ["/incidents", f"/incidents/{key}", f"/duties/{duty}", "/incidents/new",
                        f"/incidents/{key}/update", f"/incidents/{key}/why-not",
                        f"/incidents/{key}/timeline", "/agreements", agreement,
                        f"{agreement}/revisions/1/what-if", "/verify", "/account"],
        "drafter": ["/agreements", agreement, f"{agreement}/revisions/2",
                    f"{agreement}/diff?a=1&b=2", "/agreements/new", f"{agreement}/edit",
                    f"{agreement}/revisions/2/what-if", f"/incidents/{key}"],
        "admin": ["/admin/users", "/admin/outbox", f"/organisations/{PARTY}/contacts",
                  f"/organisations/{PARTY}/feeds", "/incidents", f"/incidents/{key}",
                  "/account"],
        "partner": ["/my/duties", "/my/agreements", f"/incidents/{key}", f"/duties/{duty}",
                    agreement, f"{agreement}/revisions/1", f"{agreement}/diff?a=1&b=2",
                    f"{agreement}/revisions/2/sign", f"{agreement}/withdraw",
                    f"/organisations/{PARTY}/contacts", f"/organisations/{PARTY}/feeds",
                    "/verify", "/account", "/help/language"],
    }


def _failed_sign_in(page, key):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(EMAILS["drafter"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()


def _new_token(page, key):
    page.goto("/account")
    page.get_by_role("textbox", name="Name", exact=True).fill("dashboard")
    page.get_by_label("Expires").fill("90")
    page.get_by_label("Read-only").check()
    page.get_by_role("button", name="Create a token").click()
    page.locator("#new-token").wait_for()


def _completion_open(page, key):
    with page.expect_response(lambda r: r.url.endswith("/agreements/names")):
        page.goto("/agreements/new")  # the names the list offers come with the page
    page.locator("#source").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n  fi")
    page.get_by_role("listbox", name="Names to insert").wait_for()


# States of pages that only an action shows: (role -> name -> how to get there).
STATES = {"anonymous": {"a refused sign-in": _failed_sign_in},
          "coordinator": {"a new token on the account page": _new_token},
          "drafter": {"the editor's completion list open": _completion_open}}


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now: rule id, impact, help, first targets."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return {passed: result.passes.length,
                violations: result.violations.map(v => ({id: v.id, impact: v.impact,
                    help: v.help, targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}))};
    }""")
    # The page's own content was examined (not an empty or blocked document).
    assert result["passed"] >= 10, f"{page.url}: axe-core passed only {result['passed']} rules"
    return result["violations"]


def described(found: list[tuple[str, str, dict]]) -> str:
    return "\n".join(f"{role} {path}: {v['id']} ({v['impact']}): {v['help']} at "
                     f"{', '.join(v['targets'])}" for role, path, v in found)


def test_no_page_has_a_serious_or_critical_accessibility_violation(server, capsys):
    assert AXE.is_file(), "axe-core is missing: run `make install` (npm ci in tests/web/axe)"
    base_url, key, duty, ack = server
    screens = Screens(SHOTS)
    watch = BrowserWatch(base_url)
    blocking, minor = [], []
    checked = 0
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for role, paths in pages(key, duty, ack).items():
                context = browser.new_context(viewport=DESKTOP, base_url=base_url,
                                              bypass_csp=True)
                context.set_default_timeout(TIMEOUT_MS)
                watch.watch(context)
                page = context.new_page()
                if role != "anonymous":
                    page.goto("/login")
                    page.get_by_label("E-mail address").fill(EMAILS[role])
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.get_by_role("button", name="Sign out").wait_for()
                for path in paths:
                    response = page.goto(path)
                    assert response.status == 200, f"{role} {path}: HTTP {response.status}"
                    for v in axe_violations(page):
                        (blocking if v["impact"] in BLOCKING else minor).append((role, path, v))
                    checked += 1
                for state, reach in STATES.get(role, {}).items():
                    reach(page, key)
                    for v in axe_violations(page):
                        (blocking if v["impact"] in BLOCKING else minor).append((role, state, v))
                    checked += 1
                    screens.shoot(page, f"{role} {state}")
                if role == "admin":  # the verdict of the verify page, for a sealed PDF
                    pdf = page.request.get(f"/agreements/{SLUG}/revisions/1/pdf").body()
                    page.goto("/verify")
                    page.get_by_label("Agreement PDF").set_input_files(
                        files=[{"name": "agreement.pdf", "mimeType": "application/pdf",
                                "buffer": pdf}])
                    page.get_by_role("button", name="Verify").click()
                    page.get_by_text("Valid").first.wait_for()
                    for v in axe_violations(page):
                        (blocking if v["impact"] in BLOCKING else minor).append(
                            (role, "/verify (verdict)", v))
                    checked += 1
                    screens.shoot(page, "verify verdict")
                context.close()
        finally:
            browser.close()
    with capsys.disabled():
        print(f"\naxe-core checked {checked} pages; below serious: {len(minor)}")
        if minor:
            print(described(minor))
    assert checked == (sum(len(p) for p in pages(key, duty, ack).values())
                       + sum(len(s) for s in STATES.values()) + 1)
    assert not blocking, "serious or critical violations:\n" + described(blocking)
    # The refused sign-in answers 401, as it should; nothing else fails.
    assert [p for p in watch.problems if "/login" not in p or "401" not in p] == [], \
        "\n".join(watch.problems)
