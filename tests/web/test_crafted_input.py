"""Crafted input gives a 4xx with a clear message, never a 500 or a traceback: JSON and XML
nested 1,000 deep, an integer beyond Python's 4,300-digit limit, times at year 1 and 9999 with
extreme offsets, and route ids of 2^63 and more; through every endpoint that reads them, on
SQLite and PostgreSQL, and through `compact evaluate`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from agreements.models import Duty
from tests.agreements.conftest import LIBRARY, postgres_url  # noqa: F401 - a fixture
from tests.web.test_limits import TORNADO, api, app, frozen_clock, stored  # noqa: F401
from web.cli import main

from .conftest import ALERT, login

DEEP_JSON = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
CAP = b'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
DEEP_XML = CAP + b"<info>" + b"<x>" * 1000 + b"</x>" * 1000 + b"</info></alert>"
DEEPER_XML = CAP + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</alert>"
# An alert with one element nested 1,000 deep inside its <info>.
DEEP_IN_ALERT = ALERT.replace(b"</info>", b"<parameter>" + b"<x>" * 1000 + b"</x>" * 1000
                              + b"</parameter></info>", 1)


def incident(**changes) -> str:
    return json.dumps({**TORNADO, **changes})


def raw(**raw_values) -> str:
    body = json.dumps(TORNADO)[:-1]
    return body + "".join(f', "{k}": {v}' for k, v in raw_values.items()) + "}"


TIMES = ["0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59",
         "9999-12-31T23:59:59+23:59", "0001-01-01", "9999-12-31"]
# (name, body, content type)
BODIES = [
    ("JSON nested 1,000 deep", DEEP_JSON, "application/json"),
    ("JSON object nested 1,000 deep", DEEP_OBJECT, "application/json"),
    ("a value nested 1,000 deep", raw(extra=DEEP_JSON), "application/json"),
    ("XML nested 1,000 deep", DEEP_XML, "application/xml"),
    ("XML nested 100,000 deep", DEEPER_XML, "application/xml"),
    ("an alert with an element nested 1,000 deep", DEEP_IN_ALERT, "application/xml"),
    ("an integer of 4,301 digits", raw(magnitude="9" * 4301), "application/json"),
    ("an integer of 100,000 digits", raw(magnitude="9" * 100_000), "application/json"),
    ("a negative integer of 4,301 digits", raw(magnitude="-" + "9" * 4301), "application/json"),
    ("an exponent of 5,000 digits", raw(magnitude="1e" + "9" * 5000), "application/json"),
] + [(f"reported_at {t}", incident(reported_at=t), "application/json") for t in TIMES] + [
    (f"requested_at {t}", incident(requested_at=t), "application/json") for t in TIMES] + [
    (f"an alert sent at {t}",
     ALERT.replace(b"<sent>", b"<sent>" + t.encode() + b"</sent><!--", 1)
     .replace(b"</sent>", b"-->", 2).replace(b"-->", b"</sent>", 0), "application/xml")
    for t in TIMES[:4]]


def _alert_sent_at(value: str) -> bytes:
    start = ALERT.index(b"<sent>") + len(b"<sent>")
    end = ALERT.index(b"</sent>", start)
    return ALERT[:start] + value.encode() + ALERT[end:]


BODIES = [b for b in BODIES if not b[0].startswith("an alert sent at")] + [
    (f"an alert sent at {t}", _alert_sent_at(t), "application/xml") for t in TIMES[:4]]
NAMES = [name for name, _, _ in BODIES]


def _refused(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    assert b"Traceback" not in response.data
    return response


def _message(response) -> str:
    error = response.get_json()["error"]
    return "\n".join([error["message"], *error.get("details", [])])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("path", ["/api/incidents", "/api/evaluate"])
def test_the_api_refuses_crafted_incidents(session, api, path, name):
    _, body, content_type = BODIES[NAMES.index(name)]
    response = _refused(api.post(path, body, content_type))
    assert _message(response).strip()
    assert len(response.data) < 5000
    assert stored(session) == (0, 0, 0)


@pytest.mark.parametrize("at", TIMES + ["99999-01-01T00:00:00Z"])
def test_an_evaluation_time_at_the_ends_of_the_calendar_is_refused(api, at):
    response = _refused(api.post(f"/api/evaluate?at={at.replace('+', '%2B')}", incident()))
    assert "1900..2200" in _message(response)


@pytest.mark.parametrize("name", NAMES)
def test_the_incident_form_refuses_crafted_incidents(app, session, people, executed, name):
    _, body, _ = BODIES[NAMES.index(name)]
    client = app.test_client()
    login(client, people.coordinator)
    text = body.decode() if isinstance(body, bytes) else body
    response = _refused(client.post("/incidents/new",
                                    data={"source": "paste", "incident_text": text}))
    assert b"error" in response.data.lower() or b"refused" in response.data.lower()
    assert stored(session) == (0, 0, 0)


HUGE = ["9223372036854775807", "9223372036854775808", "18446744073709551616",
        "99999999999999999999999999999999999999"]


@pytest.mark.parametrize("number", HUGE)
def test_the_api_answers_huge_route_ids_with_404(api, number):
    slug = "columbia-cap-joint-task-force"
    for method, path in [
            ("get", f"/api/agreements/{slug}/revisions/{number}"),
            ("get", f"/api/agreements/{slug}/revisions/{number}/pdf"),
            ("post", f"/api/agreements/{slug}/revisions/{number}/publish"),
            ("post", f"/api/duties/{number}/acknowledge"),
            ("get", f"/api/duties/{number}/deliveries"),
            ("get", f"/api/organisations/state_eoc/contact-points/{number}"),
            ("post", f"/api/organisations/state_eoc/contact-points/{number}/pause"),
            ("post", f"/api/organisations/state_eoc/contact-points/{number}/resume"),
            ("post", f"/api/organisations/state_eoc/contact-points/{number}/remove")]:
        response = api.get(path) if method == "get" else api.post(path, "")
        # 403: a coordinator manages no contact points, whatever the id.
        assert response.status_code in (400, 403, 404, 405), (path, response.status_code,
                                                              response.data[:300])
        assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("number", HUGE)
def test_the_pages_answer_huge_route_ids_with_404(app, session, people, executed, number):
    slug = "columbia-cap-joint-task-force"
    client = app.test_client()
    login(client, people.admin)
    for method, path in [
            ("get", f"/duties/{number}"), ("get", f"/duties/{number}?fragment=1"),
            ("post", f"/duties/{number}/acknowledge"),
            ("get", f"/agreements/{slug}/revisions/{number}"),
            ("get", f"/agreements/{slug}/revisions/{number}/pdf"),
            ("get", f"/agreements/{slug}/revisions/{number}/document"),
            ("get", f"/agreements/{slug}/revisions/{number}/what-if"),
            ("post", f"/agreements/{slug}/revisions/{number}/publish"),
            ("get", f"/agreements/{slug}/revisions/{number}/sign"),
            ("post", f"/admin/users/{number}"),
            ("post", f"/account/tokens/{number}/revoke"),
            ]:
        response = client.get(path) if method == "get" else client.post(path, data={})
        # A refused publish from the page redirects back to the agreement, with the reason.
        allowed = (302, 400, 403, 404, 405) if path.endswith("/publish") else (400, 403, 404, 405)
        assert response.status_code in allowed, (path, response.status_code)


@pytest.mark.parametrize("number", HUGE)
def test_the_contact_and_feed_pages_answer_huge_route_ids_with_404(app, session, people,
                                                                   executed, number):
    client = app.test_client()
    login(client, people.admin)
    for path in [f"/organisations/state_eoc/contacts/{number}/pause",
                 f"/organisations/state_eoc/contacts/{number}/resume",
                 f"/organisations/state_eoc/contacts/{number}/remove",
                 f"/organisations/state_eoc/contacts/{number}/rotate",
                 f"/organisations/state_eoc/feeds/{number}/revoke"]:
        response = client.post(path, data={})
        assert response.status_code in (400, 403, 404, 405), (path, response.status_code)


@pytest.mark.parametrize("name", NAMES)
def test_compact_evaluate_refuses_crafted_incidents(tmp_path, name):
    _, body, _ = BODIES[NAMES.index(name)]
    path = tmp_path / ("incident.xml" if isinstance(body, bytes) else "incident.json")
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    agreement = str(LIBRARY / "cap-joint-task-force.agreement")
    result = CliRunner().invoke(main, ["evaluate", agreement, "--incident", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 1, result.output[-1000:]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("at", TIMES[:4])
def test_compact_evaluate_refuses_an_extreme_at(tmp_path, at):
    path = tmp_path / "incident.json"
    path.write_text(incident())
    agreement = str(LIBRARY / "cap-joint-task-force.agreement")
    result = CliRunner().invoke(main, ["evaluate", agreement, "--incident", str(path),
                                       "--at", at])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    # The CLI evaluates any time a datetime holds (no store keeps it); a time that leaves the
    # calendar once in UTC is refused.
    assert result.exit_code in (0, 1, 2), result.output[-1000:]
    assert "Traceback" not in result.output


def test_the_instance_folder_is_private_whoever_makes_it_first(tmp_path, monkeypatch):
    """The secret key (made first by the app) and the seal identity must not open the instance
    folder to everyone before the database does."""
    import os
    from agreements.keys import server_key
    from agreements.seal import ensure_identity
    monkeypatch.delenv("COMPACT_SECRET_KEY", raising=False)
    old = os.umask(0o022)
    try:
        server_key(tmp_path / "a")
        ensure_identity(tmp_path / "b" / "seal")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "b" / "seal").stat().st_mode & 0o777 == 0o700
