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


# ---------------------------------------------------------------- permissions that lapse

LAPSES = BILL + '''
clause accepted "Payment of an accepted bill"
  when lapsed protest and not breached pay
  requesting must "pay the bill" within 10 days of lapse of protest
'''


def test_lapsed_and_lapse_of_in_both_readers():
    doc = both_readers(LAPSES)
    accepted = doc.of_type(ast.ClauseDecl)[2]
    first, second = accepted.get("when").items
    assert (first.clause, first.lapsed) == ("protest", True)
    assert (second.item.clause, second.item.lapsed) == ("pay", False)
    dl = accepted.get("statement").deadline
    assert (dl.kind, dl.lapse_of.name, dl.breach_of) == ("within_lapse", "protest", None)


def test_lapsed_and_lapse_of_format_as_written():
    formatted = format_source(LAPSES)
    assert "  when lapsed protest and not breached pay\n" in formatted
    assert '  requesting must "pay the bill" within 10 days of lapse of protest\n' in formatted
    assert format_source(formatted) == formatted


def test_lapsed_checks_clean_on_a_may_with_a_deadline():
    assert [d for d in check_summary(LAPSES) if d[0] == "error" or "lapse" in d[3]] == []


@pytest.mark.parametrize("old, new, expected", [
    ("when lapsed protest and", "when lapsed pay and",
     (28, 15, "'lapsed pay' never holds: clause 'pay' is a 'must', and only a 'may' lapses; "
              "write 'breached pay'")),
    ("of lapse of protest", "of lapse of pay",
     (29, 61, "'lapse of pay' never holds: clause 'pay' is a 'must', and only a 'may' lapses; "
              "write 'breached pay'")),
    ('may "protest the bill in writing" within 30 days of incident.billed_at',
     'may "protest the bill in writing"',
     (28, 15, "'lapsed protest' never holds: clause 'protest' has no deadline, so it never "
              "lapses")),
])
def test_a_lapse_that_can_never_happen_is_a_warning(old, new, expected):
    found = [d[1:] for d in check_summary(LAPSES.replace(old, new)) if "never holds" in d[3]]
    assert found[0] == expected


def test_lapse_of_an_unknown_clause_is_an_error():
    assert ("error", 29, 61, "unknown clause 'protset' (did you mean 'protest'?)") in \
        check_summary(LAPSES.replace("of lapse of protest", "of lapse of protset"))
    assert ("error", 28, 15, "unknown clause 'protset' (did you mean 'protest'?)") in \
        check_summary(LAPSES.replace("when lapsed protest", "when lapsed protset"))


def test_a_cycle_through_a_lapse_is_an_error():
    text = LAPSES.replace("  when incident.billed_at is given\n  assisting may",
                          "  when lapsed protest\n  assisting may")
    assert ("error", 22, 8, "cycle of breached references: protest → protest") in \
        check_summary(text)


# ---------------------------------------------------------------- fulfilled at incident.FIELD

PAID = BILL.replace("  billed_at time\n", "  billed_at time\n  paid_at time\n  amount number\n") \
    .replace('  otherwise "interest accrues at the statutory rate"\n',
             '  fulfilled at incident.paid_at\n'
             '  otherwise "interest accrues at the statutory rate"\n')


def test_fulfilled_at_in_both_readers_and_the_formatter():
    doc = both_readers(PAID)
    path = doc.of_type(ast.ClauseDecl)[0].get("fulfilled_at")
    assert (path.root, path.names) == ("incident", ("paid_at",))
    formatted = format_source(PAID)
    assert "  fulfilled at incident.paid_at\n" in formatted
    assert format_source(formatted) == formatted
    assert [d for d in check_summary(PAID) if d[0] == "error"] == []


@pytest.mark.parametrize("old, new, expected", [
    ("fulfilled at incident.paid_at", "fulfilled at incident.amount",
     ("error", 22, 16, "incident.amount is a number; a duty is fulfilled at a field of type time")),
    ("fulfilled at incident.paid_at", "fulfilled at incident.payd_at",
     ("error", 22, 16, "unknown field 'incident.payd_at' (did you mean 'paid_at'?); declare it "
                       "under 'fields'")),
    ("fulfilled at incident.paid_at",
     "fulfilled at incident.paid_at\n  fulfilled at incident.paid_at",
     ("error", 23, 3, "clause 'pay' has a second 'fulfilled at' line (the first is at line 22); "
                      "one clause states one duty")),
    ('  requesting must "pay the bill" within 30 days of incident.billed_at',
     '  requesting must not "pay the bill"',
     ("warning", 22, 3, "'fulfilled at' never applies here: a 'must not' is never fulfilled")),
])
def test_fulfilled_at_checks(old, new, expected):
    assert expected in check_summary(PAID.replace(old, new))


def test_fulfilled_at_needs_a_field():
    from tests.dsl.base_agreement import syntax_summary
    assert syntax_summary(PAID.replace("fulfilled at incident.paid_at", "fulfilled at 2026")) == (
        22, 16, "expected incident.FIELD or party.NAME, found '2026'")
    missing_at = PAID.replace("fulfilled at incident.paid_at", "fulfilled incident.paid_at")
    assert syntax_summary(missing_at)[2] == "expected 'at', found 'incident.paid_at'"


# ---------------------------------------------------------------- beneficiaries

OWED = edit(('  costs borne by requesting\n',
             '  costs borne by requesting\n\n'
             'clause reimburse "Reimbursement"\n'
             '  when breached engines\n'
             '  requesting must "reimburse the documented costs" to assisting, state '
             'within 60 days\n'))


def test_beneficiaries_follow_the_action_in_both_readers():
    doc = both_readers(OWED)
    st = next(c for c in doc.of_type(ast.ClauseDecl) if c.id == "reimburse").get("statement")
    assert [n.name for n in st.to] == ["assisting", "state"]
    assert (st.deadline.kind, st.deadline.duration.amount) == ("within", 60)
    bare = both_readers(OWED.replace(" within 60 days\n", "\n"))
    st = next(c for c in bare.of_type(ast.ClauseDecl) if c.id == "reimburse").get("statement")
    assert ([n.name for n in st.to], st.deadline) == (["assisting", "state"], None)


def test_beneficiaries_format_as_written():
    formatted = format_source(OWED.replace("to assisting, state", "to   assisting ,state"))
    assert ('  requesting must "reimburse the documented costs" to assisting, state within 60 '
            'days\n') in formatted
    assert format_source(formatted) == formatted


def test_a_role_used_only_as_a_beneficiary_counts_as_used():
    text = edit(("role assisting is parties except requesting, coordinator",
                 "role assisting is parties except requesting, coordinator\n"
                 "role helped is riverbend"),
                ('  assisting may "withhold resources needed to protect its own jurisdiction"',
                 '  assisting may "withhold resources needed to protect its own jurisdiction" '
                 'to helped'))
    assert check_summary(text) == []
    unused = edit(("role assisting is parties except requesting, coordinator",
                   "role assisting is parties except requesting, coordinator\n"
                   "role helped is riverbend"))
    assert check_summary(unused) == [("warning", 35, 6, "role 'helped' is never used")]


def test_an_unknown_beneficiary_is_an_error_with_a_suggestion():
    assert check_summary(OWED.replace("to assisting, state", "to assisting, stat")) == [
        ("error", 52, 66, "unknown role 'stat' (did you mean 'state'?)")]


def test_to_needs_a_role_or_party():
    from tests.dsl.base_agreement import syntax_summary
    assert syntax_summary(OWED.replace("to assisting, state", "to 60 days")) == (
        52, 55, "expected a role or party the duty is owed to, found '60'")
