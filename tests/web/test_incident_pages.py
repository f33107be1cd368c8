"""Incident pages: recording (form, JSON, CAP upload), the board, duty actions, updates and
cancelling."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone

import lxml.html
import pytest
from flask import g
from sqlalchemy import func, select

from agreements import clock
from agreements.cancellation import cancel_incident
from agreements.drafting import create_agreement, publish
from agreements.errors import Conflict, Invalid, NotAllowed
from agreements.incidents import record_incident
from agreements.models import AuditEntry, Duty, DutyEvent, Incident, IncidentMessage
from agreements.signing import sign
from tests.agreements.conftest import LIBRARY, library_text

from .conftest import ALERT, T0

INCIDENTS = LIBRARY / "incidents"
ALERT_KEY = "CO-NWS-2026-0618-FFW-001"
TORNADO = (INCIDENTS / "harmon-tornado-warning.json").read_text()
TORNADO_KEY = "CO-NWS-2027-0511-TOR"

# The duties of the flash flood warning (CAP Alert): stand_up and relay_warning run from its
# `sent` (reported_at, 23:12-05:00 = 04:12Z), liaison and traffic_control from its `onset`
# (23:10-05:00 = 04:10Z).
ALERT_DUTIES = {
    ("state_eoc", "stand_up", "2026-06-19 05:12 UTC"),
    ("lakeside_county", "relay_warning", "2026-06-19 04:42 UTC"),
    ("harmon_county", "relay_warning", "2026-06-19 04:42 UTC"),
    ("lakeside_county", "liaison", "2026-06-19 06:10 UTC"),
    ("harmon_county", "liaison", "2026-06-19 06:10 UTC"),
    ("state_patrol", "traffic_control", "2026-06-19 05:40 UTC"),
    ("columbia_guard", "high_water", None),
    ("pine_ridge_county", "no_self_dispatch", None),
    ("ashford_county", "no_self_dispatch", None),
}
# ... and of the Harmon tornado warning (JSON). It has no `onset`, so liaison (within 2 hours of
# incident.onset) has no due time (language.md: an absent anchor leaves the duty without one).
TORNADO_DUTIES = {
    ("state_eoc", "stand_up", "2027-05-11 21:45 UTC"),
    ("harmon_county", "relay_warning", "2027-05-11 21:15 UTC"),
    ("harmon_county", "liaison", None),
    ("lakeside_county", "no_self_dispatch", None),
    ("pine_ridge_county", "no_self_dispatch", None),
    ("ashford_county", "no_self_dispatch", None),
}


class Clock:
    """The time every operation and page reads, set by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch, app):
    """Pin the clock (the sample incidents are dated), and make every request find its user from
    its own cookie: the fixtures keep one application context, so `g` outlives a request."""
    now = Clock(T0)
    monkeypatch.setattr(clock, "utcnow", now)

    @app.before_request
    def forget_the_previous_user():
        g.pop("_login_user", None)

    return now


# ---------------------------------------------------------------- helpers

def upload(client, url, data: bytes, name: str, mimetype: str):
    return client.post(url, data={"source": "file",
                                  "incident_file": (io.BytesIO(data), name, mimetype)},
                       content_type="multipart/form-data")


def record_alert(client, data: bytes = ALERT, name: str = "alert.xml"):
    response = upload(client, "/incidents/new", data, name, "application/xml")
    assert response.status_code == 302, page_text(response)
    return response


def paste(client, text: str, url: str = "/incidents/new"):
    return client.post(url, data={"source": "paste", "incident_text": text})


def page(response):
    return lxml.html.fromstring(response.data)


def page_text(response) -> str:
    text = page(response).text_content()
    return re.sub(r"\s+", " ", text)


def board_duties(response) -> dict[str, dict]:
    """party id -> {"name": heading, "duties": {(clause, due text or None): article}}."""
    doc = page(response)
    groups = {}
    for section in doc.xpath('//section[contains(@class, "party-group")]'):
        party = section.get("id").removeprefix("party-")
        name = section.xpath("./h2")[0].text.strip()
        duties = {}
        for article in section.xpath('.//article[contains(@class, "duty")]'):
            clause = article.xpath('.//h3/span')[0].text_content().split("·")[1].strip()
            due = article.xpath('.//span[@class="due-at"]')
            duties[(clause, due[0].text.strip() if due else None)] = article
        groups[party] = {"name": name, "duties": duties}
    return groups


def card_duty_set(response) -> set:
    return {(party, clause, due) for party, group in board_duties(response).items()
            for clause, due in group["duties"]}


