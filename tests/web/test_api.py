"""The JSON API: bearer tokens, the same access rules as the pages, JSON errors, stateless
evaluation as `compact evaluate --format json` (the same JSON, compact)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from agreements import clock
from agreements.drafting import create_agreement, publish
from agreements.models import AuditEntry, Duty, Incident, IncidentMessage
from agreements.signing import sign
from agreements.users import create_token, revoke_token, update_user
from engine.compiler import load
from engine.incidents import load_incident
from engine.index import Library
from tests.agreements.conftest import LIBRARY, library_text
from web.app import MAX_UPLOAD_BYTES
from web.cli import main as cli
from web.openapi import DOCUMENT

from .conftest import ALERT, TASK_FORCE, TASK_FORCE_ID

NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)  # just after the alert was sent
ALERT_KEY = "CO-NWS-2026-0618-FFW-001"
UPDATE = (LIBRARY / "incidents" / "cap-flash-flood-update.xml").read_bytes()
CANCEL = (LIBRARY / "incidents" / "cap-flash-flood-cancel.xml").read_bytes()
TORNADO = json.loads((LIBRARY / "incidents" / "harmon-tornado-warning.json").read_text())
MUTUAL_AID = "intrastate-mutual-aid.agreement"
MUTUAL_AID_ID = "columbia-intrastate-mutual-aid"
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}

# The duties of the flash flood warning (agreements/library/incidents/README.md): stand_up and
# relay_warning run from its sending (23:12-05:00), liaison and traffic control from its onset
# (23:10-05:00).
ALERT_DUTIES = {
    ("stand_up", "state_eoc", "must", "2026-06-19T05:12:00Z"),
    ("relay_warning", "lakeside_county", "must", "2026-06-19T04:42:00Z"),
    ("relay_warning", "harmon_county", "must", "2026-06-19T04:42:00Z"),
    ("liaison", "lakeside_county", "must", "2026-06-19T06:10:00Z"),
    ("liaison", "harmon_county", "must", "2026-06-19T06:10:00Z"),
    ("traffic_control", "state_patrol", "must", "2026-06-19T05:40:00Z"),
    ("high_water", "columbia_guard", "may", None),
    ("no_self_dispatch", "pine_ridge_county", "must not", None),
    ("no_self_dispatch", "ashford_county", "must not", None),
}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def api(app, session):
    """api(user) -> a client whose requests carry that user's bearer token."""
    class Client:
        def __init__(self, token):
            self.token = token
            self.client = app.test_client()

        def _headers(self, headers):
            return {"Authorization": f"Bearer {self.token}", **(headers or {})}

        def get(self, path, headers=None, **kw):
            return self.client.get(path, headers=self._headers(headers), **kw)

        def post(self, path, headers=None, **kw):
            return self.client.post(path, headers=self._headers(headers), **kw)

    def make(user):
        _, token = create_token(session, user, "tests")
        return Client(token)
    return make


def counts(session) -> dict:
    session.expire_all()
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Incident, IncidentMessage, Duty, AuditEntry)}


def duty_keys(duties) -> set:
    return {(d["clause"], d["party"], d["modality"], d["due"]) for d in duties}


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": DOCUMENT["components"]})


def assert_error(response, status: int):
    assert response.status_code == status, response.data[:800]
    assert response.is_json
    validator("Error").validate(response.json)
    assert response.json["error"]["status"] == status
    return response.json["error"]


# ---------------------------------------------------------------- authentication

