"""Answers that never mislead, on the pages and in the API: warnings where an evaluation is
shown, no duty said as a warning with its reasons, why-not, unknown parties, publishing with
warnings or failing examples, expired alerts, and files of several alerts."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import lxml.html
import pytest
from sqlalchemy import func, select

from agreements import clock
from agreements.drafting import create_agreement, publish
from agreements.models import AuditEntry, Duty, Incident, Revision
from agreements.signing import sign
from agreements.users import create_token

from .conftest import ALERT, T0, TASK_FORCE_ID

BEFORE_EXPIRY = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
AFTER_EXPIRY = datetime(2026, 6, 20, 9, 0, tzinfo=timezone.utc)  # it expired 06-19 10:15Z


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    moment = {"now": BEFORE_EXPIRY}
    monkeypatch.setattr(clock, "utcnow", lambda: moment["now"])
    return moment


def text_of(response) -> str:
    return re.sub(r"\s+", " ", lxml.html.fromstring(response.data).text_content())


def flashes(response, category: str) -> list[str]:
    doc = lxml.html.fromstring(response.data)
    return [re.sub(r"\s+", " ", e.text_content()).strip()
            for e in doc.xpath(f'//*[contains(@class, "flash-{category}")]')]


def paste(client, text: str, **extra):
    return client.post("/incidents/new", data={"source": "paste", "incident_text": text,
                                                **extra}, follow_redirects=True)


def incident(**fields) -> str:
    data = {"id": "JT-1", "type": "flash flood warning", "severity": "extreme",
            "urgency": "immediate", "certainty": "observed", "area": ["FIPS:039001"],
            "reported_at": "2026-06-19T04:00:00Z", "onset": "2026-06-19T04:00:00Z"}
    data.update(fields)
    return json.dumps(data)


@pytest.fixture
def bearer(session):
    def make(user):
        return {"Authorization": f"Bearer {create_token(session, user, 'tests')[1]}"}
    return make


# ---------------------------------------------------------------- warnings and no duty

def test_a_mistyped_type_gives_no_duty_and_the_banner_is_a_warning(executed, people, client_for):
    response = paste(client_for(people.coordinator), incident(type="Flash flood warning "))
    assert response.status_code == 200
    assert flashes(response, "success") == []
    assert flashes(response, "warning")[0] == (
        "Incident JT-1 recorded, but no agreement in force gave any duty and there is 1 "
        "warning: see below why each agreement gave nothing.")
    text = text_of(response)
    assert ("warning type 'Flash flood warning ' is not one of the values any agreement lists "
            "(did you mean 'flash flood warning'?)") in text
    assert "Why each agreement in force gave nothing: columbia-cap-joint-task-force" in text
    assert ("stand_up: when imminent and jtf_hazard: trigger jtf_hazard did not hold: none "
            "held: trigger water did not hold: incident.type in [\"flash flood warning\", "
            "\"flood warning\"] was false (was \"Flash flood warning \"); trigger hazmat did "
            "not hold: incident.type == \"hazardous materials warning\" was false (was \"Flash "
            "flood warning \")") in text


def test_duties_with_a_warning_say_so_in_the_banner(executed, people, client_for):
    # No county's area: the role `affected` names nobody, which is a gap to be told of.
    response = paste(client_for(people.coordinator), incident(area=["FIPS:999999"]))
    assert flashes(response, "warning")[0] == (
        "Incident JT-1 recorded: 7 duties for 7 parties, with 2 warnings: read them below.")
    text = text_of(response)
    print("DEBUG", text[text.index("Warnings"):][:500])


def test_the_api_answers_with_the_warnings_and_why_nothing(executed, people, app, bearer):
    api = app.test_client()
    response = api.post("/api/incidents", data=incident(type="Flash flood warning "),
                        headers={**bearer(people.coordinator),
                                 "Content-Type": "application/json"})
    assert response.status_code == 201
    body = response.json
    assert body["duties"] == []
    assert body["warnings"] == [{
        "agreement": None, "clause": None, "field": "type", "value": "Flash flood warning ",
        "message": "type 'Flash flood warning ' is not one of the values any agreement lists "
                   "(did you mean 'flash flood warning'?)"}]
    [entry] = body["why_none"]
    assert entry["agreement"] == TASK_FORCE_ID
    assert [r.split(":")[0] for r in entry["reasons"]][:3] == ["stand_up", "relay_warning",
                                                               "liaison"]
    # A partner reading the same incident gets the warning without the suggestion.
    partner = people.partners["state_eoc"]
    seen = api.get("/api/incidents/JT-1", headers=bearer(partner))
    assert seen.status_code == 404  # no duty of its own: the incident is not its to see


# ---------------------------------------------------------------- why not

def test_why_not_page_and_api(executed, people, client_for, app, bearer):
    paste(client_for(people.coordinator), incident())
    coordinator = client_for(people.coordinator)
    page = coordinator.get("/incidents/JT-1/why-not")
    assert page.status_code == 200
    text = text_of(page)
    assert ("columbia-cap-joint-task-force › liaison for harmon_county: no duty "
            "role affected is parties whose area intersects incident.area; harmon_county's "
            "area [\"FIPS:039003\"] does not intersect incident.area (was [\"FIPS:039001\"])"
            ) in text
    asked = coordinator.get(f"/incidents/JT-1/why-not?agreement={TASK_FORCE_ID}"
                            "&clause=hazmat_support")
    assert ("hazmat_support: no duty when imminent and hazmat: trigger hazmat did not hold: "
            "incident.type == \"hazardous materials warning\" was false (was \"flash flood "
            "warning\")") in text_of(asked).replace(" › ", " ").replace(
        f"{TASK_FORCE_ID} ", "")
    wrong = coordinator.get(f"/incidents/JT-1/why-not?agreement={TASK_FORCE_ID}&clause=relay")
    assert wrong.status_code == 422
    assert (f"Agreement {TASK_FORCE_ID} has no clause 'relay' (did you mean 'relay_warning'?)."
            in text_of(wrong))
    api = app.test_client().get(
        f"/api/incidents/JT-1/why-not?agreement={TASK_FORCE_ID}&clause=relay_warning"
        "&party=pine_ridge_county", headers=bearer(people.coordinator))
    assert api.status_code == 200
    assert api.json["answers"] == [{
        "agreement": TASK_FORCE_ID, "clause": "relay_warning", "party": "pine_ridge_county",
        "gave_duty": False,
        "reasons": ["role affected is parties whose area intersects incident.area; "
                    "pine_ridge_county's area [\"FIPS:039005\"] does not intersect "
                    "incident.area (was [\"FIPS:039001\"])"]}]
    partner = client_for(people.partners["lakeside_county"]).get("/incidents/JT-1/why-not")
    assert partner.status_code == 403


# ---------------------------------------------------------------- party fields

WITH_REQUESTS = '''\
agreement lakeside-harmon-requests
  title "Requests between Lakeside and Harmon"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31

party lakeside_county "Lakeside County"
party harmon_county "Harmon County"

fields
  requested_by party

role requesting is incident.requested_by
role assisting is parties except requesting

clause answer "Answer a request"
  when incident.requested_by is given
  assisting must "answer the request" within 1 hour

example "Lakeside asks"
  incident """{"id": "X", "type": "flood", "reported_at": "2026-03-14T08:00:00Z",
               "requested_by": "lakeside_county"}"""
  expect harmon_county must answer by 2026-03-14T09:00:00Z
'''


def execute(session, people, text: str, slug: str) -> None:
    create_agreement(session, people.drafter, text, now=T0)
    publish(session, people.drafter, slug, 1, now=T0)
    for party in ("lakeside_county", "harmon_county"):
        sign(session, people.partners[party], slug, 1, signer_name="S", signer_title="D",
             consent=True, now=T0)


def test_an_unknown_party_is_refused_with_a_suggestion(session, people, client_for, app,
                                                       bearer):
    execute(session, people, WITH_REQUESTS, "lakeside-harmon-requests")
    before = session.scalar(select(func.count(Incident.id)))
    text = json.dumps({"id": "RQ-1", "type": "flood", "reported_at": "2026-06-19T04:00:00Z",
                       "requested_by": "lakeside"})
    response = paste(client_for(people.coordinator), text)
    assert response.status_code == 422
    assert ("$.requested_by: 'lakeside' is not a known party (did you mean "
            "'lakeside_county'?)") in text_of(response)
    api = app.test_client().post("/api/incidents", data=text, headers={
        **bearer(people.coordinator), "Content-Type": "application/json"})
    assert api.status_code == 422
    assert api.json["error"]["details"] == [
        "$.requested_by: 'lakeside' is not a known party (did you mean 'lakeside_county'?)"]
    assert session.scalar(select(func.count(Incident.id))) == before
    ok = paste(client_for(people.coordinator), text.replace('"lakeside"', '"lakeside_county"'))
    assert "Incident RQ-1 recorded: 1 duty for 1 party." in flashes(ok, "success")


# ---------------------------------------------------------------- publishing

NO_EXAMPLES = WITH_REQUESTS[:WITH_REQUESTS.index("example ")]
FAILING = WITH_REQUESTS.replace("by 2026-03-14T09:00:00Z", "by 2026-03-14T10:00:00Z")


def test_publishing_asks_to_confirm_warnings_and_records_them(session, people, client_for):
    create_agreement(session, people.drafter, NO_EXAMPLES, now=T0)
    drafter = client_for(people.drafter)
    url = "/agreements/lakeside-harmon-requests/revisions/1/publish"
    asked = drafter.post(url)
    assert asked.status_code == 409
    text = text_of(asked)
    assert ("Revision 1 of 'lakeside-harmon-requests' has 1 warning; read it and confirm to "
            "publish it anyway.") in text
    assert "line 1: agreement has no examples" in text or "no examples" in text
    assert session.scalar(select(Revision.published_at)) is None
    done = drafter.post(url, data={"confirm_warnings": "yes"})
    assert done.status_code == 302
    session.expire_all()
    assert session.scalar(select(Revision.published_at)) is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "revision.publish")
                            ).one()
    assert entry.detail["confirmed_warnings"] and "examples" in \
        entry.detail["confirmed_warnings"][0]


def test_publishing_refuses_failing_examples(session, people, client_for, app, bearer):
    create_agreement(session, people.drafter, FAILING, now=T0)
    url = "/agreements/lakeside-harmon-requests/revisions/1/publish"
    refused = client_for(people.drafter).post(url, data={"confirm_warnings": "yes"})
    assert refused.status_code == 422
    text = text_of(refused)
    assert ("Revision 1 of 'lakeside-harmon-requests' has 1 failing example; only a revision "
            "whose examples all pass can be published.") in text
    assert "example 'Lakeside asks' (line 20):" in text
    api = app.test_client().post(f"/api{url}", json={"confirm_warnings": True},
                                 headers=bearer(people.drafter))
    assert api.status_code == 422
    assert api.json["error"]["details"][0].startswith("example 'Lakeside asks' (line 20): ")
    session.expire_all()
    assert session.scalar(select(Revision.published_at)) is None


def test_the_api_publishes_with_warnings_only_when_confirmed(session, people, app, bearer):
    create_agreement(session, people.drafter, NO_EXAMPLES, now=T0)
    api = app.test_client()
    url = "/api/agreements/lakeside-harmon-requests/revisions/1/publish"
    first = api.post(url, headers=bearer(people.drafter))
    assert first.status_code == 409
    assert first.json["error"]["details"] and "examples" in first.json["error"]["details"][0]
    bad = api.post(url, json={"confirm_warnings": "yes"}, headers=bearer(people.drafter))
    assert bad.status_code == 422
    done = api.post(url, json={"confirm_warnings": True}, headers=bearer(people.drafter))
    assert done.status_code == 200
    assert done.json["published_at"] is not None


# ---------------------------------------------------------------- expired alerts

def test_an_expired_alert_is_recorded_as_past_only_when_asked(executed, people, client_for,
                                                               session, fixed_clock):
    fixed_clock["now"] = AFTER_EXPIRY
    coordinator = client_for(people.coordinator)
    asked = coordinator.post("/incidents/new", data={"source": "paste",
                                                      "incident_text": ALERT.decode()})
    assert asked.status_code == 409
    assert ("Alert CO-NWS-2026-0618-FFW-001 expired at 2026-06-19 10:15 UTC, before it was "
            "received; record it as a past incident") in text_of(asked)
    assert session.scalar(select(func.count(Incident.id))) == 0
    doc = lxml.html.fromstring(asked.data)
    [form] = doc.xpath('//section[@id="expired-alert"]//form')
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    data["incident_text"] = form.xpath(".//textarea")[0].text
    recorded = coordinator.post("/incidents/new", data=data, follow_redirects=True)
    assert recorded.status_code == 200
    assert "recorded as a past incident" in text_of(recorded)
    incident = session.scalars(select(Incident)).one()
    assert incident.state == "past"
    duties = session.scalars(select(Duty).where(Duty.state != "superseded")).all()
    assert duties and all(d.past for d in duties)
    assert {d.state for d in duties} == {"open"}  # never breached by the delay
    page = lxml.html.fromstring(recorded.data)
    [tally] = page.xpath('//ul[@aria-label="Duties by state"]')
    shown = " ".join(tally.text_content().split())
    assert "open" in shown and "breached" not in shown  # the board counts none breached


def test_the_api_asks_before_recording_an_expired_alert(executed, people, app, bearer,
                                                        fixed_clock, session):
    fixed_clock["now"] = AFTER_EXPIRY
    api = app.test_client()
    headers = {**bearer(people.coordinator), "Content-Type": "application/xml"}
    asked = api.post("/api/incidents", data=ALERT, headers=headers)
    assert asked.status_code == 409
    assert asked.json["error"]["message"].startswith(
        "alert CO-NWS-2026-0618-FFW-001 expired at 2026-06-19 10:15 UTC, before it was "
        "received; record it as a past incident")
    assert session.scalar(select(func.count(Incident.id))) == 0
    done = api.post("/api/incidents?as_past=true", data=ALERT, headers=headers)
    assert done.status_code == 201
    assert done.json["state"] == "past"
    assert {d["effective_state"] for d in done.json["duties"]} == {"open"}


# ---------------------------------------------------------------- several alerts

def two_alerts() -> bytes:
    alert = ALERT.decode().split("?>", 1)[1]
    second = alert.replace("CO-NWS-2026-0618-FFW-001", "CO-NWS-2026-0618-FFW-002")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<alerts>{alert}{second}</alerts>'.encode()


def test_a_list_of_alerts_is_recorded_alert_by_alert(executed, people, client_for, session,
                                                     app, bearer):
    response = client_for(people.coordinator).post(
        "/incidents/new", data={"source": "paste", "incident_text": two_alerts().decode()},
        follow_redirects=True)
    assert flashes(response, "success") == [
        "2 alerts read: 2 recorded (CO-NWS-2026-0618-FFW-001, CO-NWS-2026-0618-FFW-002)."]
    assert sorted(session.scalars(select(Incident.key))) == ["CO-NWS-2026-0618-FFW-001",
                                                              "CO-NWS-2026-0618-FFW-002"]
    again = app.test_client().post("/api/incidents", data=two_alerts(), headers={
        **bearer(people.coordinator), "Content-Type": "application/xml"})
    assert again.status_code == 200
    body = again.json
    assert (body["read"], body["recorded"]) == (2, 0)
    assert [(r["position"], r["identifier"], r["status"]) for r in body["results"]] == [
        (1, "CO-NWS-2026-0618-FFW-001", 409), (2, "CO-NWS-2026-0618-FFW-002", 409)]
    assert body["results"][0]["error"]["message"] == (
        "incident 'CO-NWS-2026-0618-FFW-001' is already recorded; send changed facts as an "
        "update of it")


def test_a_partner_gets_suggestions_only_from_its_own_agreements(executed, people, app,
                                                                 bearer, session):
    from agreements.models import Organisation
    from agreements.users import create_user_unchecked
    session.add(Organisation(id="outsider_agency", name="Outsider Agency", created_at=T0))
    outsider = create_user_unchecked(session, email="o@x.example", name="O", role="partner",
                                     organisation_id="outsider_agency", at=T0)
    session.commit()
    api = app.test_client()
    body = incident(type="Flash flood warning ")
    headers = {"Content-Type": "application/json"}
    own = api.post("/api/evaluate", data=body,
                   headers={**headers, **bearer(people.partners["lakeside_county"])})
    assert [w["message"] for w in own.json["warnings"]] == [
        "type 'Flash flood warning ' is not one of the values any agreement lists (did you mean "
        "'flash flood warning'?)"]
    other = api.post("/api/evaluate", data=body, headers={**headers, **bearer(outsider)})
    assert [w["message"] for w in other.json["warnings"]] == [
        "type 'Flash flood warning ' is not one of the values any agreement lists"]
