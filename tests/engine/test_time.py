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


# ------------------------------------------------------------------ whichever is earlier|later

BILLING = ('fields\n  closed_at time\n  requested_at time\n'
           'clause c "C"\n  when incident.type == "flood"\n'
           '  lakeside must "bill" within 30 days of incident.closed_at or 60 days of '
           'incident.requested_at, whichever is {pick}\n')
BOTH = {"closed_at": "2026-03-20T08:00:00Z", "requested_at": "2026-03-14T09:00:00Z"}


def billing(pick: str, **fields) -> dict:
    return run(agreement(BILLING.format(pick=pick)), incident(**fields))["duties"][0]


def test_whichever_is_earlier_takes_the_earliest_term_and_says_which():
    found = billing("earlier", **BOTH)
    assert found["due"] == "2026-04-19T08:00:00Z"
    assert found["because"][-1] == (
        "whichever is earlier: within 30 days of incident.closed_at (2026-04-19T08:00:00Z) "
        "rather than within 60 days of incident.requested_at (2026-05-13T09:00:00Z)")
    assert "note" not in found


def test_whichever_is_later_takes_the_latest_term_and_says_which():
    found = billing("later", **BOTH)
    assert found["due"] == "2026-05-13T09:00:00Z"
    assert found["because"][-1] == (
        "whichever is later: within 60 days of incident.requested_at (2026-05-13T09:00:00Z) "
        "rather than within 30 days of incident.closed_at (2026-04-19T08:00:00Z)")


@pytest.mark.parametrize("pick", ["earlier", "later"])
def test_a_term_whose_anchor_is_absent_is_left_out(pick):
    found = billing(pick, requested_at="2026-03-14T09:00:00Z")
    assert found["due"] == "2026-05-13T09:00:00Z"
    assert found["because"][-1] == (
        f"whichever is {pick}: within 60 days of incident.requested_at (2026-05-13T09:00:00Z); "
        "within 30 days of incident.closed_at left out: incident.closed_at is not given")


def test_without_any_anchor_the_duty_has_no_due_time_and_a_note():
    found = billing("earlier")
    assert found["due"] is None and found["status"] == "open"
    assert found["note"] == ("no due time: incident.closed_at is not given; "
                             "incident.requested_at is not given")
    assert found["because"] == ['incident.type == "flood" (was "flood")']


def test_whichever_decides_breach():
    ag = agreement(BILLING.format(pick="earlier"))
    result = run(ag, incident(**BOTH), at="2026-04-20T00:00:00+00:00")
    assert summary(result) == [("c", "lakeside", "must", "2026-04-19T08:00:00Z", "breached")]


def test_whichever_over_a_fixed_time_and_a_breach():
    ag = agreement(
        'clause first "First"\n  when incident.type == "flood"\n'
        '  lakeside must "report" within 1 hour\n'
        'clause second "Second"\n  when breached first\n'
        '  state must "step in" within 2 hours of breach of first or by 2026-03-14T09:30:00Z, '
        'whichever is earlier\n')
    result = run(ag, incident(), at="2026-03-14T12:00:00+00:00")
    assert summary(result) == [
        ("first", "lakeside", "must", "2026-03-14T09:00:00Z", "breached"),
        ("second", "state", "must", "2026-03-14T09:30:00Z", "breached")]
    assert duty_because(result, "second")[-1] == (
        "whichever is earlier: by 2026-03-14T09:30:00Z (2026-03-14T09:30:00Z) rather than "
        "within 2 hours of breach of first (2026-03-14T11:00:00Z)")


def duty_because(result: dict, clause: str) -> list[str]:
    return next(d["because"] for d in result["duties"] if d["clause"] == clause)


# ------------------------------------------------------------------ public holidays

HOLIDAY_PARTIES = '''
party lakeside "Lakeside County"
  region "Lakeside"
  holidays "LT"

party riverbend "City of Riverbend"
  region "Riverbend"

party state "State EOC"
  holidays ["US-FL", "PL"]
'''


def holiday_agreement(header: str, deadline: str = "within 1 business day"):
    from engine.compiler import load
    text = ('agreement h\n  title "H"\n  kind mutual-aid\n  binding\n  effective 2026-01-01\n'
            f'{header}{HOLIDAY_PARTIES}\nrole everyone is lakeside, riverbend, state\n\n'
            f'clause c "C"\n  when incident.type == "flood"\n  everyone must "act" {deadline}\n')
    return load(text, "h.agreement")


