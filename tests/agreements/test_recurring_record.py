"""Recurring duties on record: each occurrence is its own duty, and the clock gives the next
one when the latest comes due, whether it was fulfilled or breached (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from agreements.drafting import create_agreement, publish
from agreements.duties import change_duty
from agreements.incidents import check_breaches, record_incident
from agreements.signing import sign

from .conftest import make_people

SOURCE = '''agreement sitrep-mou
  title "Situation reports"
  kind mou
  non-binding
  effective 2026-01-01

party north "North County"

party state "State EOC"

clause sitrep "Situation reports"
  when incident.type == "flood"
  north must "send a situation report" every 1 day

example "two days on"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-16T09:00:00Z
  expect north must sitrep by 2026-03-16T08:00:00Z
'''


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def occurrences(incident) -> list[tuple]:
    return sorted((d.occurrence, d.due, d.state) for d in incident.duties
                  if d.state != "superseded")


def test_occurrences_are_recorded_apart_and_the_clock_gives_the_next(db):
    people = make_people(db, ["north", "state"])
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-02-01T09:00:00Z"))
    publish(db, people.drafter, "sitrep-mou", 1, now=utc("2026-02-02T09:00:00Z"))
    for i, party in enumerate(["north", "state"]):
        sign(db, people.partners[party], "sitrep-mou", 1, signer_name=f"Signer {i}",
             signer_title="Director", consent=True, now=utc("2026-02-03T09:00:00Z"))
    incident = record_incident(db, people.coordinator, json.dumps(
        {"id": "F-1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}),
        now=utc("2026-03-14T08:05:00Z"))
    assert occurrences(incident) == [(1, utc("2026-03-15T08:00:00Z"), "open")]

    # The first report is sent in time; when it comes due the clock gives the second.
    first = next(d for d in incident.duties if d.occurrence == 1)
    change_duty(db, people.partners["north"], first.id, "fulfil", now=utc("2026-03-15T07:00:00Z"))
    check_breaches(db, now=utc("2026-03-15T08:00:01Z"))
    assert occurrences(incident) == [(1, utc("2026-03-15T08:00:00Z"), "fulfilled"),
                                     (2, utc("2026-03-16T08:00:00Z"), "open")]
    # The second is missed: it is breached, and the third is given.
    check_breaches(db, now=utc("2026-03-16T09:00:00Z"))
    assert occurrences(incident) == [(1, utc("2026-03-15T08:00:00Z"), "fulfilled"),
                                     (2, utc("2026-03-16T08:00:00Z"), "breached"),
                                     (3, utc("2026-03-17T08:00:00Z"), "open")]
    assert [d.as_dict()["occurrence"] for d in incident.duties if d.state != "superseded"] \
        and all(d.as_dict()["occurrence"] == d.occurrence for d in incident.duties)
