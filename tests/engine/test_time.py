"""Evaluation of the v2 time constructs: months, years and calendar days (the further
constructs follow in this file). Every evaluation goes through `run` (linear and indexed agree)."""

from __future__ import annotations

import pytest

from tests.engine.test_evaluation import agreement, incident, run, summary

FIELDS = "fields\n  requested_at time\n"


def due_of(deadline: str, **fields) -> str | None:
    ag = agreement(FIELDS + f'clause c "C"\n  when incident.type == "flood"\n'
                            f'  lakeside must "act" {deadline}\n')
    return run(ag, incident(**fields))["duties"][0]["due"]


@pytest.mark.parametrize("deadline, reported_at, due", [
    ("within 1 month", "2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z"),
    ("within 1 month", "2028-01-31T10:00:00Z", "2028-02-29T10:00:00Z"),  # a leap year
    ("within 1 month", "2027-03-15T08:30:00Z", "2027-04-15T08:30:00Z"),
    ("within 3 months", "2027-11-30T12:00:00Z", "2028-02-29T12:00:00Z"),
    ("within 13 months", "2027-01-31T12:00:00Z", "2028-02-29T12:00:00Z"),
    ("within 1 year", "2028-02-29T09:00:00Z", "2029-02-28T09:00:00Z"),
    ("within 2 years", "2026-06-30T23:59:59Z", "2028-06-30T23:59:59Z"),
    ("within 30 calendar days", "2027-01-31T10:00:00Z", "2027-03-02T10:00:00Z"),
    ("within 1 calendar day", "2027-01-31T10:00:00Z", "2027-02-01T10:00:00Z"),
])
def test_months_and_years_step_the_calendar_keeping_the_time_of_day(deadline, reported_at, due):
    assert due_of(deadline, reported_at=reported_at) == due


def test_months_step_the_calendar_in_the_anchors_offset():
    # 31 January 20:00 at -05:00 is 1 February in UTC; the month is counted in the anchor's
    # offset: 28 February 20:00 -05:00, which is 1 March 01:00 UTC.
    assert due_of("within 1 month of incident.requested_at",
                  requested_at="2027-01-31T20:00:00-05:00") == "2027-03-01T01:00:00Z"


def test_a_month_is_not_thirty_days():
    assert due_of("within 1 month", reported_at="2027-02-01T00:00:00Z") == "2027-03-01T00:00:00Z"
    assert due_of("within 30 days", reported_at="2027-02-01T00:00:00Z") == "2027-03-03T00:00:00Z"


def test_a_month_after_the_due_time_is_breached():
    ag = agreement(FIELDS + 'clause c "C"\n  when incident.type == "flood"\n'
                            '  lakeside must "act" within 1 month\n')
    result = run(ag, incident(reported_at="2027-01-31T10:00:00Z"), at="2027-02-28T10:00:01+00:00")
    assert summary(result) == [("c", "lakeside", "must", "2027-02-28T10:00:00Z", "breached")]
