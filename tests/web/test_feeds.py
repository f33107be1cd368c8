"""Organisations' Atom feeds: tokens shown once, the feed a reader gets, and who is refused."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

import pytest
from defusedxml import ElementTree
from sqlalchemy import select

from agreements import clock
from agreements.dissemination.feeds import (create_feed_token, duty_title, feed_entries,
                                            revoke_feed_token)
from agreements.dissemination.models import ChannelMessage, FeedToken
from agreements.errors import Conflict, NotAllowed, NotFound
from agreements.incidents import record_incident
from agreements.models import AuditEntry, Duty, Organisation

from .conftest import ALERT

NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
OWN = "lakeside_county"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def incident(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW - timedelta(minutes=5))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def make_token(client, org=OWN, label="duty desk reader"):
    """POST the form; (the answer, the token shown in it)."""
    answer = client.post(f"/organisations/{org}/feeds", data={"label": label})
    assert answer.status_code == 200, answer.data[:500]
    body = text(answer)
    start = body.index("cft_")
    token = body[start:start + 4 + 43]
    assert f"/feeds/{org}.atom?token={token}" in body
    return answer, token


def parse(response):
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=60"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = [{"id": e.findtext(f"{ATOM}id"), "title": e.findtext(f"{ATOM}title"),
                "updated": e.findtext(f"{ATOM}updated"), "summary": e.find(f"{ATOM}summary"),
                "link": e.find(f"{ATOM}link").get("href")} for e in root.findall(f"{ATOM}entry")]
    return root, entries


def live_duties(session, org=OWN):
    session.expire_all()
    return session.scalars(select(Duty).where(Duty.party_id == org,
                                              Duty.state != "superseded")).all()


def test_the_token_is_shown_once_and_the_feed_lists_the_live_duties(
        app, session, people, incident, client_for):
    client = client_for(people.partners[OWN])
    answer, token = make_token(client)
    assert answer.headers["Cache-Control"] == "no-store"
    page = client.get(f"/organisations/{OWN}/feeds")
    assert page.status_code == 200
    assert token not in page.get_data(as_text=True) and "duty desk reader" in text(page)
    stored = session.scalars(select(FeedToken)).all()
    assert len(stored) == 1 and stored[0].digest != token and token not in stored[0].digest

    reader = app.test_client()  # no sign-in: the token decides
    first = reader.get(f"/feeds/{OWN}.atom?token={token}")
    root, entries = parse(first)
    org = session.get(Organisation, OWN)
    assert root.findtext(f"{ATOM}title") == \
        f"Compact: duties and incident messages for {org.name}"
    duties = live_duties(session)
    assert duties, "the alert gives Lakeside County duties"
    assert {e["id"] for e in entries} == {f"tag:compact,2026:duty-{d.id}" for d in duties}
    by_id = {e["id"]: e for e in entries}
    for duty in duties:
        entry = by_id[f"tag:compact,2026:duty-{duty.id}"]
        modal = {"must": "MUST", "may": "MAY", "must not": "MUST NOT"}[duty.modality]
        due = f" by {duty.due:%Y-%m-%d %H:%M} UTC" if duty.due else ""
        assert entry["title"] == duty_title(duty) == \
            f"{modal}{due}: {duty.action} (incident {incident.key})"
        assert entry["summary"].get("type") == "text"
        summary = entry["summary"].text
        assert f"State: {duty.state}" in summary and duty.agreement_slug in summary
        assert f"clause {duty.clause}" in summary
        assert all(line in summary for line in duty.because)
        assert entry["link"].endswith(f"/duties/{duty.id}")
    again = parse(reader.get(f"/feeds/{OWN}.atom?token={token}"))[1]
    assert [e["id"] for e in again] == [e["id"] for e in entries]
    assert token not in first.get_data(as_text=True)  # not copied into the document


def test_channel_messages_appear_and_other_organisations_duties_never(
        app, session, people, incident, client_for):
    others = session.scalars(select(Duty).where(Duty.party_id != OWN)).all()
    assert others, "the alert gives other organisations duties too"
    session.add(ChannelMessage(incident_id=incident.id, author_id=people.coordinator.id,
                               body="Sandbags at the fairground from 06:00.", posted_at=NOW))
    superseded = live_duties(session)[0]
    superseded.state = "superseded"
    session.commit()
    _, token = make_token(client_for(people.admin))
    body = app.test_client().get(f"/feeds/{OWN}.atom?token={token}")
    _, entries = parse(body)
    message = session.scalars(select(ChannelMessage)).one()
    assert entries[0]["id"] == f"tag:compact,2026:channel-{message.id}"  # the newest first
    assert entries[0]["title"] == \
        f"Message in incident {incident.key} from {people.coordinator.name}"
    assert entries[0]["summary"].text == "Sandbags at the fairground from 06:00."
    ids = {e["id"] for e in entries}
    assert f"tag:compact,2026:duty-{superseded.id}" not in ids
    assert ids == {f"tag:compact,2026:duty-{d.id}" for d in live_duties(session)} | \
        {f"tag:compact,2026:channel-{message.id}"}
    for duty in others:
        assert f"duty-{duty.id}<" not in body.get_data(as_text=True)
        assert f"/duties/{duty.id}<" not in body.get_data(as_text=True)
    updated = [e["updated"] for e in entries]
    assert updated == sorted(updated, reverse=True)


def test_a_revoked_token_or_another_organisations_token_is_not_found(
        app, session, people, incident, client_for):
    admin = client_for(people.admin)
    _, own = make_token(admin)
    _, other = make_token(admin, org="harmon_county")
    reader = app.test_client()
    assert reader.get(f"/feeds/{OWN}.atom?token={own}").status_code == 200
    assert reader.get(f"/feeds/harmon_county.atom?token={own}").status_code == 404
    assert reader.get(f"/feeds/{OWN}.atom?token={other}").status_code == 404
    assert reader.get(f"/feeds/{OWN}.atom").status_code == 404
    assert reader.get(f"/feeds/{OWN}.atom?token=cft_made-up").status_code == 404
    assert reader.get(f"/feeds/nowhere.atom?token={own}").status_code == 404
    record = session.scalar(select(FeedToken).where(FeedToken.organisation_id == OWN))
    revoked = admin.post(f"/organisations/{OWN}/feeds/{record.id}/revoke")
    assert revoked.status_code == 302
    assert reader.get(f"/feeds/{OWN}.atom?token={own}").status_code == 404
    assert "revoked" in text(admin.get(f"/organisations/{OWN}/feeds"))
    twice = admin.post(f"/organisations/{OWN}/feeds/{record.id}/revoke")
    assert twice.status_code == 409
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action.like("feed_token.%"))
                            ).all()
    assert [a.action for a in audit] == ["feed_token.create", "feed_token.create",
                                         "feed_token.revoke"]
    everything = " ".join(str(a.detail) for a in session.scalars(select(AuditEntry)))
    assert own not in everything and other not in everything


def test_a_partner_is_refused_another_organisations_tokens(session, people, incident,
                                                            client_for):
    theirs, _ = create_feed_token(session, people.admin, "harmon_county", "their reader")
    partner = client_for(people.partners[OWN])
    assert partner.get("/organisations/harmon_county/feeds").status_code == 404
    assert partner.post("/organisations/harmon_county/feeds",
                        data={"label": "x"}).status_code == 404
    assert partner.post(f"/organisations/harmon_county/feeds/{theirs.id}/revoke"
                        ).status_code == 404
    assert partner.post(f"/organisations/{OWN}/feeds/{theirs.id}/revoke").status_code == 404
    assert client_for(people.coordinator).get(f"/organisations/{OWN}/feeds").status_code == 403
    assert client_for(people.admin).get("/organisations/nowhere/feeds").status_code == 404
    session.expire_all()
    assert session.scalars(select(FeedToken)).all() == [theirs] and theirs.revoked_at is None


def test_the_operations_check_who_may(session, people):
    with pytest.raises(NotAllowed):
        create_feed_token(session, people.partners[OWN], "harmon_county")
    with pytest.raises(NotAllowed):
        create_feed_token(session, people.coordinator, OWN)
    with pytest.raises(NotFound):
        create_feed_token(session, people.admin, "nowhere")
    record, token = create_feed_token(session, people.partners[OWN], OWN, "", now=NOW)
    assert token.startswith("cft_") and len(token) == 47
    with pytest.raises(NotFound):
        revoke_feed_token(session, people.partners["harmon_county"], record.id)
    revoke_feed_token(session, people.partners[OWN], record.id, now=NOW)
    with pytest.raises(Conflict):
        revoke_feed_token(session, people.admin, record.id, now=NOW)
    assert feed_entries(session, OWN, NOW) == []


def test_a_long_label_is_refused(session, people, client_for):
    answer = client_for(people.admin).post(f"/organisations/{OWN}/feeds",
                                           data={"label": "x" * 201})
    assert answer.status_code == 422 and "cft_" not in answer.get_data(as_text=True)
    assert session.scalars(select(FeedToken)).all() == []


def test_a_duty_moves_up_when_it_changes_and_the_feed_keeps_to_200_entries(
        session, people, incident):
    from agreements.models import DutyEvent
    bottom = feed_entries(session, OWN, NOW)[-1].id
    oldest = next(d for d in live_duties(session) if bottom.endswith(f":duty-{d.id}"))
    other = next(d for d in live_duties(session) if d.id != oldest.id)
    session.add(DutyEvent(duty_id=oldest.id, from_state="open", to_state="acknowledged",
                          at=NOW - timedelta(minutes=1)))
    session.add(DutyEvent(duty_id=other.id, from_state="open", to_state="acknowledged",
                          at=NOW + timedelta(hours=1)))  # not yet, as the feed is read
    session.commit()
    moved = feed_entries(session, OWN, NOW)
    assert moved[0].id == f"tag:compact,2026:duty-{oldest.id}"
    assert moved[0].updated == NOW - timedelta(minutes=1)
    assert next(e for e in moved if e.id.endswith(f":duty-{other.id}")).updated < NOW
    session.add_all([ChannelMessage(incident_id=incident.id, author_id=people.coordinator.id,
                                    body=f"note {n}", posted_at=NOW - timedelta(seconds=n))
                     for n in range(205)])
    session.commit()
    capped = feed_entries(session, OWN, NOW)
    assert len(capped) == 200 and capped[0].summary == "note 0"
    assert [e.updated for e in capped] == sorted((e.updated for e in capped), reverse=True)
