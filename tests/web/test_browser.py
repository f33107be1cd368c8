"""End to end in a real browser: a drafter writes an agreement with the live checker, two partners
sign it, a coordinator records a CAP alert, and a partner acknowledges its duty and verifies the
sealed PDF.

The real application runs on a free port with CSRF on, on a fresh SQLite database; only the
people are arranged beforehand. Every step goes through the pages, as a user would, and each
main page is photographed at a desktop and a phone width (into $COMPACT_SCREENSHOTS, else a
temporary folder). The browser must report no console error and no CSP violation throughout.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect, sync_playwright

from agreements import compiled
from agreements.models import Organisation
from agreements.seal import verify_pdf
from agreements.users import create_user_unchecked
from tests.agreements.conftest import LIBRARY
from web.app import create_app

from .browser_support import (DESKTOP, TIMEOUT_MS, BrowserWatch, Screens, launch, live_server,
                              screenshot_folder)

PASSWORD = "correct horse battery"
SLUG = "north-valley-flood-relay"
TITLE = "North Valley Flash Flood Warning Relay Agreement"
LAKESIDE, HARMON = "lakeside_county", "harmon_county"
NAMES = {LAKESIDE: "Lakeside County Office of Emergency Management",
         HARMON: "Harmon County Emergency Management Agency"}
CLAUSE_TITLE = "Relay of flash flood warnings"
# In effect today (an incident only gives duties under an agreement in its effective period).
_YEAR = date.today().year
EFFECTIVE = f"{min(_YEAR, 2026)}-01-01 until {max(_YEAR + 2, 2028)}-12-31"

# The agreement as the drafter types it: the role of the clause is misspelt on line 20.
DRAFT = f"""\
# Flash flood warnings on Willow Creek: who relays them, and how fast.
agreement {SLUG}
  title "{TITLE}"
  kind mou
  binding
  effective {EFFECTIVE}

recital "Lakeside and Harmon Counties share the Willow Creek watershed and the flash flood warnings issued for it."

party {LAKESIDE} "{NAMES[LAKESIDE]}"
  area ["FIPS:039001"]

party {HARMON} "{NAMES[HARMON]}"
  area ["FIPS:039003"]

role affected is parties whose area intersects incident.area

clause relay_warning "{CLAUSE_TITLE}"
  when incident.type == "flash flood warning"
  afected must "relay the warning's protective-action instructions on local warning channels" within 30 minutes
  text "Each County within the warned area shall relay the warning's protective-action instructions on its local warning channels within thirty (30) minutes of onset."

example "flash flood warning for both counties"
  incident \"\"\"
    {{"id": "NV-EX-2026-0618-FFW", "type": "flash flood warning",
     "area": ["FIPS:039001", "FIPS:039003"],
     "reported_at": "2026-06-18T23:10:00-05:00"}}
  \"\"\"
  expect {LAKESIDE} must relay_warning by 2026-06-19T04:40:00Z
  expect {HARMON} must relay_warning by 2026-06-19T04:40:00Z
