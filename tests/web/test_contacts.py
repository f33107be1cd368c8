"""Contact points and notification settings, as the people who manage them see them."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from agreements.dissemination.models import (ContactPoint, DeliveryAttempt, Notification,
                                             NotificationPreference, OrganisationSettings)
from agreements.dissemination.outbox import party_destinations
from agreements.models import AuditEntry

from .conftest import T0

OWN = "lakeside_county"
OTHER = "harmon_county"
AGREEMENT_CONTACT = "eoc@lakeside-county.example"  # what the task force protocol gives
LOOPBACK = ("Webhook address 127.0.0.1 is a loopback address; the deployment allows only "
            "public addresses unless COMPACT_WEBHOOK_ALLOW lists its network.")


@pytest.fixture(autouse=True)
def no_allowed_networks(monkeypatch):
    monkeypatch.delenv("COMPACT_WEBHOOK_ALLOW", raising=False)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def points(session, org=OWN):
    session.expire_all()
    return session.scalars(select(ContactPoint).where(ContactPoint.organisation_id == org)
                           .order_by(ContactPoint.id)).all()


def addresses(session, org=OWN):
    session.expire_all()
    return [d.address for d in party_destinations(session, org, contact=AGREEMENT_CONTACT)]


def session_cookie(app, client) -> dict:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def add(client, kind, address, label="", org=OWN):
    return client.post(f"/organisations/{org}/contacts",
                       data={"kind": kind, "address": address, "label": label})


def test_a_partner_adds_an_email_contact_point_that_replaces_the_agreement_contact(
        session, people, client_for):
    partner = people.partners[OWN]
    client = client_for(partner)
    page = client.get(f"/organisations/{OWN}/contacts")
    assert page.status_code == 200
    assert "has no e-mail contact point of its own" in text(page)
    assert addresses(session) == [AGREEMENT_CONTACT, partner.email]

    response = add(client, "email", " duty-desk@lakeside.example ", "24-hour duty desk")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "duty-desk@lakeside.example now receives" in text(page)
    assert "24-hour duty desk" in text(page) and "has no e-mail contact point" not in text(page)
    assert addresses(session) == ["duty-desk@lakeside.example", partner.email]
    [point] = points(session)
    assert (point.kind, point.secret, point.created_by_id) == ("email", None, partner.id)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "contact_point.add")).one()
    assert entry.detail["address"] == "duty-desk@lakeside.example"

    again = add(client, "email", "Duty-Desk@lakeside.example")
    assert again.status_code == 409
    assert ("Lakeside County Office of Emergency Management already has the e-mail contact "
            "point Duty-Desk@lakeside.example.") in text(again)
    assert len(points(session)) == 1


@pytest.mark.parametrize("address", ["two@a.example, three@a.example", "a@@b.example",
                                     "has space@a.example", "a@b.example\r\nBcc: x@y.example",
                                     "no-at-sign", "x" * 250 + "@a.example"])
def test_an_invalid_email_is_refused_with_the_reason(session, people, client_for, address):
    response = add(client_for(people.admin), "email", address)
    assert response.status_code == 422
    if len(address) > 254:
        assert f"An e-mail address has at most 254 characters; this one has {len(address)}." \
            in text(response)
    else:
        assert (f"{address!r} is not one e-mail address; give a single address such as "
                f"duty-desk@agency.example, without spaces or commas.") in text(response)
    assert points(session) == []


def test_a_webhook_secret_is_shown_once_and_never_audited(app, session, people, client_for,
                                                          monkeypatch):
    client = client_for(people.admin)
    refused = add(client, "webhook", "http://127.0.0.1:9/hook")
    assert refused.status_code == 422 and LOOPBACK in text(refused)
    assert points(session) == []

    monkeypatch.setenv("COMPACT_WEBHOOK_ALLOW", "127.0.0.1/32")
    response = add(client, "webhook", "http://127.0.0.1:9/hook", "dispatch system")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [point] = points(session)
    assert point.secret.startswith("whsec_") and point.secret in text(response)
    assert "Copy it now into the receiving system: it is not shown again." in text(response)
    assert point.secret not in str(session_cookie(app, client))  # not flashed through it

    later = client.get(f"/organisations/{OWN}/contacts")
    assert later.status_code == 200 and "http://127.0.0.1:9/hook" in text(later)
    assert point.secret not in text(later)

    rotated = client.post(f"/organisations/{OWN}/contacts/{point.id}/rotate")
    assert rotated.status_code == 200
    [point] = points(session)
    assert point.secret in text(rotated) and "has a new signing secret" in text(rotated)
    assert point.secret not in text(client.get(f"/organisations/{OWN}/contacts"))
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "contact_point"))]
    assert actions == ["contact_point.add", "contact_point.rotate_secret"]
    for entry in session.scalars(select(AuditEntry)):
        assert "whsec_" not in str(entry.detail)


def test_a_public_webhook_is_accepted_and_an_email_has_no_secret_to_rotate(
        session, people, client_for):
    client = client_for(people.admin)
    assert add(client, "webhook", "https://8.8.8.8/compact").status_code == 200
    assert add(client, "email", "desk@lakeside.example").status_code == 302
    email = points(session)[1]
    response = client.post(f"/organisations/{OWN}/contacts/{email.id}/rotate")
    assert response.status_code == 422
    assert ("Only a webhook has a signing secret; desk@lakeside.example is an e-mail address."
            in text(response))
    assert add(client, "fax", "123").status_code == 400


def test_pause_resume_and_remove_are_shown_and_honoured(session, people, client_for):
    client = client_for(people.partners[OWN])
    add(client, "email", "desk@lakeside.example")
    [point] = points(session)
    base = f"/organisations/{OWN}/contacts/{point.id}"

    paused = client.post(f"{base}/pause", follow_redirects=True)
    assert paused.status_code == 200
    assert "desk@lakeside.example is paused: nothing is sent to it until it is resumed." \
        in text(paused)
    assert 'badge warn">paused' in text(paused) and "Resume desk@lakeside.example" in text(paused)
    assert "Every e-mail contact point of" in text(paused)
    # paused, it still stands for the organisation: the agreement contact does not come back
    assert "desk@lakeside.example" not in addresses(session)
    assert AGREEMENT_CONTACT not in addresses(session)

    resumed = client.post(f"{base}/resume", follow_redirects=True)
    assert "desk@lakeside.example is resumed" in text(resumed)
    assert 'badge ok">ok' in text(resumed) and "Pause desk@lakeside.example" in text(resumed)
    assert "desk@lakeside.example" in addresses(session)

    removed = client.post(f"{base}/remove", follow_redirects=True)
    assert "desk@lakeside.example is removed: nothing more is sent to it." in text(removed)
    assert "<code>desk@lakeside.example</code>" not in text(removed)
    assert "has no e-mail contact point of its own" in text(removed)
    [point] = points(session)
    assert point.removed_at is not None  # kept, never deleted
    assert addresses(session)[0] == AGREEMENT_CONTACT
    assert client.post(f"{base}/resume").status_code == 404
    again = client.post(f"{base}/remove", follow_redirects=True)  # a second click
    assert again.status_code == 200 and "desk@lakeside.example is already removed" in text(again)
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "contact_point").order_by(AuditEntry.id))]
    assert actions == ["contact_point.add", "contact_point.pause", "contact_point.resume",
                       "contact_point.remove"]


def test_a_failing_contact_point_is_shown_with_its_last_outcome(session, people, client_for):
    client = client_for(people.admin)
    add(client, "email", "desk@lakeside.example")
    [point] = points(session)
    notification = Notification(
        event="duty.given", organisation_id=OWN, contact_point_id=point.id, channel="email",
        source="contact point", address=point.address, destination=f"cp:{point.id}",
        subject="s", body_text="t", body_html="h", payload={}, state="queued", attempts=1,
        created_at=T0, next_attempt_at=T0)
    session.add(notification)
    session.flush()
    session.add(DeliveryAttempt(notification_id=notification.id, at=T0, address=point.address,
                                delivered=False, outcome="550 5.1.1 mailbox unknown",
                                dispatcher="test"))
    session.commit()
    page = client.get(f"/organisations/{OWN}/contacts")
    assert "failing: 550 5.1.1 mailbox unknown" in text(page)


def test_who_may_open_and_change_an_organisations_contact_points(session, people, client_for,
                                                                 app):
    admin = client_for(people.admin)
    add(admin, "email", "desk@harmon.example", org=OTHER)
    [theirs] = points(session, OTHER)
    partner = client_for(people.partners[OWN])
    assert partner.get(f"/organisations/{OWN}/contacts").status_code == 200
    assert partner.get(f"/organisations/{OTHER}/contacts").status_code == 404
    assert partner.get("/organisations/nowhere/contacts").status_code == 404
    for action in ("pause", "remove"):
        assert partner.post(f"/organisations/{OTHER}/contacts/{theirs.id}/{action}").status_code \
            == 404
        # nor through its own organisation's address
        assert partner.post(f"/organisations/{OWN}/contacts/{theirs.id}/{action}").status_code \
            == 404
    assert add(partner, "email", "x@harmon.example", org=OTHER).status_code == 404
    assert partner.post(f"/organisations/{OTHER}/settings", data={
        "time_zone": "UTC", "ack_wait_minutes": "5"}).status_code == 404
    [theirs] = points(session, OTHER)
    assert (theirs.paused, theirs.removed_at) == (False, None)
    assert session.get(OrganisationSettings, OTHER) is None

    assert admin.get(f"/organisations/{OTHER}/contacts").status_code == 200
    assert admin.get("/organisations/nowhere/contacts").status_code == 404
    coordinator = client_for(people.coordinator)
    refused = coordinator.get(f"/organisations/{OWN}/contacts")
    assert refused.status_code == 403
    assert "Only an administrator, or a partner for its own organisation" in text(refused)
    assert add(coordinator, "email", "x@lakeside.example").status_code == 403
    anonymous = app.test_client().get(f"/organisations/{OWN}/contacts")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert len(points(session)) == 0


def test_settings_are_saved_and_wrong_values_refused(session, people, client_for):
    client = client_for(people.partners[OWN])
    url = f"/organisations/{OWN}/settings"
    saved = client.post(url, data={"time_zone": "Europe/Vilnius", "reminder_lead_minutes": "30",
                                   "ack_wait_minutes": "20"})
    assert saved.status_code == 302
    session.expire_all()
    settings = session.get(OrganisationSettings, OWN)
    assert (settings.time_zone, settings.reminder_lead_minutes, settings.ack_wait_minutes) == (
        "Europe/Vilnius", 30, 20)
    page = client.get(f"/organisations/{OWN}/contacts")
    assert "notification settings are saved" in text(page) and 'value="Europe/Vilnius"' in text(page)

    for form, message in (
            ({"time_zone": "Mars/Base", "ack_wait_minutes": "15"},
             "'Mars/Base' is not a time zone; use an IANA name such as Europe/Vilnius."),
            ({"time_zone": "UTC", "reminder_lead_minutes": "10081", "ack_wait_minutes": "15"},
             "The reminder lead time is 1 to 10080 minutes (a week), or empty for a quarter of "
             "the time allowed, at least 10 minutes."),
            ({"time_zone": "UTC", "reminder_lead_minutes": "0", "ack_wait_minutes": "15"},
             "The reminder lead time is 1 to 10080 minutes"),
            ({"time_zone": "UTC", "ack_wait_minutes": "1441"},
             "The wait for an acknowledgement is 1 to 1440 minutes (a day)."),
            ({"time_zone": "UTC", "ack_wait_minutes": "0"},
             "The wait for an acknowledgement is 1 to 1440 minutes (a day)."),
            ({"time_zone": "UTC", "ack_wait_minutes": "-5"},
             "Give the wait for an acknowledgement as a whole number of minutes."),
            ({"time_zone": "UTC", "reminder_lead_minutes": "ten", "ack_wait_minutes": "15"},
             "Give the reminder lead time as a whole number of minutes, or leave it empty.")):
        response = client.post(url, data=form)
        assert response.status_code == 400, form
        assert message in text(response), (form, text(response)[-3000:])
        assert f'value="{form["time_zone"]}"' in text(response)  # the form keeps what was sent
        session.expire_all()
        settings = session.get(OrganisationSettings, OWN)
        assert (settings.time_zone, settings.reminder_lead_minutes,
                settings.ack_wait_minutes) == ("Europe/Vilnius", 30, 20)

    both = client.post(url, data={"time_zone": "Mars/Base", "ack_wait_minutes": "0"})
    assert both.status_code == 400 and "The settings were not saved:" in text(both)

    default = client.post(url, data={"time_zone": "America/Chicago", "reminder_lead_minutes": "",
                                     "ack_wait_minutes": "15"})
    assert default.status_code == 302
    session.expire_all()
    assert session.get(OrganisationSettings, OWN).reminder_lead_minutes is None
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "organisation.settings").order_by(AuditEntry.id)).all()
    assert len(entries) == 2 and entries[1].detail["before"]["time_zone"] == "Europe/Vilnius"


def test_a_partner_user_turns_email_off_and_on_again(session, people, client_for):
    partner = people.partners[OWN]
    client = client_for(partner)
    assert partner.email in addresses(session)
    off = client.post("/account/notifications", data={"email_off": "1"})
    assert off.status_code == 302 and off.headers["Location"].endswith("/account")
    assert "You no longer receive your organisation's notifications by e-mail" in text(
        client.get("/account"))
    session.expire_all()
    assert session.get(NotificationPreference, partner.id).email_off is True
    assert partner.email not in addresses(session)
    assert AGREEMENT_CONTACT in addresses(session)  # the organisation is still told
    assert "You have turned off" in text(client.get(f"/organisations/{OWN}/contacts"))

    on = client.post("/account/notifications", data={})
    assert on.status_code == 302
    session.expire_all()
    assert session.get(NotificationPreference, partner.id).email_off is False
    assert partner.email in addresses(session)
    assert [e.detail for e in session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user.notifications").order_by(AuditEntry.id))] == [
        {"email_off": True}, {"email_off": False}]
    # another partner's choice is their own
    other = people.partners[OTHER]
    assert other.email in [d.address for d in party_destinations(session, OTHER)]
