"""The board shows each occurrence of a recurring duty as its own row, numbered, and the
clock gives the next one as the latest comes due."""

from __future__ import annotations

import json
from datetime import timedelta

from agreements.incidents import record_incident

from .conftest import T0
from .test_answers import execute
from .test_board import rows_of
from .test_incident_pages import fixed_clock  # noqa: F401

SITREPS = '''agreement lakeside-harmon-sitreps
  title "Situation reports between Lakeside and Harmon"
  kind mou
  non-binding
  effective 2026-01-01

party lakeside_county "Lakeside County"

party harmon_county "Harmon County"

clause sitrep "Situation reports"
  when incident.type == "flood"
  harmon_county must "send a situation report to Lakeside" every 1 day

example "a day and a half on"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-15T20:00:00Z
  expect harmon_county must sitrep by 2026-03-15T08:00:00Z
  expect harmon_county must sitrep by 2026-03-16T08:00:00Z
'''


def test_each_occurrence_is_a_row_of_the_board(session, people, client_for, fixed_clock):
    execute(session, people, SITREPS, "lakeside-harmon-sitreps")
    record_incident(session, people.coordinator, json.dumps(
        {"id": "SR-1", "type": "flood", "reported_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ")}),
        now=T0)
    client = client_for(people.coordinator)
    rows = [(clause, state) for _party, clause, state in rows_of(client.get("/incidents/SR-1"))]
    assert rows == [("sitrep occurrence 1", "open")]
    fixed_clock.now = T0 + timedelta(days=2, minutes=1)  # the first two have come due, unsent
    rows = [(clause, state) for _party, clause, state in rows_of(client.get("/incidents/SR-1"))]
    assert [clause for clause, _ in rows] == [
        "sitrep occurrence 1", "sitrep occurrence 2", "sitrep occurrence 3"]
    assert [state.split()[0] for _, state in rows] == ["breached", "breached", "open"]
