"""The dissemination channel's JSON API: contact points and the deliveries of a duty, with the
API's bearer tokens, access rules (a partner: its own organisation only, 404 for others) and
JSON errors."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from agreements import clock
from agreements.dissemination import dispatcher
from agreements.dissemination.models import ContactPoint
from agreements.incidents import record_incident
from agreements.models import AuditEntry, Duty
from agreements.users import create_token
from web.openapi import DOCUMENT

from .conftest import ALERT, T0

NOW = T0.replace(day=19, hour=4, minute=15)
OWN = "lakeside_county"
OTHER = "harmon_county"
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture(autouse=True)
def loopback_webhooks(monkeypatch):
    monkeypatch.setenv("COMPACT_WEBHOOK_ALLOW", "127.0.0.1/32")


@pytest.fixture
def api(app, session):
    """api(user) -> a client whose requests carry that user's bearer token."""
    class Client:
        def __init__(self, token):
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return self.client.get(path, headers=self.headers, **kw)

        def post(self, path, **kw):
            return self.client.post(path, headers=self.headers, **kw)

    def make(user):
        return Client(create_token(session, user, "tests")[1])
    return make


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": DOCUMENT["components"]})


def assert_error(response, status: int) -> str:
    assert response.status_code == status, response.data[:600]
    assert response.is_json
    schema("Error").validate(response.json)
    assert response.json["error"]["status"] == status
    return response.json["error"]["message"]


def points_url(org=OWN, point=None, action=None) -> str:
    url = f"/api/organisations/{org}/contact-points"
    return url if point is None else f"{url}/{point}/{action}"


@pytest.fixture
def recorded(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW)


def duty_of(session, party: str) -> Duty:
    return session.scalars(select(Duty).where(Duty.party_id == party).order_by(Duty.id)).first()


# ---------------------------------------------------------------- contact points

def test_a_partner_lists_adds_pauses_resumes_and_removes_its_contact_points(
        session, people, executed, api):
    partner = api(people.partners[OWN])
    listed = partner.get(points_url())
    assert listed.status_code == 200, listed.data
    assert listed.json == {"organisation": OWN, "contact_points": [],
                           "falls_back_to_agreement_contact": True}

    made = partner.post(points_url(), json={"kind": "email", "address": " desk@lakeside.example ",
                                            "label": "24-hour duty desk"})
    assert made.status_code == 201, made.data
    schema("ContactPoint").validate(made.json)
    assert made.headers["Location"].endswith(points_url())
    point = made.json
    assert {k: point[k] for k in ("kind", "address", "label", "paused", "health")} == {
        "kind": "email", "address": "desk@lakeside.example", "label": "24-hour duty desk",
        "paused": False, "health": "ok"}
    assert "secret" not in point
    stored = session.get(ContactPoint, point["id"])
    assert stored.created_by_id == people.partners[OWN].id

    listed = partner.get(points_url()).json
    assert listed["falls_back_to_agreement_contact"] is False
    assert [p["id"] for p in listed["contact_points"]] == [point["id"]]
    assert set(listed["contact_points"][0]) >= {"id", "kind", "address", "label", "paused",
                                                "health"}

    paused = partner.post(points_url(point=point["id"], action="pause"))
    assert paused.status_code == 200
    assert (paused.json["paused"], paused.json["health"]) == (True, "paused")
    assert partner.post(points_url(point=point["id"], action="pause")).json["paused"] is True
    resumed = partner.post(points_url(point=point["id"], action="resume"))
    assert (resumed.status_code, resumed.json["paused"], resumed.json["health"]) == (
        200, False, "ok")

    removed = partner.post(points_url(point=point["id"], action="remove"))
    assert removed.status_code == 200
    assert removed.json["health"] == "removed" and removed.json["removed_at"]
    again = partner.post(points_url(point=point["id"], action="remove"))  # changes nothing
    assert again.status_code == 200 and again.json["removed_at"] == removed.json["removed_at"]
    assert "removed" in assert_error(partner.post(points_url(point=point["id"],
                                                             action="pause")), 409)
    listed = partner.get(points_url()).json
    assert listed == {"organisation": OWN, "contact_points": [],
                      "falls_back_to_agreement_contact": True}
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("contact_point.%")).order_by(AuditEntry.id)).all()
    assert actions == ["contact_point.add", "contact_point.pause", "contact_point.resume",
                       "contact_point.remove"]


def test_a_webhook_secret_is_given_once_and_never_again(session, people, executed, api):
    partner = api(people.partners[OWN])
    made = partner.post(points_url(), json={"kind": "webhook", "address": HOOK})
    assert made.status_code == 201, made.data
    secret = made.json["secret"]
    assert secret.startswith("whsec_") and session.get(ContactPoint, made.json["id"]).secret == secret
    assert made.headers["Cache-Control"] == "no-store"
    later = [partner.get(points_url()),
             partner.post(points_url(point=made.json["id"], action="pause")),
             partner.post(points_url(point=made.json["id"], action="resume")),
             api(people.admin).get(points_url())]
    for response in later:
        assert response.status_code == 200
        assert secret.encode() not in response.data and b"secret" not in response.data
    # A webhook is not an e-mail address: the agreement's contact is still mailed.
    assert later[0].json["falls_back_to_agreement_contact"] is True
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "contact_point.add")).one()
    assert secret not in str(entry.detail)


