"""The v2 time constructs in the readers, the formatter and the checker: months, years and
calendar days (further constructs follow in this file)."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.formatter import format_source
from dsl.parser import parse
from tests.dsl.base_agreement import BASE, check_summary, edit
from tests.dsl.test_fastparse import assert_same
from tests.dsl.test_formatter import assert_formats_well


def _notify_deadline(text: str) -> ast.Deadline:
    doc = parse(text, "x.agreement")
    clause = next(d for d in doc.declarations
                  if isinstance(d, ast.ClauseDecl) and d.id == "notify")
    return clause.get("statement").deadline


@pytest.mark.parametrize("written, amount, unit", [
    ("within 2 months", 2, "month"), ("within 1 month", 1, "month"),
    ("within 1 year", 1, "year"), ("within 3 years", 3, "year"),
    ("within 30 calendar days", 30, "day"), ("within 1 calendar day", 1, "day"),
])
def test_months_years_and_calendar_days_read_the_same_by_both_readers(written, amount, unit):
    text = edit(("within 30 minutes", written))
    assert_same(text)
    duration = _notify_deadline(text).duration
    assert (duration.amount, duration.unit) == (amount, unit)


def test_calendar_days_mean_days():
    days = _notify_deadline(edit(("within 30 minutes", "within 30 days")))
    calendar = _notify_deadline(edit(("within 30 minutes", "within 30 calendar days")))
    assert days == calendar  # the same meaning; the formatter keeps the words written


def test_the_formatter_keeps_the_unit_as_written():
    text = edit(("within 30 minutes", "within 30   calendar   days"),
                ("within 4 hours of", "within 2 months of"),
                ("within 2 hours of breach", "within 1 year of breach"))
    out = assert_formats_well(text)
    assert "within 30 calendar days\n" in out
    assert "within 2 months of incident.requested_at\n" in out
    assert "within 1 year of breach of engines\n" in out
    assert format_source(out) == out


def test_withdrawal_notice_in_months_checks_clean():
    text = BASE.replace("withdrawal notice 30 days", "withdrawal notice 6 months")
    assert check_summary(text) == []
