"""The documented limits (engine/limits.py): each refused with a clear 4xx before the database
sees anything, and nothing stored, on SQLite and on PostgreSQL alike, through the API and the
pages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from agreements import clock
from agreements.models import Duty, DutyEvent, Incident
from agreements.users import create_token
from engine import limits
from engine.incidents import IncidentError, load_incident
from tests.agreements.conftest import LIBRARY, postgres_url  # noqa: F401 - a fixture

from .conftest import ALERT, app_on, login

TORNADO = json.loads((LIBRARY / "incidents" / "harmon-tornado-warning.json").read_text())
ALERT_ID = "CO-NWS-2026-0618-FFW-001"
NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)  # just after the alert was sent


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, monkeypatch):
    """The app on a fresh SQLite file, or on the session's PostgreSQL database emptied."""
    app = app_on(request, tmp_path, monkeypatch, request.param)

    @app.before_request
    def sign_in_afresh():
        from flask import g
        g.pop("_login_user", None)

    yield app
    app.extensions["compact.engine"].dispose()


@pytest.fixture
def api(app, session, people, executed):
    _, token = create_token(session, people.coordinator, "limits")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    class Api:
        def get(self, path):
            return client.get(path, headers=headers)

        def post(self, path, data, content_type="application/json"):
            return client.post(path, data=data, content_type=content_type, headers=headers)

    return Api()


def stored(session) -> tuple[int, int, int]:
    session.expire_all()
    return (session.scalar(select(func.count(Incident.id))),
            session.scalar(select(func.count(Duty.id))),
            session.scalar(select(func.count(DutyEvent.id))))


def incident(**changes) -> str:
    return json.dumps({**TORNADO, **changes})


def raw(**raw_values) -> str:
    """The tornado warning with fields whose JSON text is given as is (NaN, huge numbers)."""
    body = json.dumps(TORNADO)[:-1]
    return body + "".join(f', "{k}": {v}' for k, v in raw_values.items()) + "}"


NESTED = "[" * 65 + "]" * 65
ID_PATTERN_MESSAGE = ("is not a valid incident id: it must start with a letter or digit and hold "
                      "only letters, digits and _ . : @ - (no spaces, no '/', no '..')")

# (body, status, a message the answer's details hold)
REFUSED = {
    "id of 201 characters": (incident(id="I" * 201), 422,
                             "$.id: an incident id is at most 200 characters; this one has 201"),
    "id of 100,000 characters": (incident(id="I" * 100_000), 422,
                                 "$.id: an incident id is at most 200 characters; this one has "
                                 "100,000"),
    "id with a slash": (incident(id="a/b"), 422, f"$.id: 'a/b' {ID_PATTERN_MESSAGE}"),
    "id with a space": (incident(id="a b"), 422, f"$.id: 'a b' {ID_PATTERN_MESSAGE}"),
    "id with ..": (incident(id="a..b"), 422, f"$.id: 'a..b' {ID_PATTERN_MESSAGE}"),
    "id starting with a dot": (incident(id=".hidden"), 422,
                               f"$.id: '.hidden' {ID_PATTERN_MESSAGE}"),
    "id with a NUL": (incident(id="A\x00B"), 422,
                      "$.id: an incident id may not hold a NUL character (U+0000)"),
    "type of 201 characters": (incident(type="t" * 201), 422,
                               "$.type: an incident type is at most 200 characters; this one "
                               "has 201"),
    "text of 10,001 characters": (incident(description="d" * 10_001), 422,
                                  "$.description: the text is 10,001 characters long; at most "
                                  "10,000 are accepted"),
    "NUL in a value": (incident(headline="flash\x00flood"), 422,
                       "$.headline: the text holds a NUL character (U+0000), which no text may "
                       "hold; remove it"),
    "NUL in a nested value": (incident(area=["Harmon", "x\x00"]), 422,
                              "$.area[1]: the text holds a NUL character (U+0000)"),
    "NUL in a key": (incident(**{"no\x00te": "x"}), 422,
                     'the name holds a NUL character (U+0000)'),
    "NaN": (raw(magnitude="NaN"), 400, "not valid JSON: NaN is not a JSON number"),
    "Infinity": (raw(magnitude="Infinity"), 400, "not valid JSON: Infinity is not a JSON number"),
    "-Infinity": (raw(magnitude="-Infinity"), 400,
                  "not valid JSON: -Infinity is not a JSON number"),
    "integer of 301 digits": (raw(magnitude="1" * 301), 422,
                              "$.magnitude: the number 11111111111111111111… is beyond what a "
                              "double holds (at most 300 digits, at most ±1.8e308)"),
    "integer of 5,000 digits": (raw(magnitude="9" * 5000), 422,
                                "$.magnitude: the number 99999999999999999999… is beyond what a "
                                "double holds"),
    "number beyond a double": (raw(magnitude="1e400"), 422,
                               "$.magnitude: the number 1e400… is beyond what a double holds"),
    "year 1": (incident(reported_at="0001-01-01T00:00:00+23:59"), 422,
               "$.reported_at: the year 1 of '0001-01-01T00:00:00+23:59' is outside 1900..2200, "
               "the years a time may have"),
    "year 9999": (incident(reported_at="9999-12-31T23:59:59-23:59"), 422,
                  "$.reported_at: the year 9999 of '9999-12-31T23:59:59-23:59' is outside "
                  "1900..2200"),
    "nested 65 deep": (incident(extra=json.loads(NESTED)), 422,
                       "the JSON nests objects and arrays deeper than 64 levels"),
}


