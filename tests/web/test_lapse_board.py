"""The board, the duty page, the timeline and the API show a lapse as the clock records it:
the permission lapsed (counted by state, no actions), what follows it ("Otherwise: ..."), whom
the follow-on duty is owed to, and the lapse in the timeline."""

from __future__ import annotations

import json
from datetime import timedelta

from agreements.drafting import save_revision
from agreements.incidents import record_incident
from agreements.models import Duty

from .conftest import T0
from .test_answers import execute
from .test_api import api  # noqa: F401
from .test_board import cell, page, rows_of, table_rows, tally_of, text
from .test_incident_pages import fixed_clock  # noqa: F401

BILLING = '''agreement lakeside-harmon-billing
  title "Billing between Lakeside and Harmon"
  kind mou
  non-binding
  effective 2026-01-01

party lakeside_county "Lakeside County"

party harmon_county "Harmon County"

clause protest "A bill may be protested"
  when incident.type == "flood"
  harmon_county may "protest the bill in writing" within 2 days
  otherwise "the bill is deemed accepted"

clause accepted "A bill not protested is paid"
  when lapsed protest
  harmon_county must "pay the bill" to lakeside_county within 10 days of lapse of protest

example "the bill not protested"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-17T08:00:00Z
  expect harmon_county may protest by 2026-03-16T08:00:00Z lapsed
  expect harmon_county must accepted by 2026-03-26T08:00:00Z
'''


def test_the_board_shows_a_lapse_and_what_follows(session, people, client_for, fixed_clock,
                                                  api):  # noqa: F811
    execute(session, people, BILLING, "lakeside-harmon-billing")
    record_incident(session, people.coordinator, json.dumps(
        {"id": "BL-1", "type": "flood", "reported_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ")}),
        now=T0)
    client = client_for(people.coordinator)
    response = client.get("/incidents/BL-1")
    assert [(c, s) for _p, c, s in rows_of(response)] == [("protest", "open")]
    assert "Otherwise:" not in response.get_data(as_text=True)

    # The clock passes the permission's due time: the next view records the lapse once.
    fixed_clock.now = T0 + timedelta(days=2, minutes=1)
    response = client.get("/incidents/BL-1")
    assert [(c, s) for _p, c, s in rows_of(response)] == [("protest", "lapsed"),
                                                          ("accepted", "open")]
    assert tally_of(response) == ["all 2", "open 1", "lapsed 1"]
    protest, accepted = table_rows(response)
    assert cell(protest, "action") == ("protest the bill in writing "
                                       "Otherwise: the bill is deemed accepted")
    assert cell(protest, "do") == ""  # a lapsed permission is closed
    assert cell(accepted, "action") == "pay the bill Owed to: Lakeside County"
    client.get("/incidents/BL-1")
    assert session.query(Duty).count() == 2  # no second follow-on duty

    lapsed = session.query(Duty).filter_by(clause="protest").one()
    duty_page = page(client.get(f"/duties/{lapsed.id}"))
    assert [text(p) for p in duty_page.xpath('//p[contains(@class, "consequence")]')] == [
        "Otherwise: the bill is deemed accepted"]
    assert [text(b) for b in duty_page.xpath('//dd/span[contains(@class, "badge")]')] == [
        "lapsed"]
    assert not duty_page.xpath('//form[contains(@class, "duty-actions")]')

    # My duties: the lapse is among the closed ones, with what follows it.
    harmon = client_for(people.partners["harmon_county"])
    open_only = page(harmon.get("/my/duties"))
    assert [text(c) for c in open_only.xpath('//td[@data-label="Duty"]')] == [
        "A bill not protested is paid lakeside-harmon-billing · accepted must pay the bill "
        "Owed to: Lakeside County"]
    every = page(harmon.get("/my/duties?closed=1"))
    assert [(text(d), text(s)) for d, s in zip(every.xpath('//td[@data-label="Duty"]'),
                                               every.xpath('//td[@data-label="State"]'))] == [
        ("A bill may be protested lakeside-harmon-billing · protest may protest the bill in "
         "writing Otherwise: the bill is deemed accepted", "lapsed"),
        ("A bill not protested is paid lakeside-harmon-billing · accepted must pay the bill "
         "Owed to: Lakeside County", "open")]

    listed = api(people.coordinator).get("/api/duties?incident=BL-1").get_json()["duties"]
    assert [(d["clause"], d["state"], d.get("consequence"), d.get("to")) for d in listed] == [
        ("protest", "lapsed", "the bill is deemed accepted", None),
        ("accepted", "open", None, ["lakeside_county"])]


def test_the_what_if_page_compares_as_of_a_later_time(session, people, client_for,
                                                      fixed_clock):
    execute(session, people, BILLING, "lakeside-harmon-billing")
    record_incident(session, people.coordinator, json.dumps(
        {"id": "BL-2", "type": "flood", "reported_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ")}),
        now=T0)
    draft = BILLING.replace('"the bill is deemed accepted"', '"the bill is deemed accepted in full"')
    save_revision(session, people.drafter, "lakeside-harmon-billing", draft, base_revision=1)
    client = client_for(people.drafter)
    url = "/agreements/lakeside-harmon-billing/revisions/2/what-if"
    at_report = page(client.get(url))
    assert "No change" in text(at_report.xpath('//section[contains(@class, "whatif-summary")]')[0])
    later = T0 + timedelta(days=3)
    response = client.post(url, data={"as_of": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
    shown = page(response)
    assert text(shown.xpath('//section[contains(@class, "whatif-summary")]')[0]) == (
        "1 of 1 incident would give different duties under revision 2.")
    assert [text(li) for li in shown.xpath('//ul[@class="changes"]/li')] == [
        "consequence: the bill is deemed accepted → the bill is deemed accepted in full"]
    bad = client.post(url, data={"as_of": "soon"})
    assert bad.status_code == 422
    assert ("'as of' must be a time with an offset, such as 2026-03-14T08:00:00Z; 'soon' is not"
            in text(page(bad)))
