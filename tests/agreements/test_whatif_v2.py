"""The what-if of a draft counts a change of whom a duty is owed to (v2 beneficiaries)."""

from __future__ import annotations

from agreements.whatif import _COMPARED
from engine.evaluator import evaluate
from tests.engine.test_duties_v2 import OWED
from tests.engine.test_evaluation import agreement, incident


def test_the_what_if_counts_a_change_of_beneficiaries():
    before = evaluate(incident(requested_by="lakeside"), [agreement(OWED)]).duties
    after = evaluate(incident(requested_by="lakeside"), [agreement(OWED.replace(
        ", riverbend,\n    everyone", ""))]).duties
    changed = [f for f in _COMPARED if getattr(before[0], f) != getattr(after[0], f)]
    assert changed == ["to"]
