"""`compact evaluate --format text` on the duty constructs of v2: what a reader sees of them."""

from __future__ import annotations

from datetime import datetime

from engine.evaluator import evaluate
from tests.engine.test_duties_v2 import BILLED, BILLING
from tests.engine.test_evaluation import agreement, incident
from web.cli import render_text


def text_at(body: str, inc: dict, at: str) -> list[str]:
    return render_text(evaluate(inc, [agreement(body)], at=datetime.fromisoformat(at))).splitlines()


def test_the_text_report_says_whom_a_duty_is_owed_to():
    from tests.engine.test_duties_v2 import OWED
    lines = text_at(OWED, incident(requested_by="lakeside"), "2026-03-14T08:00:00+00:00")
    assert any(line.endswith("lakeside must “reimburse the documented costs of the assistance” "
                             "to riverbend, lakeside, state (Reimbursement of assistance)")
               for line in lines)


def test_the_text_report_says_what_follows_a_breach():
    lines = text_at(BILLING, incident(billed_at=BILLED), "2026-04-14T09:00:00+00:00")
    assert "       breached, so: interest accrues at the statutory rate" in lines
