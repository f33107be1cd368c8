"""A party a duty is owed to (`to ROLE`, v2) sees it, read only, on the pages and in the API;
a partner neither owed nor given the duty does not."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements import clock
from agreements.drafting import create_agreement, publish
from agreements.incidents import record_incident
from agreements.models import Duty
from agreements.signing import sign
from agreements.users import create_token
from tests.agreements.conftest import make_people

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)
AGREEMENT = '''agreement owed-aid
  title "Aid and its reimbursement"
  kind mutual-aid
  binding
  effective 2026-01-01

party lakeside "Lakeside County"

party riverbend "City of Riverbend"

party state "State EOC"

fields
  requested_by party

role requesting is incident.requested_by
role assisting is riverbend

clause reimburse "Reimbursement"
  when incident.requested_by is given
  requesting must "reimburse the documented costs" to assisting within 60 days

example "a request"
  incident """{"id": "E-1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z",
               "requested_by": "lakeside"}"""
  expect lakeside must reimburse by 2026-05-13T08:00:00Z
'''
INCIDENT = {"id": "OWED-1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z",
            "requested_by": "lakeside"}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def owed(session):
    people = make_people(session, ["lakeside", "riverbend", "state"],
                         {"lakeside": "Lakeside County", "riverbend": "City of Riverbend",
                          "state": "State EOC"})
    create_agreement(session, people.drafter, AGREEMENT, now=NOW)
    publish(session, people.drafter, "owed-aid", 1, now=NOW)
    for party, partner in people.partners.items():
        sign(session, partner, "owed-aid", 1, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=NOW)
    record_incident(session, people.coordinator, json.dumps(INCIDENT), now=NOW)
    session.commit()
    duty = session.scalar(select(Duty).where(Duty.clause == "reimburse"))
    return people, duty


def test_the_record_keeps_whom_a_duty_is_owed_to(owed):
    _, duty = owed
    assert (duty.party_id, duty.owed_to) == ("lakeside", ["riverbend"])
    assert duty.as_dict()["to"] == ["riverbend"]


def test_the_beneficiary_sees_the_duty_page_read_only(owed, client_for):
    people, duty = owed
    page = client_for(people.partners["riverbend"]).get(f"/duties/{duty.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Owed to:</span> City of Riverbend" in html
    assert "Acknowledge" not in html and "Mark fulfilled" not in html
    board = client_for(people.partners["riverbend"]).get("/incidents/OWED-1")
    assert board.status_code == 200 and "reimburse the documented costs" in board.get_data(
        as_text=True)


def test_a_partner_neither_given_nor_owed_the_duty_does_not_see_it(owed, client_for):
    people, duty = owed
    client = client_for(people.partners["state"])
    assert client.get(f"/duties/{duty.id}").status_code == 404
    assert client.get("/incidents/OWED-1").status_code == 404


def test_the_beneficiary_cannot_act_on_the_duty(owed, client_for, app, session):
    people, duty = owed
    _, token = create_token(session, people.partners["riverbend"], "tests")
    session.commit()
    response = app.test_client().post(f"/api/duties/{duty.id}/acknowledge",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "a partner acts only on its own organisation's duties" in response.get_data(
        as_text=True)
    assert session.get(Duty, duty.id).state == "open"


def test_the_api_gives_the_beneficiary_the_duty_and_the_incident(owed, app, session):
    people, duty = owed
    tokens = {}
    for party in ("riverbend", "state"):
        _, tokens[party] = create_token(session, people.partners[party], "tests")
    session.commit()

    def get(party, path):
        return app.test_client().get(path, headers={"Authorization": f"Bearer {tokens[party]}"})

    duties = get("riverbend", "/api/duties").get_json()["duties"]
    from tests.web.test_api import validator
    validator("Duty").validate(duties[0])  # the record's duty, with "to"
    assert [(d["id"], d["party"], d["to"]) for d in duties] == [(duty.id, "lakeside",
                                                                 ["riverbend"])]
    assert [i["id"] for i in get("riverbend", "/api/incidents").get_json()["incidents"]] == [
        "OWED-1"]
    assert get("state", "/api/duties").get_json()["duties"] == []
    assert get("state", "/api/incidents").get_json()["incidents"] == []
    assert get("state", "/api/incidents/OWED-1").status_code == 404


def test_the_evaluation_schema_takes_the_keys_v2_adds():
    from tests.engine.test_duties_v2 import BILLED, OWED, PROTEST
    from tests.engine.test_evaluation import agreement, incident, run
    from tests.web.test_api import validator
    lapsed = run(agreement(PROTEST), incident(billed_at=BILLED), at="2026-04-20T00:00:00Z")
    owed = run(agreement(OWED), incident(requested_by="lakeside"))
    for result in (lapsed, owed):
        validator("Evaluation").validate(result)
    assert {"lapsed"} <= {d["status"] for d in lapsed["duties"]}
    assert any("consequence" in d for d in lapsed["duties"]) and any("to" in d
                                                                      for d in owed["duties"])
