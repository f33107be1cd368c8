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


# ------------------------------------------------------------------ whichever is earlier|later

WHICHEVER = ("within 4 hours of incident.requested_at",
             "within 4 hours of incident.requested_at or 6 hours, whichever is earlier")


def _engines_deadline(text: str) -> ast.Deadline:
    doc = parse(text, "x.agreement")
    clause = next(d for d in doc.declarations
                  if isinstance(d, ast.ClauseDecl) and d.id == "engines")
    return clause.get("statement").deadline


def test_whichever_reads_its_terms_in_order_by_both_readers():
    text = edit(("within 4 hours of incident.requested_at",
                 "within 4 hours of incident.requested_at or within 1 day of breach of notify "
                 "or by 2026-03-14T20:00:00Z, whichever is later"))
    assert_same(text)
    dl = _engines_deadline(text)
    assert dl.kind == "whichever" and dl.pick == "later"
    assert [t.kind for t in dl.terms] == ["within_field", "within_breach", "by"]


def test_whichever_is_formatted_on_one_line_without_repeating_within():
    text = edit(("within 4 hours of incident.requested_at",
                 "within 4 hours of incident.requested_at   or within 6 hours ,whichever is"
                 "   earlier"))
    out = assert_formats_well(text)
    assert ("within 4 hours of incident.requested_at or 6 hours, whichever is earlier\n"
            in out)
    assert check_summary(out) == []


@pytest.mark.parametrize("new, expected", [
    # The line ends before its terms say which counts: the hint shows the line closed.
    ("within 4 hours of incident.requested_at or 6 hours",
     ("error", 46, 117, "deadline terms joined by 'or' must say which of them counts: close "
                        "them with ', whichever is earlier' or ', whichever is later' (within "
                        "4 hours of incident.requested_at or 6 hours, whichever is earlier)")),
    ("within 4 hours of incident.requested_at or 6 hours whichever is earlier",
     ("error", 46, 128, "expected ', whichever is earlier' or ', whichever is later' after "
                        "deadline terms joined by 'or', found 'whichever'")),
    ("within 4 hours of incident.requested_at or 6 hours, whichever is sooner",
     ("error", 46, 142, "expected 'earlier' or 'later', found 'sooner'")),
    ("within 4 hours of incident.requested_at or unless, whichever is earlier",
     ("error", 46, 120, "expected a duration or 'by TIME', found 'unless'")),
])
def test_whichever_syntax_errors(new, expected):
    text = edit(("within 4 hours of incident.requested_at", new))
    assert_same(text)
    assert check_summary(text) == [expected]


def test_each_term_of_whichever_is_checked():
    text = edit(("within 4 hours of incident.requested_at",
                 "within 4 hours of incident.requested_at or 1 day of incident.displaced "
                 "or 2 hours of incident.requested or 1 hour of breach of engins, "
                 "whichever is earlier"))
    assert check_summary(text) == [
        ("error", 46, 129, "incident.displaced is a number; a deadline is counted from a field "
                           "of type time"),
        ("error", 46, 162, "unknown field 'incident.requested' (did you mean 'requested_by'?); "
                           "declare it under 'fields'"),
        ("error", 46, 204, "unknown clause 'engins' (did you mean 'engines'?)"),
    ]


def test_a_breach_cycle_through_a_term_of_whichever_is_an_error():
    text = edit(("within 4 hours of incident.requested_at",
                 "within 4 hours of incident.requested_at or 1 hour of breach of escalate, "
                 "whichever is earlier"))
    assert [d for d in check_summary(text) if "cycle" in d[3]]


# ------------------------------------------------------------------ public holidays

CALENDAR_HINT = ("; write an ISO 3166 country code, with a subdivision after '-' if need be, "
                 "as the holidays package names them (\"US-FL\", \"LT\")")


def with_holidays(line: str, party_line: str | None = None) -> str:
    text = edit(("  withdrawal notice 30 days\n", f"  withdrawal notice 30 days\n  {line}\n"))
    if party_line is not None:
        text = edit(('  region "Riverbend"\n', f'  region "Riverbend"\n  {party_line}\n'),
                    text=text)
    return text


@pytest.mark.parametrize("line", ['holidays "US-FL"', 'holidays "LT", "PL"',
                                  'holidays "LT" ,\n    "PL",  "US"'])
def test_holidays_header_reads_the_same_by_both_readers_and_checks_clean(line):
    text = with_holidays(line, 'holidays ["PL"]')
    assert_same(text)
    assert check_summary(text) == []
    out = assert_formats_well(text)
    assert out.count("  holidays ") == 2


def test_holidays_are_formatted_on_one_line():
    out = format_source(with_holidays('holidays "LT" ,\n    "PL",  "US"'))
    assert '\n  holidays "LT", "PL", "US"\n' in out


