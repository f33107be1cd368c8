"""The agreement pages: library, editor, live checking, revisions, diffs, what-if, publish, PDFs."""

from __future__ import annotations

import html
import re

import pytest

from agreements.drafting import create_agreement, publish, save_revision
from agreements.incidents import record_incident
from agreements.models import Organisation
from agreements.users import create_user_unchecked
from tests.agreements.conftest import library_text
from web.source_view import diff_rows, highlight_lines

from .conftest import ALERT, PASSWORD, T0, TASK_FORCE, TASK_FORCE_ID

LANGUAGE_EXAMPLE = library_text("intrastate-mutual-aid.agreement")
MUTUAL_AID_ID = "columbia-intrastate-mutual-aid"

# The language reference's own example, with the role misspelt as in interfaces.md.
LAKESIDE = '''\
# Lakeside County / City of Riverbend mutual aid
agreement lakeside-riverbend-mutual-aid
  title "Mutual Aid Agreement between Lakeside County and the City of Riverbend"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31
  governing law "the laws of the State of Columbia"
  withdrawal notice 30 days

party lakeside "Lakeside County Office of Emergency Management"
  region "Lakeside"
party riverbend "City of Riverbend Fire Department"
  region "Riverbend"

fields
  type text one of "flood", "wildfire", "hazmat"
  requested_by party
  requested_at time

role requesting is incident.requested_by
role assisting is parties except requesting

trigger major_flood when incident.type == "flood" and incident.severity >= "severe"

clause engines "Deployment of engine strike teams"
  when major_flood and incident.requested_by is given
  asisting must "deploy one Type 1 engine strike team" within 4 hours
  costs borne by requesting
'''
MISSPELT_LINE = 27


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """The page's words, without tags."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r" ([,.;:])", r"\1", re.sub(r"\s+", " ", html.unescape(text)))


def textarea(response) -> str:
    match = re.search(r'<textarea[^>]*name="source"[^>]*>\n?(.*?)</textarea>',
                      response.get_data(as_text=True), re.S)
    assert match, "the page has no source textarea"
    return html.unescape(match.group(1))


@pytest.fixture(autouse=True)
def user_per_request(app):
    """The `session` fixture keeps an application context pushed for the whole test, so every
    request of the test shares its `g`, where Flask-Login caches the signed-in user: without
    this, a second client of the same test would act as the first one's user."""
    from flask import g, request_started

    def forget_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)


@pytest.fixture
def outsider(session):
    """A partner of an organisation that is party to nothing."""
    session.add(Organisation(id="elsewhere", name="Elsewhere County", created_at=T0))
    user = create_user_unchecked(session, email="outsider@partner.example", name="Otto Outsider",
                                 role="partner", organisation_id="elsewhere", password=PASSWORD,
                                 at=T0)
    session.commit()
    return user


@pytest.fixture
def draft(session, people):
    """The intrastate mutual aid agreement as a draft (same parties as the task force, mostly)."""
    return create_agreement(session, people.drafter, LANGUAGE_EXAMPLE, now=T0)


def no_inline_code(text: str) -> None:
    """The CSP forbids inline scripts and styles: pages must not rely on them."""
    assert "style=" not in text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not re.search(r"\son[a-z]+=\"", text)


# ---------------------------------------------------------------- library

def test_the_library_lists_every_agreement_for_a_drafter(app, people, executed, draft,
                                                         client_for):
    response = client_for(people.drafter).get("/agreements")
    text = page(response)
    assert response.status_code == 200
    assert "Protocol on a Joint Task Force Activated by Common Alerting Protocol" in text
    assert "Columbia Intrastate Mutual Aid Agreement" in text
    assert TASK_FORCE_ID in text and MUTUAL_AID_ID in text
    assert "Executed" in text and "Draft" in text
    assert "New agreement" in text and 'href="/agreements/new"' in text
    assert "Columbia State Patrol" in text  # parties are listed
    no_inline_code(response.get_data(as_text=True))


