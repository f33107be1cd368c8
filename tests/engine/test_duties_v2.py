"""Evaluation of the duty constructs of v2 (language.md, "Additions of v2", Duties): exact
statuses, due times, consequences; every answer checked by the linear reference and the index."""

from __future__ import annotations

from tests.engine.test_evaluation import agreement, duty, incident, run

BILLING = '''
fields
  billed_at time

clause pay "Payment of the bill"
  when incident.billed_at is given
  lakeside must "pay the bill" within 30 days of incident.billed_at
  otherwise "interest accrues at the statutory rate"

clause plain "Payment without a consequence"
  when incident.billed_at is given
  state must "pay its part" within 30 days of incident.billed_at
'''
BILLED = "2026-03-14T09:00:00Z"


def test_a_breached_duty_carries_its_consequence():
    result = run(agreement(BILLING), incident(billed_at=BILLED), at="2026-04-14T09:00:00Z")
    pay = duty(result, "pay", "lakeside")
    assert (pay["status"], pay["due"], pay["consequence"]) == (
        "breached", "2026-04-13T09:00:00Z", "interest accrues at the statutory rate")
    assert "consequence" not in duty(result, "plain", "state")  # no `otherwise`: no key


def test_an_open_or_fulfilled_duty_has_no_consequence():
    ag = agreement(BILLING)
    open_ = duty(run(ag, incident(billed_at=BILLED), at="2026-04-13T09:00:00Z"), "pay", "lakeside")
    assert open_["status"] == "open" and "consequence" not in open_
    done = duty(run(ag, incident(billed_at=BILLED, fulfilled=[
        {"clause": "pay", "party": "lakeside", "at": "2026-04-01T00:00:00Z"}]),
        at="2026-05-01T00:00:00Z"), "pay", "lakeside")
    assert done["status"] == "fulfilled" and "consequence" not in done



# ---------------------------------------------------------------- permissions that lapse

PROTEST = '''
fields
  billed_at time

role payers is lakeside, riverbend

clause protest "Protest of a bill"
  when incident.billed_at is given
  payers may "protest the bill in writing" within 30 days of incident.billed_at
  otherwise "the bill is deemed accepted"

clause accepted "Payment of an accepted bill"
  when lapsed protest
  state must "pay the bill from the compact fund" within 10 days of lapse of protest
'''


def test_a_may_lapses_once_its_due_time_is_before_the_evaluation_time():
    ag = agreement(PROTEST)
    due = "2026-04-13T09:00:00Z"
    at_due = duty(run(ag, incident(billed_at=BILLED), at=due), "protest", "lakeside")
    assert (at_due["status"], at_due["due"]) == ("open", due)  # due at T is not before T
    assert "consequence" not in at_due
    late = duty(run(ag, incident(billed_at=BILLED), at="2026-04-13T09:00:01Z"), "protest",
                "lakeside")
    assert (late["status"], late["consequence"]) == ("lapsed", "the bill is deemed accepted")


def test_a_permission_used_by_its_due_time_does_not_lapse():
    used = incident(billed_at=BILLED, fulfilled=[
        {"clause": "protest", "party": "lakeside", "at": "2026-04-01T00:00:00Z"},
        {"clause": "protest", "party": "riverbend", "at": "2026-04-20T00:00:00Z"}])  # too late
    result = run(agreement(PROTEST), used, at="2026-05-01T00:00:00Z")
    assert duty(result, "protest", "lakeside")["status"] == "open"
    assert duty(result, "protest", "riverbend")["status"] == "lapsed"


def test_lapsed_clause_holds_and_lapse_of_anchors_on_the_earliest_lapse():
    ag = agreement(PROTEST)
    before = run(ag, incident(billed_at=BILLED), at="2026-04-13T09:00:00Z")
    assert "accepted" not in {d["clause"] for d in before["duties"]}
    result = run(ag, incident(billed_at=BILLED), at="2026-04-20T00:00:00Z")
    pay = duty(result, "accepted", "state")
    assert (pay["status"], pay["due"]) == ("open", "2026-04-23T09:00:00Z")
    assert pay["because"] == ["lapsed protest (lakeside was due 2026-04-13T09:00:00Z, riverbend "
                              "was due 2026-04-13T09:00:00Z)"]


def test_without_a_lapse_the_lapse_anchor_gives_no_due_time():
    ag = agreement(PROTEST.replace("  when lapsed protest\n",
                                   "  when incident.billed_at is given\n"))
    pay = duty(run(ag, incident(billed_at=BILLED), at="2026-04-01T00:00:00Z"), "accepted", "state")
    assert (pay["due"], pay["note"]) == (
        None, "no due time: no permission of clause protest has lapsed")


def test_why_not_names_the_lapse_that_did_not_happen():
    from engine.index import Library
    ag = agreement(PROTEST)
    [answer] = Library([ag]).why_not(incident(billed_at=BILLED), "t", "accepted")
    assert "lapsed protest was false (no permission of clause protest is past its due time " \
           "unexercised)" in answer.as_dict()["reasons"][0]


# ---------------------------------------------------------------- fulfilled at incident.FIELD

