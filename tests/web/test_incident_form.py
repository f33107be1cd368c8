"""The incident form (issue 11, point 7): fields grouped by the agreements that read them with
their `one of` values, every error in one round beside its field or line, a duplicate id linked
to the incident, and an expired session that keeps what was typed."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from agreements import accounts
from agreements.drafting import create_agreement, publish
from agreements.models import Incident, Organisation
from agreements.signing import sign
from agreements.users import create_user_unchecked
from tests.agreements.conftest import library_text

from .conftest import PASSWORD, T0, login
from .test_incident_pages import (TORNADO, TORNADO_KEY, fixed_clock, mutual_aid,  # noqa: F401
                                  page, page_text, paste)

EXPIRED = "Your session expired; sign in again — what you typed is kept."
BACK = ("You are signed in again, and what you typed is back in the form: check it, then send "
        "it.")
COMPACT_ID = "central-states-emergency-compact"
MUTUAL_AID = ("Columbia Intrastate Mutual Aid Agreement among Lakeside, Harmon, Pine Ridge and "
              "Ashford Counties and the State Emergency Operations Center")


def incidents(session) -> int:
    return session.scalar(select(func.count(Incident.id)))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def compact(session, people, mutual_aid):  # noqa: F811
    """The interstate compact in force too: it reads request_form, aid_donated and
    claim_received_at as the intrastate agreement does."""
    revision = create_agreement(session, people.drafter, library_text("interstate-compact.agreement"),
                                now=T0)
    publish(session, people.drafter, COMPACT_ID, 1, now=T0)
    for party, name in revision.parties:
        if session.get(Organisation, party) is None:
            session.add(Organisation(id=party, name=name, created_at=T0))
        signer = people.partners.get(party) or create_user_unchecked(
            session, email=f"{party}@states.example", name=name, role="partner",
            organisation_id=party, password=PASSWORD, at=T0)
        session.commit()
        sign(session, signer, COMPACT_ID, 1, signer_name="S", signer_title="D", consent=True,
             now=T0)


def groups_of(doc) -> dict[str, list[str]]:
    """legend -> the field names of its inputs, in order."""
    out = {}
    for fieldset in doc.xpath('//form[contains(@class, "incident-form")]//fieldset'):
        legend = fieldset.xpath("./legend")[0].text_content().strip()
        out[legend] = [e.get("name").removeprefix("field-")
                       for e in fieldset.xpath(".//input[@name] | .//select[@name]")]
    return out


def field_box(doc, name: str):
    return doc.xpath(f'//input[@id="input-{name}"]/.. | //select[@id="input-{name}"]/..')[0]


# ---------------------------------------------------------------- grouping and values

def test_fields_are_grouped_by_the_agreements_that_read_them(people, compact, client_for):
    doc = page(client_for(people.coordinator).get("/incidents/new"))
    groups = groups_of(doc)
    assert list(groups) == ["The incident", "Read by several agreements",
                            "Central States Emergency Management Assistance Compact",
                            MUTUAL_AID]
    assert groups["The incident"] == ["id", "type", "status", "severity", "urgency", "certainty",
                                      "reported_at", "onset", "expires", "area", "region"]
    assert groups["Read by several agreements"] == ["aid_donated", "claim_received_at",
                                                    "request_form"]
    assert groups[MUTUAL_AID] == [
        "aid_ended_at", "declaration", "request_authorised", "requested_at", "requested_by"]
    assert groups["Central States Emergency Management Assistance Compact"] == [
        "governor_declaration", "request_received_at", "requesting_state", "requisition_signed"]
    # Each field says what it holds, and the shared ones which agreements read them.
    box = field_box(doc, "request_form")
    assert squeeze(box.xpath("./label")[0].text_content()) == (
        "Request form text, one of 2 values")
    assert squeeze(box.xpath('./p[@class="hint"]')[0].text_content()) == (
        f"Read by {COMPACT_ID}, columbia-intrastate-mutual-aid.")
    assert squeeze(field_box(doc, "requested_at").xpath("./label")[0].text_content()) == (
        "Requested at time")
    assert squeeze(field_box(doc, "severity").xpath('./p[@class="hint"]')[0]
                   .text_content()) == "Read by columbia-cap-joint-task-force."


def test_each_agreements_one_of_values_are_offered(people, compact, client_for):
    doc = page(client_for(people.coordinator).get("/incidents/new"))
    assert doc.xpath('//select[@name="field-declaration"]/option/@value') == [
        "", "none", "local", "governor"]
    assert doc.xpath('//select[@name="field-request_form"]/option/@value') == [
        "", "oral", "written"]
    # The type: every agreement's values offered, and which agreement lists which.
    offered = doc.xpath('//datalist[@id="values-type"]/option/@value')
    assert {"flash flood warning", "flood", "hurricane", "winter storm"} <= set(offered)
    assert len(offered) == len(set(offered))
    listed = [squeeze(li.text_content()) for li in field_box(doc, "type").xpath(
        './details[@class="values-by-agreement"]//li')]
    assert ("central-states-emergency-compact: hurricane, flood, wildfire, tornado, earthquake, "
            "winter storm, pandemic, hazmat") in listed
    assert ("columbia-cap-joint-task-force: flash flood warning, flood warning, tornado "
            "warning, hazardous materials warning, fire warning, evacuation immediate") in listed


# ---------------------------------------------------------------- every error, beside its field

def test_every_error_of_the_form_is_shown_beside_its_field_in_one_round(
        session, people, mutual_aid, client_for):  # noqa: F811
    response = client_for(people.coordinator).post("/incidents/new", data={
        "source": "form", "field-id": "", "field-type": "flood",
        "field-reported_at": "yesterday", "field-requested_by": "nobody",
        "field-region": "North Valley"})
    assert response.status_code == 422
    doc = page(response)
    beside = {}
    for name in ("id", "reported_at", "requested_by"):
        control = doc.xpath(f'//*[@id="input-{name}"]')[0]
        assert control.get("aria-invalid") == "true", name
        ids = control.get("aria-describedby").split()
        beside[name] = [squeeze(doc.xpath(f'//*[@id="{i}"]')[0].text_content()) for i in ids
                        if i.startswith("error-")]
    assert beside == {
        "id": ["This field is required."],
        "reported_at": ["'yesterday' is not a time with an offset, such as "
                        "'2026-03-14T08:00:00Z'."],
        "requested_by": ["'nobody' is not a known party."],
    }
    assert doc.xpath('//*[@id="input-region"]/@aria-invalid') == []
    assert doc.xpath('//*[@id="input-region"]/@value') == ["North Valley"]
    summary = doc.xpath('//*[@id="error-summary"]')[0]
    assert squeeze(summary.xpath("./p")[0].text_content()) == (
        "Nothing was saved. 3 problems to correct:")
    links = [(a.get("href"), squeeze(a.text_content())) for a in summary.xpath(".//li/a")]
    reported = squeeze(field_box(doc, "reported_at").xpath('.//span[@class="field-name"]')[0]
                       .text_content())  # its words (and zone) are web.local_time's
    assert links == [
        ("#input-id", "Incident id: This field is required."),
        ("#input-reported_at", f"{reported} ($.reported_at): 'yesterday' is not a time "
                               "with an offset, such as '2026-03-14T08:00:00Z'."),
        ("#input-requested_by", "Requested by ($.requested_by): 'nobody' is not a known party."),
    ]
    assert incidents(session) == 0


def test_an_id_beyond_the_limits_does_not_hide_the_other_errors(people, mutual_aid, client_for):  # noqa: F811
    response = client_for(people.coordinator).post("/incidents/new", data={
        "source": "form", "field-id": "two words", "field-type": "flood",
        "field-reported_at": "2026-06-18T12:00", "field-requested_by": "nobody"})
    assert response.status_code == 422
    doc = page(response)
    messages = {name: squeeze(" ".join(p.text_content() for p in field_box(doc, name).xpath(
        './p[@class="field-error"]'))) for name in ("id", "requested_by")}
    assert messages == {
        "id": "'two words' is not a valid incident id: it must start with a letter or digit "
              "and hold only letters, digits and _ . : @ - (no spaces, no '/', no '..').",
        "requested_by": "'nobody' is not a known party."}


def test_pasted_json_errors_are_shown_by_their_line(session, people, mutual_aid, client_for):  # noqa: F811
    text = json.dumps({"id": "P-1", "type": "flood", "reported_at": "2026-06-18T10:00:00Z",
                       "severity": "huge", "requested_by": "nobody",
                       "request_authorised": "perhaps"}, indent=2)
    response = paste(client_for(people.coordinator), text)
    assert response.status_code == 422
    doc = page(response)
    area = doc.xpath('//textarea[@name="incident_text"]')[0]
    assert area.get("aria-invalid") == "true" and area.text == text
    shown = [squeeze(doc.xpath(f'//*[@id="{i}"]')[0].text_content())
             for i in area.get("aria-describedby").split()]
    assert shown == [
        "Line 5: $.severity: 'huge' is not a severity: write 'extreme', 'severe', 'moderate', "
        "'minor' or 'unknown'. 5 \"severity\": \"huge\",",
        "Line 6: $.requested_by: 'nobody' is not a known party. 6 \"requested_by\": \"nobody\",",
        "Line 7: $.request_authorised: 'perhaps' is not a yes/no value: write true or false "
        "(as agreement "
        "columbia-intrastate-mutual-aid declares the field). 7 \"request_authorised\": "
        "\"perhaps\"",
    ]
    assert [a.get("href") for a in doc.xpath('//*[@id="error-summary"]//li/a')] == [
        "#incident-text"] * 3
    assert incidents(session) == 0


def test_a_json_syntax_error_names_its_line(people, executed, client_for):
    response = paste(client_for(people.coordinator), '{\n  "id": "T-1",\n  "type": \n}')
    assert response.status_code == 422
    doc = page(response)
    assert [squeeze(li.text_content()) for li in doc.xpath(
        '//ul[@id="incident-text-errors"]/li')] == [
        "Line 4: not valid JSON: Expecting value (line 4, column 1). 4 }"]


def test_a_cap_alert_errors_name_the_element_and_its_line(people, executed, client_for):
    from .conftest import ALERT
    text = ALERT.decode().replace("<certainty>Observed</certainty>",
                                  "<certainty>Observed</certainty>", 1)
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "<sent>" in line)
    bad = text.replace(re.search(r"<sent>[^<]*</sent>", text).group(0),
                       "<sent>2026-06-18T23:12:00</sent>")
    response = paste(client_for(people.coordinator), bad)
    assert response.status_code == 422
    doc = page(response)
    shown = [squeeze(li.text_content()) for li in doc.xpath('//ul[@id="incident-text-errors"]/li')]
    assert shown and shown[0].startswith(f"Line {number}: sent: '2026-06-18T23:12:00' is not a "
                                         f"time with an offset"), shown


# ---------------------------------------------------------------- a duplicate id

def test_a_duplicate_id_links_to_the_incident_with_the_other_errors(session, people, executed,
                                                                    client_for):
    client = client_for(people.coordinator)
    assert paste(client, TORNADO).status_code == 302
    again = json.loads(TORNADO)
    again["severity"] = "huge"
    response = paste(client, json.dumps(again, indent=2))
    assert response.status_code == 409
    doc = page(response)
    items = doc.xpath('//ul[@id="incident-text-errors"]/li')
    assert squeeze(items[0].text_content()).startswith(
        f"Line 2: incident '{TORNADO_KEY}' is already recorded; send changed facts as an update "
        f"of it. Open incident {TORNADO_KEY}")
    assert items[0].xpath(".//a/@href") == [f"/incidents/{TORNADO_KEY}"]
    assert "'huge' is not a severity" in squeeze(items[1].text_content())
    assert client.get(items[0].xpath(".//a/@href")[0]).status_code == 200
    assert incidents(session) == 1


def test_a_duplicate_id_by_the_form_is_beside_the_id(session, people, executed, client_for):
    client = client_for(people.coordinator)
    paste(client, json.dumps({"id": "Q:1@x", "type": "flood warning",
                              "reported_at": "2026-06-18T10:00:00Z"}))
    response = client.post("/incidents/new", data={
        "source": "form", "field-id": "Q:1@x", "field-type": "flood warning",
        "field-reported_at": "2026-06-18T10:00"})
    assert response.status_code == 409
    box = field_box(page(response), "id")
    assert squeeze(box.xpath('./p[@class="field-error"]')[0].text_content()) == (
        "Incident 'Q:1@x' is already recorded; send changed facts as an update of it. "
        "Open incident Q:1@x")
    href = box.xpath('./p[@class="field-error"]/a/@href')[0]
    assert client.get(href).status_code == 200


def test_the_link_is_given_only_to_who_may_see_the_incident(app, session, people, executed):
    from agreements.incidents import record_incident
    from web.incident_form_errors import visible_incident_url
    record_incident(session, people.coordinator, TORNADO, now=T0)
    stranger = create_user_unchecked(session, email="x@elsewhere.example", name="X",
                                     role="partner", organisation_id="state_patrol",
                                     password=PASSWORD, at=T0)
    session.add(Organisation(id="elsewhere", name="Elsewhere", created_at=T0))
    stranger.organisation_id = "elsewhere"
    session.commit()
    with app.test_request_context():
        assert visible_incident_url(session, people.coordinator, TORNADO_KEY) == \
            f"/incidents/{TORNADO_KEY}"
        assert visible_incident_url(session, stranger, TORNADO_KEY) is None
        assert visible_incident_url(session, people.coordinator, "NOT-THERE") is None


# ---------------------------------------------------------------- an expired session

def sign_in_again(client, response, user, password=PASSWORD, url="/incidents/new"):
    doc = page(response)
    kept = doc.xpath('//input[@name="kept_form"]/@value')[0]
    action = doc.xpath('//form[.//input[@name="kept_form"]]/@action')[0]
    assert action == url
    return client.post(action, data={"kept_form": kept, "email": user.email,
                                     "password": password})


def test_an_expired_session_keeps_what_was_typed(app, session, people, mutual_aid, client_for):  # noqa: F811
    client = client_for(people.coordinator)
    assert client.get("/incidents/new").status_code == 200
    typed = {"source": "form", "field-id": "KEPT-1", "field-type": "flood",
             "field-reported_at": "2026-06-18T10:00", "field-region": "North Valley",
             "field-declaration": "governor", "field-requested_by": "lakeside_county"}
    expired = app.test_client()  # the browser's session is gone
    response = expired.post("/incidents/new", data=typed)
    assert response.status_code == 401
    assert EXPIRED in page_text(response)
    assert b"KEPT-1" not in response.data and b"North Valley" not in response.data  # signed
    assert incidents(session) == 0
    back = sign_in_again(expired, response, people.coordinator)
    assert back.status_code == 200
    doc = page(back)
    assert BACK in page_text(back)
    values = {name: doc.xpath(f'//*[@id="input-{name}"]')[0] for name in
              ("id", "type", "region", "reported_at", "declaration", "requested_by")}
    assert {n: e.get("value") for n, e in values.items() if e.tag == "input"} == {
        "id": "KEPT-1", "type": "flood", "region": "North Valley",
        "reported_at": "2026-06-18T10:00"}
    assert values["declaration"].xpath("./option[@selected]/@value") == ["governor"]
    assert values["requested_by"].xpath("./option[@selected]/@value") == ["lakeside_county"]
    assert incidents(session) == 0  # shown again, not recorded
    assert expired.post("/incidents/new", data=typed).status_code == 302  # signed in now
    assert incidents(session) == 1


def test_a_pasted_incident_is_kept_through_a_wrong_password(app, session, people, executed):
    response = app.test_client().post("/incidents/new",
                                      data={"source": "paste", "incident_text": TORNADO})
    assert response.status_code == 401
    client = app.test_client()
    wrong = sign_in_again(client, response, people.coordinator, password="not it at all")
    assert wrong.status_code == 401
    text = page_text(wrong)
    assert EXPIRED in text and "do not match an active account" in text
    back = sign_in_again(client, wrong, people.coordinator)
    assert back.status_code == 200 and BACK in page_text(back)
    assert page(back).xpath('//textarea[@name="incident_text"]')[0].text == TORNADO
    assert incidents(session) == 0


def test_an_update_keeps_what_was_typed(app, session, people, executed, client_for):
    client = client_for(people.coordinator)
    paste(client, TORNADO)
    changed = TORNADO.replace('"extreme"', '"severe"')
    url = f"/incidents/{TORNADO_KEY}/update"
    response = app.test_client().post(url, data={"source": "paste", "incident_text": changed})
    assert response.status_code == 401 and EXPIRED in page_text(response)
    other = app.test_client()
    back = sign_in_again(other, response, people.coordinator, url=url)
    assert back.status_code == 200
    assert page(back).xpath('//textarea[@name="incident_text"]')[0].text == changed


def test_a_session_ended_elsewhere_keeps_the_input_for_its_own_user_only(app, session, people,
                                                                         executed, client_for):
    client = client_for(people.coordinator)
    accounts.sign_out(session, people.coordinator)  # signed out on another device
    response = client.post("/incidents/new", data={"source": "paste", "incident_text": TORNADO})
    assert response.status_code == 401 and EXPIRED in page_text(response)
    # Someone else signing in at that browser does not get it.
    stranger = sign_in_again(app.test_client(), response, people.admin)
    assert stranger.status_code == 200
    assert "typed by another account" in page_text(stranger)
    assert TORNADO_KEY not in page_text(stranger)
    own = sign_in_again(app.test_client(), response, people.coordinator)
    assert page(own).xpath('//textarea[@name="incident_text"]')[0].text == TORNADO


def test_an_altered_stash_is_refused(app, people, executed):
    response = app.test_client().post("/incidents/new",
                                      data={"source": "paste", "incident_text": TORNADO})
    doc = page(response)
    kept = doc.xpath('//input[@name="kept_form"]/@value')[0]
    back = app.test_client().post("/incidents/new", data={
        "kept_form": kept[:-3] + ("AAA" if not kept.endswith("AAA") else "BBB"),
        "email": people.coordinator.email, "password": PASSWORD})
    assert back.status_code == 200
    assert "could not be read back" in page_text(back)


def test_with_csrf_on_an_expired_form_is_kept_not_refused(app, session, people, executed):
    app.config["WTF_CSRF_ENABLED"] = True

    @app.before_request
    def token_of_this_request():  # the fixtures share `g`, where Flask-WTF keeps the token
        from flask import g
        g.pop("csrf_token", None)
        g.pop("csrf_valid", None)

    client = app.test_client()
    sign_in = page(client.get("/login")).xpath('//input[@name="csrf_token"]/@value')[0]
    client.post("/login", data={"email": people.coordinator.email, "password": PASSWORD,
                                "csrf_token": sign_in})
    form = client.get("/incidents/new")
    token = page(form).xpath('//input[@name="csrf_token"]/@value')[0]
    typed = {"source": "paste", "incident_text": TORNADO, "csrf_token": token}
    # The cookie is gone (the session expired): the old form's token is no longer valid.
    browser = app.test_client()
    response = browser.post("/incidents/new", data=typed)
    assert response.status_code == 401 and EXPIRED in page_text(response)
    doc = page(response)
    back = browser.post("/incidents/new", data={
        "kept_form": doc.xpath('//input[@name="kept_form"]/@value')[0],
        "csrf_token": doc.xpath('//input[@name="csrf_token"]/@value')[0],
        "email": people.coordinator.email, "password": PASSWORD})
    assert back.status_code == 200
    assert page(back).xpath('//textarea[@name="incident_text"]')[0].text == TORNADO
    # Signed in, but with a form older than the session: given back, with a message.
    stale = browser.post("/incidents/new", data=typed)
    assert stale.status_code == 200
    assert "The form had expired" in page_text(stale)
    assert page(stale).xpath('//textarea[@name="incident_text"]')[0].text == TORNADO
    # A sign-in page without its token is not a way in.
    forged = app.test_client().post("/incidents/new", data={
        "kept_form": doc.xpath('//input[@name="kept_form"]/@value')[0],
        "email": people.coordinator.email, "password": PASSWORD})
    assert forged.status_code == 401 and incidents(session) == 0


def test_a_partner_signing_in_there_is_still_refused(app, people, executed):
    response = app.test_client().post("/incidents/new",
                                      data={"source": "paste", "incident_text": TORNADO})
    partner = people.partners["lakeside_county"]
    refused = sign_in_again(app.test_client(), response, partner)
    assert refused.status_code == 403
    assert TORNADO_KEY not in page_text(refused)


def test_an_update_shows_every_error_by_its_line(session, people, executed, client_for):
    client = client_for(people.coordinator)
    paste(client, TORNADO)
    sent = json.loads(TORNADO)
    sent.update(id="SOMETHING-ELSE", urgency="soonish")
    text = json.dumps(sent, indent=2)
    response = paste(client, text, url=f"/incidents/{TORNADO_KEY}/update")
    assert response.status_code == 422
    lines = text.splitlines()
    at = {key: next(i for i, line in enumerate(lines, 1) if f'"{key}"' in line)
          for key in ("id", "urgency")}
    shown = [squeeze(li.text_content()) for li in page(response).xpath(
        '//ul[@id="incident-text-errors"]/li')]
    assert [s.split(". ")[0] for s in shown] == sorted([
        f"Line {at['id']}: the update names incident 'SOMETHING-ELSE', not '{TORNADO_KEY}'",
        f"Line {at['urgency']}: $.urgency: 'soonish' is not an urgency: write 'immediate', "
        f"'expected', 'future', 'past' or 'unknown'"], key=lambda s: int(s.split()[1].rstrip(":")))


def test_the_sign_in_page_reveals_nothing_and_is_not_stored(app, people, executed):
    url = "/incidents/NO-SUCH-INCIDENT/update"
    response = app.test_client().post(url, data={"source": "paste", "incident_text": "{}"})
    assert response.status_code == 401  # whether the incident exists or not
    assert response.headers["Cache-Control"] == "no-store"
    missing = sign_in_again(app.test_client(), response, people.coordinator, url=url)
    assert missing.status_code == 404
    empty = app.test_client().post("/incidents/new", data={
        "kept_form": "", "email": people.coordinator.email, "password": PASSWORD})
    assert empty.status_code == 200 and "could not be read back" in page_text(empty)


def test_a_cap_alert_recorded_twice_names_its_identifier_line(people, executed, client_for):
    from .conftest import ALERT
    client = client_for(people.coordinator)
    assert paste(client, ALERT.decode()).status_code == 302
    again = paste(client, ALERT.decode())
    assert again.status_code == 409
    number = next(i for i, line in enumerate(ALERT.decode().splitlines(), start=1)
                  if "<identifier>" in line)
    [shown] = [squeeze(li.text_content()) for li in page(again).xpath(
        '//ul[@id="incident-text-errors"]/li')]
    assert shown.startswith(f"Line {number}: incident 'CO-NWS-2026-0618-FFW-001' is already "
                            "recorded; send changed facts as an update of it.")
