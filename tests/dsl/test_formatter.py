"""The formatter (`compact fmt`): canonical layout, idempotent, keeps every comment, never
changes meaning (the parsed declarations of input and output compare equal; AST nodes compare
without their spans).

"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dsl.formatter import format_document, format_source
from dsl.parser import parse
from tests.dsl.base_agreement import BASE, HEADER, edit

# Every construct of language.md, laid out canonically (format_source returns it unchanged).
ALL_FORMS = '''\
# leading comment
agreement all-forms.v1_2  # trailing on the header
  title "Title with \\"quotes\\", a\\nnew line and a backslash \\\\"
  kind compact
  non-binding
  effective 2026-01-01
  governing law "the laws of the State of Columbia"
  withdrawal notice 10 business days

# between declarations
recital """
  First line
    indented line
  last line
"""
recital "Second recital."

party a "Alpha"  # trailing on a party
  region "North"
  # inside a party
  area ["FIPS:1", "FIPS:2"]
  staff 12
  ratio -3
  share 0.5
  pct 75%
  active yes
  closed no
  since 2020-05-01
  empty []

party b "Beta"
  region "South"

fields
  kind_of text one of "a", "b"
  count number
  flag yes/no
  day date
  at_time time
  who party
  tags list of text
  sev severity
  urg urgency
  cert certainty

role r_fixed is a, b
role r_field is incident.who
role r_where is parties where (party.staff > 3 or party.active == yes) and not party.closed == no
role r_except is parties except r_fixed, b
role r_area is parties whose area intersects incident.area

trigger t1 when incident.count >= 10 or incident.flag == yes and incident.sev > "minor"
trigger t2 when not (incident.day < 2026-02-01)
    or incident.at_time <= 2026-03-14T08:00:00-05:00
    or incident.tags contains "x"
    or incident.area intersects incident.tags
trigger t3 when incident.kind_of in ["a", "b"]
    and incident.kind_of not in ["b"]
    and incident.count != 3
trigger t4 when incident.who is given or incident.who is not given
trigger t5 when incident.urg >= "immediate" and incident.cert == "observed" and incident.count < 0.5

clause c1 "One"
  when t1 or t2
  r_fixed must "act one" within 30 minutes

clause c2
  when t3 and breached c1
  r_field must not "act two" within 2 hours of incident.at_time
  unless t4
  costs borne by r_fixed

clause c3 "Three"
  when (t5)
  r_where may "act three" within 1 day of breach of c1
  costs shared equally by a, b
  text "Legal words."

clause c4 "Four"
  when t1
  r_except must "act four" by 2026-03-14T12:00:00Z
  costs shared a 75%, r_area 25%
  text """
    The Parties agree,
    on two lines.
  """

clause c5 "Five"
  when t1
  b must "act five" within 1 week

example "one"  # trailing on an example
  incident """{"id": "1", "type": "a", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-14T09:00:00+02:00
  expect a must c1 by 2026-03-14T08:30:00Z
  expect b may c3
  expect a must not c2
  expect no c4
  expect no duty for b
  expect no c4 for a
  expect a must c1 by 2026-03-14T08:30:00Z breached
  expect b may c3 lapsed
  expect a must not c2 open
  expect warning "names \\"no\\" party"

# end of file
'''


def fmt(text: str) -> str:
    return format_source(text)


def comment_texts(text: str) -> list[str]:
    return [c.text for c in parse(text).comments]


def assert_formats_well(text: str) -> str:
    """The invariants of the formatter, for any valid input; returns the formatted text.

    format_source(x) is format_document(parse(x)); parsing each text once keeps this fast.
    """
    source = parse(text)
    once = format_document(source)
    formatted = parse(once)
    assert format_document(formatted) == once, "formatting is not idempotent"
    assert formatted.declarations == source.declarations, "formatting changed the meaning"
    assert sorted(c.text for c in formatted.comments) == sorted(c.text for c in source.comments), \
        "a comment was lost"
    assert once.endswith("\n") and not once.endswith("\n\n")
    return once


# ------------------------------------------------------------------ canonical inputs

def test_the_language_md_example_is_already_canonical():
    assert fmt(BASE) == BASE


def test_every_construct_is_already_canonical():
    assert fmt(ALL_FORMS) == ALL_FORMS
    assert_formats_well(ALL_FORMS)


def test_canonical_text_keeps_comment_order():
    assert comment_texts(fmt(ALL_FORMS)) == comment_texts(ALL_FORMS)


# ------------------------------------------------------------------ messy layouts

def one_line(text: str) -> str:
    """Everything outside \"\"\" strings on one line (comments dropped: they end at a newline)."""
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    text = re.sub(r"  # [^\n\"]*$", "", text, flags=re.M)
    parts = re.split(r'("""[\s\S]*?""")', text)
    return "".join(p if p.startswith('"""') else " ".join(p.split()) + " " for p in parts)


@pytest.mark.parametrize("source", [BASE, ALL_FORMS], ids=["example", "all-forms"])
def test_everything_on_one_line(source):
    messy = one_line(source)
    assert messy.count("\n") < source.count("\n") // 3
    out = assert_formats_well(messy)
    expected = "\n".join(line for line in source.split("\n")
                         if not line.lstrip().startswith("#")).lstrip("\n")
    expected = re.sub(r"  # [^\n\"]*$", "", expected, flags=re.M).replace("\n\n\n", "\n\n")
    assert out == expected.rstrip("\n") + "\n"


def test_odd_indentation_and_blank_lines():
    lines = BASE.split("\n")
    block = range(62, 66)  # the incident """ line and its JSON stay as they are
    messy = "".join(line + "\n" if i in block
                    else "\t" * (i % 2) + "   " * (i % 3) + line.strip() + "\n" * (1 + i % 3)
                    for i, line in enumerate(lines))
    out = assert_formats_well(messy)
    assert out == BASE


def test_spaces_inside_lines():
    messy = edit(("role coordinator is state", "role   coordinator   is     state"),
                 ("incident.type == \"flood\" and", "incident.type==\"flood\"and"),
                 ("costs borne by requesting", "costs  borne  by\trequesting"),
                 ('"flood", "wildfire", "hazmat"', '"flood" ,"wildfire",  "hazmat"'))
    assert assert_formats_well(messy) == BASE


def test_messy_small_agreement_golden():
    messy = ('agreement   demo.v2      title "Demo"  kind mou non-binding effective 2026-01-01\n'
             'party a "A" region "North"   area ["FIPS:1","FIPS:2"]   party b "B"\n'
             'fields type text one of "flood","fire"    n number\n'
             "role r is parties where party.region==incident.region\n"
             'trigger big when incident.n>=10 and(incident.type=="flood"or incident.type=="fire")\n'
             'clause c "C" when big or not incident.n<3\n'
             'a must "act" within 2 business days costs shared a 60%,b 40%\n'
             'example "e" incident """{"id": "1", "type": "flood", '
             '"reported_at": "2026-03-14T08:00:00Z"}"""\n'
             "expect a must c")
    assert assert_formats_well(messy) == '''\
agreement demo.v2
  title "Demo"
  kind mou
  non-binding
  effective 2026-01-01

party a "A"
  region "North"
  area ["FIPS:1", "FIPS:2"]

party b "B"

fields
  type text one of "flood", "fire"
  n number

role r is parties where party.region == incident.region

trigger big when incident.n >= 10 and (incident.type == "flood" or incident.type == "fire")

clause c "C"
  when big or not incident.n < 3
  a must "act" within 2 business days
  costs shared a 60%, b 40%

example "e"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  expect a must c
'''


def test_short_multi_line_condition_is_joined():
    messy = edit(("  when major_flood or mass_displacement",
                  "  when major_flood\n      or\n   mass_displacement"))
    assert assert_formats_well(messy) == BASE


def test_long_condition_is_broken_before_each_top_level_operator():
    long_when = ('  when incident.type == "flood" and incident.displaced > 1000 and '
                 'incident.severity >= "severe" and incident.requested_by is given')
    out = assert_formats_well(edit(("  when major_flood\n  assisting may",
                                    long_when + "\n  assisting may")))
    assert '''\
clause withhold "Right to withhold resources"
  when incident.type == "flood"
      and incident.displaced > 1000
      and incident.severity >= "severe"
      and incident.requested_by is given
  assisting may''' in out


def test_long_trigger_with_or_of_ands():
    trigger = ('trigger major_flood when incident.type == "flood" and incident.severity >= '
               '"severe" or incident.type == "hazmat" and incident.displaced > 100 or '
               'incident.displaced > 10000')
    out = assert_formats_well(edit(('trigger major_flood when incident.type == "flood" and '
                                    'incident.severity >= "severe"', trigger)))
    assert '''\
trigger major_flood when incident.type == "flood" and incident.severity >= "severe"
    or incident.type == "hazmat" and incident.displaced > 100
    or incident.displaced > 10000
''' in out


def test_parentheses_and_not_are_kept():
    cond = 'not (incident.type == "flood" or (incident.displaced > 5)) and not incident.region == "x"'
    out = assert_formats_well(edit(("  when major_flood\n  assisting may",
                                    f"  when {cond}\n  assisting may")))
    assert f"  when {cond}\n" in out


def test_strings_are_requoted_without_changing_their_value():
    messy = HEADER + ('recital """He said "go"."""\n'
                      'recital "tab\there"\n'
                      'recital """\n        indented\n          more\n        """\n'
                      'recital "a\\nb"\n')
    out = assert_formats_well(messy)
    assert out.endswith('recital """He said "go"."""\n'
                        'recital "tab\there"\n'
                        'recital """\n  indented\n    more\n"""\n'
                        'recital """\n  a\n  b\n"""\n')


# ------------------------------------------------------------------ comments

def test_comments_leading_trailing_between_and_at_end():
    text = HEADER.replace("agreement t\n", "# leading\nagreement t  # trailing header\n") + (
        "\n# between declarations\n\n"
        'party a "A"  # trailing party\n'
        "  # between attributes\n"
        '  region "N"\n'
        "\n"
        'clause c "C"\n'
        "  # before when\n"
        '  when incident.type == "x"  # trailing when\n'
        '  a must "x"\n'
        "  # between clause lines\n"
        '  text "words"\n'
        "# end of file 1\n"
        "# end of file 2\n")
    out = assert_formats_well(text)
    assert out == '''\
# leading
agreement t  # trailing header
  title "T"
  kind mou
  binding
  effective 2026-01-01

# between declarations
party a "A"  # trailing party
  # between attributes
  region "N"

clause c "C"
  # before when
  when incident.type == "x"  # trailing when
  a must "x"
  # between clause lines
  text "words"

# end of file 1
# end of file 2
'''
    assert comment_texts(out) == comment_texts(text)


def test_comment_at_end_of_file_without_newline():
    out = assert_formats_well(HEADER + "# the very end")
    assert out == HEADER + "\n# the very end\n"


def test_comment_after_a_triple_quoted_incident():
    text = edit(('  """\n  expect lakeside', '  """  # the incident\n  expect lakeside'))
    out = assert_formats_well(text)
    assert '  """  # the incident\n  expect lakeside' in out


def test_comment_characters_inside_strings_are_not_comments():
    text = HEADER + 'recital "item # 5, not a comment"  # a comment\n'
    out = assert_formats_well(text)
    assert out.endswith('recital "item # 5, not a comment"  # a comment\n')


def test_comments_in_the_fields_and_between_roles():
    text = edit(("fields\n", "fields  # what an incident tells us\n  # the type is narrowed\n"),
                ("role requesting is", "# who asked\nrole requesting is"))
    out = assert_formats_well(text)
    assert "fields  # what an incident tells us\n  # the type is narrowed\n  type text" in out
    assert "role affected is parties where party.region == incident.region\n# who asked\n" \
           "role requesting is" in out


def test_trailing_comment_on_a_continuation_line_of_a_long_condition():
    long_when = ('  when incident.type == "flood" and incident.displaced > 1000 and '
                 'incident.severity >= "severe" and incident.requested_by is given')
    text = edit(("  when major_flood\n  assisting may",
                 long_when.replace(" and incident.severity", "  # big\n    and incident.severity")
                 + "\n  assisting may"))
    out = assert_formats_well(text)
    assert comment_texts(out) == comment_texts(text)


def test_comment_inside_a_multi_line_condition_stays_with_its_declaration():
    text = edit(('trigger major_flood when incident.type == "flood" and incident.severity >= '
                 '"severe"\n',
                 'trigger major_flood when incident.type == "flood"\n'
                 "  # a flood counts from 'severe' up\n"
                 '  and incident.severity >= "severe"\n'))
    out = assert_formats_well(text)
    # Above the trigger, or inside it, but not under it where it reads as the next one's comment.
    assert out.index("# a flood counts") < out.index('incident.severity >= "severe"')


def test_comments_in_a_multi_line_condition_keep_their_order():
    text = edit(('trigger major_flood when incident.type == "flood" and incident.severity >= '
                 '"severe"\n',
                 'trigger major_flood when incident.type == "flood"  # what\n'
                 '  and incident.severity >= "severe"  # how bad\n'))
    out = assert_formats_well(text)
    assert comment_texts(out) == comment_texts(text)


# ------------------------------------------------------------------ strings the formatter breaks

def test_backslash_in_a_triple_quoted_string():
    text = HEADER + 'recital """See C:\\docs\\mou.pdf"""\n'
    assert parse(text).declarations[1].text.value == "See C:\\docs\\mou.pdf"
    assert_formats_well(text)


def test_crlf_input_formats_like_lf_input():
    assert fmt(BASE.replace("\n", "\r\n")) == BASE


# ------------------------------------------------------------------ random layouts

_TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[\[\](),]|[^\s"\[\](),#]+')


def _tokens(text: str) -> list[list[str]]:
    """[token, white space after it] pairs; strings and comments are single tokens."""
    parts = _TOKEN.findall(text)
    assert "".join(parts) == text
    pairs: list[list[str]] = []
    for part in parts:
        if part.isspace() and pairs:
            pairs[-1][1] += part
        else:
            pairs.append([part, ""])
    return pairs


_BASE_TOKENS = _tokens(BASE)
_ALL_TOKENS = _tokens(ALL_FORMS)

_SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\n    ", "\n\n", " \n\n\t", "\r\n"])
_COMMENT = st.builds(lambda before, body, after: f"{before}{body}\n{after}",
                     st.sampled_from(["", " ", "  ", "\n", "\n    "]),
                     st.sampled_from(["#", "# note", '# "quoted" or and', "#  spaced  ", "## x #"]),
                     st.sampled_from(["", " ", "  ", "\n", "\t"]))
_GAP = st.one_of(_SPACE, _COMMENT)


def _relayout(tokens: list[list[str]], gaps: dict[int, str]) -> str:
    out = []
    for i, (token, space) in enumerate(tokens):
        if i in gaps:
            space = gaps[i]
            if token.startswith("#") and "\n" not in space:
                space += "\n"  # a comment ends at the end of its line
        out.append(token + space)
    return "".join(out)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(0, len(_BASE_TOKENS) - 2), _GAP, max_size=25))
def test_random_layout_of_the_example(gaps):
    text = _relayout(_BASE_TOKENS, gaps)
    assert_formats_well(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(0, len(_ALL_TOKENS) - 2), _GAP, max_size=25))
def test_random_layout_of_every_construct(gaps):
    text = _relayout(_ALL_TOKENS, gaps)
    assert_formats_well(text)