def test_library_filters_by_text_kind_status_and_party(app, people, executed, draft,
                                                       client_for):
    client = client_for(people.coordinator)

    def slugs(query):
        text = page(client.get("/agreements" + query))
        return {s for s in (TASK_FORCE_ID, MUTUAL_AID_ID) if f"/agreements/{s}\"" in text}

    assert slugs("") == {TASK_FORCE_ID, MUTUAL_AID_ID}
    assert slugs("?q=joint+task") == {TASK_FORCE_ID}
    assert slugs("?q=" + MUTUAL_AID_ID) == {MUTUAL_AID_ID}
    assert slugs("?q=national+guard") == {TASK_FORCE_ID}  # a party's name
    assert slugs("?kind=mutual-aid") == {MUTUAL_AID_ID}
    assert slugs("?kind=protocol") == {TASK_FORCE_ID}
    assert slugs("?status=executed") == {TASK_FORCE_ID}
    assert slugs("?status=draft") == {MUTUAL_AID_ID}
    assert slugs("?party=columbia_guard") == {TASK_FORCE_ID}
    assert slugs("?party=lakeside_county") == {TASK_FORCE_ID, MUTUAL_AID_ID}
    assert slugs("?q=nothing+like+this") == set()
    text = page(client.get("/agreements?kind=protocol"))
    assert '<option value="protocol" selected>' in text  # selects built from the data
    assert '<option value="mutual-aid">' in text
    assert '<option value="columbia_guard">Columbia National Guard</option>' in text
    assert "1 of 2 agreements match" in text
    assert "New agreement" not in text  # coordinators do not draft


def test_a_partner_sees_only_its_published_agreements(app, people, executed, draft,
                                                      client_for, outsider):
    text = page(client_for(people.partners["state_eoc"]).get("/agreements"))
    assert TASK_FORCE_ID in text
    assert MUTUAL_AID_ID not in text  # a draft, though state_eoc is named in it
    assert "New agreement" not in text
    text = page(client_for(outsider).get("/agreements"))
    assert TASK_FORCE_ID not in text and "not yet party to a published agreement" in text


# ---------------------------------------------------------------- detail

def test_the_detail_page_shows_status_signatures_and_revisions(app, people, executed,
                                                                client_for):
    response = client_for(people.drafter).get(f"/agreements/{TASK_FORCE_ID}")
    text = page(response)
    assert response.status_code == 200
    assert "Executed" in text and "in force" in text
    assert "Signer of state_eoc" in text and "Director" in text and "2026-06-18 12:00 UTC" in text
    assert "8 of 8 parties have signed" in text
    assert executed.content_hash[:12] in text
    assert "Dana Drafter" in text
    assert f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf" in text
    assert f"/agreements/{TASK_FORCE_ID}/revisions/1/what-if" in text
    assert ">Edit<" in text
    assert "Publish revision" not in text  # revision 1 is already executed
    no_inline_code(response.get_data(as_text=True))


def test_unsigned_parties_read_not_yet_signed_and_partners_get_no_edit_button(
        app, session, people, client_for):
    create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
    text = page(client_for(people.partners["harmon_county"]).get(f"/agreements/{TASK_FORCE_ID}"))
    assert "Out for signature" in text
    assert text.count("not yet signed") == 8
    assert "0 of 8 parties have signed" in text
    assert ">Edit<" not in text and "Publish revision" not in text


def test_a_draft_with_errors_cannot_be_published_and_shows_where(app, session, people,
                                                                  client_for):
    create_agreement(session, people.drafter, LAKESIDE, now=T0)
    text = page(client_for(people.drafter).get("/agreements/lakeside-riverbend-mutual-aid"))
    assert f"line {MISSPELT_LINE}, column 3: error: unknown role 'asisting' (did you mean " \
           f"'assisting'?)" in text
    assert "Publish revision" not in text
    assert "1 error: fix it" in text


# ---------------------------------------------------------------- editor: create

def test_the_new_agreement_editor_is_for_drafters_and_admins(app, people, client_for):
    response = client_for(people.drafter).get("/agreements/new")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="source"' in text and "agreement new-agreement" in textarea(response)
    assert 'data-check-url="/agreements/check"' in text
    assert '<script src="/static/highlight.js"></script>' in text
    assert '<script src="/static/editor.js"></script>' in text
    no_inline_code(text)
    assert client_for(people.admin).get("/agreements/new").status_code == 200
    for user in (people.coordinator, people.partners["state_eoc"]):
        assert client_for(user).get("/agreements/new").status_code == 403
        assert client_for(user).post("/agreements/new", data={"source": LAKESIDE}).status_code \
            == 403


def test_creating_redirects_to_the_detail_page(app, people, client_for):
    client = client_for(people.drafter)
    response = client.post("/agreements/new", data={"source": LANGUAGE_EXAMPLE})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agreements/{MUTUAL_AID_ID}"
    text = page(client.get(response.headers["Location"]))
    assert f"Saved revision 1 of '{MUTUAL_AID_ID}'." in text
    assert "Publish revision 1" in text