def dues(ag, reported_at: str) -> dict[str, str]:
    return {d["party"]: d["due"] for d in run(ag, incident(reported_at=reported_at))["duties"]}


def test_business_days_skip_the_agreements_holidays_and_a_partys_own_instead():
    ag = holiday_agreement('  holidays "US-FL", "LT"\n')
    # Thursday 2 July 2026: 3 July is Independence Day observed in the US, 6 July Statehood
    # Day in Lithuania. Lakeside counts only LT, the state US-FL and PL, Riverbend the
    # agreement's US-FL and LT.
    assert dues(ag, "2026-07-02T10:00:00Z") == {
        "lakeside": "2026-07-03T10:00:00Z", "state": "2026-07-06T10:00:00Z",
        "riverbend": "2026-07-07T10:00:00Z"}


def test_without_holidays_business_days_are_monday_to_friday():
    ag = holiday_agreement("")
    assert dues(ag, "2026-07-02T10:00:00Z")["riverbend"] == "2026-07-03T10:00:00Z"


def test_holidays_over_christmas_and_the_new_year():
    ag = holiday_agreement('  holidays "US-FL"\n', "within 2 business days")
    # Thursday 24 December: Christmas (Friday), the weekend, then Monday 28 and Tuesday 29.
    assert dues(ag, "2026-12-24T10:00:00Z")["riverbend"] == "2026-12-29T10:00:00Z"
    christmas = [d for d in run(ag, incident(reported_at="2026-12-24T10:00:00Z"))["duties"]
                 if d["party"] == "riverbend"][0]
    assert christmas["because"][-1] == ("2 business days skip the public holidays of US-FL: "
                                        "2026-12-25 Christmas Day")
    # Wednesday 30 December 2026: 31 December, New Year's Day (Friday) skipped, Monday 4.
    assert dues(ag, "2026-12-30T10:00:00Z")["riverbend"] == "2027-01-04T10:00:00Z"


def test_holidays_are_counted_in_the_anchors_offset():
    ag = holiday_agreement('  holidays "US-FL"\n')
    # 2 July 22:00 at -05:00 is 3 July in UTC: the day is counted where the time was given,
    # so the next business day is Monday 6 July (3 July being a holiday), 22:00 -05:00.
    assert dues(ag, "2026-07-02T22:00:00-05:00")["riverbend"] == "2026-07-07T03:00:00Z"


def test_holidays_do_not_touch_other_units():
    ag = holiday_agreement('  holidays "US-FL"\n', "within 1 day")
    assert set(dues(ag, "2026-07-02T10:00:00Z").values()) == {"2026-07-03T10:00:00Z"}


# ------------------------------------------------------------------ recurring duties

def reports(line: str = 'state must "send a situation report" every 1 day', **fields):
    ag = agreement(FIELDS + f'clause rep "Reports"\n  when incident.type == "flood"\n  {line}\n')
    return lambda at=None, **more: run(ag, incident(**{**fields, **more}), at=at)


def occurrences(result: dict) -> list[tuple]:
    return [(d["occurrence"], d["due"], d["status"]) for d in result["duties"]]


def test_before_the_first_occurrence_is_due_there_is_one_duty():
    result = reports()()
    assert occurrences(result) == [(1, "2026-03-15T08:00:00Z", "open")]
    assert result["duties"][0]["because"] == ['incident.type == "flood" (was "flood")']


def test_one_duty_per_occurrence_due_by_the_evaluation_time_and_the_next():
    result = reports()(at="2026-03-17T08:00:00+00:00")
    assert occurrences(result) == [(1, "2026-03-15T08:00:00Z", "breached"),
                                   (2, "2026-03-16T08:00:00Z", "breached"),
                                   (3, "2026-03-17T08:00:00Z", "open"),
                                   (4, "2026-03-18T08:00:00Z", "open")]


def test_a_record_fulfils_the_occurrence_of_its_period_or_the_one_it_names():
    result = reports()(at="2026-03-17T09:00:00+00:00", fulfilled=[
        {"clause": "rep", "party": "state", "at": "2026-03-15T07:00:00Z"},
        {"clause": "rep", "party": "state", "at": "2026-03-17T08:30:00Z", "occurrence": 2}])
    assert occurrences(result) == [(1, "2026-03-15T08:00:00Z", "fulfilled"),
                                   (2, "2026-03-16T08:00:00Z", "fulfilled"),
                                   (3, "2026-03-17T08:00:00Z", "breached"),
                                   (4, "2026-03-18T08:00:00Z", "open")]


