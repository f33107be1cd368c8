"""Heading order (issue 11's accessibility finding): the duty's page goes h1 -> h2 without
skipping a level, and the same details fetched into the board keep the h4 that fits under a
duty card's h3."""

from __future__ import annotations

import lxml.html
from sqlalchemy import select

from agreements.incidents import record_incident
from agreements.models import Duty

from .conftest import ALERT


def headings(html: bytes, within: str = "//main") -> list[tuple[int, str]]:
    doc = lxml.html.fromstring(html)
    scope = doc.xpath(within) or [doc]
    return [(int(h.tag[1]), " ".join(h.text_content().split()))
            for h in scope[0].iter("h1", "h2", "h3", "h4", "h5", "h6")]


def test_the_duty_page_skips_no_heading_level(session, people, executed, client_for):
    record_incident(session, people.coordinator, ALERT, as_past=True)
    duty = session.scalars(select(Duty).order_by(Duty.id)).first()
    for user in (people.coordinator, people.partners[duty.party_id]):
        response = client_for(user).get(f"/duties/{duty.id}")
        assert response.status_code == 200
        found = headings(response.data)
        assert found == [(1, duty.title), (2, "Why"), (2, "History")]
        levels = [level for level, _ in found]
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))


def test_the_details_fetched_into_the_board_stay_under_its_cards(session, people, executed,
                                                                 client_for):
    record_incident(session, people.coordinator, ALERT, as_past=True)
    duty = session.scalars(select(Duty).order_by(Duty.id)).first()
    response = client_for(people.coordinator).get(f"/duties/{duty.id}?fragment=1")
    assert response.status_code == 200
    assert headings(response.data, "//div[@class='duty-detail']") == [(4, "Why"), (4, "History")]


def test_the_board_may_ask_for_the_level_its_place_needs(session, people, executed, client_for):
    """A board that shows the details under an h2 (a table under a party's heading) asks for
    h3; a level that is no heading level falls back to 4."""
    record_incident(session, people.coordinator, ALERT, as_past=True)
    duty = session.scalars(select(Duty).order_by(Duty.id)).first()
    client = client_for(people.coordinator)
    for asked, level in (("3", 3), ("2", 2), ("9", 4), ("x", 4), ("", 4)):
        response = client.get(f"/duties/{duty.id}?fragment=1&level={asked}")
        assert response.status_code == 200
        assert headings(response.data, "//div[@class='duty-detail']") == [
            (level, "Why"), (level, "History")], asked