def test_a_partner_is_told_nothing_of_another_organisation(session, people, executed, api):
    theirs = api(people.admin).post(points_url(OTHER), json={"kind": "email",
                                                             "address": "desk@harmon.example"})
    assert theirs.status_code == 201
    other_id = theirs.json["id"]
    partner = api(people.partners[OWN])
    for response in (partner.get(points_url(OTHER)),
                     partner.post(points_url(OTHER), json={"kind": "email",
                                                           "address": "x@harmon.example"}),
                     partner.post(points_url(OTHER), data="not even JSON",
                                  content_type="text/plain"),
                     partner.post(points_url(OTHER, other_id, "pause")),
                     partner.post(points_url(OTHER, other_id, "resume")),
                     partner.post(points_url(OTHER, other_id, "remove")),
                     # its own organisation in the address, another's point
                     partner.post(points_url(OWN, other_id, "pause")),
                     partner.post(points_url(OWN, other_id, "remove")),
                     partner.post(points_url(OWN, 999999, "pause")),
                     partner.get(points_url("no_such_org"))):
        assert_error(response, 404)
        assert b"desk@harmon.example" not in response.data
    session.expire_all()
    other = session.get(ContactPoint, other_id)
    assert (other.paused, other.removed_at) == (False, None)
    assert len(session.scalars(select(ContactPoint)).all()) == 1


def test_only_administrators_and_partners_manage_contact_points(session, people, executed, api,
                                                                app):
    admin = api(people.admin)
    assert admin.get(points_url(OTHER)).status_code == 200
    made = admin.post(points_url(OTHER), json={"kind": "email", "address": "desk@harmon.example"})
    assert made.status_code == 201
    assert session.get(ContactPoint, made.json["id"]).created_by_id == people.admin.id
    assert admin.post(points_url(OTHER, made.json["id"], "pause")).status_code == 200
    assert_error(admin.get(points_url("no_such_org")), 404)
    assert_error(admin.post(points_url(OTHER, 2 ** 70, "pause")), 404)
    assert_error(admin.post(points_url(OTHER, "first", "pause")), 404)
    for user in (people.coordinator, people.drafter):
        client = api(user)
        for response in (client.get(points_url()), client.get(points_url("no_such_org")),
                         client.post(points_url(), json={"kind": "email",
                                                         "address": "x@lakeside.example"}),
                         client.post(points_url(OTHER, made.json["id"], "resume")),
                         client.post(points_url(OTHER, made.json["id"], "remove"))):
            assert "only an administrator, or a partner" in assert_error(response, 403)
    anonymous = app.test_client()
    for response in (anonymous.get(points_url()), anonymous.post(points_url(), json={}),
                     anonymous.post(points_url(OTHER, made.json["id"], "remove")),
                     anonymous.post(points_url(OTHER, "x", "pause")),
                     anonymous.get("/api/duties/x/deliveries")):
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert session.get(ContactPoint, made.json["id"]).removed_at is None


@pytest.mark.parametrize("body, status, words", [
    ({"kind": "sms", "address": "+15551234"}, 422, "an e-mail address or a webhook, not 'sms'"),
    ({"address": "desk@lakeside.example"}, 422, "give 'kind': email or webhook"),
    ({"kind": "email"}, 422, "give 'address'"),
    ({"kind": "email", "address": 7}, 422, "'address' must be text"),
    ({"kind": "email", "address": "a@b.example", "label": ["x"]}, 422, "'label' must be text"),
    ({"kind": "email", "address": "two@x.example, three@x.example"}, 422,
     "is not one e-mail address"),
    ({"kind": "email", "address": "a@b.example", "label": "x" * 201}, 422,
     "at most 200 characters"),
    ({"kind": "email", "address": "a@b.example", "secret": "mine"}, 422,
     "only kind, address and label"),
    ({"kind": "webhook", "address": "http://10.0.0.1/hook"}, 422, "10.0.0.1"),
    (["email", "a@b.example"], 422, "must be a JSON object"),
    ({}, 422, "give 'kind'"),
])
def test_a_bad_contact_point_is_refused_as_json(session, people, executed, api, body, status,
                                                words):
    response = api(people.partners[OWN]).post(points_url(), json=body)
    assert words in assert_error(response, status)
    assert session.scalars(select(ContactPoint)).all() == []