def test_occurrences_count_from_a_field_and_step_the_calendar_by_months():
    result = reports('state must "report" every 1 month of incident.requested_at',
                     requested_at="2026-01-31T12:00:00Z")(at="2026-04-01T00:00:00+00:00")
    assert occurrences(result) == [(1, "2026-02-28T12:00:00Z", "breached"),
                                   (2, "2026-03-31T12:00:00Z", "breached"),
                                   (3, "2026-04-30T12:00:00Z", "open")]


def test_without_the_anchor_field_one_duty_without_due_time_and_a_note():
    result = reports('state must "report" every 1 week of incident.requested_at')()
    assert [(d["occurrence"], d["due"], d["note"]) for d in result["duties"]] == [
        (1, None, "no due time: incident.requested_at is not given")]


def test_occurrences_stop_when_the_clause_no_longer_holds():
    assert reports()(at="2026-03-17T08:00:00+00:00", type="storm")["duties"] == []


def test_more_than_a_thousand_occurrences_is_a_warning():
    result = reports('state must "report" every 1 minute')(at="2026-03-15T08:00:00+00:00")
    assert len(result["duties"]) == 1000
    assert result["duties"][-1]["occurrence"] == 1000
    assert result["warnings"] == [{
        "agreement": "t", "clause": "rep", "message":
        "more than 1000 occurrences of 'every 1 minute' are due by 2026-03-15T08:00:00Z: only "
        "the first 1000 are given"}]


def test_a_recurring_permission_is_never_breached_its_past_occurrences_lapse():
    result = reports('state may "send an update" every 6 hours')(at="2026-03-14T20:00:00+00:00")
    assert occurrences(result) == [(1, "2026-03-14T14:00:00Z", "lapsed"),
                                   (2, "2026-03-14T20:00:00Z", "open"),
                                   (3, "2026-03-15T02:00:00Z", "open")]


def test_a_breached_occurrence_starts_an_escalation():
    ag = agreement(FIELDS + 'clause rep "Reports"\n  when incident.type == "flood"\n'
                            '  lakeside must "report" every 1 day\n'
                            'clause esc "Escalation"\n  when breached rep\n'
                            '  state must "report instead" within 2 hours of breach of rep\n')
    result = run(ag, incident(fulfilled=[{"clause": "rep", "party": "lakeside",
                                          "at": "2026-03-15T07:00:00Z"}]),
                 at="2026-03-16T12:00:00+00:00")
    assert summary(result) == [
        ("rep", "lakeside", "must", "2026-03-15T08:00:00Z", "fulfilled"),
        ("rep", "lakeside", "must", "2026-03-16T08:00:00Z", "breached"),
        ("esc", "state", "must", "2026-03-16T10:00:00Z", "breached"),
        ("rep", "lakeside", "must", "2026-03-17T08:00:00Z", "open")]


def test_an_example_expects_an_occurrence_by_its_due_time():
    from engine.examples import run_examples
    ag = agreement(FIELDS + 'clause rep "Reports"\n  when incident.type == "flood"\n'
                            '  state must "report" every 1 day\n'
                            'example "two days on"\n'
                            '  incident """{"id": "1", "type": "flood", '
                            '"reported_at": "2026-03-14T08:00:00Z"}"""\n'
                            '  at 2026-03-16T09:00:00Z\n'
                            '  expect state must rep by 2026-03-16T08:00:00Z\n'
                            '  expect state must rep by 2026-03-17T08:00:00Z\n')
    outcomes = run_examples(ag)
    assert [o.failures for o in outcomes] == [()]


def test_the_explanation_names_the_holidays_skipped():
    ag = holiday_agreement('  holidays "US-FL", "LT"\n')
    duties = {d["party"]: d for d in run(ag, incident(reported_at="2026-07-02T10:00:00Z"))[
        "duties"]}
    assert duties["riverbend"]["because"][-1] == (
        "1 business day skips the public holidays of US-FL, LT: 2026-07-03 Independence Day "
        "(observed), 2026-07-06 Statehood Day")
    # Lakeside's calendar (LT) has no holiday on Friday 3 July: nothing was skipped.
    assert duties["lakeside"]["because"] == ['incident.type == "flood" (was "flood")']
