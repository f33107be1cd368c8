"""The duty lines of v2 (language.md, "Additions of v2", Duties) in the reader, checker and
formatter: both readers give the same tree, the formatter keeps them, the checker's words."""

from __future__ import annotations

import pytest

from dsl import ast
from dsl.formatter import format_source
from dsl.parser import parse
from tests.dsl.base_agreement import check_summary, diagnostics, edit

BILL = '''agreement billing
  title "Billing"
  kind mutual-aid
  binding
  effective 2026-01-01

party lakeside "Lakeside County"

party riverbend "City of Riverbend"

fields
  billed_at time

role requesting is lakeside
role assisting is riverbend

clause pay "Payment of the bill"
  when incident.billed_at is given
  requesting must "pay the bill" within 30 days of incident.billed_at
  otherwise "interest accrues at the statutory rate"

clause protest "Protest of a bill"
  when incident.billed_at is given
  assisting may "protest the bill in writing" within 30 days of incident.billed_at
  otherwise """the bill is deemed accepted"""  # the words of the agreement
'''


def both_readers(text: str) -> ast.Document:
    fast, slow = parse(text), parse(text, fast=False)
    assert ast.tree_difference(fast, slow) is None
    return fast


def test_otherwise_is_a_clause_line_in_both_readers():
    doc = both_readers(BILL)
    pay, protest = doc.of_type(ast.ClauseDecl)
    assert pay.get("otherwise").value == "interest accrues at the statutory rate"
    assert protest.get("otherwise").value == "the bill is deemed accepted"


def test_otherwise_formats_canonically_and_keeps_its_comment():
    formatted = format_source(BILL)
    assert '  otherwise "the bill is deemed accepted"  # the words of the agreement\n' in formatted
    assert format_source(formatted) == formatted
    assert ast.tree_difference(parse(formatted), parse(BILL)) is not None  # raw differs ...
    assert parse(formatted).of_type(ast.ClauseDecl) == parse(BILL).of_type(ast.ClauseDecl)


def test_otherwise_checks_clean_on_a_must_or_may_with_a_deadline():
    assert [d for d in diagnostics(BILL, "bill.agreement") if d.severity == "error"] == []
    assert check_summary(BILL) == [
        ("warning", 1, 11, "agreement 'billing' has no examples; add an 'example' block so that "
                           "'compact test' can check it")]


@pytest.mark.parametrize("statement, reason", [
    ('  assisting must not "deploy resources without a request"',
     "a 'must not' is never breached"),
    ('  assisting must not "deploy resources without a request"\n'
     '  otherwise "x"\n  text "y"', "a 'must not' is never breached"),
])
def test_otherwise_on_a_prohibition_never_applies(statement, reason):
    text = edit(('  assisting must not "deploy resources without a request"',
                 statement if "otherwise" in statement else statement + '\n  otherwise "x"'))
    assert ("warning", 61, 3, f"'otherwise' never applies here: {reason}") in check_summary(text)


def test_otherwise_without_a_deadline_never_applies():
    text = edit(('  assisting may "withhold resources needed to protect its own jurisdiction"',
                 '  assisting may "withhold resources needed to protect its own jurisdiction"\n'
                 '  otherwise "the resources are released"'))
    assert check_summary(text) == [
        ("warning", 57, 3, "'otherwise' never applies here: a 'may' without a deadline never "
                           "lapses")]
    text = edit(('  coordinator must "arrange alternate resources through the statewide compact" '
                 'within 2 hours of breach of engines',
                 '  coordinator must "arrange alternate resources through the statewide compact"'
                 '\n  otherwise "x"'))
    assert check_summary(text) == [
        ("warning", 53, 3, "'otherwise' never applies here: a 'must' without a deadline is "
                           "never breached")]


def test_a_second_otherwise_is_an_error():
    text = BILL.replace('  otherwise "interest accrues at the statutory rate"\n',
                        '  otherwise "interest accrues at the statutory rate"\n'
                        '  otherwise "again"\n')
    assert ("error", 21, 3, "clause 'pay' has a second 'otherwise' line (the first is at line "
                            "20); one clause states one duty") in check_summary(text)


def test_otherwise_needs_its_words_in_quotes():
    from tests.dsl.base_agreement import syntax_summary
    assert syntax_summary(BILL.replace('otherwise "interest accrues at the statutory rate"',
                                       "otherwise interest")) == (
        20, 13, "expected what follows a breach or lapse, in double quotes, found 'interest'")


def test_otherwise_is_a_keyword_and_cannot_name_a_role():
    from tests.dsl.base_agreement import syntax_summary
    line, col, message = syntax_summary(BILL.replace("role assisting is", "role otherwise is"))
    assert (line, message) == (15, "'otherwise' is a keyword of the language and cannot be used "
                                   "as a name here; choose another name")