def table_rows(response) -> list:
    """The rows of the board's table (its default view), in the order shown."""
    return page(response).xpath('//table[contains(@class, "board-table")]'
                                '//tr[contains(@class, "duty-row")]')


def row_parties(row) -> list[str]:
    """The party ids of a row, from the hover text "Name (id)" of each party named in it (a
    collapsed prohibition names several)."""
    titles = row.xpath('./td[contains(@class, "c-party")]//*[@title]/@title')
    return [re.search(r"\(([^()]+)\)$", t).group(1) for t in titles]


def duty_set(response) -> set:
    """(party, clause, due text or None) of every duty the board's table shows."""
    out = set()
    for row in table_rows(response):
        clause = row.xpath('./td[contains(@class, "c-clause")]')[0].text_content().strip()
        due = row.xpath('./td[contains(@class, "c-due")]//span[@class="due-at"]')
        for party in row_parties(row):
            out.add((party, clause, due[0].text_content().strip() if due else None))
    return out


def cards_of(client, url: str):
    """The board as cards (?view=cards): each duty with its costs, note, why and actions."""
    response = client.get(url + ("&" if "?" in url else "?") + "view=cards")
    assert response.status_code == 200
    return response


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def duty_of(session, key: str, party: str, clause: str) -> Duty:
    return session.scalar(select(Duty).join(Incident).where(
        Incident.key == key, Duty.party_id == party, Duty.clause == clause,
        Duty.state != "superseded"))


def no_inline_code(response) -> None:
    """The pages keep to the CSP: scripts only by src, no style attributes or blocks."""
    doc = page(response)
    assert not [s for s in doc.xpath("//script") if not s.get("src")]
    assert not doc.xpath("//*[@style]") and not doc.xpath("//style")
    assert b"javascript:" not in response.data.split(b'class="error-card"')[0]


# ---------------------------------------------------------------- recording

def test_a_cap_upload_is_recorded_and_the_board_shows_the_exact_duties(
        session, people, executed, client_for):
    client = client_for(people.coordinator)
    response = record_alert(client)
    assert response.headers["Location"] == f"/incidents/{ALERT_KEY}"
    board = client.get(response.headers["Location"])
    assert board.status_code == 200
    assert duty_set(board) == ALERT_DUTIES
    no_inline_code(board)
    text = page_text(board)
    assert "Incident CO-NWS-2026-0618-FFW-001 recorded: 9 duties for 7 parties." in text
    board = cards_of(client, response.headers["Location"])
    assert card_duty_set(board) == ALERT_DUTIES
    groups = board_duties(board)
    # grouped by party, under the party's name
    assert groups["state_eoc"]["name"] == "State of Columbia Emergency Operations Center"
    assert set(groups["lakeside_county"]["duties"]) == {
        ("relay_warning", "2026-06-19 04:42 UTC"), ("liaison", "2026-06-19 06:10 UTC")}
    text = page_text(board)
    assert "CAP alert · Alert · received 2026-06-18 12:00 UTC" in text
    # reported when the alert was sent (23:12-05:00), not at its onset (23:10-05:00)
    assert page(board).xpath('//dt[text()="Reported"]/following-sibling::dd[1]/time/@datetime') \
        == ["2026-06-19T04:12:00Z"]
    # the due time as a machine-readable countdown, and the explanation on demand
    relay = groups["harmon_county"]["duties"][("relay_warning", "2026-06-19 04:42 UTC")]
    countdown = relay.xpath('.//time[contains(@class, "countdown")]')[0]
    assert countdown.get("datetime") == "2026-06-19T04:42:00Z"
    assert countdown.text == "in 16 h 42 min"
    why = relay.xpath('.//details[@class="why"]')[0]
    assert why.xpath("./summary")[0].text == "Why, and its history"
    fragment = why.get("data-fragment")  # fetched when opened; the link works without script
    relay_id = relay.get("id").split("-")[1]
    assert fragment == f"/duties/{relay_id}?fragment=1"
    assert why.xpath(".//a/@href") == [f"/duties/{relay_id}"]
    explained = client.get(fragment)
    assert explained.status_code == 200 and b"<html" not in explained.data
    assert "incident.severity >= severe (was extreme)" in page_text(explained)
    assert executed.content_hash[:12] in page_text(explained)
    assert relay.xpath('.//span[contains(@class, "modality-must")]')
    guard = groups["columbia_guard"]["duties"][("high_water", None)]
    assert guard.xpath('.//span[contains(@class, "modality-may")]')
    patrol = groups["state_patrol"]["duties"][("traffic_control", "2026-06-19 05:40 UTC")]
    assert "State of Columbia Emergency Operations Center 100 %" in patrol.text_content()
    no_inline_code(board)
    assert board.data.count(b'<script src="/static/board.js"') == 1
    stored = session.scalar(select(Incident).where(Incident.key == ALERT_KEY))
    assert stored.messages[0].format == "cap" and stored.messages[0].received.startswith("<?xml")