PAID = '''
fields
  billed_at time
  paid_at time
  protested_at time

clause pay "Payment of the bill"
  when incident.billed_at is given
  lakeside must "pay the bill" within 30 days of incident.billed_at
  fulfilled at incident.paid_at
  otherwise "interest accrues"

clause protest "Protest of a bill"
  when incident.billed_at is given
  riverbend may "protest the bill" within 30 days of incident.billed_at
  fulfilled at incident.protested_at

clause interest "Interest on a late payment"
  when breached pay
  lakeside must "pay interest" within 5 days of breach of pay
'''


def test_a_duty_is_fulfilled_at_the_time_its_field_gives():
    ag = agreement(PAID)
    paid = incident(billed_at=BILLED, paid_at="2026-04-01T00:00:00Z")
    before = duty(run(ag, paid, at="2026-03-31T23:59:59Z"), "pay", "lakeside")
    assert before["status"] == "open"
    result = run(ag, paid, at="2026-05-01T00:00:00Z")
    pay = duty(result, "pay", "lakeside")
    assert (pay["status"], pay["because"][-1]) == (
        "fulfilled", "fulfilled at incident.paid_at (was 2026-04-01T00:00:00Z)")
    assert "consequence" not in pay and "interest" not in {d["clause"] for d in result["duties"]}


def test_paid_late_is_breached_until_paid_then_fulfilled_and_the_breach_stays():
    ag = agreement(PAID)
    late = incident(billed_at=BILLED, paid_at="2026-04-20T00:00:00Z")
    meanwhile = run(ag, late, at="2026-04-15T00:00:00Z")
    assert duty(meanwhile, "pay", "lakeside")["status"] == "breached"
    after = run(ag, late, at="2026-05-01T00:00:00Z")
    assert duty(after, "pay", "lakeside")["status"] == "fulfilled"
    assert duty(after, "interest", "lakeside")["due"] == "2026-04-18T09:00:00Z"


def test_as_if_incident_fulfilled_held_the_record():
    ag = agreement(PAID)
    for at in ("2026-04-15T00:00:00Z", "2026-05-01T00:00:00Z"):
        by_field = run(ag, incident(billed_at=BILLED, paid_at="2026-04-20T00:00:00Z"), at=at)
        by_record = run(ag, incident(billed_at=BILLED, fulfilled=[
            {"clause": "pay", "party": "lakeside", "at": "2026-04-20T00:00:00Z"}]), at=at)
        statuses = [(d["clause"], d["party"], d["status"], d["due"]) for d in by_field["duties"]]
        assert statuses == [(d["clause"], d["party"], d["status"], d["due"])
                            for d in by_record["duties"]]


def test_an_absent_field_fulfils_nothing():
    pay = duty(run(agreement(PAID), incident(billed_at=BILLED), at="2026-05-01T00:00:00Z"),
               "pay", "lakeside")
    assert (pay["status"], pay["consequence"]) == ("breached", "interest accrues")


def test_a_permission_used_in_time_from_the_facts_does_not_lapse():
    ag = agreement(PAID)
    used = run(ag, incident(billed_at=BILLED, protested_at="2026-04-10T00:00:00Z"),
               at="2026-05-01T00:00:00Z")
    assert duty(used, "protest", "riverbend")["status"] == "open"
    late = run(ag, incident(billed_at=BILLED, protested_at="2026-04-14T00:00:00Z"),
               at="2026-05-01T00:00:00Z")
    assert duty(late, "protest", "riverbend")["status"] == "lapsed"


# ---------------------------------------------------------------- beneficiaries

OWED = '''
fields
  requested_by party

role requesting is incident.requested_by
role assisting is parties except requesting, state
role everyone is lakeside, riverbend, state

clause reimburse "Reimbursement of assistance"
  when incident.requested_by is given
  requesting must "reimburse the documented costs of the assistance" to assisting, riverbend,
    everyone within 60 days

clause thank "Thanks"
  when incident.requested_by is given
  state may "thank the requesting party" to requesting
'''


def test_a_duty_carries_whom_it_is_owed_to_in_order_without_repeats():
    result = run(agreement(OWED), incident(requested_by="lakeside"))
    reimburse = duty(result, "reimburse", "lakeside")
    assert reimburse["to"] == ["riverbend", "lakeside", "state"]
    assert reimburse["due"] == "2026-05-13T08:00:00Z"
    assert duty(result, "thank", "state")["to"] == ["lakeside"]


def test_a_clause_without_beneficiaries_gives_no_to_key():
    result = run(agreement(BILLING), incident(billed_at=BILLED))
    assert "to" not in duty(result, "pay", "lakeside")


def test_a_beneficiary_role_that_names_nobody_is_a_warning():
    text = OWED.replace("role everyone is lakeside, riverbend, state",
                        "role everyone is lakeside, riverbend, state\n"
                        "role asked is incident.asked\n").replace("  requested_by party\n", "  requested_by party\n  asked party\n")
    text = text.replace('to requesting\n', 'to asked\n')
    result = run(agreement(text), incident(requested_by="lakeside"))
    assert duty(result, "thank", "state")["to"] == []
    assert {"agreement": "t", "clause": "thank", "message": "to: role asked names no party"} in \
        result["warnings"]