def test_creating_with_errors_keeps_the_text_and_says_where(app, people, client_for):
    client = client_for(people.drafter)
    headless = "# no header\n\nparty a \"A\"\nrole x is a\n"
    response = client.post("/agreements/new", data={"source": headless.replace("\n", "\r\n")})
    assert response.status_code == 422
    text = page(response)
    assert "does not start with 'agreement ID'" in text
    assert textarea(response) == headless  # kept, with the browser's CRLF made LF
    assert re.search(r"line \d+, column \d+: error: ", text)
    # A draft may be saved with errors: it is created, and its detail page says where they are.
    response = client.post("/agreements/new", data={"source": LAKESIDE})
    assert response.status_code == 302
    text = page(client.get(response.headers["Location"]))
    assert f"line {MISSPELT_LINE}, column 3" in text and "It has 1 error" in text


def test_creating_an_existing_agreement_is_a_conflict_and_keeps_the_text(app, people,
                                                                         executed, client_for):
    text = library_text(TASK_FORCE) + "\n# my own notes\n"
    response = client_for(people.drafter).post("/agreements/new", data={"source": text})
    assert response.status_code == 409
    assert f"An agreement '{TASK_FORCE_ID}' already exists" in page(response)
    assert textarea(response) == text


# ---------------------------------------------------------------- editor: revise