def test_pasted_json_is_recorded(session, people, executed, client_for):
    client = client_for(people.coordinator)
    response = paste(client, TORNADO)
    assert response.status_code == 302
    board = client.get(response.headers["Location"])
    assert duty_set(board) == TORNADO_DUTIES
    liaison = board_duties(cards_of(client, response.headers["Location"]))[
        "harmon_county"]["duties"][("liaison", None)]
    assert "no due time: incident.onset is not given" in liaison.text_content()
    assert count(session, Incident) == 1


@pytest.fixture
def mutual_aid(session, people, executed):
    """The intrastate mutual aid agreement in force too (its counties are task force parties)."""
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=T0)
    publish(session, people.drafter, "columbia-intrastate-mutual-aid", 1, now=T0)
    for party in ("state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county",
                  "ashford_county"):
        sign(session, people.partners[party], "columbia-intrastate-mutual-aid", 1,
             signer_name="S", signer_title="D", consent=True, now=T0)


def test_the_form_offers_the_fields_of_the_agreements_in_force(people, mutual_aid, client_for):
    response = client_for(people.coordinator).get("/incidents/new")
    assert response.status_code == 200
    doc = page(response)
    inputs = {e.get("name"): e for e in doc.xpath("//form//input | //form//select")}
    for name in ("id", "type", "reported_at", "severity", "urgency", "certainty", "status",
                 "region", "area", "declaration", "requested_by", "requested_at",
                 "request_form", "request_authorised", "aid_donated", "claim_received_at"):
        assert f"field-{name}" in inputs, name
    assert inputs["field-reported_at"].get("type") == "datetime-local"
    assert inputs["field-requested_at"].get("type") == "datetime-local"
    assert inputs["field-severity"].xpath("./option/@value") == [
        "", "extreme", "severe", "moderate", "minor", "unknown"]
    assert inputs["field-request_form"].xpath("./option/@value") == ["", "oral", "written"]
    assert inputs["field-request_authorised"].xpath("./option/@value") == ["", "yes", "no"]
    assert "lakeside_county" in inputs["field-requested_by"].xpath("./option/@value")
    assert inputs["field-status"].xpath("./option/@value") == [
        "", "actual", "exercise", "test"]
    suggestions = doc.xpath('//datalist[@id="values-type"]/option/@value')
    assert "flash flood warning" in suggestions and "flood" in suggestions
    for name in ("id", "type", "reported_at"):
        assert inputs[f"field-{name}"].get("required") is not None
    assert doc.xpath('//input[@type="file"][@name="incident_file"]')
    assert doc.xpath('//textarea[@name="incident_text"]')
    no_inline_code(response)


def test_the_form_builds_the_same_incident_as_its_json(session, people, mutual_aid, client_for,
                                                       fixed_clock):
    fixed_clock.now = datetime(2026, 4, 10, 14, 0, tzinfo=timezone.utc)
    client = client_for(people.coordinator)
    form = {"source": "form", "field-id": "CIMA-FORM", "field-type": "flood",
            "field-severity": "severe", "field-urgency": "immediate",
            "field-certainty": "observed", "field-status": "actual",
            "field-region": "North Valley", "field-area": "FIPS:039001",
            "field-reported_at": "2026-04-10T14:00", "field-declaration": "local",
            "field-requested_by": "lakeside_county", "field-requested_at": "2026-04-10T15:30",
            "field-request_form": "oral", "field-request_authorised": "yes",
            "field-aid_donated": "", "field-claim_received_at": ""}
    by_form = client.post("/incidents/new", data=form)
    assert by_form.status_code == 302, page_text(by_form)
    sent = json.loads((INCIDENTS / "lakeside-flood-oral-request.json").read_text())
    sent["id"] = "CIMA-JSON"
    by_json = paste(client, json.dumps(sent))
    assert by_json.status_code == 302
    from_form, from_json = (duty_set(client.get(r.headers["Location"]))
                            for r in (by_form, by_json))
    assert from_form == from_json
    assert {("lakeside_county", "notify_state", "2026-04-10 16:00 UTC"),
            ("state_eoc", "mission_number", "2026-04-10 19:30 UTC"),
            ("ashford_county", "respond", "2026-04-10 21:30 UTC")} <= from_form
    mapped = session.scalar(select(IncidentMessage).join(Incident)
                            .where(Incident.key == "CIMA-FORM")).mapped
    assert mapped["request_authorised"] is True and "aid_donated" not in mapped
    assert mapped["area"] == ["FIPS:039001"] and mapped["requested_at"] == "2026-04-10T15:30:00Z"