"""
ERROR_LINE, ERROR_COLUMN = 20, 3
ROLE_LINE = 16  # `role affected …`, unused while the clause names 'afected'
ERROR_TEXT = "unknown role 'afected' (did you mean 'affected'?)"

ALERT = LIBRARY / "incidents" / "cap-flash-flood-warning.xml"


def fresh_alert(now: datetime) -> tuple[str, str]:
    """The library's CAP flash flood warning, moved to now (onset two minutes ago) under a new
    identifier, so that its duties are live rather than months overdue. Returns (key, XML)."""
    key = f"CO-NWS-{now:%Y-%m%d-%H%M%S}-FFW-001"
    times = {"sent": now, "effective": now, "onset": now - timedelta(minutes=2),
             "expires": now + timedelta(hours=6)}
    xml = ALERT.read_text(encoding="utf-8")
    for tag, moment in times.items():
        xml, n = re.subn(rf"<{tag}>[^<]+</{tag}>",
                         f"<{tag}>{moment:%Y-%m-%dT%H:%M:%S}+00:00</{tag}>", xml)
        assert n >= 1, tag
    xml, n = re.subn(r"<identifier>[^<]+</identifier>", f"<identifier>{key}</identifier>", xml)
    assert n == 1
    return key, xml


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real application with its real configuration (CSRF on) on a fresh SQLite database,
    with a drafter, a coordinator and a partner for each county."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    assert app.config.get("WTF_CSRF_ENABLED", True), "the browser test runs with CSRF on"
    with app.extensions["compact.sessions"]() as session:
        for org, name in NAMES.items():
            session.add(Organisation(id=org, name=name, created_at=datetime.now(timezone.utc)))
        session.flush()
        for email, name, role, org in (
                ("drafter@compact.example", "Dana Drafter", "drafter", None),
                ("coordinator@compact.example", "Cory Coordinator", "coordinator", None),
                ("lena@lakeside-county.example", "Lena Lake", "partner", LAKESIDE),
                ("hal@harmon-county.example", "Hal Harmon", "partner", HARMON)):
            create_user_unchecked(session, email=email, name=name, role=role,
                                  organisation_id=org, password=PASSWORD)
        session.commit()
    with live_server(app) as base_url:
        # CSRF is on: a form sent without its token is refused.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base_url}/login",
                                   data=b"email=drafter%40compact.example&password=x", timeout=10)
        assert refused.value.code == 400
        yield base_url, instance, app
    app.extensions["compact.engine"].dispose()


def test_agreement_from_draft_to_acknowledged_duty_and_verified_pdf(server, tmp_path):
    base_url, instance, _app = server
    shots = Screens(screenshot_folder(tmp_path / "screenshots"))
    watch = BrowserWatch(base_url)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        story(base_url, tmp_path, shots, watch)
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default, for any other test
        if watch.problems:
            print("Browser problems:", *watch.problems, sep="\n  ")
    data = (tmp_path / "downloaded.pdf").read_bytes()

    # The same bytes, checked outside the application against the deployment's certificate.
    checked = verify_pdf(data, [instance / "seal" / "seal-cert.pem"])
    assert checked.valid, checked.message
    assert (checked.agreement_id, checked.revision_number) == (SLUG, 1)

    assert not watch.problems, "\n".join(watch.problems)
    assert len(shots.taken) == 2 * shots.count


def story(base_url, tmp_path, shots: Screens, watch: BrowserWatch) -> None:
    """The four steps, each person in a browser window of their own; what each sees is checked."""
    with sync_playwright() as p:
        browser = launch(p)

        def person(email: str):
            """A new browser window (own cookies) in which `email` signs in."""
            context = browser.new_context(viewport=DESKTOP, base_url=base_url,
                                          accept_downloads=True)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = context.new_page()
            page.goto("/login")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            return context, page

        def nav(page, name: str):
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name=name, exact=True).click()

        def flash(page, text: str):
            expect(page.locator(".flash").filter(has_text=text)).to_be_visible()

        # ------------------------------------------------ 1. the drafter writes and publishes
        context = browser.new_context(viewport=DESKTOP, base_url=base_url)
        watch.watch(context)
        page = context.new_page()
        page.goto("/agreements")  # not signed in: sent to the sign-in page
        expect(page).to_have_url(re.compile(r"/login\?next="))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        shots.shoot(page, "sign-in")
        context.close()

        context, page = person("drafter@compact.example")
        expect(page).to_have_url(re.compile(r"/agreements$"))
        expect(page.get_by_role("heading", name="Agreements", exact=True)).to_be_visible()
        page.get_by_role("link", name="New agreement").click()
        expect(page.get_by_role("heading", name="New agreement")).to_be_visible()
        status = page.locator("#check-status")
        expect(status).to_have_text(re.compile(r"^0 errors, "))  # the starting template

        lines = DRAFT.splitlines()
        assert lines[ERROR_LINE - 1].startswith("  afected must") and lines[22].startswith("example")
        page.locator("#source").fill(DRAFT)
        expect(status).to_have_text("1 error, 1 warning")
        problem = page.locator("#diagnostics .diag-error")
        expect(problem).to_have_count(1)
        expect(problem.locator(".diag-jump")).to_have_text(
            f"line {ERROR_LINE}, column {ERROR_COLUMN}: error: {ERROR_TEXT}")
        expect(problem.locator(".snippet")).to_contain_text(f"{ERROR_LINE} |   afected must")
        expect(page.locator("#diagnostics .diag-warning")).to_contain_text(
            f"line {ROLE_LINE}, column 6: warning: role 'affected' is never used")
        gutter = page.locator(".editor-highlight .line.mark-error")
        expect(gutter).to_have_count(1)
        expect(gutter).to_have_attribute("data-n", str(ERROR_LINE))
        expect(page.locator(f'.editor-highlight .line.mark-warning[data-n="{ROLE_LINE}"]')) \
            .to_have_count(1)
        shots.shoot(page, "editor-with-error")

        # The fix, typed: the problem selects the misspelt word, the drafter types over it.
        problem.locator(".diag-jump").click()
        page.keyboard.type("affected")
        assert "\n  affected must " in page.locator("#source").input_value()
        expect(status).to_have_text("0 errors, 0 warnings")
        expect(page.locator("#diagnostics-empty")).to_be_visible()
        expect(page.locator("#diagnostics li")).to_have_count(0)
        expect(page.locator(".editor-highlight .line.mark-error")).to_have_count(0)

        page.get_by_role("button", name="Run examples").click()
        expect(page.locator("#example-results .examples-summary")).to_have_text(
            "1 passed, 0 failed")
        example = page.locator("#example-results .example")
        expect(example).to_have_count(1)
        expect(example).to_have_class(re.compile(r"\bexample-pass\b"))
        expect(example.locator(".badge")).to_have_text("pass")
        expect(example).to_contain_text("flash flood warning for both counties (line 23)")
        shots.shoot(page, "editor-clean")

        page.get_by_role("button", name="Create the agreement").click()
        expect(page).to_have_url(re.compile(rf"/agreements/{SLUG}$"))
        flash(page, f"Saved revision 1 of '{SLUG}'.")
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        page.get_by_role("button", name="Publish revision 1").click()
        flash(page, "Revision 1 is out for signature")
        expect(page.locator(".head-meta .badge").first).to_have_text("Out for signature")
        expect(page.get_by_text("0 of 2 parties have signed")).to_be_visible()
        expect(page.get_by_role("button", name="Publish revision 1")).to_have_count(0)
        shots.shoot(page, "agreement-detail")

        nav(page, "Agreements")
        row = page.locator("table.library tbody tr").filter(has_text=TITLE)
        expect(row).to_have_count(1)
        expect(row.locator(".badge.state-out_for_signature")).to_have_text("Out for signature")
        expect(row).to_contain_text(NAMES[HARMON])
        shots.shoot(page, "agreement-library")
        page.get_by_role("button", name="Sign out").click()
        flash(page, "You are signed out, here and on every other device")
        context.close()

        # ------------------------------------------------ 2. each county signs
        signers = [(LAKESIDE, "lena@lakeside-county.example", "Lena Lake",
                    "Emergency Management Director"),
                   (HARMON, "hal@harmon-county.example", "Hal Harmon",
                    "Director of the Emergency Management Agency")]
        for index, (org, email, name, title) in enumerate(signers):
            last = index == len(signers) - 1
            context, page = person(email)
            expect(page.get_by_role("heading", name="My agreements")).to_be_visible()
            card = page.locator(f"#agreement-{SLUG}")
            expect(card).to_contain_text(TITLE)
            expect(card).to_contain_text(f"{index} of 2 parties have signed revision 1")
            expect(card).to_contain_text(f"{NAMES[org]} has not signed")
            if index == 0:
                shots.shoot(page, "my-agreements-to-sign")
            card.get_by_role("link", name="Sign revision 1").click()
            expect(page.get_by_role("heading", name="Sign revision 1")).to_be_visible()
            expect(page.get_by_label("Full name")).to_have_value(name)
            page.get_by_label("Title", exact=True).fill(title)
            page.get_by_role("checkbox").check()
            if index == 0:
                shots.shoot(page, "sign-form")
            page.get_by_role("button", name=f"Sign for {NAMES[org]}").click()
            expect(page).to_have_url(re.compile(r"/my/agreements$"))
            flash(page, f"You signed revision 1 of “{TITLE}” for {NAMES[org]}.")
            card = page.locator(f"#agreement-{SLUG}")
            expect(card).to_contain_text(f"{NAMES[org]} has signed")
            if last:
                flash(page, "Every party has signed: the agreement is executed and in force.")
                expect(card.locator(".badge.state-executed")).to_have_text("Executed")
                expect(card).to_contain_text("2 of 2 parties have signed revision 1")
                expect(card.get_by_role("link", name="Download signed PDF (revision 1)")) \
                    .to_be_visible()
                shots.shoot(page, "my-agreements-executed")
            else:
                expect(card.locator(".badge.state-out_for_signature")).to_be_visible()
            context.close()

        # ------------------------------------------------ 3. the coordinator records the alert
        key, xml = fresh_alert(datetime.now(timezone.utc).replace(microsecond=0))
        alert_file = tmp_path / "flash-flood-warning.xml"
        alert_file.write_text(xml, encoding="utf-8")

        context, page = person("coordinator@compact.example")
        expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
        page.get_by_role("link", name="Record an incident").click()
        expect(page.get_by_role("heading", name="Record an incident")).to_be_visible()
        expect(page.locator(".page-head")).to_contain_text(SLUG)  # the agreement is in force
        upload = page.locator("#by-file")
        upload.locator('input[type="file"]').set_input_files(alert_file)
        shots.shoot(page, "record-incident")
        upload.get_by_role("button", name="Upload and record").click()

        expect(page.get_by_role("heading", name=key)).to_be_visible()
        flash(page, f"Incident {key} recorded: 2 duties for 2 parties.")
        expect(page.locator(".page-head")).to_contain_text("flash flood warning")
        # The board's table: one row a duty, its party, clause, modality, action and state.
        rows = page.locator("#duties tbody tr")
        expect(rows).to_have_count(2)
        for org in (LAKESIDE, HARMON):
            duty = rows.filter(has=page.locator("td.c-party", has_text=NAMES[org]))
            expect(duty).to_have_count(1)
            expect(duty.locator("td.c-clause a")).to_have_text("relay_warning")
            expect(duty.locator("td.c-clause a")).to_have_attribute(
                "title", re.compile("^" + re.escape(CLAUSE_TITLE)))
            expect(duty.locator("td.c-modality")).to_have_text("must")
            expect(duty.locator("td.c-action")).to_contain_text(
                "relay the warning's protective-action instructions")
            expect(duty.locator("td.c-state .badge.state-open")).to_have_text("open")
            # Onset two minutes ago, 30 minutes to act: a live countdown, not overdue.
            expect(duty.locator("time.countdown")).to_have_text(re.compile(r"^in 2[7-9] min$"))
            expect(duty.locator(".overdue")).to_have_count(0)
        expect(page.locator("#next-deadlines li")).to_have_count(2)
        shots.shoot(page, "incident-board")
        # The same duties as cards, grouped by party, with the costs and the why.
        page.get_by_role("link", name="Show as cards").click()
        for org in (LAKESIDE, HARMON):
            group = page.locator(f"#party-{org}")
            expect(group.get_by_role("heading", level=2)).to_contain_text(NAMES[org])
            duty = group.locator("article.duty")
            expect(duty).to_have_count(1)
            expect(duty.locator(".duty-title")).to_contain_text(CLAUSE_TITLE)
            expect(duty.locator(".duty-action")).to_contain_text(
                "must relay the warning's protective-action instructions")
            expect(duty.locator(".duty-side .badge.state-open")).to_have_text("open")
            expect(duty.locator("time.countdown")).to_have_text(re.compile(r"^in 2[7-9] min$"))
        expect(page.locator("article.duty")).to_have_count(2)
        context.close()

        # ------------------------------------------------ 4. Lakeside acts and verifies its PDF
        context, page = person("lena@lakeside-county.example")
        nav(page, "My duties")
        expect(page.get_by_role("heading", name="My duties")).to_be_visible()
        rows = page.locator("table.duties tbody tr")
        expect(rows).to_have_count(1)  # Lakeside's duty only, never Harmon's
        expect(rows).to_contain_text(key)
        expect(rows).to_contain_text(CLAUSE_TITLE)
        state = rows.locator('td[data-label="State"] .badge')
        expect(state).to_have_text("open")
        rows.get_by_role("button", name="Acknowledge").click()
        expect(page).to_have_url(re.compile(r"/my/duties#duty-\d+$"))
        flash(page, f"{CLAUSE_TITLE} ({LAKESIDE}): acknowledged.")
        expect(state).to_have_text("acknowledged")
        expect(state).to_have_class(re.compile(r"\bstate-acknowledged\b"))
        expect(rows.get_by_role("button", name="Acknowledge")).to_have_count(0)
        expect(rows.get_by_role("button", name="Mark fulfilled")).to_be_visible()
        shots.shoot(page, "my-duties")

        nav(page, "My agreements")
        with page.expect_download() as download_info:
            page.locator(f"#agreement-{SLUG}").get_by_role(
                "link", name="Download signed PDF (revision 1)").click()
        download = download_info.value
        assert download.failure() is None
        pdf_path = tmp_path / "downloaded.pdf"
        download.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF-")
        assert download.suggested_filename == f"{SLUG}-r1-executed.pdf"

        nav(page, "Verify a PDF")
        expect(page.get_by_role("heading", name="Verify a PDF")).to_be_visible()
        page.locator('input[name="pdf"]').set_input_files(pdf_path)
        page.get_by_role("button", name="Verify").click()
        verdict = page.locator("section.verdict")
        expect(verdict.get_by_role("heading", level=2).locator(".badge.ok")).to_have_text("Valid")
        expect(verdict.get_by_text("in force", exact=True)).to_be_visible()  # the revision in force
        expect(verdict.get_by_role("heading", level=2)).to_have_text(
            "Valid The seal is valid and names revision 1")
        expect(verdict.locator(".lead")).to_contain_text(f"revision 1 of “{TITLE}”")
        facts = verdict.locator("dl.facts")
        expect(facts).to_contain_text(SLUG)
        expect(facts.get_by_role("link", name=TITLE)).to_be_visible()
        shots.shoot(page, "verify-result")
        context.close()
        browser.close()


# An agreement in force that narrows `type`, for the mistyped-type story.
FLOOD_PROTOCOL = f"""\
agreement willow-creek-flood-protocol
  title "Willow Creek Flood Protocol"
  kind protocol
  binding
  effective {EFFECTIVE}

