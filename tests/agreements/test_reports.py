"""The reports of an incident without the web: facts, the situation report, CSV and PDF."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements import clock
from agreements.dissemination.channel import post_message
from agreements.duties import change_duty
from agreements.incidents import record_incident
from agreements.models import Duty
from agreements.pdf import FetchRefused, RefusingURLFetcher
from agreements.reports import pdf as report_pdf
from agreements.reports.csv_export import HEADER, cell, to_csv
from agreements.reports.facts import facts_of, facts_of_data, shown
from agreements.reports.situation import situation_report
from tests.web.conftest import ALERT, T0, app, executed, fast_passwords, people, session  # noqa: F401

KEY = "CO-NWS-2026-0618-FFW-001"
ACKED = datetime(2026, 6, 19, 4, 20, tzinfo=timezone.utc)


@pytest.fixture
def alert(session, people, executed, monkeypatch):  # noqa: F811
    now = {"at": T0}
    monkeypatch.setattr(clock, "utcnow", lambda: now["at"])
    incident = record_incident(session, people.coordinator, ALERT)
    duty = session.scalar(select(Duty).where(Duty.party_id == "harmon_county",
                                             Duty.clause == "relay_warning"))
    now["at"] = ACKED
    change_duty(session, people.partners["harmon_county"], duty.id, "acknowledge")
    return incident


def test_facts_named_first_then_alphabetical_lists_joined_times_in_utc():
    facts = facts_of_data({
        "id": "X", "type": "flood", "reported_at": "2026-01-01T00:00:00Z", "info": {"a": 1},
        "zeta": "last", "alpha": ["a", "b"], "onset": "2026-06-18T23:10:00-05:00",
        "instruction": "Line one\nLine two", "severity": "extreme", "requested_by": "lakeside",
        "region": "North; South", "empty": "", "count": 3, "authorised": False,
    })
    assert facts == [
        ("Severity", "extreme"), ("Region", "North; South"),
        ("Instruction", "Line one\nLine two"), ("Requested by", "lakeside"),
        ("Alpha", "a, b"), ("Authorised", "no"), ("Count", "3"),
        ("Onset", "2026-06-19 04:10 UTC"), ("Zeta", "last"),
    ]
    assert shown("2026-06-19T04:10:05Z") == "2026-06-19 04:10:05 UTC"
    assert shown("2026-99-99T00:00 not a time") == "2026-99-99T00:00 not a time"


def test_facts_of_the_alert(alert):
    facts = dict(facts_of(alert))
    assert facts["Headline"] == ("Flash Flood Warning for Lakeside and Harmon Counties until "
                                 "5:15 AM CDT")
    assert facts["Instruction"] == "Move to higher ground now. Do not drive through flooded roads."
    assert (facts["Severity"], facts["Urgency"], facts["Certainty"]) == (
        "extreme", "immediate", "observed")
    assert "Info" not in facts and "Cap" not in facts and "Id" not in facts
    assert [label for label, _ in facts_of(alert)][:5] == [
        "Severity", "Urgency", "Certainty", "Regions", "Areas"]


def test_the_report_keeps_who_acted_and_a_partner_sees_only_its_duties(alert, session, people):
    report = situation_report(session, people.coordinator, alert, ACKED)
    assert len(report.duties) == 9 and not report.partial
    [relay] = [d for d in report.duties if (d.party_id, d.clause) == ("harmon_county",
                                                                      "relay_warning")]
    assert relay.state == "acknowledged"
    assert relay.acknowledged.actor.startswith("Signer of harmon_county (")
    assert relay.acknowledged.at == ACKED
    mine = situation_report(session, people.partners["harmon_county"], alert, ACKED)
    assert mine.partial and {d.party_id for d in mine.duties} == {"harmon_county"}
    kinds = [e.kind for e in mine.timeline]
    assert kinds == ["message", "duty", "duty", "acknowledgement"]


def test_csv_cells_that_look_like_formulas_are_text(alert, session, people):
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and cell("plain") == "plain"
    rows = list(csv.reader(io.StringIO(to_csv(situation_report(session, people.admin, alert,
                                                               ACKED)))))
    assert tuple(rows[0]) == HEADER and len(rows) == 10


def test_a_hostile_channel_message_is_printed_literally_and_fetches_nothing(
        alert, session, people, monkeypatch, tmp_path):
    hostile = ('<img src="file:///etc/passwd"><link rel=stylesheet href="http://127.0.0.1:9/x.css">'
               '<style>@import url(http://127.0.0.1:9/i.css)</style>')
    post_message(session, people.coordinator, KEY, hostile)
    asked = []
    original = RefusingURLFetcher.fetch

    def recording(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(RefusingURLFetcher, "fetch", recording)
    data = report_pdf.render_report_pdf(situation_report(session, people.admin, alert, ACKED))
    assert asked == []
    (tmp_path / "r.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "".join(hostile.split()) in "".join(text.split())
    assert "root:x:0:0" not in text
    with pytest.raises(FetchRefused):
        RefusingURLFetcher().fetch("http://127.0.0.1:9/x")
