"""Every route × every role: who gets in, and that everyone else gets 401/403/404, never the data.

Each route is tried in a fresh world (an executed agreement with duties for the partner's
organisation, a draft, an incident for that partner and one for another organisation), by the
roles that must be refused first, then by those that may act, so that no refused attempt could
hide behind a change of state. `test_every_route_is_covered` makes a new route fail until it is
added here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements import clock
from agreements.drafting import create_agreement, publish
from agreements.incidents import record_incident
from agreements.dissemination.models import ContactPoint, Notification
from agreements.models import ApiToken, Duty, Organisation
from agreements.signing import sign
from agreements.users import create_token, create_user_unchecked
from tests.agreements.conftest import LIBRARY, library_text

from .conftest import ALERT, PASSWORD, TASK_FORCE, TASK_FORCE_ID, login

NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
ALERT_KEY = "CO-NWS-2026-0618-FFW-001"
OTHER_KEY = "NR-BC-2026-003"  # a border surge in Norland: no duty for Lakeside County
OTHER_ID = "norland-border-information-sharing"  # executed among Norland agencies only
OTHER_TITLE = "Information Sharing and Joint Coordination in a Border Crisis"
DRAFT_ID = "columbia-intrastate-mutual-aid"
DRAFT_TITLE = "Columbia Intrastate Mutual Aid Agreement"
ROLES = ("anonymous", "drafter", "coordinator", "admin", "partner", "outsider")
STAFF = {"drafter", "coordinator", "admin"}
EVERYONE = STAFF | {"partner", "outsider"}
PARTY = STAFF | {"partner"}  # the partner's organisation is a party of the executed agreement


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def world(app, session, people):
    """Users of each role with their API tokens, and the objects the routes name."""
    create_agreement(session, people.drafter, library_text(TASK_FORCE), now=NOW)
    publish(session, people.drafter, TASK_FORCE_ID, 1, now=NOW)
    for party, partner in people.partners.items():
        sign(session, partner, TASK_FORCE_ID, 1, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=NOW)
    other = create_agreement(session, people.drafter,
                             library_text("border-information-sharing.agreement"), now=NOW)
    publish(session, people.drafter, OTHER_ID, 1, now=NOW)
    for party, name in other.parties:
        signer = create_user_unchecked(session, email=f"{party}@norland.example", name=name,
                                       role="partner", organisation_id=party, at=NOW)
        session.commit()
        sign(session, signer, OTHER_ID, 1, signer_name="Director", signer_title="Director",
             consent=True, now=NOW)
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=NOW)
    record_incident(session, people.coordinator, ALERT, now=NOW)
    record_incident(session, people.coordinator,
                    (LIBRARY / "incidents" / "vasar-border-surge.json").read_text(), now=NOW)
    session.add(Organisation(id="outsider_agency", name="Outsider Agency", created_at=NOW))
    own_point = ContactPoint(organisation_id="lakeside_county", kind="webhook",
                             address="https://8.8.8.8/hook", secret="whsec_x", created_at=NOW)
    other_point = ContactPoint(organisation_id="outsider_agency", kind="webhook",
                               address="https://8.8.4.4/hook", secret="whsec_y", created_at=NOW)
    session.add_all([own_point, other_point])
    session.commit()
    # An acknowledge link of one of lakeside_county's duties, as a message carries it.
    notice = session.scalar(select(Notification).where(
        Notification.organisation_id == "lakeside_county", Notification.duty_id.is_not(None))
        .order_by(Notification.id).limit(1))
    ack_token = re.search(r"/ack/(\S+)", notice.body_text).group(1)
    users = {"drafter": people.drafter, "coordinator": people.coordinator,
             "admin": people.admin, "partner": people.partners["lakeside_county"],
             "outsider": create_user_unchecked(session, email="outsider@partner.example",
                                               name="Olive Outsider", role="partner",
                                               organisation_id="outsider_agency",
                                               password=PASSWORD)}
    session.commit()
    tokens = {role: create_token(session, user, "access tests")[1] for role, user in users.items()}
    duty = lambda party, incident: session.scalar(select(Duty.id).where(  # noqa: E731
        Duty.party_id == party, Duty.incident.has(key=incident)).order_by(Duty.id).limit(1))
    ids = {"own_duty": duty("lakeside_county", ALERT_KEY),
           "other_duty": duty("norland_border_guard", OTHER_KEY),
           "drafter_token": session.scalar(select(ApiToken.id).where(
               ApiToken.user_id == users["drafter"].id)),
           "partner_user": users["partner"].id,
           "own_point": own_point.id, "other_point": other_point.id, "ack": ack_token}
    from agreements.dissemination.feeds import create_feed_token
    made, text = create_feed_token(session, people.admin, "lakeside_county", "access tests")
    ids.update(feed_token=made.id, feed_token_text=text)
    return {"users": users, "tokens": tokens, "ids": ids}


# (method, url, form or JSON body, roles that may act). Everyone else is refused.
JSON_INCIDENT = {"id": "NEW-1", "type": "flood warning", "reported_at": "2026-06-19T04:00:00Z"}
CASES = [
    ("GET", "/", None, EVERYONE),
    ("GET", "/account", None, EVERYONE),
    ("POST", "/account/tokens", {"name": "script"}, EVERYONE),
    ("POST", "/account/tokens/{drafter_token}/revoke", {}, {"drafter", "admin"}),
    ("GET", "/admin/users", None, {"admin"}),
    ("POST", "/admin/users", {"email": "new@x.example", "name": "New", "role": "drafter",
                              "password": "long enough password"}, {"admin"}),
    ("POST", "/admin/users/{partner_user}", {"role": "partner",
                                             "organisation_id": "lakeside_county"}, {"admin"}),
    ("POST", "/admin/organisations", {"id": "new_org", "name": "New Org"}, {"admin"}),
    ("POST", "/account/time-zone", {"time_zone": "Europe/Berlin"}, EVERYONE),
    ("POST", "/admin/organisations/time-zone", {"organisation": "lakeside_county",
                                                "time_zone": "Europe/Berlin"}, {"admin"}),
    ("GET", "/agreements", None, EVERYONE),
    ("GET", "/agreements/new", None, {"drafter", "admin"}),
    ("POST", "/agreements/new", {"source": library_text("consular-evacuation.agreement")},
     {"drafter", "admin"}),
    ("POST", "/agreements/check", {"json": {"source": "agreement x"}}, STAFF),
    ("POST", "/agreements/examples", {"json": {"source": library_text(TASK_FORCE)}}, STAFF),
    ("POST", "/agreements/format", {"json": {"source": library_text(TASK_FORCE)}}, STAFF),
    ("POST", "/agreements/names", {"json": {"source": library_text(TASK_FORCE)}}, STAFF),
    ("GET", "/agreements/new?model=intrastate-mutual-aid&id=fresh-aid", None,
     {"drafter", "admin"}),
    ("GET", "/help/language", None, EVERYONE),  # the language reference: anyone signed in
    ("GET", f"/agreements/{TASK_FORCE_ID}", None, PARTY),
    ("GET", f"/agreements/{DRAFT_ID}", None, STAFF),
    ("GET", f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=1", None, PARTY),
    ("GET", f"/agreements/{DRAFT_ID}/diff?a=1&b=1", None, STAFF),
    ("GET", f"/agreements/{DRAFT_ID}/edit", None, {"drafter", "admin"}),
    ("POST", f"/agreements/{DRAFT_ID}/edit", {"source": library_text(
        "intrastate-mutual-aid.agreement") + "\n# changed\n", "base_revision": "1"},
     {"drafter", "admin"}),
    ("GET", f"/agreements/{TASK_FORCE_ID}/revisions/1", None, PARTY),
    ("GET", f"/agreements/{DRAFT_ID}/revisions/1", None, STAFF),
    ("GET", f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf", None, PARTY),
    ("GET", f"/agreements/{DRAFT_ID}/revisions/1/pdf", None, STAFF),
    ("GET", f"/agreements/{TASK_FORCE_ID}/revisions/1/document", None, PARTY),
    ("GET", f"/agreements/{DRAFT_ID}/revisions/1/document", None, STAFF),
    ("GET", f"/agreements/{OTHER_ID}/revisions/1/document", None, STAFF),
    ("POST", f"/agreements/{DRAFT_ID}/revisions/1/publish", {}, {"drafter", "admin"}),
    ("GET", f"/agreements/{TASK_FORCE_ID}/revisions/1/sign", None, {"partner"}),
    ("POST", f"/agreements/{TASK_FORCE_ID}/revisions/1/sign",
     {"signer_name": "X", "signer_title": "Y", "consent": "yes"}, {"partner"}),
    ("GET", f"/agreements/{DRAFT_ID}/revisions/1/what-if", None, STAFF),
    ("POST", f"/agreements/{DRAFT_ID}/revisions/1/what-if", {}, STAFF),
    ("GET", f"/agreements/{TASK_FORCE_ID}/withdraw", None, {"partner"}),
    ("POST", f"/agreements/{TASK_FORCE_ID}/withdraw", {"reason": "merger"}, {"partner"}),
    ("GET", "/duties/{own_duty}", None, PARTY),
    ("GET", "/duties/{other_duty}?fragment=1", None, STAFF),
    ("POST", "/duties/{own_duty}/acknowledge", {}, {"partner", "coordinator", "admin"}),
    ("POST", "/duties/{other_duty}/acknowledge", {}, {"coordinator", "admin"}),
    ("GET", "/incidents", None, EVERYONE),
    ("GET", "/incidents/new", None, {"coordinator", "admin"}),
    ("POST", "/incidents/new", {"incident_json": json.dumps(JSON_INCIDENT)},
     {"coordinator", "admin"}),
    ("GET", f"/incidents/{ALERT_KEY}", None, PARTY),
    ("GET", f"/incidents/{OTHER_KEY}", None, STAFF),
    ("GET", f"/incidents/{ALERT_KEY}/update", None, {"coordinator", "admin"}),
    ("POST", f"/incidents/{OTHER_KEY}/update", {"incident_json": json.dumps(
        {"id": OTHER_KEY, "type": "migration surge", "reported_at": "2026-08-14T01:00:00Z"})},
     {"coordinator", "admin"}),
    ("POST", f"/incidents/{OTHER_KEY}/cancel", {"reason": "false alarm"},
     {"coordinator", "admin"}),
    ("GET", f"/incidents/{ALERT_KEY}/why-not", None, {"coordinator", "admin"}),
    ("GET", f"/incidents/{OTHER_KEY}/why-not?agreement={OTHER_ID}", None,
     {"coordinator", "admin"}),
    ("GET", "/my/agreements", None, {"partner", "outsider"}),
    ("GET", "/my/duties", None, {"partner", "outsider"}),
    ("GET", "/verify", None, EVERYONE),
    ("POST", "/verify", {"pdf": b"%PDF-1.7 not really"}, EVERYONE),
    # The JSON API, with bearer tokens.
    ("GET", "/api/openapi.json", None, EVERYONE | {"anonymous"}),
    ("GET", "/api/agreements", None, EVERYONE),
    ("GET", f"/api/agreements/{TASK_FORCE_ID}", None, PARTY),
    ("GET", f"/api/agreements/{DRAFT_ID}", None, STAFF),
    ("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions", None, PARTY),
    ("GET", f"/api/agreements/{DRAFT_ID}/revisions", None, STAFF),
    ("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions/1", None, PARTY),
    ("GET", f"/api/agreements/{DRAFT_ID}/revisions/1", None, STAFF),
    ("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions/1/pdf", None, PARTY),
    ("GET", f"/api/agreements/{DRAFT_ID}/revisions/1/pdf", None, STAFF),
    ("POST", f"/api/agreements/{DRAFT_ID}/revisions/1/publish", {"json": {}},
     {"drafter", "admin"}),
    ("GET", "/api/duties", None, EVERYONE),
    ("POST", "/api/duties/{own_duty}/acknowledge", {"json": {}},
     {"partner", "coordinator", "admin"}),
    ("POST", "/api/duties/{other_duty}/acknowledge", {"json": {}}, {"coordinator", "admin"}),
    ("POST", "/api/evaluate", {"json": JSON_INCIDENT}, EVERYONE),
    ("GET", "/api/incidents", None, EVERYONE),
    ("POST", "/api/incidents", {"json": JSON_INCIDENT}, {"coordinator", "admin"}),
    ("GET", f"/api/incidents/{ALERT_KEY}", None, PARTY),
    ("GET", f"/api/incidents/{OTHER_KEY}", None, STAFF),
    ("GET", f"/api/incidents/{ALERT_KEY}/why-not", None, {"coordinator", "admin"}),
    ("GET", f"/api/incidents/{OTHER_KEY}/why-not?agreement={OTHER_ID}", None,
     {"coordinator", "admin"}),
    ("POST", f"/api/incidents/{OTHER_KEY}/updates", {"json": {
        "id": OTHER_KEY, "type": "migration surge", "reported_at": "2026-08-14T01:00:00Z"}},
     {"coordinator", "admin"}),
    ("GET", f"/agreements/{OTHER_ID}", None, STAFF),
    ("GET", f"/api/agreements/{OTHER_ID}", None, STAFF),
    ("GET", "/login", None, EVERYONE | {"anonymous"}),
    ("POST", "/login", {"email": "nobody@x.example", "password": "x"},
     EVERYONE | {"anonymous"}),
    ("POST", "/logout", {}, EVERYONE | {"anonymous"}),
    ("GET", "/static/style.css", None, EVERYONE | {"anonymous"}),
    ("GET", "/favicon.ico", None, EVERYONE | {"anonymous"}),
    # The dissemination channel: contact points, acknowledge links, the outbox, live boards.
    ("GET", "/organisations/lakeside_county/contacts", None, {"admin", "partner"}),
    ("GET", "/organisations/outsider_agency/contacts", None, {"admin", "outsider"}),
    ("POST", "/organisations/lakeside_county/contacts",
     {"kind": "email", "address": "desk@lakeside.example"}, {"admin", "partner"}),
    ("POST", "/organisations/outsider_agency/contacts",
     {"kind": "email", "address": "desk@outsider.example"}, {"admin", "outsider"}),
    ("POST", "/organisations/lakeside_county/contacts/{own_point}/pause", {}, {"admin", "partner"}),
    ("POST", "/organisations/lakeside_county/contacts/{own_point}/resume", {},
     {"admin", "partner"}),
    ("POST", "/organisations/lakeside_county/contacts/{own_point}/rotate", {},
     {"admin", "partner"}),
    ("POST", "/organisations/lakeside_county/contacts/{own_point}/remove", {},
     {"admin", "partner"}),
    ("POST", "/organisations/outsider_agency/contacts/{other_point}/pause", {},
     {"admin", "outsider"}),
    ("POST", "/organisations/outsider_agency/contacts/{other_point}/remove", {},
     {"admin", "outsider"}),
    ("POST", "/organisations/lakeside_county/contacts/{other_point}/pause", {}, set()),
    ("POST", "/organisations/lakeside_county/settings",
     {"time_zone": "America/Chicago", "reminder_lead_minutes": "", "ack_wait_minutes": "15"},
     {"admin", "partner"}),
    ("POST", "/organisations/outsider_agency/settings",
     {"time_zone": "UTC", "ack_wait_minutes": "15"}, {"admin", "outsider"}),
    ("POST", "/account/notifications", {"email_off": "1"}, EVERYONE),
    # The link works without signing in: whoever holds it received it (a forged or used one
    # is refused for everyone: tests/web/test_dissemination.py).
    ("GET", "/ack/{ack}", None, EVERYONE | {"anonymous"}),
    ("POST", "/ack/{ack}", {}, EVERYONE | {"anonymous"}),
    ("GET", "/admin/outbox", None, {"admin"}),
    ("GET", "/admin/outbox/files/ntf-1.eml", None, set()),  # admin: 404, no file written here
    ("POST", f"/incidents/{ALERT_KEY}/channel", {"body": "x"}, {"coordinator", "admin", "partner"}),
    ("POST", f"/incidents/{OTHER_KEY}/channel", {"body": "x"}, {"coordinator", "admin"}),
    ("GET", f"/api/incidents/{ALERT_KEY}/channel", None, PARTY),
    ("GET", f"/api/incidents/{OTHER_KEY}/channel", None, STAFF),
    ("POST", f"/api/incidents/{ALERT_KEY}/channel", {"json": {"body": "x"}},
     {"coordinator", "admin", "partner"}),
    ("POST", f"/api/incidents/{OTHER_KEY}/channel", {"json": {"body": "x"}},
     {"coordinator", "admin"}),
    # Feeds: the token decides (an anonymous 404 counts as "in" here: no sign-in is asked).
    ("GET", "/feeds/lakeside_county.atom?token=x", None, {"anonymous"}),
    ("GET", "/organisations/lakeside_county/feeds", None, {"admin", "partner"}),
    ("GET", "/organisations/outsider_agency/feeds", None, {"admin", "outsider"}),
    ("POST", "/organisations/lakeside_county/feeds", {"label": "reader"}, {"admin", "partner"}),
    ("POST", "/organisations/outsider_agency/feeds", {"label": "reader"}, {"admin", "outsider"}),
    ("POST", "/organisations/lakeside_county/feeds/{feed_token}/revoke", {}, {"admin", "partner"}),
    ("POST", "/organisations/outsider_agency/feeds/{feed_token}/revoke", {}, set()),
    ("GET", "/feeds/lakeside_county.atom?token={feed_token_text}", None, EVERYONE | {"anonymous"}),
    ("GET", "/feeds/outsider_agency.atom?token={feed_token_text}", None, {"anonymous"}),
    # The dissemination channel's JSON API: contact points and the deliveries of a duty.
    ("GET", "/api/organisations/lakeside_county/contact-points", None, {"admin", "partner"}),
    ("GET", "/api/organisations/outsider_agency/contact-points", None, {"admin", "outsider"}),
    ("POST", "/api/organisations/lakeside_county/contact-points",
     {"json": {"kind": "email", "address": "desk@lakeside.example"}}, {"admin", "partner"}),
    ("POST", "/api/organisations/outsider_agency/contact-points",
     {"json": {"kind": "email", "address": "desk@outsider.example"}}, {"admin", "outsider"}),
    ("POST", "/api/organisations/lakeside_county/contact-points/{own_point}/pause", {"json": {}},
     {"admin", "partner"}),
    ("POST", "/api/organisations/lakeside_county/contact-points/{own_point}/resume", {"json": {}},
     {"admin", "partner"}),
    ("POST", "/api/organisations/lakeside_county/contact-points/{own_point}/remove", {"json": {}},
     {"admin", "partner"}),
    ("POST", "/api/organisations/outsider_agency/contact-points/{other_point}/pause",
     {"json": {}}, {"admin", "outsider"}),
    ("POST", "/api/organisations/outsider_agency/contact-points/{other_point}/remove",
     {"json": {}}, {"admin", "outsider"}),
    ("POST", "/api/organisations/lakeside_county/contact-points/{other_point}/pause",
     {"json": {}}, set()),
    ("GET", "/api/duties/{own_duty}/deliveries", None, PARTY),
    ("GET", "/api/duties/{other_duty}/deliveries", None, STAFF),
    ("GET", f"/incidents/{ALERT_KEY}/report.pdf", None, PARTY),
    ("GET", f"/incidents/{ALERT_KEY}/report.csv", None, PARTY),
    ("GET", f"/incidents/{ALERT_KEY}/timeline", None, PARTY),
    ("GET", f"/incidents/{OTHER_KEY}/report.pdf", None, STAFF),
    ("GET", f"/incidents/{OTHER_KEY}/report.csv", None, STAFF),
    ("GET", f"/incidents/{OTHER_KEY}/timeline", None, STAFF),
    ("GET", "/account/password", None, EVERYONE),
    ("POST", "/account/password", {"current_password": "wrong",
                                   "new_password": "violet kettle harbour 42",
                                   "confirm_password": "violet kettle harbour 42"}, EVERYONE),
    ("GET", "/login/forgot", None, EVERYONE | {"anonymous"}),
    ("POST", "/login/forgot", {"email": "nobody@x.example"}, EVERYONE | {"anonymous"}),
    # A made-up link: 404 for everyone (an anonymous 404 counts as "in": no sign-in is asked).
    ("GET", "/login/reset/not-a-token", None, {"anonymous"}),
    ("POST", "/login/reset/not-a-token", {"new_password": "x", "confirm_password": "x"},
     {"anonymous"}),
    ("GET", f"/incidents/{ALERT_KEY}/version", None, PARTY),
    ("GET", f"/incidents/{OTHER_KEY}/version", None, STAFF),
]
# Words that only someone allowed may read in a response (unless the URL itself names them):
# the draft's title, the agreement among other organisations, their incident.
SECRETS = [DRAFT_TITLE.encode(), OTHER_TITLE.encode(), OTHER_KEY.encode(),
           b"State Border Guard Service"]
# Signing in and out is open to everyone; refusing a wrong password is not a refusal of access.
OPEN = {"/login", "/logout"}


def _request(client, method, url, body, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body and "json" in body:
        return client.open(url, method=method, json=body["json"], headers=headers)
    if body and "pdf" in body:
        from io import BytesIO
        return client.open(url, method=method, headers=headers, content_type="multipart/form-data",
                           data={"pdf": (BytesIO(body["pdf"]), "x.pdf", "application/pdf")})
    return client.open(url, method=method, data=body or None, headers=headers)


def _outcome(role, url, response) -> str:
    status = response.status_code
    if url in OPEN:
        return "refused" if status in (403, 404) else "allowed"
    if role == "anonymous":
        if url.startswith("/api/"):
            return "refused" if status == 401 else "allowed"
        location = response.headers.get("Location", "")
        if status in (302, 401) and "/login" in location or status == 401:
            return "refused"
        return "allowed"
    return "refused" if status in (403, 404) else "allowed"


@pytest.mark.parametrize("method, url, body, allowed", CASES,
                         ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_each_role_gets_in_or_is_refused(app, world, method, url, body, allowed):
    url = url.format(**world["ids"])
    order = sorted(ROLES, key=lambda r: (r in allowed, ROLES.index(r)))  # refused ones first
    seen = {}
    for role in order:
        client = app.test_client()
        token = None
        if role != "anonymous":
            if url.startswith("/api/"):
                token = world["tokens"][role]
            else:
                login(client, world["users"][role])
        response = _request(client, method, url, body, token)
        seen[role] = response.status_code
        outcome = _outcome(role, url, response)
        expected = "allowed" if role in allowed else "refused"
        assert outcome == expected, (role, response.status_code, response.data[:300])
        assert response.status_code < 500, (role, response.data[:300])
        if expected == "refused":
            for secret in SECRETS:
                if secret.decode() not in url:
                    assert secret not in response.data, (role, secret)
            if url.startswith("/api/"):
                assert response.is_json and "error" in response.get_json()


def test_partners_never_read_what_is_not_theirs(app, world):
    """The lists a partner may open show only its own organisation's records."""
    for role in ("partner", "outsider"):
        client = app.test_client()
        login(client, world["users"][role])
        for url in ("/agreements", "/incidents", "/my/duties", "/my/agreements"):
            page = client.get(url)
            assert page.status_code == 200
            for secret in SECRETS:
                assert secret not in page.data, (role, url, secret)
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
        duties = client.get("/api/duties", headers=headers).get_json()
        parties = {d["party"] for d in (duties["duties"] if isinstance(duties, dict) else duties)}
        assert parties <= {world["users"][role].organisation_id}
        evaluated = client.post("/api/evaluate", headers=headers,
                                data=ALERT, content_type="application/xml").get_json()
        assert {d["party"] for d in evaluated["duties"]} <= {world["users"][role].organisation_id}


def test_every_route_is_covered(app):
    adapter = app.url_map.bind("localhost")
    ids = {"own_duty": 1, "other_duty": 2, "drafter_token": 3, "partner_user": 4,
           "own_point": 5, "other_point": 6, "ack": "x.y", "feed_token": 7,
           "feed_token_text": "x"}
    covered = set()
    for method, url, _, _ in CASES:
        endpoint, _args = adapter.match(url.format(**ids).split("?")[0], method=method)
        covered.add((endpoint, method))
    missing = [f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
               for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
               if (rule.endpoint, method) not in covered]
    assert not missing, f"routes without access cases: {missing}"
