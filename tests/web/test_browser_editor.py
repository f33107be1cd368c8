"""The editor's helpers in a real browser: starting from a model agreement, the Format button,
completion of names as the drafter types, and the keyword help that links to the language
reference. Chromium (Debian's) runs the real application with CSRF on; the pages must log no
console error and no CSP violation, and are photographed at a desktop and a phone width."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect, sync_playwright

from agreements import compiled
from agreements.library_models import SKELETON
from agreements.users import create_user_unchecked
from dsl.formatter import format_source
from web.app import create_app

from .browser_support import (DESKTOP, TIMEOUT_MS, BrowserWatch, Screens, launch, live_server,
                              screenshot_folder)

PASSWORD = "correct horse battery"
MESSY = """agreement messy-one
    title "Messy"
 kind mou
      non-binding
 effective 2026-01-01
party first "First"
party second "Second"
clause c "C"
      when incident.type == "flood"
  first must "call the second party"    within 2 hours
example "e"
 incident \"\"\"{"id": "1", "type": "flood", "reported_at": "2026-02-01T00:00:00Z"}\"\"\"
 expect first must c by 2026-02-01T02:00:00Z
"""


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'compact.sqlite'}")
    monkeypatch.setenv("COMPACT_SECRET_KEY", "browser-test-secret-key")
    compiled.clear()
    app = create_app()
    with app.extensions["compact.sessions"]() as session:
        create_user_unchecked(session, email="drafter@compact.example", name="Dana Drafter",
                              role="drafter", organisation_id=None, password=PASSWORD,
                              at=datetime.now(timezone.utc))
        session.commit()
    with live_server(app) as base_url:
        yield base_url
    app.extensions["compact.engine"].dispose()


def test_format_completion_and_keyword_help(server, tmp_path):
    base_url = server
    shots = Screens(screenshot_folder(tmp_path / "screenshots"))
    watch = BrowserWatch(base_url)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(viewport=DESKTOP, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            watch.watch(context)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("E-mail address").fill("drafter@compact.example")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            story(page, shots)
            context.close()
            browser.close()
    finally:
        expect.set_options(timeout=5_000)
        if watch.problems:
            print("Browser problems:", *watch.problems, sep="\n  ")
    # The one refusal the story asks for: Format of a text with a syntax error answers 422 (the
    # browser logs every 4xx of a fetch on its console). Anything else is a problem.
    refused = [p for p in watch.problems
               if p.endswith("HTTP 422: POST " + base_url + "/agreements/format")
               or p.endswith("console error: Failed to load resource: the server responded with "
                             "a status of 422 (UNPROCESSABLE ENTITY)")]
    assert len(refused) == 2, watch.problems
    others = [p for p in watch.problems if p not in refused]
    assert not others, "\n".join(others)
    assert len(shots.taken) == 2 * shots.count


def story(page, shots: Screens) -> None:
    source = page.locator("#source")
    status = page.locator("#check-status")
    listbox = page.get_by_role("listbox", name="Names to insert")
    format_message = page.locator("#format-message")

    # ------------------------------------------------ a new agreement: skeleton, or a model
    page.goto("/agreements/new")
    expect(page.get_by_role("heading", name="New agreement")).to_be_visible()
    expect(status).to_have_text("0 errors, 0 warnings")  # the skeleton does not warn
    assert source.input_value() == SKELETON
    shots.shoot(page, "new-agreement-start-from")

    page.get_by_text("Start from a model agreement of the library").click()
    model = page.get_by_role("radio", name=re.compile(r"^Columbia Intrastate Mutual Aid Agreement"))
    model.check()
    page.get_by_label("Id of the new agreement").fill("pine-valley-aid")
    page.get_by_role("button", name="Start from this").click()
    expect(page).to_have_url(re.compile(r"/agreements/new\?model=intrastate-mutual-aid"))
    assert "\nagreement pine-valley-aid\n" in source.input_value()
    expect(status).to_have_text("0 errors, 0 warnings")
    expect(model).to_be_checked()  # the choice is kept, open

    # ------------------------------------------------ Format
    source.fill(MESSY)
    expect(status).to_have_text("0 errors, 0 warnings")
    source.evaluate("t => { t.focus(); t.setSelectionRange(t.value.indexOf('call the'), "
                    "t.value.indexOf('call the')); }")
    page.get_by_role("button", name="Format").click()
    expect(format_message).to_have_text("Formatted: the text is in the standard layout.")
    expect(source).to_have_value(format_source(MESSY))
    # The cursor stays before the same word.
    assert source.evaluate("t => t.value.slice(t.selectionStart, t.selectionStart + 8)") \
        == "call the"
    page.get_by_role("button", name="Format").click()
    expect(format_message).to_have_text("The text is already in the standard layout.")

    broken = format_source(MESSY).replace('must "call the second party"', "must call")
    source.fill(broken)
    expect(format_message).to_have_text("")  # typing clears the last answer
    page.get_by_role("button", name="Format").click()
    expect(format_message).to_have_text(
        "The text was not formatted: it has a syntax error (line 13, column 14): "
        "expected the action in double quotes, found 'call'.")
    expect(format_message).to_have_class(re.compile(r"\bbad\b"))
    expect(source).to_have_value(broken)  # unchanged
    expect(status).to_have_text("1 error, 0 warnings")  # the checker says the same
    shots.shoot(page, "format-syntax-error")

    # ------------------------------------------------ completion as the drafter types
    with page.expect_response(re.compile(r"/agreements/names$")):
        source.fill(format_source(MESSY))  # its names are asked for at once
    expect(status).to_have_text("0 errors, 0 warnings")
    source.click()
    page.keyboard.press("Control+End")
    page.keyboard.type('\nclause late "Late reply"\n  when incident.ty')
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_contain_text("type")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    assert source.input_value().endswith("\n  when incident.type")

    page.keyboard.type(' == "storm"\n  sec')
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option").first
    expect(option).to_contain_text("second")
    expect(option).to_contain_text("party · Second")
    shots.shoot(page, "completion-open")
    page.keyboard.press("Enter")
    assert source.input_value().endswith('== "storm"\n  second')

    page.keyboard.type(" mu")
    expect(listbox.get_by_role("option")).to_have_text(["mustkeyword", "must notkeyword",
                                                        "mutual-aidkeyword"])
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    assert source.input_value().endswith("  second mu")  # Escape inserts nothing
    page.keyboard.type('st "answer" within 3 hours')
    expect(status).to_have_text("0 errors, 0 warnings")

    # ------------------------------------------------ keyword help, by mouse and by keyboard
    keyword = page.locator(".editor-highlight .tok-kw", has_text=re.compile(r"^within$")).first
    box = None
    for _ in range(20):  # the copy is redrawn after each check: measure it once it stands still
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                      "requestAnimationFrame(r)))")
        box = keyword.bounding_box()
        if box is not None:
            break
    assert box is not None, "the keyword 'within' is not drawn"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.get_by_role("tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("within A deadline: that long after reported_at")
    link = tip.get_by_role("link", name="More on ‘within’ in the language reference")
    expect(link).to_have_attribute("href", "/help/language#deadlines")
    shots.shoot(page, "keyword-help-on-hover")

    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()
    source.evaluate("t => { t.focus(); const at = t.value.indexOf('  kind ') + 3; "
                    "t.setSelectionRange(at, at); }")
    page.keyboard.press("ArrowRight")
    help_line = page.locator("#editor-help")
    expect(help_line).to_contain_text("kind What sort of agreement")
    expect(help_line.get_by_role("link")).to_have_attribute("href", "/help/language#agreement")

    # The link leads to the section it names.
    with page.context.expect_page() as opened:
        link_line = help_line.get_by_role("link")
        link_line.click()
    reference = opened.value
    reference.wait_for_load_state()
    expect(reference).to_have_url(re.compile(r"/help/language#agreement$"))
    expect(reference.locator("h3#agreement")).to_be_visible()
    expect(reference.get_by_role("heading", name="The Compact agreement language")).to_be_visible()
    shots.shoot(reference, "language-reference")
    reference.close()

    # ------------------------------------------------ the library's search reaches clauses
    page.get_by_role("button", name="Create the agreement").click()
    expect(page).to_have_url(re.compile(r"/agreements/messy-one$"))
    expect(page.locator(".flash")).to_contain_text("Saved revision 1 of 'messy-one'.")
    page.wait_for_load_state("load")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    page.get_by_role("searchbox", name="Search").fill("Call The Second")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.library tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".clause-hits li")).to_have_text(
        "Clause c “C”: its action call the second party")  # <q> draws the quotes
    shots.shoot(page, "library-search-by-clause-action")