def error_text(response) -> str:
    error = response.get_json()["error"]
    return "\n".join([error["message"], *error.get("details", [])])


@pytest.mark.parametrize("name", REFUSED)
@pytest.mark.parametrize("path", ["/api/incidents", "/api/evaluate"])
def test_the_api_refuses_values_beyond_the_limits(session, api, path, name):
    body, status, message = REFUSED[name]
    before = stored(session)
    response = api.post(path, body)
    assert response.status_code == status, response.data[:300]
    assert message in error_text(response)
    assert len(response.data) < 3000  # the refusal does not echo a huge value back
    assert stored(session) == before == (0, 0, 0)


def test_values_at_the_limits_are_stored(session, api):
    at_limits = incident(id="urn:oid:2.49.0.1.840.0." + "9" * 177, type="t" * 200,
                         description="d" * 10_000, magnitude=int("9" * 300),
                         reported_at="2026-06-18T23:00:00-05:00")
    assert len(json.loads(at_limits)["id"]) == 200
    response = api.post("/api/incidents", at_limits)
    assert response.status_code == 201, response.data[:500]
    assert stored(session)[0] == 1
    assert api.get(response.headers["Location"]).status_code == 200


def test_a_cap_alert_beyond_the_limits_is_refused(session, api):
    long_id = ALERT.replace(ALERT_ID.encode(), b"CO-NWS-" + b"9" * 300)
    slashed = ALERT.replace(ALERT_ID.encode(), b"CO/NWS/1")
    for body, message in ((long_id, "$.id: an incident id is at most 200 characters; this one "
                                    "has 307"),
                          (slashed, f"$.id: 'CO/NWS/1' {ID_PATTERN_MESSAGE}")):
        response = api.post("/api/incidents", body, "application/xml")
        assert response.status_code == 422
        assert message in error_text(response)
    assert stored(session) == (0, 0, 0)
    assert api.post("/api/incidents", ALERT, "application/xml").status_code == 201


def test_every_real_incident_id_fits_the_pattern():
    paths = sorted((LIBRARY / "incidents").glob("*.json")) + sorted(
        (LIBRARY / "incidents").glob("*.xml")) + sorted(
        (LIBRARY.parents[1] / "tests" / "engine" / "cap_corpus").glob("*.xml"))
    ids = []
    for path in paths:
        try:
            loaded = load_incident(path.read_bytes())
        except IncidentError as exc:
            assert not any("$.id" in m for m in exc.messages), (path.name, exc.messages)
            continue
        ids.append(loaded.id)
    assert len(ids) > 40 and ALERT_ID in ids
    assert all(limits.valid_id(i) for i in ids)
    assert limits.valid_id("urn:oid:2.49.0.1.840.0.0000ffw.001.1")


BAD_ACTION_BODIES = {
    "nested 65 deep": ('{"note": ' + NESTED + "}", 400,
                       "the JSON nests objects and arrays deeper than 64 levels"),
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, 400,
                            "the JSON nests objects and arrays deeper than 64 levels"),
    "NaN": ('{"note": NaN}', 400, "not valid JSON: NaN is not a JSON number"),
    "NUL in the note": (json.dumps({"note": "seen\x00"}), 422,
                        "$.note: the text holds a NUL character (U+0000)"),
    "note of 10,001 characters": (json.dumps({"note": "n" * 10_001}), 422,
                                  "$.note: the text is 10,001 characters long"),
    "huge number": ('{"note": 1' + "0" * 5000 + "}", 422, "$.note: the number 1000"),
}


