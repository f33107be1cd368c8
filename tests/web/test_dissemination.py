"""A partner hears of its duty by e-mail from a real SMTP server, acknowledges from the link
(once), and the administrator sees the outbox; webhooks arrive signed at a real receiver."""

from __future__ import annotations

import email.policy
import html
import json
import re
import threading
from email.parser import BytesParser
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from markupsafe import escape
from sqlalchemy import select
from standardwebhooks import Webhook

from agreements import clock
from agreements.dissemination import dispatcher
from agreements.dissemination.models import ContactPoint, Notification
from agreements.dissemination.webhooks import allowed_networks, new_secret
from agreements.models import AuditEntry, Duty, DutyEvent
from agreements.incidents import record_incident
from tests.agreements.dissemination.test_mail import Recorder, smtp_server  # noqa: F401

from .conftest import ALERT, T0, login

NOW = T0.replace(month=6, day=19, hour=4, minute=15)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def recorded(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW)


def mails(handler):
    return [BytesParser(policy=email.policy.default).parsebytes(raw)
            for _, _, raw in handler.received]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def deliver(app, tmp_path, port=None, **extra):
    config = dispatcher.Config(smtp_url=f"smtp://127.0.0.1:{port}" if port else None,
                               mail_from="compact@compact.example", folder=tmp_path / "outbox",
                               name="web-test", **extra)
    return dispatcher.dispatch_once(app.extensions["compact.sessions"], config,
                                    now=lambda: NOW, clock=False)


def test_the_partner_is_mailed_and_acknowledges_once_from_the_link(app, session, people,
                                                                   recorded, smtp_server,
                                                                   tmp_path):
    handler = Recorder()
    port = smtp_server(handler)
    counts = deliver(app, tmp_path, port)
    assert counts["delivered"] == len(session.scalars(select(Notification)).all())
    partner = people.partners["lakeside_county"]
    to_partner = [m for m in mails(handler) if m["To"] == partner.email]
    duty = session.scalars(select(Duty).where(Duty.party_id == "lakeside_county")
                           .order_by(Duty.id)).first()
    first = next(m for m in to_partner if f"/duties/{duty.id}" in text_of(m))
    assert first["Subject"] == (f"[Compact] MUST by {duty.due.astimezone(timezone.utc):%H:%M} UTC: {duty.action} "
                                f"(incident {duty.incident.key})")
    notification = session.scalar(select(Notification).where(
        Notification.duty_id == duty.id, Notification.address == partner.email))
    assert first["Message-ID"] == f"<ntf-{notification.id}@compact.example>"
    link = re.search(r"Acknowledge: http://127\.0\.0\.1:5000(/ack/\S+)", text_of(first)).group(1)

    anonymous = app.test_client()  # the link works without signing in
    page = anonymous.get(link)
    assert page.status_code == 200
    assert b"Acknowledge this duty" in page.data and duty.action.replace("'", "&#39;").encode() in page.data
    session.refresh(duty)
    assert duty.state == "open"  # opening the link (as a mail scanner does) changes nothing
    done = anonymous.post(link)
    assert done.status_code == 200 and b"Acknowledged. Thank you" in done.data
    session.expire_all()
    assert duty.state == "acknowledged"
    event = session.scalars(select(DutyEvent).where(DutyEvent.duty_id == duty.id)
                            .order_by(DutyEvent.id.desc())).first()
    assert (event.from_state, event.to_state, event.actor_id) == ("open", "acknowledged", None)
    assert event.note == f"acknowledged from the link sent to {partner.email}"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "duty.acknowledge")).one()
    assert entry.detail["origin"] == f"link sent to {partner.email}"

    again = anonymous.post(link)  # single use
    assert again.status_code == 409 and b"This link was already used" in again.data
    assert anonymous.get(link).status_code == 409


def test_a_forged_or_altered_link_is_refused(app, recorded, tmp_path, session):
    deliver(app, tmp_path)
    body = session.scalars(select(Notification.body_text).where(
        Notification.duty_id.is_not(None)).order_by(Notification.id)).first()
    link = re.search(r"/ack/(\S+)", body).group(1)
    token, signature = link.rsplit(".", 1)
    client = app.test_client()
    for forged in (f"{token}.{'0' * 32}", f"{token[:-1]}x.{signature}", "nothing", token):
        for method in (client.get, client.post):
            answer = method(f"/ack/{forged}")
            assert answer.status_code == 404
            assert b"This acknowledge link is not valid" in answer.data