def test_the_api_needs_a_bearer_token(app, session, people, executed, api, client_for):
    anonymous = app.test_client()
    for headers in ({}, {"Authorization": "Bearer cpt_not-a-token"},
                    {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = anonymous.get("/api/agreements", headers=headers)
        error = assert_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "token" in error["message"]
    # A signed-in browser session is not an API credential.
    assert_error(client_for(people.coordinator).get("/api/agreements"), 401)

    record, token = create_token(session, people.coordinator, "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/agreements", headers=headers).status_code == 200
    revoke_token(session, people.coordinator, record.id)
    assert_error(anonymous.get("/api/agreements", headers=headers), 401)

    _, token = create_token(session, people.drafter, "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/incidents", headers=headers).status_code == 200
    update_user(session, people.admin, people.drafter.id, active=False)
    assert_error(anonymous.get("/api/incidents", headers=headers), 401)


def test_every_endpoint_needs_the_token_but_the_description(app, people, executed):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1) in ("number", "id")
                      else "acknowledge" if m.group(1) == "action" else "x", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.status_code == 401, (method, path)
    assert client.get("/api/openapi.json").status_code == 200


# ---------------------------------------------------------------- the description

def test_openapi_describes_every_endpoint(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    doc = response.json
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    for name in ("Agreement", "Revision", "Incident", "Duty", "Evaluation", "Error"):
        assert name in doc["components"]["schemas"], name
    Draft202012Validator.check_schema({"components": doc["components"]})
    api_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert len(api_rules) >= 12
    for rule in api_rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (method, path)
            operation = doc["paths"][path][method.lower()]
            for parameter in re.findall(r"{(\w+)}", path):
                assert parameter in [p["name"] for p in operation.get("parameters", [])]


def test_the_evaluation_schema_is_the_interfaces_example(app):
    example = {
        "incident": "T-1", "evaluated_at": "2026-03-14T08:00:00Z", "exercise": False,
        "duties": [{"agreement": "lakeside-riverbend-mutual-aid", "clause": "engines",
                    "title": "Deployment of engine strike teams", "modality": "must",
                    "party": "riverbend", "role": "assisting",
                    "action": "deploy one Type 1 engine strike team to the staging area",
                    "due": "2026-03-14T13:00:00Z", "status": "open",
                    "costs": [{"party": "lakeside", "share": 1.0}],
                    "because": ["incident.requested_by is given (was \"lakeside\")"]}],
        "skipped": [{"agreement": "old-compact",
                     "reason": "not in effect on 2026-03-14 (expired 2025-12-31)"}],
        "warnings": [{"agreement": "lakeside-riverbend-mutual-aid", "clause": "notify",
                      "message": "role affected names no party"}]}
    validator("Evaluation").validate(example)
    with pytest.raises(Exception):
        validator("Evaluation").validate({**example, "extra": 1})


# ---------------------------------------------------------------- agreements

@pytest.fixture
def second(session, people, executed):
    """The intrastate mutual aid agreement as a draft: parties lakeside, harmon, pine ridge,
    ashford and the state EOC (not the environmental agency)."""
    create_agreement(session, people.drafter, library_text(MUTUAL_AID), now=NOW)
    return MUTUAL_AID_ID


def test_agreements_for_each_role(session, people, executed, second, api):
    schema = validator("Agreement")
    for user in (people.drafter, people.coordinator, people.admin):
        listed = api(user).get("/api/agreements").json["agreements"]
        assert [a["id"] for a in listed] == [TASK_FORCE_ID, MUTUAL_AID_ID]
        for item in listed:
            schema.validate(item)
    task_force = api(people.drafter).get("/api/agreements").json["agreements"][0]
    assert task_force == {
        "id": TASK_FORCE_ID, "slug": TASK_FORCE_ID, "title": executed.title,
        "kind": "protocol", "status": "executed", "parties": task_force["parties"],
        "latest_revision": 1, "executed_revision": 1, "executed_at": "2026-06-18T12:00:00Z",
        "out_for_signature": None, "url": f"/api/agreements/{TASK_FORCE_ID}"}
    assert [p["id"] for p in task_force["parties"]] == [p for p, _ in executed.parties]

    # A partner sees no draft, not even of an agreement its organisation is party to.
    lakeside, dep = api(people.partners["lakeside_county"]), api(people.partners["columbia_dep"])
    assert [a["id"] for a in lakeside.get("/api/agreements").json["agreements"]] == [
        TASK_FORCE_ID]
    for client in (lakeside, dep):
        for path in (f"/api/agreements/{second}", f"/api/agreements/{second}/revisions",
                     f"/api/agreements/{second}/revisions/1",
                     f"/api/agreements/{second}/revisions/1/pdf"):
            assert_error(client.get(path), 404)
    publish(session, people.drafter, second, 1, now=NOW)
    assert [a["id"] for a in lakeside.get("/api/agreements").json["agreements"]] == [
        TASK_FORCE_ID, second]
    assert lakeside.get(f"/api/agreements/{second}").json["out_for_signature"] == 1
    # The environmental agency is no party to it: it stays hidden, exactly like a missing one.
    assert [a["id"] for a in dep.get("/api/agreements").json["agreements"]] == [TASK_FORCE_ID]
    hidden = assert_error(dep.get(f"/api/agreements/{second}"), 404)
    missing = assert_error(dep.get("/api/agreements/no-such-agreement"), 404)
    assert hidden["title"] == missing["title"]


def test_agreement_detail_revisions_and_revision(session, people, executed, api):
    client = api(people.partners["columbia_dep"])
    detail = client.get(f"/api/agreements/{TASK_FORCE_ID}").json
    validator("AgreementDetail").validate(detail)
    assert detail["binding"] is True and detail["effective_from"] == "2026-01-01"
    assert [r["number"] for r in detail["revisions"]] == [1]

    listed = client.get(f"/api/agreements/{TASK_FORCE_ID}/revisions").json
    assert listed["agreement"] == TASK_FORCE_ID
    assert [r["number"] for r in listed["revisions"]] == [1]

    revision = client.get(f"/api/agreements/{TASK_FORCE_ID}/revisions/1").json
    validator("RevisionDetail").validate(revision)
    assert revision["number"] == 1 and revision["content_hash"] == executed.content_hash
    assert revision["author"] == people.drafter.name and revision["state"] == "executed"
    assert revision["created_at"] == "2026-06-18T12:00:00Z"
    assert revision["published_at"] == "2026-06-18T12:00:00Z"
    assert revision["errors"] == 0 and revision["warnings"] == executed.warning_count
    assert revision["diagnostics"] == executed.diagnostics
    assert revision["source"] == executed.source
    assert {s["party"] for s in revision["signatures"]} == {p for p, _ in executed.parties}
    assert all(s["content_hash"] == executed.content_hash for s in revision["signatures"])
    assert_error(client.get(f"/api/agreements/{TASK_FORCE_ID}/revisions/2"), 404)


def test_a_revision_pdf(session, people, executed, api):
    response = api(people.partners["lakeside_county"]).get(
        f"/api/agreements/{TASK_FORCE_ID}/revisions/1/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert "attachment" in response.headers["Content-Disposition"]
    assert_error(api(people.coordinator).get(
        f"/api/agreements/{TASK_FORCE_ID}/revisions/9/pdf"), 404)


# ---------------------------------------------------------------- incidents

def test_record_a_cap_alert(session, people, executed, api):
    response = api(people.coordinator).post("/api/incidents", data=ALERT, headers=XML)
    assert response.status_code == 201, response.data[:800]
    assert response.headers["Location"] == f"/api/incidents/{ALERT_KEY}"
    incident = response.json
    validator("Incident").validate(incident)
    assert incident["id"] == ALERT_KEY and incident["state"] == "active"
    assert incident["type"] == "flash flood warning" and incident["exercise"] is False
    assert incident["reported_at"] == "2026-06-19T04:12:00Z"  # alert/sent, not info/onset
    assert [(m["sequence"], m["format"], m["message_type"], m["cap_identifier"])
            for m in incident["messages"]] == [(1, "cap", "Alert", ALERT_KEY)]
    assert duty_keys(incident["duties"]) == ALERT_DUTIES
    assert {d["state"] for d in incident["duties"]} == {"open"}
    assert all(d["revision_hash"] == executed.content_hash for d in incident["duties"])
    # application/cap+xml and text/xml are CAP too; the same alert twice is a conflict.
    for kind in ("application/cap+xml", "text/xml"):
        again = api(people.admin).post("/api/incidents", data=ALERT,
                                       headers={"Content-Type": kind})
        assert "already recorded" in assert_error(again, 409)["message"]


def test_record_a_json_incident(session, people, executed, api):
    client = api(people.coordinator)
    response = client.post("/api/incidents", json=TORNADO)
    assert response.status_code == 201, response.data[:800]
    assert response.headers["Location"] == f"/api/incidents/{TORNADO['id']}"
    assert duty_keys(response.json["duties"]) == {
        ("stand_up", "state_eoc", "must", "2027-05-11T21:45:00Z"),
        ("relay_warning", "harmon_county", "must", "2027-05-11T21:15:00Z"),
        # liaison runs from incident.onset, which the JSON incident does not give: no due time.
        ("liaison", "harmon_county", "must", None),
        ("no_self_dispatch", "lakeside_county", "must not", None),
        ("no_self_dispatch", "pine_ridge_county", "must not", None),
        ("no_self_dispatch", "ashford_county", "must not", None),
    }
    fetched = client.get(f"/api/incidents/{TORNADO['id']}").json
    assert fetched == response.json
    assert [i["id"] for i in client.get("/api/incidents").json["incidents"]] == [TORNADO["id"]]


def test_only_coordinators_and_admins_record(session, people, executed, api):
    clients = [api(user) for user in (people.drafter, people.partners["state_eoc"])]
    before = counts(session)
    for client in clients:
        assert_error(client.post("/api/incidents", data=ALERT, headers=XML), 403)
    assert counts(session) == before


@pytest.mark.parametrize("body, headers, status, words", [
    (b'{"id": "X-1", "type": ', JSON, 400, "not valid JSON"),
    (b"<alert><unclosed></alert>", XML, 400, "the file is not valid XML: mismatched tag"),
    (ALERT, JSON, 400, "it is XML"),
    (json.dumps(TORNADO).encode(), XML, 400, "not XML"),
    (b"", JSON, 400, "no body"),
    (b"\xff\xfe{}", JSON, 400, "UTF-8"),
    (json.dumps(TORNADO).encode(), {"Content-Type": "text/plain"}, 415, "Content-Type"),
    (json.dumps(TORNADO).encode(), {}, 415, "Content-Type"),
    (ALERT, {"Content-Type": "multipart/form-data; boundary=x"}, 415, "Content-Type"),
])
def test_bad_bodies_are_refused_and_nothing_is_stored(session, people, executed, api, body,
                                                      headers, status, words):
    client = api(people.coordinator)
    before = counts(session)
    for path in ("/api/incidents", "/api/evaluate"):
        response = client.post(path, data=body, headers=headers)
        assert words in assert_error(response, status)["message"]
    assert counts(session) == before


def test_an_oversized_body_is_413(session, people, executed, api):
    client = api(people.coordinator)
    before = counts(session)
    body = b'{"id": "big", "pad": "' + b"x" * MAX_UPLOAD_BYTES + b'"}'
    for path in ("/api/incidents", "/api/evaluate", f"/api/incidents/{ALERT_KEY}/updates"):
        assert_error(client.post(path, data=body, headers=JSON), 413)
    assert counts(session) == before


def test_an_invalid_incident_is_422_with_json_paths(session, people, executed, api):
    client = api(people.coordinator)
    before = counts(session)
    bad = {**TORNADO, "reported_at": "2027-05-11T15:45:00"}  # naive: no offset
    for path in ("/api/incidents", "/api/evaluate"):
        error = assert_error(client.post(path, json=bad), 422)
        assert any(d.startswith("$.reported_at: ") for d in error["details"]), error
    missing = {k: v for k, v in TORNADO.items() if k != "type"}
    error = assert_error(client.post("/api/incidents", json=missing), 422)
    assert any(d.startswith("$: ") and "'type'" in d for d in error["details"]), error
    wrong = {**TORNADO, "area": "FIPS:039003"}
    error = assert_error(client.post("/api/incidents", json=wrong), 422)
    assert any(d.startswith("$.area: ") for d in error["details"]), error
    assert "must be a JSON object" in assert_error(
        client.post("/api/incidents", json=[TORNADO]), 422)["message"]
    assert counts(session) == before


def test_cap_update_and_cancel_of_a_recorded_alert(session, people, executed, api):
    client = api(people.coordinator)
    assert client.post("/api/incidents", data=ALERT, headers=XML).status_code == 201
    path = f"/api/incidents/{ALERT_KEY}/updates"
    # An Alert is not an update; an update of another incident is refused.
    assert "starts a new incident" in assert_error(
        client.post(path, data=ALERT, headers=XML), 422)["message"]
    client.post("/api/incidents", json=TORNADO)
    assert "does not reference" in assert_error(client.post(
        f"/api/incidents/{TORNADO['id']}/updates", data=UPDATE, headers=XML), 422)["message"]

    updated = client.post(path, data=UPDATE, headers=XML)
    assert updated.status_code == 200, updated.data[:800]
    assert updated.headers["Location"] == f"/api/incidents/{ALERT_KEY}"
    live = [d for d in updated.json["duties"] if d["state"] != "superseded"]
    # The update (sent 01:30-05:00) brings in Pine Ridge; deadlines keep running from the first
    # alert's sending (04:12Z), which stays the incident's report time.
    assert updated.json["reported_at"] == "2026-06-19T04:12:00Z"
    assert ("relay_warning", "pine_ridge_county", "must", "2026-06-19T04:42:00Z") in \
        duty_keys(live)
    assert ("no_self_dispatch", "pine_ridge_county", "must not", None) not in duty_keys(live)
    assert [m["message_type"] for m in updated.json["messages"]] == ["Alert", "Update"]

    cancelled = client.post(path, data=CANCEL, headers=XML)
    assert cancelled.status_code == 200
    assert cancelled.json["state"] == "cancelled"
    assert {d["state"] for d in cancelled.json["duties"]} == {"superseded"}
    assert_error(client.post(path, data=CANCEL, headers=XML), 409)


def test_a_cap_update_posted_as_a_new_message_applies_to_its_alert(session, people, executed,
                                                                   api):
    client = api(people.coordinator)
    client.post("/api/incidents", data=ALERT, headers=XML)
    response = client.post("/api/incidents", data=UPDATE, headers=XML)
    assert response.status_code == 200 and response.json["id"] == ALERT_KEY
    assert len(response.json["messages"]) == 2


def test_a_json_update(session, people, executed, api):
    client = api(people.coordinator)
    client.post("/api/incidents", json=TORNADO)
    wider = {**TORNADO, "area": ["FIPS:039003", "FIPS:039001"]}
    response = client.post(f"/api/incidents/{TORNADO['id']}/updates", json=wider)
    assert response.status_code == 200, response.data[:800]
    live = {(d["clause"], d["party"]) for d in response.json["duties"]
            if d["state"] != "superseded"}
    assert ("relay_warning", "lakeside_county") in live
    assert ("no_self_dispatch", "lakeside_county") not in live
    assert "names incident" in assert_error(client.post(
        f"/api/incidents/{TORNADO['id']}/updates", json={**wider, "id": "other"}), 422)[
        "message"]
    assert_error(client.post("/api/incidents/nothing-here/updates", json=wider), 404)
    assert_error(api(people.drafter).post(f"/api/incidents/{TORNADO['id']}/updates",
                                          json=wider), 403)


def test_a_partner_sees_only_the_incidents_that_gave_it_duties(session, people, executed,
                                                               api):
    api(people.coordinator).post("/api/incidents", data=ALERT, headers=XML)
    lakeside = api(people.partners["lakeside_county"])
    assert [i["id"] for i in lakeside.get("/api/incidents").json["incidents"]] == [ALERT_KEY]
    incident = lakeside.get(f"/api/incidents/{ALERT_KEY}").json
    assert {d["party"] for d in incident["duties"]} == {"lakeside_county"}
    assert {d["clause"] for d in incident["duties"]} == {"relay_warning", "liaison"}

    dep = api(people.partners["columbia_dep"])  # no duty from a flash flood warning
    assert dep.get("/api/incidents").json == {"incidents": []}
    assert_error(dep.get(f"/api/incidents/{ALERT_KEY}"), 404)
    assert_error(dep.get("/api/incidents/no-such-incident"), 404)
    assert api(people.drafter).get(f"/api/incidents/{ALERT_KEY}").status_code == 200


# ---------------------------------------------------------------- duties

def test_duties_list_and_filters(session, people, executed, api):
    coordinator = api(people.coordinator)
    coordinator.post("/api/incidents", data=ALERT, headers=XML)
    coordinator.post("/api/incidents", json=TORNADO)
    everything = coordinator.get("/api/duties").json["duties"]
    assert len(everything) == len(ALERT_DUTIES) + 6
    for duty in everything:
        validator("Duty").validate(duty)
    dues = [d["due"] for d in everything]
    assert dues == sorted(d for d in dues if d) + [None] * dues.count(None)

    only = coordinator.get(f"/api/duties?incident={ALERT_KEY}&party=harmon_county").json
    assert {(d["clause"], d["party"]) for d in only["duties"]} == {
        ("relay_warning", "harmon_county"), ("liaison", "harmon_county")}
    assert len(coordinator.get("/api/duties?party=harmon_county,state_eoc").json["duties"]) == 6

    lakeside = api(people.partners["lakeside_county"])
    mine = lakeside.get("/api/duties").json["duties"]
    assert {d["party"] for d in mine} == {"lakeside_county"} and len(mine) == 3
    assert lakeside.get("/api/duties?party=harmon_county").json == {"duties": []}

    duty = next(d for d in mine if d["clause"] == "relay_warning")
    assert lakeside.post(f"/api/duties/{duty['id']}/acknowledge").json["state"] == \
        "acknowledged"
    assert [d["id"] for d in lakeside.get("/api/duties?state=acknowledged").json["duties"]] \
        == [duty["id"]]
    error = assert_error(coordinator.get("/api/duties?state=finished"), 422)
    assert error["details"][0].startswith("state: 'finished'")


def test_breached_counts_duties_past_due(session, people, executed, api, monkeypatch):
    api(people.coordinator).post("/api/incidents", data=ALERT, headers=XML)
    later = datetime(2026, 6, 19, 5, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    breached = api(people.coordinator).get("/api/duties?state=breached").json["duties"]
    assert {(d["clause"], d["party"]) for d in breached} == {
        ("relay_warning", "lakeside_county"), ("relay_warning", "harmon_county")}
    assert {d["state"] for d in breached} == {"open"}
    assert {d["effective_state"] for d in breached} == {"breached"}


def test_duty_actions(session, people, executed, api):
    api(people.coordinator).post("/api/incidents", data=ALERT, headers=XML)
    duties = {(d.clause, d.party_id): d.id for d in session.scalars(select(Duty))}
    lakeside = api(people.partners["lakeside_county"])
    own, other = duties[("liaison", "lakeside_county")], duties[("liaison", "harmon_county")]

    done = lakeside.post(f"/api/duties/{own}/fulfil", json={"note": "liaison at the EOC"})
    assert done.status_code == 200, done.data
    assert done.json["state"] == "fulfilled" and done.json["fulfilled_at"] == \
        "2026-06-19T04:15:00Z"
    assert_error(lakeside.post(f"/api/duties/{own}/acknowledge"), 409)
    # Another organisation's duty does not exist for this partner.
    assert_error(lakeside.post(f"/api/duties/{other}/acknowledge"), 404)
    assert_error(lakeside.post("/api/duties/99999/acknowledge"), 404)
    relay = duties[("relay_warning", "lakeside_county")]
    assert_error(lakeside.post(f"/api/duties/{relay}/waive", json={"note": "no"}), 403)
    assert "reason" in assert_error(lakeside.post(f"/api/duties/{relay}/decline", json={}),
                                    422)["message"]
    assert "note" in assert_error(lakeside.post(f"/api/duties/{relay}/decline",
                                                json={"note": 5}), 422)["details"][0]
    assert_error(lakeside.post(f"/api/duties/{relay}/decline", data=b"{note",
                               headers=JSON), 400)
    assert_error(lakeside.post(f"/api/duties/{relay}/decline", data=b"note=x",
                               headers={"Content-Type": "text/plain"}), 415)
    assert_error(lakeside.post(f"/api/duties/{relay}/finish"), 404)
    assert_error(api(people.drafter).post(f"/api/duties/{relay}/acknowledge"), 403)
    waived = api(people.coordinator).post(f"/api/duties/{relay}/waive",
                                          json={"note": "the county relayed it by radio"})
    assert waived.status_code == 200 and waived.json["state"] == "waived"
    session.expire_all()
    assert session.get(Duty, relay).state == "waived"


# ---------------------------------------------------------------- stateless evaluation

def cli_evaluate(tmp_path, incident: bytes, *extra: str) -> bytes:
    path = tmp_path / "incident"
    path.write_bytes(incident)
    result = CliRunner().invoke(cli, ["evaluate", str(LIBRARY / TASK_FORCE), "--incident",
                                      str(path), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def assert_compact_of(body: bytes, indented) -> None:
    """The API's body is the CLI's (indented) evaluation JSON without whitespace: the same
    keys, values and order, with `,` and `:` separators and no final newline."""
    text = indented.decode() if isinstance(indented, bytes) else indented
    assert json.loads(body) == json.loads(text)
    assert body == json.dumps(json.loads(text), ensure_ascii=False,
                              separators=(",", ":")).encode()


@pytest.mark.parametrize("incident, headers", [(ALERT, XML),
                                               (json.dumps(TORNADO).encode(), JSON)])
def test_evaluate_is_the_cli_evaluation_made_compact(session, people, executed, api,
                                                      tmp_path, incident, headers):
    clients = [api(user) for user in (people.coordinator, people.drafter, people.admin)]
    before = counts(session)
    for client in clients:
        response = client.post("/api/evaluate", data=incident, headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert_compact_of(response.data, cli_evaluate(tmp_path, incident))
        engine = Library([load(library_text(TASK_FORCE), "x.agreement")]).evaluate(
            load_incident(incident))
        assert response.data == engine.to_json(compact=True).encode()
        assert_compact_of(response.data, engine.to_json())
        validator("Evaluation").validate(response.json)
    at = "2026-06-19T06:00:00Z"
    response = clients[0].post(f"/api/evaluate?at={at}", data=incident, headers=headers)
    assert_compact_of(response.data, cli_evaluate(tmp_path, incident, "--at", at))
    assert counts(session) == before


def test_evaluate_at_a_time_with_an_offset(session, people, executed, api, tmp_path):
    response = api(people.coordinator).post("/api/evaluate?at=2026-06-19T01:00:00+05:00",
                                            data=ALERT, headers=XML)
    assert response.status_code == 200
    assert response.json["evaluated_at"] == "2026-06-18T20:00:00Z"
    assert_compact_of(response.data,
                      cli_evaluate(tmp_path, ALERT, "--at", "2026-06-18T20:00:00Z"))
    error = assert_error(api(people.coordinator).post("/api/evaluate?at=tomorrow", data=ALERT,
                                                      headers=XML), 422)
    assert "RFC 3339" in error["message"] and error["details"][0].startswith("at: ")


def test_evaluate_gives_a_partner_only_its_own_duties(session, people, executed, api):
    clients = {party: api(people.partners[party]) for party in ("harmon_county", "columbia_dep")}
    before = counts(session)
    engine = Library([load(library_text(TASK_FORCE), "x.agreement")]).evaluate(
        load_incident(ALERT))
    for party, client in clients.items():
        response = client.post("/api/evaluate", data=ALERT, headers=XML)
        assert response.status_code == 200
        mine = dataclasses.replace(engine, duties=tuple(d for d in engine.duties
                                                        if d.party == party))
        assert response.data == mine.to_json(compact=True).encode()
        assert_compact_of(response.data, mine.to_json())
    assert {d["clause"] for d in json.loads(mine.to_json())["duties"]} == set()
    assert counts(session) == before


def test_evaluate_with_nothing_in_force(session, people, api):
    response = api(people.coordinator).post("/api/evaluate", data=ALERT, headers=XML)
    assert response.status_code == 200
    assert response.json["duties"] == [] and response.json["skipped"] == []


def test_evaluate_a_cancel_gives_no_duties(session, people, executed, api):
    response = api(people.coordinator).post("/api/evaluate", data=CANCEL, headers=XML)
    assert response.status_code == 200 and response.json["duties"] == []
    assert "cancels" in response.json["warnings"][0]["message"]


def test_a_partner_learns_nothing_of_agreements_it_is_no_party_to(session, people, executed,
                                                                  second, api):
    publish(session, people.drafter, second, 1, now=NOW)
    for party in ("state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county",
                  "ashford_county"):
        sign(session, people.partners[party], second, 1, signer_name="S", signer_title="D",
             consent=True, now=NOW)
    dep, lakeside = api(people.partners["columbia_dep"]), api(people.partners["lakeside_county"])
    coordinator = api(people.coordinator)
    # A local declaration activates the mutual aid agreement, whose regional role finds no party
    # in region 'Harmon County': a warning of that agreement.
    declared = {**TORNADO, "declaration": "local"}
    full = coordinator.post("/api/evaluate", json=declared).json
    assert second in {w["agreement"] for w in full["warnings"]}
    assert second in {w["agreement"] for w in lakeside.post("/api/evaluate",
                                                            json=declared).json["warnings"]}
    assert dep.post("/api/evaluate", json=declared).json["warnings"] == []

    bad = {**TORNADO, "request_authorised": "yes"}
    error = assert_error(coordinator.post("/api/evaluate", json=bad), 422)
    assert any(second in d for d in error["details"])
    error = assert_error(dep.post("/api/evaluate", json=bad), 422)
    assert not any(second in d for d in error["details"]) and second not in error["message"]
    # Nor the field of that agreement (probe finding, issue 11): only that an agreement it is
    # not party to refuses the incident.
    assert not any("request_authorised" in d for d in error["details"])
    assert "request_authorised" not in error["message"]
    assert any("not party to" in d for d in error["details"])
