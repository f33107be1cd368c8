"""An incident's channel: who posts and reads, what is written, and who is told."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import render_template
from sqlalchemy import func, select

from agreements import clock
from agreements.cancellation import cancel_incident
from agreements.dissemination.channel import post_message
from agreements.dissemination.models import ChannelMessage, Notification
from agreements.dissemination.outbox import duty_destinations
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.incidents import record_incident
from agreements.models import AppendOnlyError, AuditEntry, Duty, Organisation
from agreements.users import create_token, create_user_unchecked
from web.dissemination.channel import board_context

from .conftest import ALERT, PASSWORD, login

NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)  # just after the alert was sent
ALERT_KEY = "CO-NWS-2026-0618-FFW-001"
PAGE = f"/incidents/{ALERT_KEY}/channel"
API = f"/api/incidents/{ALERT_KEY}/channel"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def incident(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW)


@pytest.fixture
def outsider(session, people):
    session.add(Organisation(id="outsider_agency", name="Outsider Agency", created_at=NOW))
    session.commit()
    user = create_user_unchecked(session, email="outsider@partner.example", name="Olive Outsider",
                                 role="partner", organisation_id="outsider_agency",
                                 password=PASSWORD)
    session.commit()
    return user


def bearer(session, user) -> dict:
    return {"Authorization": f"Bearer {create_token(session, user, 'tests')[1]}"}


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def counts(session) -> dict:
    session.expire_all()
    out = {m.__name__: session.scalar(select(func.count()).select_from(m))
           for m in (ChannelMessage, Notification)}
    out["AuditEntry"] = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "incident.message"))
    return out


def expected_addresses(session, incident) -> set[str]:
    """One live duty per party with any, and every coordinator."""
    live = session.scalars(select(Duty).where(Duty.incident_id == incident.id,
                                              Duty.state != "superseded")
                           .order_by(Duty.id)).all()
    per_party = {}
    for duty in live:
        per_party.setdefault(duty.party_id, duty)
    out = {d.address for duty in per_party.values() for d in duty_destinations(session, duty)}
    return out | {"coordinator@compact.example"}


def told(session, body: str) -> list[Notification]:
    session.expire_all()
    return [n for n in session.scalars(select(Notification).where(
        Notification.event == "incident.message").order_by(Notification.id)) if body in n.body_text]


def test_a_coordinator_posts_on_the_page_and_through_the_api(app, session, people, incident):
    before = counts(session)
    page = signed_in(app, people.coordinator)
    response = page.post(PAGE, data={"body": "Staging moved to the\nfairgrounds."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/incidents/{ALERT_KEY}#channel")
    shown = page.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your message is posted" in shown

    headers = bearer(session, people.coordinator)
    client = app.test_client()
    created = client.post(API, json={"body": "  Roads 12 and 14 closed.  "}, headers=headers)
    assert created.status_code == 201, created.data
    assert created.headers["Location"].endswith(API)
    message = created.get_json()
    assert set(message) == {"id", "author", "organisation", "body", "posted_at"}
    assert message["author"] == "Cory Coordinator" and message["organisation"] is None
    assert message["body"] == "Roads 12 and 14 closed." and message["posted_at"] == "2026-06-19T04:15:00Z"

    listed = client.get(API, headers=headers)
    assert listed.status_code == 200
    assert [m["body"] for m in listed.get_json()["messages"]] == [
        "Staging moved to the\nfairgrounds.", "Roads 12 and 14 closed."]
    assert listed.get_json()["messages"][1] == message

    after = counts(session)
    assert after["ChannelMessage"] == before["ChannelMessage"] + 2
    assert after["AuditEntry"] == before["AuditEntry"] + 2
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.message")
                            .order_by(AuditEntry.id)).all()
    assert [(a.actor_email, a.object_type, a.detail["incident"]) for a in audit] == [
        ("coordinator@compact.example", "channelmessage", ALERT_KEY)] * 2

    expected = expected_addresses(session, incident)
    assert "lakeside_county@partner.example" in expected and len(expected) > 5
    for body in ("Staging moved to the\nfairgrounds.", "Roads 12 and 14 closed."):
        sent = told(session, body)
        assert sorted(n.address for n in sent) == sorted(expected)  # one each, no repeats
        for n in sent:
            assert n.event == "incident.message" and n.state == "queued"
            assert n.incident_id == incident.id and n.created_at == NOW
            assert n.subject == ("[Compact] Message from Cory Coordinator (coordinator) "
                                 f"(incident {ALERT_KEY})")
            assert "From Cory Coordinator (coordinator):" in n.body_text
            assert n.payload["data"]["message"] == body
    assert after["Notification"] == before["Notification"] + 2 * len(expected)


def test_a_partner_with_a_duty_posts_and_reads(app, session, people, incident):
    partner = people.partners["lakeside_county"]
    org = session.get(Organisation, "lakeside_county").name
    headers = bearer(session, partner)
    client = app.test_client()
    created = client.post(API, json={"body": "Lakeside EOC is staffed."}, headers=headers)
    assert created.status_code == 201, created.data
    assert created.get_json()["organisation"] == "lakeside_county"
    page = signed_in(app, partner)
    assert page.post(PAGE, data={"body": "Sirens relayed."}).status_code == 303
    assert [m["body"] for m in client.get(API, headers=headers).get_json()["messages"]] == [
        "Lakeside EOC is staffed.", "Sirens relayed."]
    sent = told(session, "Sirens relayed.")
    assert {n.subject for n in sent} == {
        f"[Compact] Message from Signer of lakeside_county ({org}) (incident {ALERT_KEY})"}
    assert sorted(n.address for n in sent) == sorted(expected_addresses(session, incident))
    assert "lakeside_county@partner.example" in {n.address for n in sent}  # the author's copy


def test_others_are_refused_and_see_nothing(app, session, people, incident, outsider):
    post_message(session, people.coordinator, ALERT_KEY, "Secret staging area B", now=NOW)
    before = counts(session)
    headers = bearer(session, outsider)
    client = app.test_client()
    unknown = client.get("/api/incidents/NO-SUCH/channel", headers=headers).get_json()
    for response in (client.get(API, headers=headers),
                     client.post(API, json={"body": "hello"}, headers=headers),
                     signed_in(app, outsider).post(PAGE, data={"body": "hello"})):
        assert response.status_code == 404
        assert b"Secret staging" not in response.data
    hidden = client.get(API, headers=headers).get_json()
    assert hidden["error"]["message"] == unknown["error"]["message"].replace("NO-SUCH", ALERT_KEY)
    # A drafter reads the channel but does not post in it.
    drafter = bearer(session, people.drafter)
    assert client.get(API, headers=drafter).status_code == 200
    refused = client.post(API, json={"body": "hello"}, headers=drafter)
    assert refused.status_code == 403 and "drafter" in refused.get_json()["error"]["message"]
    assert signed_in(app, people.drafter).post(PAGE, data={"body": "hello"}).status_code == 403
    # Without a token, or signed out.
    assert client.get(API).status_code == 401 and client.post(API, json={"body": "x"}).status_code == 401
    anonymous = app.test_client().post(PAGE, data={"body": "hello"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert counts(session) == before
    with pytest.raises(NotFound):
        post_message(session, outsider, ALERT_KEY, "hello", now=NOW)
    with pytest.raises(NotAllowed):
        post_message(session, people.drafter, ALERT_KEY, "hello", now=NOW)


def test_a_bad_body_is_refused_and_nothing_is_written(app, session, people, incident):
    before = counts(session)
    headers = bearer(session, people.coordinator)
    client = app.test_client()
    page = signed_in(app, people.coordinator)
    for body, words in (("   \n ", "write the message first"), ("", "write the message first"),
                        ("a\x00b", "NUL"), ("x" * 10_001, "at most 10,000")):
        response = client.post(API, json={"body": body}, headers=headers)
        assert response.status_code == 422, (body[:10], response.data)
        assert words in response.get_json()["error"]["message"]
        shown = page.post(PAGE, data={"body": body})
        assert shown.status_code == 422 and words in shown.get_data(as_text=True)
    for payload in ({}, {"body": 12}):
        assert client.post(API, json=payload, headers=headers).status_code == 422
    assert client.post(API, data="body=x", headers={**headers, "Content-Type":
                                                    "application/x-www-form-urlencoded"}
                       ).status_code == 415
    assert counts(session) == before
    with pytest.raises(Invalid, match="write the message first"):
        post_message(session, people.coordinator, ALERT_KEY, " ", now=NOW)
    assert client.post(API, json={"body": "y" * 10_000}, headers=headers).status_code == 201


def test_a_cancelled_incident_takes_a_correction_told_to_the_coordinators(app, session, people,
                                                                          incident):
    cancel_incident(session, people.coordinator, ALERT_KEY, reason="false alarm", now=NOW)
    message = post_message(session, people.coordinator, ALERT_KEY,
                           "Correction: the cancel was for the exercise only.", now=NOW)
    assert message.id is not None
    sent = told(session, "Correction: the cancel")
    assert [n.address for n in sent] == ["coordinator@compact.example"]  # no live duty left


def test_a_message_is_never_changed_or_deleted(session, people, incident):
    message = post_message(session, people.coordinator, ALERT_KEY, "First", now=NOW)
    message.body = "Edited"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    session.delete(session.get(ChannelMessage, message.id))
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    assert session.get(ChannelMessage, message.id).body == "First"


def test_the_api_is_exempt_from_csrf_but_the_page_is_not(app, session, people, incident):
    page = signed_in(app, people.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    headers = bearer(session, people.coordinator)
    assert app.test_client().post(API, json={"body": "by script"},
                                  headers=headers).status_code == 201
    assert page.post(PAGE, data={"body": "no token"}).status_code == 400
    assert counts(session)["ChannelMessage"] == 1


def test_the_partial_shows_the_messages_and_the_form_to_who_may_post(app, session, people,
                                                                     incident, outsider):
    post_message(session, people.coordinator, ALERT_KEY, "Line one\nline <b>two</b>", now=NOW)
    post_message(session, people.partners["lakeside_county"], ALERT_KEY, "Later", now=NOW)
    org = session.get(Organisation, "lakeside_county").name

    def render(user) -> str:
        with app.test_request_context("/"):
            return render_template("dissemination/channel.html",
                                   **board_context(session, user, incident))

    html = render(people.coordinator)
    assert '<section id="channel" class="card"' in html
    assert "Line one<br>\nline &lt;b&gt;two&lt;/b&gt;" in html
    assert html.index("Line one") < html.index("Later")
    assert "Cory Coordinator" in html and "(coordinator)" in html and f"({org})" in html
    assert "2026-06-19 04:15 UTC" in html
    assert f'action="/incidents/{ALERT_KEY}/channel"' in html and 'name="csrf_token"' in html
    assert 'name="body"' in render(people.partners["lakeside_county"])
    drafter = render(people.drafter)
    assert "Line one" in drafter and "<form" not in drafter
    hidden = render(outsider)
    assert "Line one" not in hidden and "Later" not in hidden and "<form" not in hidden
    assert board_context(session, outsider, incident) == {
        "channel_messages": [], "can_post": False, "incident": incident}
    assert board_context(session, None, incident)["can_post"] is False