party {LAKESIDE} "{NAMES[LAKESIDE]}"
party {HARMON} "{NAMES[HARMON]}"

fields
  type text one of "flood", "wildfire"

clause sandbags "Sandbags"
  when incident.type == "flood"
  {LAKESIDE} must "open sandbag distribution points" within 3 hours

example "a flood"
  incident \"\"\"{{"id": "X", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}}\"\"\"
  expect {LAKESIDE} must sandbags by 2026-03-14T11:00:00Z
"""


def test_a_mistyped_type_is_recorded_with_a_warning_and_a_suggestion(server, tmp_path):
    """'Flood ' (a capital and a trailing space) gives no duty: the banner says so as a
    warning, not a success, and the board names the value, the suggestion and why nothing."""
    from sqlalchemy import select

    from agreements.drafting import create_agreement, publish
    from agreements.models import User
    from agreements.signing import sign
    base_url, _instance, app = server
    now = datetime.now(timezone.utc)
    with app.extensions["compact.sessions"]() as session:
        user = {u.email: u for u in session.scalars(select(User))}
        create_agreement(session, user["drafter@compact.example"], FLOOD_PROTOCOL, now=now)
        publish(session, user["drafter@compact.example"], "willow-creek-flood-protocol", 1,
                now=now)
        for email in ("lena@lakeside-county.example", "hal@harmon-county.example"):
            sign(session, user[email], "willow-creek-flood-protocol", 1, signer_name="Signer",
                 signer_title="Director", consent=True, now=now)
    watch = BrowserWatch(base_url)
    incident = ('{"id": "WC-2026-FLOOD-1", "type": "Flood ", "reported_at": "'
                f'{now:%Y-%m-%dT%H:%M:%S}Z"}}')
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=DESKTOP, base_url=base_url)
        context.set_default_timeout(TIMEOUT_MS)
        watch.watch(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail address").fill("coordinator@compact.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto("/incidents/new#by-paste")
        page.locator("#by-paste textarea[name=incident_text]").fill(incident)
        page.locator("#by-paste").get_by_role("button").click()
        banner = page.locator(".flash-warning").filter(has_text="WC-2026-FLOOD-1")
        expect(banner).to_have_text(
            "Incident WC-2026-FLOOD-1 recorded, but no agreement in force gave any duty and "
            "there is 1 warning: see below why each agreement gave nothing.")
        expect(page.locator(".flash-success")).to_have_count(0)
        warnings = page.locator("#evaluation-warnings")
        expect(warnings.get_by_role("heading")).to_have_text("No duty was given")
        expect(warnings.locator("ul.warnings li")).to_have_text(
            "warning type 'Flood ' is not one of the values any agreement lists "
            "(did you mean 'flood'?)")
        expect(warnings.locator("ul.why-none > li")).to_contain_text(
            "sandbags: when incident.type == \"flood\": incident.type == \"flood\" was false "
            "(was \"Flood \")")
        page.screenshot(path=str(screenshot_folder(tmp_path / "screenshots") /
                                 "flood-warning.png"), full_page=True)
        browser.close()
    assert not watch.problems, "\n".join(watch.problems)
