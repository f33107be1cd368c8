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