def test_a_form_with_a_wrong_value_is_refused_with_its_json_path_and_kept(
        session, people, executed, client_for):
    client = client_for(people.coordinator)
    response = client.post("/incidents/new", data={
        "source": "form", "field-id": "X-1", "field-type": "flood warning",
        "field-reported_at": "yesterday", "field-region": "Somewhere <b>odd</b>"})
    assert response.status_code == 422
    text = page_text(response)
    assert "Nothing was saved." in text and "$.reported_at" in text
    doc = page(response)
    assert doc.xpath('//input[@name="field-region"]/@value') == ["Somewhere <b>odd</b>"]
    assert b"<b>odd</b>" not in response.data  # escaped
    assert count(session, Incident) == 0


def test_bad_json_is_refused_and_nothing_is_stored(session, people, executed, client_for):
    client = client_for(people.coordinator)
    response = paste(client, '{"id": "T-1", "type": ')
    assert response.status_code == 422
    assert "not valid JSON" in page_text(response)
    assert page(response).xpath('//textarea[@name="incident_text"]')[0].text == \
        '{"id": "T-1", "type": '
    naive = paste(client, json.dumps({"id": "T-2", "type": "flood warning",
                                      "reported_at": "2026-06-18T10:00:00"}))
    assert naive.status_code == 422 and "$.reported_at" in page_text(naive)
    empty = paste(client, "   ")
    assert empty.status_code == 422 and "paste an incident" in page_text(empty).lower()
    assert count(session, Incident) == 0 and count(session, Duty) == 0


def test_a_bad_cap_alert_is_refused_and_nothing_is_stored(session, people, executed,
                                                          client_for):
    client = client_for(people.coordinator)
    broken = upload(client, "/incidents/new", b"<alert><identifier>X</alert>", "bad.xml",
                    "text/xml")
    assert broken.status_code == 422 and "Nothing was saved." in page_text(broken)
    draft = ALERT.replace(b"<status>Actual</status>", b"<status>Draft</status>")
    refused = upload(client, "/incidents/new", draft, "draft.cap", "application/cap+xml")
    assert refused.status_code == 422 and "draft" in page_text(refused).lower()
    assert count(session, Incident) == 0 and count(session, IncidentMessage) == 0


@pytest.mark.parametrize("name, mimetype", [
    ("notes.txt", "text/plain"), ("alert.xml", "text/html"), ("alert.pdf", "application/pdf"),
    ("incident.exe", "application/octet-stream"), ("photo.json", "image/png")])
def test_other_kinds_of_file_are_refused_with_415(session, people, executed, client_for, name,
                                                  mimetype):
    response = upload(client_for(people.coordinator), "/incidents/new", ALERT, name, mimetype)
    assert response.status_code == 415
    assert ("upload a JSON incident (.json), a CAP alert (.xml or .cap), or a feed of alerts "
            "(.xml, .atom or .rss)") in page_text(response)
    assert count(session, Incident) == 0


@pytest.mark.parametrize("name, mimetype", [
    ("alert.xml", "text/xml"), ("alert.cap", "application/octet-stream"),
    ("alert.XML", "application/xml")])
def test_incident_files_of_the_accepted_kinds_are_recorded(session, people, executed, client_for,
                                                           name, mimetype):
    response = upload(client_for(people.coordinator), "/incidents/new", ALERT, name, mimetype)
    assert response.status_code == 302
    json_file = upload(client_for(people.coordinator), "/incidents/new", TORNADO.encode(),
                       "tornado.json", "application/json")
    assert json_file.status_code == 302
    assert count(session, Incident) == 2


def test_an_oversized_upload_is_refused_with_413(app, session, people, executed, client_for):
    big = b" " * (app.config["MAX_CONTENT_LENGTH"] + 1) + ALERT
    response = upload(client_for(people.coordinator), "/incidents/new", big, "big.xml",
                      "text/xml")
    assert response.status_code == 413
    assert "larger than the 2,048 KB allowed" in page_text(response)
    assert count(session, Incident) == 0