def test_the_administrator_sees_the_outbox_and_the_written_messages(app, session, people,
                                                                    recorded, tmp_path,
                                                                    monkeypatch):
    from web.dissemination import views
    monkeypatch.setattr(views, "outbox_folder", lambda: tmp_path / "outbox")
    deliver(app, tmp_path)
    admin = app.test_client()
    login(admin, people.admin)
    page = admin.get("/admin/outbox")
    assert page.status_code == 200
    first = session.scalars(select(Notification).where(Notification.duty_id.is_not(None))
                            .order_by(Notification.id)).first()
    assert str(escape(first.subject)).encode() in page.data and b"written to ntf-" in page.data
    assert f"ntf-{first.id}.eml".encode() in page.data
    file_page = admin.get(f"/admin/outbox/files/ntf-{first.id}.eml")
    assert file_page.status_code == 200 and b"Acknowledge: http://" in file_page.data
    assert admin.get("/admin/outbox/files/..%2Fsecret_key").status_code == 404
    assert admin.get("/admin/outbox?state=lost").status_code == 400
    partner = app.test_client()
    login(partner, people.partners["lakeside_county"])
    assert partner.get("/admin/outbox").status_code == 403


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_webhook_arrives_signed_and_is_retried_when_the_receiver_was_down(
        app, session, people, executed, receiver, tmp_path):
    secret = new_secret()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/compact"
    session.add(ContactPoint(organisation_id="lakeside_county", kind="webhook", address=url,
                             secret=secret, label="EOC system", paused=False, created_at=NOW))
    session.commit()
    record_incident(session, people.coordinator, ALERT, now=NOW)
    hooks = session.scalars(select(Notification).where(Notification.channel == "webhook")).all()
    assert hooks and {n.address for n in hooks} == {url}
    allow = allowed_networks("127.0.0.1/32")
    Receiver.status = 503  # down
    deliver(app, tmp_path, webhook_allow=allow)
    session.expire_all()
    assert {n.state for n in hooks} == {"queued"} and {n.attempts for n in hooks} == {1}
    assert {n.last_outcome.split(":")[0] for n in hooks} == {"HTTP 503 Service Unavailable"}
    Receiver.status, Receiver.received = 200, []
    config = dispatcher.Config(folder=tmp_path / "outbox", name="web-test", webhook_allow=allow)
    later = NOW.replace(minute=NOW.minute + 1)
    dispatcher.dispatch_once(app.extensions["compact.sessions"], config, now=lambda: later,
                             clock=False)
    session.expire_all()
    assert {n.state for n in hooks} == {"delivered"}
    assert [len(n.attempt_log) for n in hooks] == [2] * len(hooks)
    headers, body = Receiver.received[0]
    payload = Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    ids = {f"ntf-{n.id}" for n in hooks}
    assert headers["webhook-id"] in ids and payload["id"] == headers["webhook-id"]
    assert payload["type"] == "duty.given"
    assert payload["data"]["duty"]["party"] == "lakeside_county"
    assert json.loads(body)["data"]["links"]["acknowledge"].startswith("http://127.0.0.1:5000/ack/")


def test_the_board_shows_how_each_party_was_reached_and_its_version_moves(
        app, session, people, recorded, tmp_path):
    coordinator = app.test_client()
    login(coordinator, people.coordinator)
    key = recorded.key
    board = coordinator.get(f"/incidents/{key}")
    assert b"How the parties were reached" in board.data and b"queued" in board.data
    first = coordinator.get(f"/incidents/{key}/version")
    assert first.status_code == 200 and first.headers["ETag"]
    version = first.get_json()["version"]
    assert f'data-version="{version}"'.encode() in board.data
    idle = coordinator.get(f"/incidents/{key}/version",
                           headers={"If-None-Match": first.headers["ETag"]})
    assert idle.status_code == 304 and idle.data == b""
    deliver(app, tmp_path)  # the messages go out: the board's version changes
    moved = coordinator.get(f"/incidents/{key}/version",
                            headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_json()["version"] != version
    board = coordinator.get(f"/incidents/{key}")
    assert f"delivered {NOW:%Y-%m-%d %H:%M} UTC".encode() in board.data
    partner = app.test_client()
    login(partner, people.partners["lakeside_county"])
    own = partner.get(f"/incidents/{key}").data
    assert b"lakeside_county@partner.example" in own
    assert b"harmon_county@partner.example" not in own  # another party's addresses stay hidden


def test_coordinators_see_the_parties_that_may_not_be_reached(app, session, people, executed,
                                                              tmp_path):
    from agreements.dissemination.models import NotificationPreference
    session.add(ContactPoint(organisation_id="lakeside_county", kind="email",
                             address="desk@lakeside.example", paused=True, created_at=NOW))
    session.add(NotificationPreference(user_id=people.partners["lakeside_county"].id,
                                       email_off=True, updated_at=NOW))
    session.commit()
    incident = record_incident(session, people.coordinator, ALERT, now=NOW)
    coordinator = app.test_client()
    login(coordinator, people.coordinator)
    page = coordinator.get(f"/incidents/{incident.key}").data.decode()
    assert "Parties that may not be reached" in page
    assert "email contact point desk@lakeside.example is paused" in page
    assert ("nothing was sent: it has no active contact point, no contact in the agreement and "
            "no partner user receiving e-mail") in page
    other = next(d.party_id for d in incident.duties if d.party_id != "lakeside_county")
    partner = app.test_client()
    login(partner, people.partners[other])
    board = partner.get(f"/incidents/{incident.key}")
    assert board.status_code == 200  # a partner sees its own duties, not the coordinators' gaps
    assert "Parties that may not be reached" not in board.data.decode()


def test_an_smtp_server_refusing_for_now_is_tried_again_and_then_accepts(
        app, session, people, recorded, smtp_server, tmp_path):
    handler = Recorder(RCPT="451 4.3.0 mailbox busy, try again later")
    port = smtp_server(handler)
    counts = deliver(app, tmp_path, port)
    total = len(session.scalars(select(Notification)).all())
    assert counts["retrying"] == total and handler.received == []
    session.expire_all()
    first = session.scalars(select(Notification).order_by(Notification.id)).first()
    assert first.last_outcome == "451 4.3.0 mailbox busy, try again later"
    assert first.attempt_log[0].delivered is False
    handler.refuse = {}  # the server accepts again
    config = dispatcher.Config(smtp_url=f"smtp://127.0.0.1:{port}",
                               mail_from="compact@compact.example", folder=tmp_path / "outbox",
                               name="web-test")
    later = NOW.replace(minute=NOW.minute + 1)
    again = dispatcher.dispatch_once(app.extensions["compact.sessions"], config,
                                     now=lambda: later, clock=False)
    assert again["delivered"] == total and len(handler.received) == total
    session.expire_all()
    assert [a.delivered for a in first.attempt_log] == [False, True]
    ids = [m["Message-ID"] for m in mails(handler)]
    assert len(set(ids)) == total  # one message per notification, each with its own id
