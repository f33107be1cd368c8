"""The PDF's wording of the v2 time constructs (the wording itself, without rendering a PDF)."""

from __future__ import annotations

from agreements.pdf import Wording
from tests.engine.test_evaluation import agreement


def wording_of(deadline: str) -> str:
    ag = agreement('fields\n  closed_at time\n  requested_at time\n'
                   f'clause c "C"\n  when incident.type == "flood"\n'
                   f'  lakeside must "bill" {deadline}\n')
    return Wording(ag).deadline(ag.clause_index["c"].deadline)


def test_months_years_and_calendar_days_are_worded():
    assert wording_of("within 1 month of incident.closed_at") == \
        "within 1 month of the incident's closed_at"
    assert wording_of("within 2 years") == "within 2 years of the incident's onset"
    assert wording_of("within 30 calendar days") == "within 30 days of the incident's onset"


def test_whichever_is_worded_term_by_term():
    assert wording_of("within 30 days of incident.closed_at or 60 days of incident.requested_at, "
                      "whichever is earlier") == (
        "within 30 days of the incident's closed_at or within 60 days of the incident's "
        "requested_at, whichever is earlier")
    assert wording_of("within 2 business days or by 2026-12-31T17:00:00Z, whichever is later") \
        == "within 2 business days of the incident's onset or by 2026-12-31T17:00:00Z, " \
           "whichever is later"
