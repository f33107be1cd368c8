"""Time zones on the pages: every time in the viewer's zone with UTC on hover, the account's and
the organisation's choice of zone, and forms reading local times (gaps and folds too)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import lxml.html
import pytest
from sqlalchemy import select

from agreements import clock
from agreements.dissemination.channel import post_message
from agreements.incidents import record_incident
from agreements.models import AuditEntry, Duty, Incident, Organisation, User

from .conftest import ALERT

NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
KEY = "CO-NWS-2026-0618-FFW-001"
RELAY_DUE = "2026-06-19T04:42:00Z"  # lakeside_county's relay_warning, 30 min after `sent`


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch, app):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def alert(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW)


def doc(response):
    return lxml.html.fromstring(response.data)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", doc(response).text_content())


def times_at(response, instant: str) -> list[tuple[str, str | None]]:
    """(text, title) of every <time> element for that instant (the countdowns left out)."""
    return [(t.text_content(), t.get("title"))
            for t in doc(response).xpath(f'//time[@datetime="{instant}"]')
            if "countdown" not in (t.get("class") or "")]


def set_zone(session, user, name):
    session.get(User, user.id).time_zone = name
    session.commit()


# ---------------------------------------------------------------- showing times

def test_the_board_shows_times_in_the_viewers_zone_with_utc_on_hover(
        session, people, alert, client_for):
    set_zone(session, people.coordinator, "America/New_York")
    board = client_for(people.coordinator).get(f"/incidents/{KEY}")
    assert board.status_code == 200
    assert ("2026-06-19 00:42 EDT", "2026-06-19 04:42 UTC") in times_at(board, RELAY_DUE)
    shown = text_of(board)
    assert "2026-06-19 04:42 UTC" not in shown  # UTC is on hover, not in the text
    assert "Times are in America/New_York (EDT); point at one to see it in UTC." in shown
    # The facts panel: the alert's onset (23:10 -05:00), with UTC beside it.
    assert "2026-06-19 00:10 EDT (04:10 UTC)" in shown
    # Reported (the alert's `sent`, 23:12 -05:00).
    assert ("2026-06-19 00:12 EDT", "2026-06-19 04:12 UTC") in times_at(
        board, "2026-06-19T04:12:00Z")


def test_a_viewer_without_a_zone_sees_plain_utc(session, people, alert, client_for):
    board = client_for(people.drafter).get(f"/incidents/{KEY}")
    shown = text_of(board)
    assert "2026-06-19 04:42 UTC" in shown
    assert "Times are UTC." in shown
    assert times_at(board, RELAY_DUE) == []  # plain text: no <time> with a title
    assert not doc(board).xpath("//time[@title]")


def test_a_partner_sees_its_organisations_zone_unless_it_chose_its_own(
        session, people, alert, client_for):
    partner = people.partners["lakeside_county"]
    session.get(Organisation, "lakeside_county").time_zone = "Europe/Berlin"
    session.commit()
    client = client_for(partner)
    duties = client.get("/my/duties")
    assert duties.status_code == 200
    assert ("2026-06-19 06:42 CEST", "2026-06-19 04:42 UTC") in times_at(duties, RELAY_DUE)
    assert "Times are in Europe/Berlin (CEST)" in text_of(duties)
    set_zone(session, partner, "Asia/Tokyo")
    duties = client.get("/my/duties")
    assert ("2026-06-19 13:42 JST", "2026-06-19 04:42 UTC") in times_at(duties, RELAY_DUE)
    # Another partner of a party without a zone still sees UTC.
    other = client_for(people.partners["harmon_county"]).get("/my/duties")
    assert "2026-06-19 04:42 UTC" in text_of(other)


def test_the_other_pages_follow_the_zone_too(session, people, alert, client_for):
    set_zone(session, people.coordinator, "America/New_York")
    post_message(session, people.coordinator, KEY, "Staging at the fairground.",
                 now=datetime(2026, 6, 19, 4, 20, tzinfo=timezone.utc))
    client = client_for(people.coordinator)
    index = client.get("/incidents")
    assert ("2026-06-19 00:12 EDT", "2026-06-19 04:12 UTC") in times_at(
        index, "2026-06-19T04:12:00Z")
    timeline = client.get(f"/incidents/{KEY}/timeline")
    assert timeline.status_code == 200
    assert ("2026-06-19 00:20 EDT", "2026-06-19 04:20 UTC") in times_at(
        timeline, "2026-06-19T04:20:00Z")  # the channel message
    assert "Times are in America/New_York (EDT)" in text_of(timeline)
    board = client.get(f"/incidents/{KEY}")
    assert ("2026-06-19 00:20 EDT", "2026-06-19 04:20 UTC") in times_at(
        board, "2026-06-19T04:20:00Z")  # the channel, on the board
    duty = session.scalar(select(Incident).where(Incident.key == KEY)).duties[0]
    page = client.get(f"/duties/{duty.id}")
    assert page.status_code == 200
    assert ("2026-06-19 00:15 EDT", "2026-06-19 04:15 UTC") in times_at(
        page, "2026-06-19T04:15:00Z")  # the duty's history: given when recorded
    # The agreement: signed and published at 2026-06-18 12:00 UTC; a hover title stays text.
    agreement = client.get("/agreements/columbia-cap-joint-task-force")
    assert ("2026-06-18 08:00 EDT", "2026-06-18 12:00 UTC") in times_at(
        agreement, "2026-06-18T12:00:00Z")
    # The situation report stays in UTC for everyone, and says so.
    csv = client.get(f"/incidents/{KEY}/report.csv")
    assert csv.data.decode().splitlines()[0].count("_utc") == 3
    assert f"{RELAY_DUE}," in csv.data.decode()


def test_a_library_date_is_the_local_date(session, people, alert, client_for):
    # Saved and executed at 2026-06-18 12:00 UTC: in Kiritimati (UTC+14), 02:00 on the 19th.
    set_zone(session, people.drafter, "Pacific/Kiritimati")
    library = client_for(people.drafter).get("/agreements")
    assert library.status_code == 200
    dates = [t for t in doc(library).xpath('//time[@datetime="2026-06-18T12:00:00Z"]')]
    assert dates and {d.text_content() for d in dates} == {"2026-06-19"}
    assert {d.get("title") for d in dates} == {"2026-06-18 12:00 UTC"}


def test_an_acknowledge_link_shows_the_organisations_zone(session, people, alert, app):
    from agreements.dissemination.models import Notification
    session.get(Organisation, "lakeside_county").time_zone = "Europe/Berlin"
    session.commit()
    notice = session.scalar(select(Notification).where(
        Notification.organisation_id == "lakeside_county", Notification.duty_id.is_not(None))
        .order_by(Notification.id).limit(1))
    token = re.search(r"/ack/(\S+)", notice.body_text).group(1)
    page = app.test_client().get(f"/ack/{token}")
    assert page.status_code == 200
    due = session.get(Duty, notice.duty_id).due.astimezone(timezone.utc)
    instant = due.strftime("%Y-%m-%dT%H:%M:%SZ")
    [(text, title)] = times_at(page, instant)
    assert text.endswith(" CEST") and title == due.strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- choosing a zone

def test_a_user_chooses_a_zone_on_the_account_page(session, people, client_for):
    partner = people.partners["lakeside_county"]
    client = client_for(partner)
    page = client.get("/account")
    select_ = doc(page).xpath('//form[@action="/account/time-zone"]//select[@name="time_zone"]')[0]
    first = select_.xpath("./option")[0]
    assert (first.get("value"), first.text, first.get("selected")) == (
        "", "Use my organisation's (UTC)", "selected")
    assert "Europe/Berlin" in select_.xpath(".//optgroup[@label='Europe']/option/@value")
    assert "Every page shows times in UTC." in text_of(page)

    saved = client.post("/account/time-zone", data={"time_zone": "Europe/Berlin"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/account#time-zone"
    assert session.get(User, partner.id).time_zone == "Europe/Berlin"
    page = client.get("/account")
    assert ("Times are now shown in Europe/Berlin (CEST), with UTC when you point at one."
            in text_of(page))
    assert "Every page shows times in Europe/Berlin (CEST); point at a time to see it in UTC." \
        in text_of(page)
    assert doc(page).xpath('//select[@name="time_zone"]//option[@selected]/@value') == [
        "Europe/Berlin"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.time_zone"))
    assert entry.actor_email == partner.email and entry.detail == {
        "before": None, "after": "Europe/Berlin"}

    # Back to the organisation's, which now has one.
    session.get(Organisation, "lakeside_county").time_zone = "America/Chicago"
    session.commit()
    back = client.post("/account/time-zone", data={"time_zone": ""})
    assert back.status_code == 302
    assert session.get(User, partner.id).time_zone is None
    page = client.get("/account")
    assert ("You use your organisation's time zone: times are shown in America/Chicago (CDT)."
            in text_of(page))
    assert doc(page).xpath('//select[@name="time_zone"]/option[1]')[0].text == \
        "Use my organisation's (America/Chicago)"


def test_a_zone_that_does_not_exist_is_refused_with_a_message(session, people, client_for):
    user = people.coordinator
    set_zone(session, user, "Asia/Tokyo")
    client = client_for(user)
    refused = client.post("/account/time-zone", data={"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400
    message = doc(refused).xpath('//*[@id="time-zone-error"]')[0].text_content()
    assert message == ("“Mars/Olympus_Mons” is not a time zone: use an IANA name such as "
                       "Europe/Berlin or America/New_York. Nothing was changed.")
    assert doc(refused).xpath('//select[@name="time_zone"]/@aria-invalid') == ["true"]
    assert session.get(User, user.id).time_zone == "Asia/Tokyo"
    close = client.post("/account/time-zone", data={"time_zone": "asia/kolkata"})
    assert close.status_code == 400 and "(did you mean Asia/Kolkata?)" in text_of(close)
    long = client.post("/account/time-zone", data={"time_zone": "X" * 5000})
    assert long.status_code == 400
    assert session.get(User, user.id).time_zone == "Asia/Tokyo"


def test_an_administrator_sets_an_organisations_zone(session, people, client_for):
    admin = client_for(people.admin)
    page = admin.get("/admin/users")
    assert doc(page).xpath('//form[@action="/admin/organisations/time-zone#organisation-'
                           'time-zone"]//input[@name="time_zone"][@list="zone-names"]')
    saved = admin.post("/admin/organisations/time-zone",
                       data={"organisation": "lakeside_county", "time_zone": "Europe/Berlin"})
    assert saved.status_code == 302
    assert session.get(Organisation, "lakeside_county").time_zone == "Europe/Berlin"
    page = admin.get("/admin/users")
    assert ("Lakeside County Office of Emergency Management (lakeside_county) is in "
            "Europe/Berlin (CEST): its users see times in it unless they chose their own."
            in text_of(page))
    row = doc(page).xpath('//tr[td/code[contains(., "lakeside")]]')[0]
    assert row.xpath('./td[@data-label="Time zone"]')[0].text_content() == "Europe/Berlin"
    other = doc(page).xpath('//tr[td/code[contains(., "harmon")]]')[0]
    assert other.xpath('./td[@data-label="Time zone"]')[0].text_content() == "UTC (not set)"
    # Its partner now sees Berlin time.
    partner_page = client_for(people.partners["lakeside_county"]).get("/account")
    assert "Every page shows times in Europe/Berlin (CEST)" in text_of(partner_page)

    wrong = admin.post("/admin/organisations/time-zone",
                       data={"organisation": "lakeside_county", "time_zone": "Berlin"})
    assert wrong.status_code == 400
    assert ("“Berlin” is not a time zone: use an IANA name such as Europe/Berlin or "
            "America/New_York." in text_of(wrong))
    assert doc(wrong).xpath('//input[@name="time_zone"][@list="zone-names"]/@value') == ["Berlin"]
    missing = admin.post("/admin/organisations/time-zone",
                         data={"organisation": "atlantis", "time_zone": "UTC"})
    assert missing.status_code == 400 and "There is no organisation 'atlantis'." in \
        text_of(missing)
    assert session.get(Organisation, "lakeside_county").time_zone == "Europe/Berlin"
    cleared = admin.post("/admin/organisations/time-zone",
                         data={"organisation": "lakeside_county", "time_zone": ""})
    assert cleared.status_code == 302
    assert session.get(Organisation, "lakeside_county").time_zone is None
    refused = client_for(people.coordinator).post(
        "/admin/organisations/time-zone",
        data={"organisation": "lakeside_county", "time_zone": "Asia/Tokyo"})
    assert refused.status_code == 403
    assert session.get(Organisation, "lakeside_county").time_zone is None
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.action == "organisation.time_zone")).all()
    assert len(actions) == 2


# ---------------------------------------------------------------- forms take local times

def record_by_form(client, reported_at: str, **extra):
    return client.post("/incidents/new", data={
        "source": "form", "field-id": "TZ-1", "field-type": "flood warning",
        "field-status": "actual", "field-reported_at": reported_at, **extra})


def field_box(response, name: str):
    """The element holding the input of a field of the incident form, and what is beside it."""
    return doc(response).xpath(f'//*[contains(@class, "field")][.//input[@name="field-{name}"]]')[-1]


def test_the_incident_form_takes_local_time_and_says_which_zone(
        session, people, executed, client_for):
    set_zone(session, people.coordinator, "Europe/Berlin")
    client = client_for(people.coordinator)
    form = client.get("/incidents/new")
    box = field_box(form, "reported_at")
    assert box.xpath('.//input[@name="field-reported_at"]/@value') == ["2026-06-19T06:15"]
    assert "Times in Europe/Berlin (CEST)." in box.text_content()
    assert "Times in Europe/Berlin (CEST)." in field_box(form, "onset").text_content()
    recorded = record_by_form(client, "2026-06-19T06:00")
    assert recorded.status_code == 302, text_of(recorded)
    incident = session.scalar(select(Incident).where(Incident.key == "TZ-1"))
    assert incident.reported_at == datetime(2026, 6, 19, 4, 0, tzinfo=timezone.utc)
    assert incident.latest_message.mapped["reported_at"] == "2026-06-19T04:00:00Z"


def test_the_incident_form_takes_an_explicit_offset(session, people, executed, client_for):
    set_zone(session, people.coordinator, "Europe/Berlin")
    recorded = record_by_form(client_for(people.coordinator), "2026-06-19T01:00-05:00")
    assert recorded.status_code == 302, text_of(recorded)
    incident = session.scalar(select(Incident).where(Incident.key == "TZ-1"))
    assert incident.reported_at == datetime(2026, 6, 19, 6, 0, tzinfo=timezone.utc)


def test_a_user_in_utc_types_utc(session, people, executed, client_for):
    client = client_for(people.coordinator)
    form = client.get("/incidents/new")
    assert "Times in UTC." in field_box(form, "reported_at").text_content()
    assert field_box(form, "reported_at").xpath(".//input/@value") == ["2026-06-19T04:15"]
    assert record_by_form(client, "2026-06-19T04:00").status_code == 302
    incident = session.scalar(select(Incident).where(Incident.key == "TZ-1"))
    assert incident.reported_at == datetime(2026, 6, 19, 4, 0, tzinfo=timezone.utc)


def test_a_skipped_local_time_is_refused_beside_its_field(session, people, executed, client_for):
    set_zone(session, people.coordinator, "Europe/Berlin")
    refused = record_by_form(client_for(people.coordinator), "2026-03-29T02:30")
    assert refused.status_code == 422
    beside = field_box(refused, "reported_at").text_content()
    assert ("2026-03-29 02:30 does not exist in Europe/Berlin: the clocks went forward from "
            "02:00 to 03:00 (CEST) that day, so times from 02:00 to just before 03:00 were "
            "skipped. Give a time before 02:00 or from 03:00.") in re.sub(r"\s+", " ", beside)
    assert field_box(refused, "reported_at").xpath(".//input/@value") == ["2026-03-29T02:30"]
    assert session.scalar(select(Incident).where(Incident.key == "TZ-1")) is None


def test_a_repeated_local_time_asks_which_beside_its_field(session, people, executed,
                                                            client_for):
    set_zone(session, people.coordinator, "Europe/Berlin")
    client = client_for(people.coordinator)
    refused = record_by_form(client, "2026-10-25T02:30")
    assert refused.status_code == 422
    box = field_box(refused, "reported_at")
    assert ("2026-10-25 02:30 happens twice in Europe/Berlin: the clocks went back 1 hour that "
            "day, so it is first CEST (UTC+02:00), then CET (UTC+01:00).") in \
        re.sub(r"\s+", " ", box.text_content())
    choice = box.xpath('.//select[@name="field-reported_at-offset"]/option')
    assert [(o.get("value"), o.text) for o in choice] == [
        ("+02:00", "the first: 2026-10-25 02:30 CEST (UTC+02:00)"),
        ("+01:00", "the second: 2026-10-25 02:30 CET (UTC+01:00)")]
    assert session.scalar(select(Incident).where(Incident.key == "TZ-1")) is None
    chosen = record_by_form(client, "2026-10-25T02:30", **{"field-reported_at-offset": "+01:00"})
    assert chosen.status_code == 302, text_of(chosen)
    incident = session.scalar(select(Incident).where(Incident.key == "TZ-1"))
    assert incident.reported_at == datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
