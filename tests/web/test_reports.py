"""Situation reports in the browser's routes: the facts panel of the board, the PDF, the CSV and
the timeline of an incident, with the board's access rules."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import select

from agreements import clock
from agreements.dissemination.channel import post_message
from agreements.duties import change_duty
from agreements.incidents import record_incident
from agreements.models import Duty
from agreements.pdf import RefusingURLFetcher
from agreements.reports import pdf as report_pdf

from .conftest import ALERT, T0

ALERT_KEY = "CO-NWS-2026-0618-FFW-001"
HEADLINE = "Flash Flood Warning for Lakeside and Harmon Counties until 5:15 AM CDT"
INSTRUCTION = "Move to higher ground now. Do not drive through flooded roads."
CHANNEL = "Road 12 closed at the Willow Creek bridge; detour by Route 4."
ACKED = datetime(2026, 6, 19, 4, 20, tzinfo=timezone.utc)
ROUTES = ("report.pdf", "report.csv", "timeline")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def reports_app(app, monkeypatch):
    """The reports blueprint on the test app (before any request), and a pinned clock."""
    if "reports" not in app.blueprints:
        from web.reports import bp
        app.register_blueprint(bp)

    @app.before_request
    def forget_the_previous_user():
        g.pop("_login_user", None)

    now = Clock(T0)
    monkeypatch.setattr(clock, "utcnow", now)
    return now


@pytest.fixture
def alert(session, people, executed, reports_app):
    """The flash flood warning, one duty of Lakeside acknowledged, and a channel message."""
    incident = record_incident(session, people.coordinator, ALERT)
    relay = session.scalar(select(Duty).where(Duty.incident_id == incident.id,
                                              Duty.party_id == "lakeside_county",
                                              Duty.clause == "relay_warning"))
    # The duties run from the alert's own time (sent 04:12Z on the 19th), later than T0.
    reports_app.now = ACKED
    change_duty(session, people.partners["lakeside_county"], relay.id, "acknowledge",
                note="Sirens tested, relaying now")
    reports_app.now = ACKED + timedelta(minutes=5)
    post_message(session, people.coordinator, ALERT_KEY, CHANNEL)
    reports_app.now = ACKED + timedelta(minutes=10)  # before any due time
    return incident


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_the_board_shows_the_facts_the_agreements_read(alert, client_for, people):
    page = client_for(people.coordinator).get(f"/incidents/{ALERT_KEY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label, value in (("Severity", "extreme"), ("Urgency", "immediate"),
                         ("Certainty", "observed"), ("Headline", HEADLINE),
                         ("Instruction", INSTRUCTION),
                         ("Regions", "Lakeside County; Harmon County"),
                         ("Areas", "FIPS:039001, FIPS:039003"),
                         ("Onset", "2026-06-19 04:10 UTC")):
        assert f'<dt>{label}</dt><dd class="fact-text">{value}</dd>' in html, label
    # the named facts come first, in their order
    assert html.index("<dt>Severity</dt>") < html.index("<dt>Headline</dt>") \
        < html.index("<dt>Instruction</dt>") < html.index("<dt>Onset</dt>")
    for route in ROUTES:
        assert f"/incidents/{ALERT_KEY}/{route}" in html


def test_the_csv_has_one_row_per_duty_with_states_due_times_and_who_acknowledged(
        alert, client_for, people):
    response = client_for(people.coordinator).get(f"/incidents/{ALERT_KEY}/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert header[:11] == ["incident", "duty_id", "party_id", "party", "agreement", "clause",
                           "title", "modality", "action", "due_utc", "state"]
    got = {(r[2], r[5]): dict(zip(header, r)) for r in body}
    assert len(body) == 9 == len(got)
    assert {k: (v["due_utc"], v["state"]) for k, v in got.items()} == {
        ("state_eoc", "stand_up"): ("2026-06-19T05:12:00Z", "open"),
        ("lakeside_county", "relay_warning"): ("2026-06-19T04:42:00Z", "acknowledged"),
        ("harmon_county", "relay_warning"): ("2026-06-19T04:42:00Z", "open"),
        ("lakeside_county", "liaison"): ("2026-06-19T06:10:00Z", "open"),
        ("harmon_county", "liaison"): ("2026-06-19T06:10:00Z", "open"),
        ("state_patrol", "traffic_control"): ("2026-06-19T05:40:00Z", "open"),
        ("columbia_guard", "high_water"): ("", "open"),
        ("pine_ridge_county", "no_self_dispatch"): ("", "open"),
        ("ashford_county", "no_self_dispatch"): ("", "open"),
    }
    relay = got[("lakeside_county", "relay_warning")]
    assert relay["acknowledged_by"].startswith("Signer of lakeside_county (")
    assert relay["acknowledged_at_utc"] == "2026-06-19T04:20:00Z"
    assert relay["last_change"] == "open→acknowledged"
    assert relay["last_change_note"] == "Sirens tested, relaying now"
    assert all(v["incident"] == ALERT_KEY for v in got.values())
    assert got[("harmon_county", "relay_warning")]["acknowledged_by"] == ""


def test_the_pdf_reads_the_key_duties_states_who_acted_and_the_channel(
        alert, client_for, people, session, tmp_path, monkeypatch):
    asked = []
    original = RefusingURLFetcher.fetch

    def recording(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(RefusingURLFetcher, "fetch", recording)
    response = client_for(people.coordinator).get(f"/incidents/{ALERT_KEY}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = squeeze(pdf_text(response.data, tmp_path))
    assert ALERT_KEY in text
    relay = session.scalar(select(Duty).where(Duty.party_id == "lakeside_county",
                                              Duty.clause == "relay_warning"))
    assert squeeze(relay.action) in text
    assert "acknowledged" in text
    assert "Signer of lakeside_county" in text
    assert CHANNEL in text
    assert HEADLINE in text
    assert asked == []


def test_the_timeline_lists_events_in_order(alert, client_for, people):
    page = client_for(people.coordinator).get(f"/incidents/{ALERT_KEY}/timeline")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    received = html.index("Message received")
    given = html.index("Duty given")
    acknowledged = html.index("Acknowledged")
    channel = html.index("Channel message")
    assert received < given < acknowledged < channel
    assert html.count("Duty given") == 9
    assert "2026-06-19 04:20 UTC" in html[acknowledged - 400:acknowledged]
    assert CHANNEL in html[channel:]


def test_a_partner_report_holds_only_its_own_duties(alert, client_for, people, tmp_path):
    client = client_for(people.partners["lakeside_county"])
    rows = list(csv.reader(io.StringIO(
        client.get(f"/incidents/{ALERT_KEY}/report.csv").get_data(as_text=True))))
    assert {r[2] for r in rows[1:]} == {"lakeside_county"}
    assert {r[5] for r in rows[1:]} == {"relay_warning", "liaison"}
    text = squeeze(pdf_text(client.get(f"/incidents/{ALERT_KEY}/report.pdf").data, tmp_path))
    assert "Lakeside" in text and "only your organisation's duties" in text
    assert "traffic_control" not in text and "stand_up" not in text
    assert "Columbia State Patrol" not in text and "Columbia National Guard" not in text
    timeline = client.get(f"/incidents/{ALERT_KEY}/timeline").get_data(as_text=True)
    assert "traffic_control" not in timeline and "high_water" not in timeline
    assert timeline.count("Duty given") == 2


def test_a_partner_without_a_duty_gets_404_everywhere(alert, client_for, people):
    client = client_for(people.partners["columbia_dep"])
    for route in ROUTES:
        assert client.get(f"/incidents/{ALERT_KEY}/{route}").status_code == 404, route
    assert client.get(f"/incidents/{ALERT_KEY}").status_code == 404


def test_an_unknown_incident_is_404_and_signing_in_is_required(alert, app, client_for, people):
    client = client_for(people.drafter)
    for route in ROUTES:
        assert client.get(f"/incidents/NO-SUCH/{route}").status_code == 404
        assert client.get(f"/incidents/{ALERT_KEY}/{route}").status_code == 200
    anonymous = app.test_client()
    for route in ROUTES:
        assert anonymous.get(f"/incidents/{ALERT_KEY}/{route}").status_code in (302, 401)


def test_the_report_pdf_hands_weasyprint_only_the_refusing_fetcher(alert, client_for, people,
                                                                    monkeypatch):
    seen = []
    real_html = report_pdf.HTML

    def spy(*args, **kwargs):
        seen.append((kwargs.get("url_fetcher"), kwargs.get("base_url", "missing")))
        return real_html(*args, **kwargs)

    monkeypatch.setattr(report_pdf, "HTML", spy)
    assert client_for(people.admin).get(f"/incidents/{ALERT_KEY}/report.pdf").status_code == 200
    [(fetcher, base_url)] = seen
    assert isinstance(fetcher, RefusingURLFetcher) and base_url is None