def test_unreadable_bodies_and_duplicates_are_refused_as_json(session, people, executed, api):
    partner = api(people.partners[OWN])
    assert "cannot be read" in assert_error(
        partner.post(points_url(), data="{not json", content_type="application/json"), 400)
    assert "as JSON" in assert_error(
        partner.post(points_url(), data="kind=email", content_type="text/plain"), 415)
    assert "give 'kind'" in assert_error(partner.post(points_url()), 422)  # no body at all
    assert partner.post(points_url(), json={"kind": "email",
                                            "address": "desk@lakeside.example"}).status_code == 201
    assert "already has the e-mail contact point" in assert_error(
        partner.post(points_url(), json={"kind": "email", "address": "DESK@lakeside.example"}),
        409)
    assert_error(partner.get(points_url() + "?x=%00"), 400)
    assert_error(partner.get(f"/api/organisations/{OWN}/contact-points/1/rotate"), 404)
    assert_error(partner.get(points_url(point=1, action="pause")), 405)
    assert len(session.scalars(select(ContactPoint)).all()) == 1


# ---------------------------------------------------------------- deliveries

def test_the_deliveries_of_a_duty_say_how_each_party_was_reached(app, session, people,
                                                                 recorded, api, tmp_path):
    duty = duty_of(session, OWN)
    partner = api(people.partners[OWN])
    queued = partner.get(f"/api/duties/{duty.id}/deliveries")
    assert queued.status_code == 200, queued.data
    assert queued.json["duty"] == duty.id
    deliveries = queued.json["deliveries"]
    assert deliveries and {d["state"] for d in deliveries} == {"queued"}
    for delivery in deliveries:
        schema("Delivery").validate(delivery)
        assert (delivery["event"], delivery["wave"], delivery["attempts"]) == ("duty.given", 1, 0)
        assert delivery["next_try"] and delivery["delivered_at"] is None
    assert people.partners[OWN].email in {d["address"] for d in deliveries}

    config = dispatcher.Config(folder=tmp_path / "outbox", name="api-test")
    dispatcher.dispatch_once(app.extensions["compact.sessions"], config, now=lambda: NOW,
                             clock=False)
    delivered = partner.get(f"/api/duties/{duty.id}/deliveries").json["deliveries"]
    assert len(delivered) == len(deliveries)
    email = next(d for d in delivered if d["address"] == people.partners[OWN].email)
    assert (email["state"], email["channel"], email["attempts"], email["next_try"]) == (
        "delivered", "email", 1, None)
    assert email["delivered_at"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert email["outcome"]

    for user in (people.coordinator, people.drafter, people.admin):  # staff see every duty
        assert api(user).get(f"/api/duties/{duty.id}/deliveries").json["deliveries"] == delivered


def test_a_partner_may_not_see_another_organisations_deliveries(app, session, people, recorded,
                                                                api):
    theirs = duty_of(session, OTHER)
    partner = api(people.partners[OWN])
    response = partner.get(f"/api/duties/{theirs.id}/deliveries")
    assert f"there is no duty {theirs.id}" in assert_error(response, 404)
    assert people.partners[OTHER].email.encode() not in response.data
    assert api(people.partners[OTHER]).get(
        f"/api/duties/{theirs.id}/deliveries").status_code == 200
    assert_error(partner.get("/api/duties/999999/deliveries"), 404)
    assert_error(partner.get(f"/api/duties/{2 ** 70}/deliveries"), 404)
    for odd in ("x", "-1", "1.5", "\u0661"):  # an Arabic-Indic digit is not an id either
        assert_error(partner.get(f"/api/duties/{odd}/deliveries"), 404)
    assert_error(partner.post(f"/api/duties/{theirs.id}/deliveries"), 404)  # not an action
    assert_error(app.test_client().get(f"/api/duties/{theirs.id}/deliveries"), 401)


def test_a_duty_without_messages_has_no_deliveries(session, people, recorded, api):
    from sqlalchemy import update

    from agreements.dissemination.models import Notification
    duty = duty_of(session, OWN)
    session.execute(update(Notification).where(Notification.duty_id == duty.id)
                    .values(duty_id=None))
    session.commit()
    answer = api(people.admin).get(f"/api/duties/{duty.id}/deliveries")
    assert answer.status_code == 200 and answer.json == {"duty": duty.id, "deliveries": []}


def test_the_description_has_the_dissemination_paths():
    paths = DOCUMENT["paths"]
    for path, methods in {"/api/organisations/{org_id}/contact-points": {"get", "post"},
                          "/api/organisations/{org_id}/contact-points/{point_id}/pause": {"post"},
                          "/api/organisations/{org_id}/contact-points/{point_id}/resume": {"post"},
                          "/api/organisations/{org_id}/contact-points/{point_id}/remove": {"post"},
                          "/api/duties/{duty_id}/deliveries": {"get"},
                          "/api/incidents/{key}/channel": {"get", "post"}}.items():
        assert set(paths[path]) == methods, path
    assert "secret" not in DOCUMENT["components"]["schemas"]["ContactPoint"]["properties"]
    assert "ChannelMessage" in DOCUMENT["components"]["schemas"]