def test_editing_saves_a_new_revision(app, people, executed, client_for):
    client = client_for(people.drafter)
    response = client.get(f"/agreements/{TASK_FORCE_ID}/edit")
    assert response.status_code == 200
    assert '<input type="hidden" name="base_revision" value="1">' in response.get_data(True)
    assert textarea(response) == executed.source
    changed = executed.source.replace("within 1 hour", "within 45 minutes")
    response = client.post(f"/agreements/{TASK_FORCE_ID}/edit",
                           data={"source": changed, "base_revision": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agreements/{TASK_FORCE_ID}"
    text = page(client.get(response.headers["Location"]))
    assert f"Saved revision 2 of '{TASK_FORCE_ID}'." in text
    assert "Publish revision 2" in text
    assert f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2" in html.unescape(text)


def test_saving_unchanged_text_makes_no_revision(app, people, executed, client_for):
    client = client_for(people.drafter)
    response = client.post(f"/agreements/{TASK_FORCE_ID}/edit",
                           data={"source": executed.source, "base_revision": "1"},
                           follow_redirects=True)
    text = page(response)
    assert "No changes: revision 1 is unchanged" in text
    assert "Publish revision" not in text
    assert f"/revisions/2" not in text


def test_saving_over_a_newer_revision_is_a_conflict_that_keeps_the_text(
        app, session, people, executed, client_for):
    client = client_for(people.drafter)
    client.get(f"/agreements/{TASK_FORCE_ID}/edit")  # the editor loaded revision 1 ...
    save_revision(session, people.drafter2, TASK_FORCE_ID,
                  executed.source.replace("within 2 hours", "within 3 hours"), base_revision=1)
    mine = executed.source.replace("within 1 hour", "within 45 minutes")
    response = client.post(f"/agreements/{TASK_FORCE_ID}/edit",
                           data={"source": mine, "base_revision": "1"})
    assert response.status_code == 409
    text = page(response)
    assert "Revision 2 of 'columbia-cap-joint-task-force' was saved by Drew Drafter" in text
    assert "nothing was saved" in text
    assert textarea(response) == mine
    assert f'href="/agreements/{TASK_FORCE_ID}/revisions/2"' in text
    assert f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2" in text
    assert "Save over revision 2" in text
    # Having read revision 2, the drafter may save over it on purpose.
    response = client.post(f"/agreements/{TASK_FORCE_ID}/edit",
                           data={"source": mine, "base_revision": "1", "overwrite": "2"})
    assert response.status_code == 302
    assert "Saved revision 3" in page(client.get(response.headers["Location"]))


def test_a_revision_must_keep_the_agreement_id(app, people, executed, client_for):
    other = executed.source.replace(f"agreement {TASK_FORCE_ID}", "agreement another-id")
    response = client_for(people.drafter).post(f"/agreements/{TASK_FORCE_ID}/edit",
                                               data={"source": other, "base_revision": "1"})
    assert response.status_code == 422
    assert "an agreement keeps its id across revisions" in page(response)
    assert textarea(response) == other


# ---------------------------------------------------------------- live checking

def test_check_reports_each_diagnostic_with_its_place(app, people, client_for):
    response = client_for(people.drafter).post("/agreements/check", json={"source": LAKESIDE})
    assert response.status_code == 200
    body = response.get_json()
    assert body["errors"] == 1
    assert body["warnings"] == len(body["diagnostics"]) - 1
    error = next(d for d in body["diagnostics"] if d["severity"] == "error")
    assert error == {
        "severity": "error", "line": MISSPELT_LINE, "column": 3, "end_line": MISSPELT_LINE,
        "end_column": 11,
        "message": "unknown role 'asisting' (did you mean 'assisting'?)",
        "rendered": (f"<agreement>:{MISSPELT_LINE}:3: error: unknown role 'asisting' (did you "
                     f"mean 'assisting'?)\n"
                     f"   {MISSPELT_LINE} |   asisting must \"deploy one Type 1 engine strike "
                     f"team\" within 4 hours\n"
                     f"      |   ^^^^^^^^"),
    }


def test_check_of_a_clean_text_and_of_a_syntax_error(app, people, client_for):
    client = client_for(people.coordinator)
    body = client.post("/agreements/check", json={"source": library_text(TASK_FORCE)}).get_json()
    assert body == {"errors": 0, "warnings": 0, "diagnostics": []}
    body = client.post("/agreements/check", json={"source": "agreement x\n  title 12\n"}).get_json()
    assert body["errors"] >= 1 and body["diagnostics"][0]["line"] == 2


def test_check_refuses_what_it_cannot_take(app, people, client_for):
    client = client_for(people.drafter)
    response = client.post("/agreements/check", data="agreement x", content_type="text/plain")
    assert response.status_code == 415 and response.is_json
    assert "application/json" in response.get_json()["error"]["message"]
    response = client.post("/agreements/check", json={"source": "#" * (513 * 1024)})
    assert response.status_code == 413 and response.is_json
    response = client.post("/agreements/check", json={"text": "agreement x"})
    assert response.status_code == 400 and response.is_json
    response = client.post("/agreements/check", data="{nope", content_type="application/json")
    assert response.status_code == 400 and response.is_json


def test_partners_may_not_check_and_strangers_must_sign_in(app, people, client_for):
    response = client_for(people.partners["state_eoc"]).post("/agreements/check",
                                                             json={"source": LAKESIDE})
    assert response.status_code == 403 and response.is_json
    response = client_for(people.partners["state_eoc"]).post("/agreements/examples",
                                                             json={"source": LAKESIDE})
    assert response.status_code == 403
    response = app.test_client().post("/agreements/check", json={"source": LAKESIDE})
    assert response.status_code == 401 and response.is_json


def test_check_takes_the_csrf_token_from_a_header(app, people):
    from web.app import create_app
    strict = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                         "SECRET_KEY": "test"})
    client = strict.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/login", data={"email": people.drafter.email, "password": PASSWORD,
                                "csrf_token": token})
    editor = client.get("/agreements/new").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', editor).group(1)
    refused = client.post("/agreements/check", json={"source": LAKESIDE},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.is_json
    accepted = client.post("/agreements/check", json={"source": LAKESIDE},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert accepted.status_code == 200 and accepted.get_json()["errors"] == 1
    strict.extensions["compact.engine"].dispose()


def test_run_examples_reports_each_example(app, people, client_for):
    client = client_for(people.drafter)
    body = client.post("/agreements/examples", json={"source": library_text(TASK_FORCE)}).get_json()
    assert body["passed"] == 6 and body["failed"] == 0
    assert body["results"][0] == {"name": "flash flood warning for Lakeside and Harmon at night",
                                  "line": 135, "passed": True, "messages": []}
    wrong = library_text(TASK_FORCE).replace(
        "expect state_eoc must stand_up by 2026-06-19T05:12:00Z",
        "expect state_eoc must stand_up by 2026-06-19T06:12:00Z")
    body = client.post("/agreements/examples", json={"source": wrong}).get_json()
    assert body["passed"] == 5 and body["failed"] == 1
    failed = next(r for r in body["results"] if not r["passed"])
    assert failed["messages"] == [
        "line 143: expected state_eoc must stand_up by 2026-06-19T06:12:00Z, but it is due "
        "2026-06-19T05:12:00Z"]
    body = client.post("/agreements/examples", json={"source": LAKESIDE}).get_json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["line"] == MISSPELT_LINE
    assert body["errors"][0]["message"].startswith("unknown role 'asisting'")


# ---------------------------------------------------------------- revision, diff

def test_a_revision_page_shows_the_highlighted_text_and_its_problems(app, session, people,
                                                                     client_for):
    create_agreement(session, people.drafter, LAKESIDE, now=T0)
    response = client_for(people.drafter).get(
        "/agreements/lakeside-riverbend-mutual-aid/revisions/1")
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<span class="tok-kw">agreement</span>' in raw
    assert '<span class="tok-path">incident.requested_by</span>' in raw
    assert '<span class="tok-num">4 hours</span>' in raw
    assert '<span class="tok-com"># Lakeside County / City of Riverbend mutual aid</span>' in raw
    assert f'class="line mark-error" id="L{MISSPELT_LINE}"' in raw
    assert f'href="#L{MISSPELT_LINE}"' in raw
    assert f"line {MISSPELT_LINE}, column 3: error: unknown role" in html.unescape(raw)
    no_inline_code(raw)


def test_highlighting_escapes_and_keeps_lines():
    lines = highlight_lines('recital "<b>&</b>"\nexample "x"\n  incident """\n  {"a": 1}\n  """\n')
    assert len(lines) == 5
    assert lines[0] == ('<span class="tok-kw">recital</span> '
                        '<span class="tok-str">&#34;&lt;b&gt;&amp;&lt;/b&gt;&#34;</span>')
    assert lines[3] == '<span class="tok-str">  {&#34;a&#34;: 1}</span>'


def test_the_diff_shows_the_changed_lines_side_by_side(app, session, people, executed,
                                                       client_for):
    changed = executed.source.replace("within 1 hour\n", "within 45 minutes\n")
    save_revision(session, people.drafter, TASK_FORCE_ID, changed, base_revision=1)
    client = client_for(people.drafter)
    response = client.get(f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2")
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Revision 1 → revision 2" in html.unescape(raw)
    row = re.search(r'<div class="drow change" role="row">(.*?)</div>', raw, re.S).group(1)
    assert "<del>1 hour</del>" in row and "<ins>45 minutes</ins>" in row
    assert "−1 line" in html.unescape(raw) and "+1 line" in html.unescape(raw)
    assert "unchanged lines" in raw  # the rest is folded
    full = client.get(f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2&full=1").get_data(as_text=True)
    assert "unchanged lines" not in full and "State of Columbia Emergency" in full
    no_inline_code(raw)


def test_diff_rows_pair_changes_and_pad_inserts():
    rows = diff_rows("a\nb\nc\n", "a\nB\nc\nd\n", context=None)
    assert [(r["kind"], r["old_no"], r["new_no"]) for r in rows] == [
        ("equal", 1, 1), ("change", 2, 2), ("equal", 3, 3), ("insert", None, 4)]


def test_bad_diff_numbers_are_clear_refusals(app, people, executed, client_for):
    client = client_for(people.drafter)
    response = client.get(f"/agreements/{TASK_FORCE_ID}/diff?a=1")
    assert response.status_code == 400 and "Say which two revisions to compare" in page(response)
    response = client.get(f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=two")
    assert response.status_code == 400 and "'two' is not a revision number" in page(response)
    response = client.get(f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=9")
    assert response.status_code == 404 and "has no revision 9" in page(response)
    assert client.get("/agreements/no-such/diff?a=1&b=2").status_code == 404


# ---------------------------------------------------------------- what-if

def test_what_if_shows_a_duty_the_new_revision_adds(app, session, people, executed,
                                                    client_for):
    record_incident(session, people.coordinator, ALERT, now=T0)
    added = executed.source.replace(
        'clause high_water "High-water vehicles"',
        'clause sandbags "Sandbag distribution"\n'
        '  when imminent and water\n'
        '  affected must "open sandbag distribution points" within 3 hours\n\n'
        'clause high_water "High-water vehicles"')
    save_revision(session, people.drafter, TASK_FORCE_ID, added, base_revision=1)
    for user in (people.drafter, people.coordinator):
        response = client_for(user).get(f"/agreements/{TASK_FORCE_ID}/revisions/2/what-if")
        text = plain(response)
        assert response.status_code == 200
        assert "1 of 1 incident would give different duties" in text
        assert "CO-NWS-2026-0618-FFW-001" in text
        assert "+2 added" in text and "Duties added" in text
        assert "Sandbag distribution" in text and "open sandbag distribution points" in text
        assert "Lakeside County Office of Emergency Management" in text
        assert "2026-06-19 07:12 UTC" in text  # reported (sent) 04:12 UTC, within 3 hours
        assert "compared with revision 1, the one in force" in text
    # The executed revision compared with itself changes nothing.
    response = client_for(people.drafter).post(
        f"/agreements/{TASK_FORCE_ID}/revisions/1/what-if",
        data={"incident": "CO-NWS-2026-0618-FFW-001"})
    text = page(response)
    assert "No change" in text and "no change" in text


def test_what_if_is_not_for_partners(app, session, people, executed, client_for):
    response = client_for(people.partners["state_eoc"]).get(
        f"/agreements/{TASK_FORCE_ID}/revisions/1/what-if")
    assert response.status_code == 403


# ---------------------------------------------------------------- publish

def test_publishing_sends_the_latest_revision_out_for_signature(app, people, draft, client_for):
    client = client_for(people.drafter)
    response = client.post(f"/agreements/{MUTUAL_AID_ID}/revisions/1/publish")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agreements/{MUTUAL_AID_ID}"
    text = page(client.get(response.headers["Location"]))
    assert "Revision 1 is out for signature" in text
    assert "Out for signature" in text and "Publish revision" not in text
    again = client.post(f"/agreements/{MUTUAL_AID_ID}/revisions/1/publish",
                        follow_redirects=True)
    assert "Revision 1 was not published: revision 1 of" in page(again)
    assert "is already out for signature" in page(again)


def test_only_drafters_publish_and_errors_block_it(app, session, people, draft, client_for):
    response = client_for(people.coordinator).post(
        f"/agreements/{MUTUAL_AID_ID}/revisions/1/publish")
    assert response.status_code == 403
    create_agreement(session, people.drafter, LAKESIDE, now=T0)
    response = client_for(people.drafter).post(
        "/agreements/lakeside-riverbend-mutual-aid/revisions/1/publish", follow_redirects=True)
    assert "has 1 error; only a revision without errors can be published" in page(response)


# ---------------------------------------------------------------- PDFs and partners

def test_the_pdf_downloads_as_an_attachment(app, people, executed, client_for):
    response = client_for(people.drafter).get(f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={TASK_FORCE_ID}-r1-executed.pdf")
    assert response.data.startswith(b"%PDF")
    partner = client_for(people.partners["columbia_dep"])
    assert partner.get(f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf").status_code == 200


def test_a_partner_of_another_organisation_gets_404_everywhere(app, people, executed,
                                                               client_for, outsider):
    client = client_for(outsider)
    for path in (f"/agreements/{TASK_FORCE_ID}", f"/agreements/{TASK_FORCE_ID}/revisions/1",
                 f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf",
                 f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=1",
                 f"/agreements/{TASK_FORCE_ID}/edit",
                 f"/agreements/{TASK_FORCE_ID}/revisions/1/what-if"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "There is no agreement" in page(response)
    missing = client.get("/agreements/no-such-agreement")
    assert page(missing).replace("no-such-agreement", TASK_FORCE_ID) == \
        page(client.get(f"/agreements/{TASK_FORCE_ID}"))


def test_a_partner_cannot_see_drafts_nor_use_the_editor(app, session, people, executed, draft,
                                                        client_for):
    client = client_for(people.partners["lakeside_county"])
    assert client.get(f"/agreements/{MUTUAL_AID_ID}").status_code == 404
    assert client.get(f"/agreements/{MUTUAL_AID_ID}/revisions/1").status_code == 404
    assert client.get(f"/agreements/{MUTUAL_AID_ID}/revisions/1/pdf").status_code == 404
    assert client.get(f"/agreements/{MUTUAL_AID_ID}/edit").status_code == 404
    # A new draft revision of an agreement it can see stays hidden too.
    save_revision(session, people.drafter, TASK_FORCE_ID,
                  executed.source.replace("within 1 hour", "within 50 minutes"), base_revision=1)
    assert client.get(f"/agreements/{TASK_FORCE_ID}/revisions/2").status_code == 404
    text = page(client.get(f"/agreements/{TASK_FORCE_ID}"))
    assert "/revisions/2" not in text and "/revisions/1" in text
    assert client.get(f"/agreements/{TASK_FORCE_ID}/edit").status_code == 403
    assert client.post(f"/agreements/{TASK_FORCE_ID}/edit",
                       data={"source": "x", "base_revision": "2"}).status_code == 403
    assert client.get("/agreements/new").status_code == 403
    assert client.post("/agreements/check", json={"source": LAKESIDE}).status_code == 403
    assert client.post(f"/agreements/{TASK_FORCE_ID}/revisions/2/publish").status_code == 403
