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


def test_the_holiday_calendars_are_named():
    from agreements.pdf import holidays_text
    from engine.compiler import load
    text = ('agreement h\n  title "H"\n  kind mutual-aid\n  binding\n  effective 2026-01-01\n'
            '  holidays "US-FL", "LT"\n'
            'party a "Alpha County"\n  holidays "PL"\nparty b "Beta City"\n'
            'clause c "C"\n  when incident.type == "x"\n  a must "act" within 2 business days\n')
    assert holidays_text(load(text, "h.agreement")) == (
        "Business days are Monday to Friday, except the public holidays of US-FL and LT; for "
        "the duties of Alpha County, except the public holidays of PL (calendars of the "
        "holidays package: ISO 3166 country and subdivision codes).")
    assert holidays_text(load(text.replace('  holidays "US-FL", "LT"\n', "")
                              .replace('  holidays "PL"\n', ""), "h.agreement")) is None


def test_the_pdf_prints_the_calendars_and_a_whichever_deadline(tmp_path):
    from agreements.pdf import render_pdf
    from tests.agreements.test_pdf import flat, pdf_text
    source = ('agreement h\n  title "H"\n  kind mutual-aid\n  binding\n  effective 2026-01-01\n'
              '  holidays "US-FL"\n'
              'party a "Alpha County"\nparty b "Beta City"\n  holidays "PL"\n'
              'fields\n  closed_at time\n'
              'clause c "C"\n  when incident.type == "x"\n'
              '  a must "bill" within 2 business days of incident.closed_at or 1 month, '
              'whichever is later\n')
    text = flat(pdf_text(render_pdf(source), tmp_path, layout=False))
    assert ("Business days are Monday to Friday, except the public holidays of US-FL; for the "
            "duties of Beta City, except the public holidays of PL") in text
    assert ("within 2 business days of the incident's closed_at or within 1 month of the "
            "incident's onset, whichever is later") in text


def test_a_recurring_duty_is_worded_with_its_first_occurrence():
    assert wording_of("every 1 week") == "every 1 week, the first 1 week after the incident's onset"
    assert wording_of("every 2 business days of incident.requested_at") == (
        "every 2 business days, the first 2 business days after the incident's requested_at")