def test_recording_the_same_incident_twice_is_a_conflict(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    again = upload(client, "/incidents/new", ALERT, "alert.xml", "application/xml")
    assert again.status_code == 409
    assert f"Incident '{ALERT_KEY}' is already recorded" in page_text(again)
    assert count(session, Incident) == 1 and count(session, IncidentMessage) == 1


def test_only_coordinators_and_admins_record(people, executed, client_for):
    for user in (people.drafter, people.partners["state_eoc"]):
        client = client_for(user)
        assert client.get("/incidents/new").status_code == 403
        assert paste(client, TORNADO).status_code == 403
    assert client_for(people.admin).get("/incidents/new").status_code == 200


# ---------------------------------------------------------------- the list and the board

def test_the_list_shows_incidents_with_their_counts(people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    paste(client, TORNADO)
    response = client.get("/incidents")
    assert response.status_code == 200
    rows = page(response).xpath("//table//tbody/tr")
    assert [r.xpath("./td[1]")[0].text_content().strip() for r in rows] == [
        TORNADO_KEY, ALERT_KEY]  # newest report first
    alert_row = rows[1]
    assert alert_row.xpath('./td[@data-label="Open duties"]')[0].text_content().strip() == "9"
    assert alert_row.xpath('.//a/@href')[0] == f"/incidents/{ALERT_KEY}"
    assert page(response).xpath('//a[@href="/incidents/new"]')
    no_inline_code(response)
    drafter = client_for(people.drafter).get("/incidents")
    assert drafter.status_code == 200 and not page(drafter).xpath('//a[@href="/incidents/new"]')


def test_a_drafter_reads_the_board_without_actions(people, executed, client_for):
    record_alert(client_for(people.coordinator))
    response = client_for(people.drafter).get(f"/incidents/{ALERT_KEY}")
    assert response.status_code == 200 and duty_set(response) == ALERT_DUTIES
    doc = page(response)
    assert not doc.xpath('//form[contains(@action, "/duties/")]')
    assert not doc.xpath('//a[contains(@href, "/update")]')


def test_a_partner_sees_only_its_own_duties_and_not_others_incidents(people, executed,
                                                                     client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    paste(coordinator, TORNADO)
    lakeside = client_for(people.partners["lakeside_county"])
    response = lakeside.get(f"/incidents/{ALERT_KEY}")
    assert response.status_code == 200
    assert duty_set(response) == {d for d in ALERT_DUTIES if d[0] == "lakeside_county"}
    assert "Harmon County Emergency Management Agency" not in page_text(response)
    assert not page(response).xpath('//form[contains(@action, "/cancel")]')
    # the state patrol has a duty in the flood, none in the tornado
    patrol = client_for(people.partners["state_patrol"])
    assert patrol.get(f"/incidents/{TORNADO_KEY}").status_code == 404
    assert patrol.get(f"/incidents/{ALERT_KEY}").status_code == 200
    listing = patrol.get("/incidents")
    keys = [a.text_content().strip() for a in page(listing).xpath("//tbody/tr/td[1]//a")]
    assert keys == [ALERT_KEY]
    row = page(listing).xpath("//tbody/tr")[0]
    assert row.xpath('./td[@data-label="Open duties"]')[0].text_content().strip() == "1"
    dep = client_for(people.partners["columbia_dep"])
    assert dep.get(f"/incidents/{ALERT_KEY}").status_code == 404
    assert dep.get("/incidents/no-such-incident").status_code == 404


def test_an_exercise_carries_the_banner(people, executed, client_for):
    client = client_for(people.coordinator)
    response = upload(client, "/incidents/new", (INCIDENTS / "cap-hazmat-exercise.xml")
                      .read_bytes(), "exercise.xml", "text/xml")
    assert response.status_code == 302
    board = client.get(response.headers["Location"])
    banner = page(board).xpath('//*[contains(@class, "banner-exercise")]')
    assert banner and banner[0].text_content().strip() == "EXERCISE — not a real incident"
    assert ("state_eoc", "stand_up", "2026-10-07 15:02 UTC") in duty_set(board)  # sent 14:02Z
    assert page(board).xpath('//tr[contains(@class, "duty-row")]'
                             '//span[contains(@class, "badge exercise")]')
    assert page(cards_of(client, response.headers["Location"])).xpath(
        '//article//span[contains(@class, "badge exercise")]')
    listing = client.get("/incidents")
    assert page(listing).xpath('//tbody//span[contains(@class, "badge exercise")]')
    plain = client.get(f"/incidents/{ALERT_KEY}")
    assert plain.status_code == 404  # not recorded here


def test_the_board_marks_breaches_when_duties_fall_overdue(session, people, executed, client_for,
                                                           fixed_clock):
    client = client_for(people.coordinator)
    record_alert(client)
    fixed_clock.now = datetime(2026, 6, 19, 5, 0, tzinfo=timezone.utc)
    board = cards_of(client, f"/incidents/{ALERT_KEY}")
    relay = board_duties(board)["harmon_county"]["duties"][("relay_warning",
                                                             "2026-06-19 04:42 UTC")]
    assert relay.xpath('.//span[@class="badge state-breached"]')
    assert relay.xpath('.//span[@class="badge overdue"]')
    assert relay.xpath('.//time[@class="countdown badge overdue"]')[0].text == "18 min overdue"
    assert duty_of(session, ALERT_KEY, "harmon_county", "relay_warning").state == "breached"
    stand_up = board_duties(board)["state_eoc"]["duties"][("stand_up", "2026-06-19 05:12 UTC")]
    assert stand_up.xpath('.//span[@class="badge state-open"]')
    listing = client.get("/incidents")
    overdue = page(listing).xpath('//tbody/tr/td[@data-label="Overdue"]')[0]
    assert overdue.text_content().strip() == "2"


# ---------------------------------------------------------------- what is done with a duty

def test_a_partner_acknowledges_fulfils_and_declines_its_duties(session, people, executed,
                                                                client_for):
    record_alert(client_for(people.coordinator))
    relay = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning")
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison")
    relay_id, liaison_id = relay.id, liaison.id
    partner = client_for(people.partners["lakeside_county"])
    board_url = f"/incidents/{ALERT_KEY}"
    board = cards_of(partner, board_url)
    forms = page(board).xpath(f'//article[@id="duty-{relay_id}"]//button/@formaction')
    assert forms == [f"/duties/{relay_id}/acknowledge", f"/duties/{relay_id}/fulfil",
                     f"/duties/{relay_id}/decline"]  # no waive for a partner

    response = partner.post(f"/duties/{relay_id}/acknowledge", data={"next": board_url})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{board_url}#duty-{relay_id}"
    response = partner.post(f"/duties/{relay_id}/fulfil",
                            data={"note": "sirens and radio", "next": board_url})
    assert response.status_code == 302
    assert session.get(Duty, relay_id).state == "fulfilled"

    refused = partner.post(f"/duties/{liaison_id}/decline", data={"note": "  "})
    assert refused.status_code == 422
    assert "To decline a duty, give the reason." in page_text(refused)
    assert page(refused).xpath('//form//textarea[@name="note"][@required]')
    assert session.get(Duty, liaison_id).state == "open"
    declined = partner.post(f"/duties/{liaison_id}/decline",
                            data={"note": "no officer free"})
    assert declined.status_code == 302
    assert declined.headers["Location"] == f"{board_url}#duty-{liaison_id}"
    assert session.get(Duty, liaison_id).state == "declined"

    board = cards_of(partner, board_url)
    article = page(board).xpath(f'//article[@id="duty-{relay_id}"]')[0]
    duty_page = partner.get(f"/duties/{relay_id}")
    assert duty_page.status_code == 200
    history = page(duty_page).xpath('//ol[@class="events"]')[0]
    assert len(history.xpath("./li")) == 3  # recorded (open), acknowledged, fulfilled
    history = re.sub(r"\s+", " ", history.text_content())
    assert "open → acknowledged by Signer of lakeside_county" in history
    assert "acknowledged → fulfilled by Signer of lakeside_county: sirens and radio" in history
    assert article.xpath('.//span[@class="badge state-fulfilled"]')
    assert not article.xpath(".//form")  # nothing left to do
    declined_article = page(board).xpath(f'//article[@id="duty-{liaison_id}"]')[0]
    assert declined_article.xpath('.//span[@class="badge state-declined"]')
    assert "no officer free" in page_text(partner.get(f"/duties/{liaison_id}?fragment=1"))


def test_acting_on_duties_is_refused_where_it_must_be(session, people, executed, client_for):
    record_alert(client_for(people.coordinator))
    harmon_duty = duty_of(session, ALERT_KEY, "harmon_county", "relay_warning").id
    own = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning").id
    partner = client_for(people.partners["lakeside_county"])
    assert partner.post(f"/duties/{harmon_duty}/acknowledge").status_code == 404  # as missing
    assert partner.post(f"/duties/{own}/waive", data={"note": "x"}).status_code == 403
    assert partner.post("/duties/99999/acknowledge").status_code == 404
    assert partner.post(f"/duties/{own}/delete").status_code == 404
    assert partner.get(f"/duties/{own}/acknowledge").status_code == 405
    assert client_for(people.drafter).post(f"/duties/{own}/acknowledge").status_code == 403
    assert partner.post(f"/duties/{own}/fulfil").status_code == 302
    twice = partner.post(f"/duties/{own}/acknowledge")
    assert twice.status_code == 409 and "is fulfilled" in page_text(twice)
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison").id
    off_site = partner.post(f"/duties/{liaison}/acknowledge",
                            data={"next": "https://evil.example/"})
    assert off_site.headers["Location"].startswith(f"/incidents/{ALERT_KEY}#duty-")
    sly = partner.post(f"/duties/{liaison}/fulfil", data={"next": "/\\evil.example/"})
    assert sly.headers["Location"].startswith(f"/incidents/{ALERT_KEY}#duty-")
    assert session.get(Duty, harmon_duty).state == "open"


def test_a_coordinator_waives_with_a_reason(session, people, executed, client_for):
    record_alert(client_for(people.coordinator))
    duty = duty_of(session, ALERT_KEY, "state_patrol", "traffic_control").id
    coordinator = client_for(people.coordinator)
    forms = page(cards_of(coordinator, f"/incidents/{ALERT_KEY}")).xpath(
        f'//article[@id="duty-{duty}"]//button/@formaction')
    assert f"/duties/{duty}/waive" in forms
    assert coordinator.post(f"/duties/{duty}/waive").status_code == 422
    assert session.get(Duty, duty).state == "open"
    response = coordinator.post(f"/duties/{duty}/waive", data={"note": "roads already closed"})
    assert response.status_code == 302
    assert session.get(Duty, duty).state == "waived"
    board = cards_of(coordinator, f"/incidents/{ALERT_KEY}")
    article = page(board).xpath(f'//article[@id="duty-{duty}"]')[0]
    assert article.xpath('.//span[@class="badge state-waived"]')
    explained = page_text(coordinator.get(f"/duties/{duty}?fragment=1"))
    assert "roads already closed" in explained and "by Cory Coordinator" in explained


# ---------------------------------------------------------------- updates and cancelling

def test_a_cap_update_supersedes_and_adds_duties(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    page_ = client.get(f"/incidents/{ALERT_KEY}/update")
    assert page_.status_code == 200
    no_inline_code(page_)
    response = upload(client, f"/incidents/{ALERT_KEY}/update",
                      (INCIDENTS / "cap-flash-flood-update.xml").read_bytes(), "update.xml",
                      "application/xml")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/incidents/{ALERT_KEY}"
    board = client.get(response.headers["Location"])
    duties = duty_set(board)
    # The incident was reported when the first alert was sent (04:12Z): the update extends the
    # warned area but does not move the deadlines the alert set running.
    assert ("pine_ridge_county", "relay_warning", "2026-06-19 04:42 UTC") in duties
    assert ("pine_ridge_county", "liaison", "2026-06-19 06:10 UTC") in duties
    assert ("lakeside_county", "relay_warning", "2026-06-19 04:42 UTC") in duties
    assert ("state_eoc", "stand_up", "2026-06-19 05:12 UTC") in duties
    assert page(board).xpath('//dt[text()="Reported"]/following-sibling::dd[1]/time/@datetime') \
        == ["2026-06-19T04:12:00Z"]
    assert ("pine_ridge_county", "no_self_dispatch", None) not in duties
    assert ("ashford_county", "no_self_dispatch", None) in duties
    assert "CAP alert · Update" in page_text(board)
    history = client.get(f"/incidents/{ALERT_KEY}?history=1")
    superseded = page(history).xpath('//section[@id="superseded"]//tbody/tr')
    assert any("No self-dispatch" in row.text_content() and "Pine Ridge" in row.text_content()
               for row in superseded)
    assert count(session, IncidentMessage) == 2 and count(session, Incident) == 1


def test_a_json_update_supersedes_what_no_longer_applies(session, people, executed, client_for):
    client = client_for(people.coordinator)
    paste(client, TORNADO)
    form = page(client.get(f"/incidents/{TORNADO_KEY}/update"))
    assert json.loads(form.xpath('//textarea[@name="incident_text"]')[0].text)["id"] == \
        TORNADO_KEY  # the latest JSON, ready to edit
    wider = json.loads(TORNADO)
    wider["area"] = ["FIPS:039003", "FIPS:039001"]
    response = paste(client, json.dumps(wider), url=f"/incidents/{TORNADO_KEY}/update")
    assert response.status_code == 302
    duties = duty_set(client.get(f"/incidents/{TORNADO_KEY}"))
    assert ("lakeside_county", "relay_warning", "2027-05-11 21:15 UTC") in duties
    assert ("lakeside_county", "no_self_dispatch", None) not in duties
    old = session.scalar(select(Duty).where(Duty.party_id == "lakeside_county",
                                            Duty.clause == "no_self_dispatch"))
    assert old.state == "superseded"  # kept, not deleted
    other = dict(wider, id="SOMETHING-ELSE")
    refused = paste(client, json.dumps(other), url=f"/incidents/{TORNADO_KEY}/update")
    assert refused.status_code == 422 and "names incident 'SOMETHING-ELSE'" in page_text(refused)
    assert page(refused).xpath('//textarea[@name="incident_text"]')[0].text == json.dumps(other)
    alert = upload(client, f"/incidents/{TORNADO_KEY}/update", ALERT, "alert.xml", "text/xml")
    assert alert.status_code == 422 and "not an update" in page_text(alert)
    assert count(session, Incident) == 1
    assert client_for(people.partners["harmon_county"]).get(
        f"/incidents/{TORNADO_KEY}/update").status_code == 403


def test_a_cap_update_of_another_incident_is_refused_here(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    paste(client, TORNADO)
    response = upload(client, f"/incidents/{TORNADO_KEY}/update",
                      (INCIDENTS / "cap-flash-flood-update.xml").read_bytes(), "update.xml",
                      "text/xml")
    assert response.status_code == 422
    assert "does not reference an alert of incident" in page_text(response)
    assert count(session, IncidentMessage) == 2


def test_cancelling_an_incident_supersedes_every_duty(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    assert client.post(f"/incidents/{ALERT_KEY}/cancel", data={"reason": ""}).status_code == 422
    partner = client_for(people.partners["lakeside_county"])
    assert partner.post(f"/incidents/{ALERT_KEY}/cancel",
                        data={"reason": "x"}).status_code == 403
    response = client.post(f"/incidents/{ALERT_KEY}/cancel", data={"reason": "false alarm"})
    assert response.status_code == 302
    board = client.get(f"/incidents/{ALERT_KEY}")
    assert duty_set(board) == set()
    text = page_text(board)
    assert "This incident was cancelled" in text
    assert not page(board).xpath('//form[contains(@action, "/cancel")]')
    history = client.get(f"/incidents/{ALERT_KEY}?history=1")
    rows = page(history).xpath('//section[@id="superseded"]//tbody/tr')
    assert len(rows) == 9 and "false alarm" in rows[0].text_content()
    assert client.post(f"/incidents/{ALERT_KEY}/cancel",
                       data={"reason": "again"}).status_code == 409
    update = paste(client, TORNADO, url=f"/incidents/{ALERT_KEY}/update")
    assert update.status_code == 409
    # the partner's duties went with it, though the incident still shows in its history
    assert partner.get(f"/incidents/{ALERT_KEY}").status_code == 200
    assert page(client.get("/incidents")).xpath('//tbody//span[text()="cancelled"]')


def test_a_cap_cancel_through_the_update_page(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    upload(client, f"/incidents/{ALERT_KEY}/update",
           (INCIDENTS / "cap-flash-flood-update.xml").read_bytes(), "u.xml", "text/xml")
    response = upload(client, f"/incidents/{ALERT_KEY}/update",
                      (INCIDENTS / "cap-flash-flood-cancel.xml").read_bytes(), "c.xml",
                      "text/xml")
    assert response.status_code == 302
    assert session.scalar(select(Incident.state)) == "cancelled"
    assert session.scalar(select(func.count(Duty.id)).where(Duty.state != "superseded")) == 0


def test_the_cancel_operation(session, people, executed):
    incident = record_incident(session, people.coordinator, TORNADO, now=T0)
    key = incident.key
    with pytest.raises(NotAllowed):
        cancel_incident(session, people.partners["harmon_county"], key, reason="x", now=T0)
    with pytest.raises(Invalid):
        cancel_incident(session, people.coordinator, key, reason=" ", now=T0)
    later = T0 + timedelta(hours=1)
    cancelled = cancel_incident(session, people.coordinator, key, reason="duplicate", now=later)
    assert cancelled.state == "cancelled" and cancelled.updated_at == later
    duties = session.scalars(select(Duty)).all()
    assert len(duties) == 6 and all(d.state == "superseded" and d.superseded_at == later
                                    for d in duties)
    events = session.scalars(select(DutyEvent).where(DutyEvent.to_state == "superseded")).all()
    assert len(events) == 6 and all(e.note == "the incident was cancelled: duplicate"
                                    and e.actor_id == people.coordinator.id for e in events)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "incident.cancel"))
    assert entry.detail["reason"] == "duplicate" and entry.detail["superseded"] == 6
    with pytest.raises(Conflict):
        cancel_incident(session, people.coordinator, key, reason="again", now=later)
    assert session.scalar(select(func.count(AuditEntry.id))
                          .where(AuditEntry.action == "incident.cancel")) == 1