@pytest.mark.parametrize("line, party_line, expected", [
    ('holidays "US-FX"', None,
     [("error", 9, 12, "unknown holiday calendar 'US-FX' (did you mean 'US-TX'?)"
                       + CALENDAR_HINT)]),
    ('holidays "LT", "us-fl"', None,
     [("error", 9, 18, "unknown holiday calendar 'us-fl' (did you mean 'US-FL'?)"
                       + CALENDAR_HINT)]),
    ('holidays "XX"', None, [("error", 9, 12, "unknown holiday calendar 'XX'" + CALENDAR_HINT)]),
    ('holidays "LT"', 'holidays ["PL", "PL-ZZ"]',
     [("error", 21, 19, "unknown holiday calendar 'PL-ZZ'" + CALENDAR_HINT)]),
    ('holidays "LT"', "holidays 3",
     [("error", 21, 12, "a party's holidays are calendars in quotes such as \"US-FL\" or "
                        "[\"LT\", \"PL\"]")]),
    ('holidays "LT"\n  holidays "PL"', None,
     [("error", 10, 3, "the agreement says 'holidays' twice (first at line 9)")]),
])
def test_unknown_holiday_calendars_are_errors_with_a_suggestion(line, party_line, expected):
    assert check_summary(with_holidays(line, party_line)) == expected


def test_holidays_without_a_calendar_is_a_syntax_error():
    text = with_holidays("holidays")
    assert_same(text)
    assert check_summary(text)[0][3].startswith("expected a string in double quotes")


# ------------------------------------------------------------------ recurring duties

EVERY = "within 2 hours of breach of engines"


@pytest.mark.parametrize("written, kind, amount, unit, field", [
    ("every 1 day", "every", 1, "day", None),
    ("every 2 business days of incident.requested_at", "every", 2, "business day",
     "requested_at"),
    ("every 1 month", "every", 1, "month", None),
])
def test_every_reads_the_same_by_both_readers(written, kind, amount, unit, field):
    text = edit((EVERY, written))
    assert_same(text)
    doc = parse(text, "x.agreement")
    clause = next(d for d in doc.declarations
                  if isinstance(d, ast.ClauseDecl) and d.id == "escalate")
    dl = clause.get("statement").deadline
    assert (dl.kind, dl.duration.amount, dl.duration.unit) == (kind, amount, unit)
    assert (dl.field_path.names[0] if dl.field_path else None) == field


def test_every_is_formatted_and_checks_clean():
    out = assert_formats_well(edit((EVERY, "every   12 hours   of   incident.requested_at")))
    assert "every 12 hours of incident.requested_at\n" in out
    assert check_summary(out) == []


@pytest.mark.parametrize("written, expected", [
    ("every 0 hours", [("error", 52, 86, "a recurring duty needs a period of at least 1 hour")]),
    ("every 1 day of incident.displaced",
     [("error", 52, 95, "incident.displaced is a number; a deadline is counted from a field of "
                        "type time")]),
    ("every day", [("error", 52, 86, "expected a whole number, found 'day' (a duration is a "
                                     "number and a unit: 1 day)")]),
    ("every 1 day of breach of engines",
     [("error", 52, 95, "expected incident.FIELD or party.NAME, found 'breach'")]),
])
def test_every_errors(written, expected):
    text = edit((EVERY, written))
    assert_same(text)
    assert check_summary(text) == expected


# ------------------------------------------------------------------ the text and the logic

NOTIFY_TEXT = ("The Affected Party shall notify the State EOC within thirty (30) minutes of "
               "the onset of a major flood or of the displacement of five hundred or more "
               "persons.")


@pytest.mark.parametrize("deadline, words, warning", [
    ("within 30 calendar days", "thirty (30) calendar days", None),
    ("within 30 days", "thirty (30) calendar days", None),
    ("within 1 month", "one (1) month", None),
    ("within 1 year", "twelve (12) months", None),
    ("every 1 day", "every twenty-four (24) hours", None),
    ("within 30 days of incident.requested_at or 2 months, whichever is later",
     "sixty (60) days", "the text says 'sixty (60) days', the deadline is 30 days or 2 months"),
    ("within 2 months", "sixty (60) days", "the text says 'sixty (60) days', the deadline is "
                                           "2 months"),
])
def test_the_text_is_compared_with_months_years_calendar_days_and_every_term(
        deadline, words, warning):
    text = edit(("within 30 minutes", deadline),
                (NOTIFY_TEXT, NOTIFY_TEXT.replace("thirty (30) minutes", words)))
    found = [d[3] for d in check_summary(text) if d[0] == "warning"]
    assert found == ([warning] if warning else [])