@pytest.mark.parametrize("name", BAD_ACTION_BODIES)
def test_duty_action_and_publish_bodies_within_the_limits(session, api, name):
    body, status, message = BAD_ACTION_BODIES[name]
    assert api.post("/api/incidents", ALERT, "application/xml").status_code == 201
    before = stored(session)
    duty = session.scalars(select(Duty).order_by(Duty.id)).first()
    response = api.post(f"/api/duties/{duty.id}/acknowledge", body)
    assert response.status_code == status, response.data[:300]
    assert message in error_text(response)
    assert stored(session) == before
    response = api.post("/api/agreements/columbia-cap-joint-task-force/revisions/1/publish", body)
    assert response.status_code == status and message in error_text(response)


@pytest.mark.parametrize("path, message", [
    ("/api/duties/9223372036854775808/acknowledge", "there is no duty 9223372036854775808"),
    ("/api/duties/99999999999999999999/fulfil", "there is no duty 99999999999999999999"),
    ("/api/agreements/columbia-cap-joint-task-force/revisions/9223372036854775808/publish",
     "agreement 'columbia-cap-joint-task-force' has no revision 9223372036854775808"),
])
def test_route_ids_beyond_64_bits_are_404(session, api, path, message):
    response = api.post(path, "")
    assert response.status_code == 404 and response.get_json()["error"]["message"] == message
    if "/duties/" in path:  # the largest id an Integer column holds on every store: no row
        response = api.post(path.replace("99999999999999999999", "2147483648")
                            .replace("9223372036854775808", "2147483648"), "")
        assert response.status_code == 404
        assert response.get_json()["error"]["message"] == "there is no duty 2147483648"
        assert api.post(path.replace("99999999999999999999", "2147483647")
                        .replace("9223372036854775808", "2147483647"), "").status_code == 404


@pytest.mark.parametrize("path", [
    "/api/agreements/columbia-cap-joint-task-force/revisions/9223372036854775808",
    "/api/agreements/columbia-cap-joint-task-force/revisions/99999999999999999999/pdf",
    "/api/incidents/A%00B", "/api/incidents/" + "K" * 301,
])
def test_lookups_no_row_can_answer_are_404(api, path):
    response = api.get(path)
    assert response.status_code == 404 and "there is no" in response.get_json()["error"][
        "message"] or "has no revision" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("query", ["incident=A%00B", "party=x%00", "state=open&st%00ate=x"])
def test_a_nul_in_a_query_parameter_is_400(api, query):
    response = api.get(f"/api/duties?{query}")
    assert response.status_code == 400
    assert "holds a NUL character (U+0000), which no value may hold" in error_text(response)


def test_an_evaluation_time_outside_the_years_is_422(api):
    response = api.post("/api/evaluate?at=9999-12-31T23:59:59-23:59", incident())
    assert response.status_code == 422
    assert "in the years 1900..2200; '9999-12-31T23:59:59-23:59' is not" in error_text(response)


# ---------------------------------------------------------------- the pages

@pytest.mark.parametrize("name", ["id of 100,000 characters", "id with a slash", "NUL in a value",
                                  "NaN", "integer of 5,000 digits", "year 9999",
                                  "nested 65 deep", "type of 201 characters"])
def test_the_incident_form_refuses_values_beyond_the_limits(app, session, people, executed,
                                                            name):
    body, _status, message = REFUSED[name]
    client = app.test_client()
    login(client, people.coordinator)
    response = client.post("/incidents/new", data={"source": "paste", "incident_text": body})
    assert response.status_code in (400, 422), response.status_code
    page = response.data.decode()
    shown = message.split(": ", 1)[-1][:40]
    assert shown.replace("'", "&#39;") in page or shown in page, (shown, page[:2000])
    assert stored(session) == (0, 0, 0)


def test_the_pages_refuse_route_ids_and_texts_beyond_the_limits(app, session, people,
                                                                executed):
    client = app.test_client()
    login(client, people.coordinator)
    assert client.get("/duties/99999999999999999999").status_code == 404
    assert client.get("/duties/9223372036854775808?fragment=1").status_code == 404
    assert client.post("/duties/9223372036854775808/acknowledge").status_code == 404
    assert client.get("/incidents/A%00B").status_code == 404
    assert client.post("/incidents/new", data={"source": "paste",
                                               "incident_text": ALERT.decode()}).status_code \
        == 302
    before = stored(session)
    duty = session.scalars(select(Duty).order_by(Duty.id)).first()
    response = client.post(f"/duties/{duty.id}/acknowledge", data={"note": "seen\x00"})
    assert response.status_code == 422
    assert "holds a NUL character" in response.data.decode()
    response = client.post(f"/incidents/{ALERT_ID}/cancel", data={"reason": "x" * 10_001})
    assert response.status_code == 422
    assert stored(session) == before
    session.expire_all()
    assert session.scalar(select(Incident.state)) == "active"
