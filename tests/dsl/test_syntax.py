"""The grammar: every construct of language.md parses to the right tree, and syntax errors
name what was expected, at the right line and column, with a suggestion where one is close.

"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from dsl import ast
from dsl.errors import CompactError
from dsl.formatter import format_source
from dsl.parser import parse
from engine.compiler import check_source
from tests.dsl.base_agreement import BASE, HEADER, edit, syntax_error, syntax_summary


def declarations(body: str, header: str = HEADER) -> tuple:
    """The declarations of HEADER + body after the agreement itself."""
    return parse(header + body).declarations[1:]


def only(body: str):
    decls = declarations(body)
    assert len(decls) == 1, decls
    return decls[0]


def condition(text: str):
    return only(f"trigger t when {text}\n").condition


def statement(line: str) -> ast.Statement:
    return only(f'clause c\n  when incident.type == "a"\n  {line}\n').get("statement")


def costs(line: str) -> ast.Costs:
    return only(f'clause c\n  when incident.type == "a"\n  a must "x"\n  {line}\n').get("costs")


def path(text: str) -> ast.Path:
    root, *names = text.split(".")
    return ast.Path(root, tuple(names), span=None)


def lit(kind: str, value) -> ast.Literal:
    return ast.Literal(kind, value, "", span=None)


def cmp(left: str, op: str, right) -> ast.Compare:
    return ast.Compare(path(left), op, right, span=None)


A, B, C = (cmp("incident.type", "==", lit("text", v)) for v in "abc")


# ================================================================== every construct parses

def test_the_complete_example_parses_and_checks_clean():
    doc = parse(BASE, "lakeside.agreement")
    kinds = [type(d).__name__ for d in doc.declarations]
    assert kinds == (["AgreementDecl"] + ["Recital"] * 2 + ["PartyDecl"] * 3 + ["FieldsDecl"]
                     + ["RoleDecl"] * 4 + ["TriggerDecl"] * 2 + ["ClauseDecl"] * 5
                     + ["ExampleDecl"])
    assert [c.text for c in doc.comments] == ["# Lakeside County / City of Riverbend mutual aid"]
    assert check_source(BASE)[1] == []


class TestHeader:
    def test_every_header_line(self):
        agreement = parse(HEADER.replace("  binding\n", "  non-binding\n").replace(
            "effective 2026-01-01", "effective 2026-01-01 until 2027-06-30") +
            '  governing law "the laws of the State of Columbia"\n'
            "  withdrawal notice 10 business days\n").agreement
        items = {i.key: i.value for i in agreement.items}
        assert items["title"].value == "T"
        assert items["kind"].name == "mou"
        assert items["binding"] is False
        assert [d.value for d in items["effective"]] == [date(2026, 1, 1), date(2027, 6, 30)]
        assert items["governing_law"].value == "the laws of the State of Columbia"
        assert (items["withdrawal_notice"].amount, items["withdrawal_notice"].unit) == (
            10, "business day")

    @pytest.mark.parametrize("kind", ["mou", "mutual-aid", "compact", "protocol", "other"])
    def test_every_kind(self, kind):
        agreement = parse(HEADER.replace("kind mou", f"kind {kind}")).agreement
        assert agreement.items[1].value.name == kind

    def test_binding(self):
        assert parse(HEADER).agreement.items[2].value is True

    def test_agreement_id_is_a_slug_with_dashes_and_dots(self):
        assert parse(HEADER.replace("agreement t", "agreement lakeside-riverbend.v2_1")) \
            .agreement.id == "lakeside-riverbend.v2_1"

    def test_header_lines_in_any_order_and_on_one_line(self):
        doc = parse('agreement t effective 2026-01-01 binding kind mou title "T"\n')
        assert [i.key for i in doc.agreement.items] == ["effective", "binding", "kind", "title"]


class TestLexical:
    def test_string_escapes(self):
        recital = only('recital "say \\"yes\\", a\\nnew line, a backslash \\\\"\n')
        assert recital.text.value == 'say "yes", a\nnew line, a backslash \\'

    def test_escaped_backslash_before_n_is_not_a_newline(self):
        assert only('recital "a\\\\nb"\n').text.value == "a\\nb"

    def test_escaped_backslash_before_a_letter(self):
        assert only('recital "See C:\\\\docs\\\\mou.pdf"\n').text.value == "See C:\\docs\\mou.pdf"

    def test_empty_strings(self):
        assert only('recital ""\n').text.value == ""
        assert only('recital """"""\n').text.value == ""

    def test_triple_quoted_string_on_one_line(self):
        assert only('recital """He said "now" and left."""\n').text.value == \
            'He said "now" and left.'

    def test_triple_quoted_string_removes_common_indentation(self):
        recital = only('recital """\n      First line\n        indented line\n\n'
                       '      last line\n    """\n')
        assert recital.text.value == "First line\n  indented line\n\nlast line"

    def test_triple_quoted_string_keeps_backslashes_and_quotes(self):
        assert only('recital """\n  a "quoted" \\n word\n  """\n').text.value == \
            'a "quoted" \\n word'

    def test_hash_inside_a_string_is_not_a_comment(self):
        doc = parse(HEADER + 'recital "see # 5"  # a comment\n')
        assert doc.declarations[1].text.value == "see # 5"
        assert [c.text for c in doc.comments] == ["# a comment"]

    def test_comments_everywhere(self):
        text = ("# before everything\n"
                "agreement t # after the id\n"
                "  # before title\n"
                '  title "T" # after title\n'
                "  kind mou\n  binding\n  effective 2026-01-01\n"
                "# between declarations\n"
                'party a "A" # after party\n'
                "  # inside party\n"
                '  region "N" # after attribute\n'
                "fields # after fields\n"
                "  # before a field\n"
                "  n number # after a field\n"
                "trigger t when incident.n > 1 # after a condition line\n"
                "  # inside a condition\n"
                "  and # after and\n"
                "  incident.n < 9\n"
                "clause c\n"
                "  when t\n"
                "  a must # between must and the action\n"
                '  "x" within 2 business # between business and days\n'
                "  days\n"
                "  costs shared a # inside costs\n"
                "  100%\n"
                "clause d\n"
                "  when t\n"
                "  a must # between must and not\n"
                '  not "y"\n'
                "example \"e\" # after example\n"
                '  incident """{"id": "1", "type": "x", "reported_at": "2026-01-02T00:00:00Z"}"""\n'
                "  expect no duty for a # after expect\n"
                "# end of file, no newline")
        doc = parse(text)
        assert len(doc.comments) == 21
        assert doc.comments[0].own_line and not doc.comments[1].own_line
        trigger = doc.declarations[3]
        assert isinstance(trigger.condition, ast.And) and len(trigger.condition.items) == 2
        st = doc.declarations[4].get("statement")
        assert st.modality == "must" and st.deadline.duration.unit == "business day"
        assert doc.declarations[5].get("statement").modality == "must not"
        assert check_source(text)[1] == []

    def test_indentation_is_not_significant(self):
        lines = BASE.split("\n")
        block = range(62, 67)  # the incident's """ block keeps its own layout
        text = "\n".join(line if i in block else "\t  " * (i % 3) + " " * (i % 4) + line.strip()
                         for i, line in enumerate(lines))
        assert text != BASE
        assert parse(text).declarations == parse(BASE).declarations

    def test_whole_agreement_on_one_line(self):
        body = BASE.split("\n", 1)[1]
        head, incident = body.split('  incident """', 1)
        one_line = " ".join(head.split()) + ' incident """' + incident.replace("\n  expect",
                                                                              " expect")
        assert "\n  expect" not in one_line
        assert parse(one_line).declarations == parse(BASE).declarations

    def test_crlf_line_endings(self):
        doc = parse(HEADER.replace("\n", "\r\n") + 'party a "A"\r\n  region "N"\r\n')
        assert doc.declarations[1].attributes[0].value.value == "N"

    def test_crlf_triple_quoted_string(self):
        lf = parse(BASE).declarations
        crlf = parse(BASE.replace("\n", "\r\n")).declarations
        assert crlf == lf


class TestValues:
    @pytest.mark.parametrize("raw, kind, value", [
        ("12", "number", 12),
        ("-3", "number", -3),
        ("0.5", "number", 0.5),
        ("-2.25", "number", -2.25),
        ("75%", "percent", 75.0),
        ("12.5%", "percent", 12.5),
        ("yes", "yesno", True),
        ("no", "yesno", False),
        ('"text"', "text", "text"),
        ("2026-01-01", "date", date(2026, 1, 1)),
        ("2026-03-14T08:00:00Z", "time", datetime(2026, 3, 14, 8, tzinfo=timezone.utc)),
        ("2026-03-14T08:00:00-05:00", "time",
         datetime(2026, 3, 14, 8, tzinfo=timezone(timedelta(hours=-5)))),
        ("2026-03-14T08:00:00+05:30", "time",
         datetime(2026, 3, 14, 8, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("2026-03-14T08:00:00.250Z", "time",
         datetime(2026, 3, 14, 8, 0, 0, 250000, tzinfo=timezone.utc)),
    ])
    def test_literal(self, raw, kind, value):
        attr = only(f'party a "A"\n  v {raw}\n').attributes[0]
        assert (attr.value.kind, attr.value.value, attr.value.raw) == (kind, value, raw)
        right = condition(f"incident.x == {raw}").right
        assert (right.kind, right.value) == (kind, value)

    def test_lists(self):
        attrs = only('party a "A"\n  area ["FIPS:039001", "FIPS:039003"]\n  n [1, 2.5, -3]\n'
                     "  none []\n").attributes
        assert [i.value for i in attrs[0].value.items] == ["FIPS:039001", "FIPS:039003"]
        assert [i.value for i in attrs[1].value.items] == [1, 2.5, -3]
        assert attrs[2].value.items == ()

    def test_party_attributes_of_every_kind(self):
        party = only('party a "Alpha Agency"\n  region "North"\n  staff 12\n  active yes\n'
                     '  since 2020-05-01\n  contact "a@example.org"\n  signatory "Director"\n')
        assert party.id == "a" and party.name.value == "Alpha Agency"
        assert [a.name for a in party.attributes] == ["region", "staff", "active", "since",
                                                      "contact", "signatory"]


class TestFields:
    def test_every_type(self):
        fields = only("fields\n  a text\n  b number\n  c yes/no\n  d date\n  e time\n"
                      "  f party\n  g list of text\n  h severity\n  i urgency\n  j certainty\n"
                      "  k list of list of number\n").fields
        assert [str(f.type) for f in fields] == [
            "text", "number", "yes/no", "date", "time", "party", "list of text", "severity",
            "urgency", "certainty", "list of list of number"]

    def test_one_of(self):
        f = only('fields\n  type text one of "flood", "wildfire"\n  n number one of 1, 2\n').fields
        assert [v.value for v in f[0].one_of] == ["flood", "wildfire"]
        assert [v.value for v in f[1].one_of] == [1, 2]


class TestRoles:
    BODY = 'party a "A"\n  region "N"\n  area ["X:1"]\nparty b "B"\nfields\n  who party\n'

    def role(self, text):
        return declarations(self.BODY + text + "\n")[-1]

    def test_fixed_parties(self):
        role = self.role("role r is a, b")
        assert (role.kind, [m.name for m in role.members]) == ("fixed", ["a", "b"])

    def test_single_party(self):
        assert [m.name for m in self.role("role r is a").members] == ["a"]

    def test_from_a_field(self):
        role = self.role("role r is incident.who")
        assert (role.kind, role.path) == ("field", path("incident.who"))

    def test_parties_where(self):
        role = self.role('role r is parties where party.region == incident.region or '
                         'party.region == "N"')
        assert role.kind == "where"
        assert role.condition == ast.Or((
            ast.Compare(path("party.region"), "==", path("incident.region"), span=None),
            ast.Compare(path("party.region"), "==", lit("text", "N"), span=None)), span=None)

    def test_parties_except(self):
        role = self.role("role r is parties except a, b")
        assert (role.kind, [m.name for m in role.members]) == ("except", ["a", "b"])

    def test_parties_whose_area_intersects(self):
        role = self.role("role r is parties whose area intersects incident.area")
        assert (role.kind, role.path) == ("area", path("incident.area"))


class TestConditions:
    def test_every_operator(self):
        for op in ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains"]:
            assert condition(f"incident.x {op} incident.y") == cmp("incident.x", op,
                                                                   path("incident.y"))

    def test_operators_without_spaces(self):
        assert condition("incident.n>=10") == cmp("incident.n", ">=", lit("number", 10))

    def test_list_on_the_right(self):
        assert condition('incident.type not in ["a", "b"]') == cmp(
            "incident.type", "not in",
            ast.ListLiteral((lit("text", "a"), lit("text", "b")), span=None))

    def test_given_and_not_given(self):
        assert condition("incident.x is given") == ast.Given(path("incident.x"), False, span=None)
        assert condition("incident.x is not given") == ast.Given(path("incident.x"), True,
                                                                 span=None)

    def test_intersects(self):
        assert condition("incident.area intersects incident.zones") == ast.Intersects(
            path("incident.area"), path("incident.zones"), span=None)

    def test_breached_and_trigger_reference(self):
        assert condition("breached c or big") == ast.Or(
            (ast.Breached("c", None, span=None), ast.TriggerRef("big", span=None)), span=None)

    def test_nested_path(self):
        assert condition('incident.cap.info.event == "Flood"').left == path("incident.cap.info.event")

    def test_and_binds_tighter_than_or(self):
        a_or_b_and_c = condition('incident.type == "a" or incident.type == "b" and '
                                 'incident.type == "c"')
        assert a_or_b_and_c == ast.Or((A, ast.And((B, C), span=None)), span=None)
        a_and_b_or_c = condition('incident.type == "a" and incident.type == "b" or '
                                 'incident.type == "c"')
        assert a_and_b_or_c == ast.Or((ast.And((A, B), span=None), C), span=None)

    def test_parentheses_override_precedence(self):
        assert condition('incident.type == "a" and (incident.type == "b" or incident.type == "c")'
                         ) == ast.And((A, ast.Group(ast.Or((B, C), span=None), span=None)), span=None)
        assert condition('((incident.type == "a"))') == ast.Group(ast.Group(A, span=None),
                                                                  span=None)

    def test_not(self):
        assert condition('not incident.type == "a" and incident.type == "b"') == ast.And(
            (ast.Not(A, span=None), B), span=None)
        assert condition('not (incident.type == "a" or incident.type == "b")') == ast.Not(
            ast.Group(ast.Or((A, B), span=None), span=None), span=None)
        assert condition('not not incident.type == "a"') == ast.Not(ast.Not(A, span=None),
                                                                     span=None)

    def test_chains_are_flat(self):
        assert condition('incident.type == "a" or incident.type == "b" or incident.type == "c"'
                         ) == ast.Or((A, B, C), span=None)

    def test_multi_line_condition(self):
        assert condition('incident.type == "a"\n    or incident.type == "b"\n'
                         '    and incident.type == "c"') == condition(
            'incident.type == "a" or incident.type == "b" and incident.type == "c"')

    def test_multi_line_when_in_a_clause(self):
        clause = only('clause c\n  when incident.type == "a"\n    or incident.type == "b"\n'
                      '  a must "x"\n')
        assert clause.get("when") == ast.Or((A, B), span=None)
        assert clause.get("statement").subject.name == "a"


class TestClauses:
    def test_modalities(self):
        assert [statement(f'a {m} "x"').modality for m in ("must", "may", "must not")] == [
            "must", "may", "must not"]

    @pytest.mark.parametrize("text, kind, amount, unit", [
        ("within 30 minutes", "within", 30, "minute"),
        ("within 1 minute", "within", 1, "minute"),
        ("within 4 hours", "within", 4, "hour"),
        ("within 1 hour", "within", 1, "hour"),
        ("within 2 days", "within", 2, "day"),
        ("within 1 day", "within", 1, "day"),
        ("within 3 business days", "within", 3, "business day"),
        ("within 1 business day", "within", 1, "business day"),
        ("within 2 weeks", "within", 2, "week"),
        ("within 1 week", "within", 1, "week"),
        ("within 4 hours of incident.requested_at", "within_field", 4, "hour"),
        ("within 2 hours of breach of other", "within_breach", 2, "hour"),
    ])
    def test_within_deadlines(self, text, kind, amount, unit):
        dl = statement(f'a must "x" {text}').deadline
        assert (dl.kind, dl.duration.amount, dl.duration.unit) == (kind, amount, unit)

    def test_deadline_anchors(self):
        assert statement('a must "x" within 4 hours of incident.requested_at').deadline \
            .field_path == path("incident.requested_at")
        assert statement('a must "x" within 2 hours of breach of other').deadline \
            .breach_of.name == "other"

    def test_by_deadline(self):
        dl = statement('a must "x" by 2026-03-14T12:00:00-05:00').deadline
        assert dl.kind == "by"
        assert dl.time.value == datetime(2026, 3, 14, 17, tzinfo=timezone.utc)

    def test_no_deadline(self):
        assert statement('a may "x"').deadline is None

    def test_costs_borne_by(self):
        c = costs("costs borne by a")
        assert (c.kind, [s.who.name for s in c.shares]) == ("borne", ["a"])

    def test_costs_shared_equally(self):
        c = costs("costs shared equally by a, b, r")
        assert (c.kind, [s.who.name for s in c.shares]) == ("equal", ["a", "b", "r"])
        assert all(s.percent is None for s in c.shares)

    def test_costs_shared_by_percent(self):
        c = costs("costs shared a 75%, r 25%")
        assert c.kind == "percent"
        assert [(s.who.name, s.percent.value) for s in c.shares] == [("a", 75.0), ("r", 25.0)]

    def test_every_clause_line(self):
        clause = only('clause c "Title"\n  when incident.type == "a"\n  a must "x"\n'
                      '  unless incident.type == "b"\n  costs borne by a\n  text """\n'
                      "    Legal wording,\n    on two lines.\n  \"\"\"\n")
        assert clause.title.value == "Title"
        assert [i.key for i in clause.items] == ["when", "statement", "unless", "costs", "text"]
        assert clause.get("text").value == "Legal wording,\non two lines."

    def test_title_is_optional(self):
        assert only('clause c\n  when incident.type == "a"\n  a may "x"\n').title is None

    def test_ids_may_start_with_a_keyword(self):
        decls = declarations('party within_area "W"\nrole must_team is within_area\n'
                             'trigger or_else when incident.type == "a"\n'
                             'clause notice_given\n  when or_else\n  must_team must "x"\n')
        assert [d.id for d in decls] == ["within_area", "must_team", "or_else", "notice_given"]


class TestExamples:
    def test_every_example_line(self):
        example = only('example "e"\n  incident """{"id": "1"}"""\n  at 2026-03-14T09:00:00+02:00\n'
                       "  expect a must c by 2026-03-14T08:30:00Z\n  expect b may d\n"
                       "  expect a must not e\n  expect no f\n  expect no duty for b\n")
        assert example.name.value == "e"
        assert example.get("incident").value == '{"id": "1"}'
        assert example.get("at").value == datetime(2026, 3, 14, 7, tzinfo=timezone.utc)
        assert [(x.kind, x.party and x.party.name, x.modality, x.clause and x.clause.name,
                 x.by and x.by.raw) for x in example.expects] == [
            ("duty", "a", "must", "c", "2026-03-14T08:30:00Z"),
            ("duty", "b", "may", "d", None),
            ("duty", "a", "must not", "e", None),
            ("no_clause", None, None, "f", None),
            ("no_duty", "b", None, None, None),
        ]

    def test_multi_line_incident_is_dedented(self):
        example = parse(BASE).of_type(ast.ExampleDecl)[0]
        assert example.get("incident").value.startswith('{"id": "T-1", "type": "flood"')
        assert example.get("incident").value.split("\n")[1].startswith(' "reported_at"')


# ================================================================== syntax errors

@pytest.mark.parametrize("old, new, expected", [
    pytest.param('  affected must "notify', '  affected mst "notify',
                 (41, 12, "expected 'must', 'may' or 'must not', found 'mst' (did you mean "
                          "'must'?)"), id="modality-typo"),
    pytest.param('  affected must "notify', '  affected shall "notify',
                 (41, 12, "expected 'must', 'may' or 'must not', found 'shall'"),
                 id="modality-unknown"),
    pytest.param('assisting may "withhold resources needed to protect its own jurisdiction"',
                 "assisting may withhold resources",
                 (56, 17, "expected the action in double quotes, found 'withhold'"),
                 id="action-without-quotes"),
    pytest.param("kind mutual-aid", "kind mutual_aid",
                 (4, 8, "expected a kind (mou, mutual-aid, compact, protocol or other), found "
                        "'mutual_aid' (did you mean 'mutual-aid'?)"), id="kind"),
    pytest.param("kind mutual-aid", "kind treaty",
                 (4, 8, "expected a kind (mou, mutual-aid, compact, protocol or other), found "
                        "'treaty'"), id="kind-no-suggestion"),
    pytest.param("within 30 minutes", "within 30 minuts",
                 (41, 86, "expected a unit (minutes, hours, days, business days, calendar days, "
                          "weeks, months or years), found 'minuts' (did you mean 'minutes'?)"),
                 id="unit"),
    pytest.param("withdrawal notice 30 days", "withdrawal notice 30 fortnights",
                 (8, 24, "expected a unit (minutes, hours, days, business days, calendar days, "
                         "weeks, months or years), found 'fortnights'"), id="unit-unknown"),
    pytest.param("within 30 minutes", "within 30 calendar weeks",
                 (41, 95, "expected 'days', found 'weeks'"), id="calendar-not-days"),
    pytest.param("within 30 minutes", "within 1.5 hours",
                 (41, 83, "expected a whole number, found '1.5'"), id="duration-fraction"),
    pytest.param("trigger mass_displacement when", "trigger mass_displacement",
                 (37, 27, "expected 'when', found 'incident.displaced'"), id="trigger-no-when"),
    pytest.param("trigger mass_displacement", "triger mass_displacement",
                 (37, 1, "expected 'and', 'or' or the next declaration, found 'triger' (did you "
                         "mean 'trigger'?)"), id="declaration-keyword-typo"),
    pytest.param("clause no_self_deploy", "Clause no_self_deploy",
                 (58, 1, "expected a clause line (when, unless, costs, text, otherwise, "
                         "fulfilled at, or ROLE must|may|must not \"...\"), found 'Clause' "
                         "(did you mean 'clause'?)"),
                 id="declaration-keyword-case"),
    pytest.param("  unless incident.displaced", "  unles incident.displaced",
                 (47, 3, "expected a clause line (when, unless, costs, text, otherwise, "
                         "fulfilled at, or ROLE must|may|must not \"...\"), found 'unles' "
                         "(did you mean 'unless'?)"),
                 id="clause-line-typo"),
    pytest.param("  when major_flood\n  assisting may", "  whn major_flood\n  assisting may",
                 (55, 3, "expected a clause line (when, unless, costs, text, otherwise, "
                         "fulfilled at, or ROLE must|may|must not \"...\"), found 'whn' "
                         "(did you mean 'when'?)"),
                 id="when-typo"),
    pytest.param("incident.displaced >= 500", "incident.displaced >=",
                 (39, 1, "expected a value or incident.FIELD, found 'clause'"),
                 id="missing-operand"),
    pytest.param("incident.displaced >= 500", "incident.displaced >= 500 and",
                 (39, 1, "expected a condition, found 'clause'"), id="dangling-and"),
    pytest.param("incident.displaced >= 500", "incident.displaced = 500",
                 (37, 51, "expected a comparison (==, !=, <, <=, >, >=, in, not in, contains), "
                          "'is given' or 'intersects', found '='"), id="single-equals"),
    pytest.param("incident.displaced >= 500", 'incident.type is "flood"',
                 (37, 49, "expected 'given' or 'not given', found '\"flood\"'"), id="is-value"),
    pytest.param("incident.displaced >= 500", "incident.displaced >= 500 AND incident.displaced < 9",
                 (37, 58, "expected 'and', 'or' or the next declaration, found 'AND' (did you "
                          "mean 'and'?)"), id="upper-case-and"),
    pytest.param("incident.displaced >= 500", "incident. displaced >= 500",
                 (37, 42, "expected a field name after the dot, found 'displaced'"),
                 id="space-after-dot"),
    pytest.param("when major_flood or mass_displacement", "when (major_flood or mass_displacement",
                 (41, 3, "expected ')', found 'affected'"), id="unclosed-parenthesis"),
    pytest.param("by 2026-03-14T08:30:00Z", "by 2026-03-14T08:30:00",
                 (68, 34, "the time '2026-03-14T08:30:00' has no offset; add Z or an offset such "
                          "as -05:00"), id="time-without-offset"),
    pytest.param("by 2026-03-14T13:00:00Z", "by 2026-03-34T13:00:00Z",
                 (69, 36, "'2026-03-34T13:00:00Z' is not a valid time"), id="invalid-time"),
    pytest.param("effective 2026-01-01", "effective 2026-02-30",
                 (6, 13, "'2026-02-30' is not a valid date"), id="invalid-date"),
    pytest.param("effective 2026-01-01", "effective 2026-1-1",
                 (6, 13, "expected a date, found '2026-1-1'"), id="short-date"),
    pytest.param('recital "Both parties', 'recital "Both \\q parties',
                 (10, 15, "unknown escape '\\q' in a string; use \\\", \\\\ or \\n"),
                 id="unknown-escape"),
    pytest.param('party state "State Emergency Operations Center"', "party state",
                 (23, 3, "expected the party's full legal name in double quotes, found 'region'"),
                 id="party-without-name"),
    pytest.param('party state "State', 'party text "State',
                 (22, 7, "'text' is a keyword of the language and cannot be used as a name here; "
                         "choose another name"), id="keyword-as-id"),
    pytest.param("  displaced number", "  displaced numbr",
                 (27, 13, "expected a type (text, number, yes/no, date, time, party, list of "
                          "TYPE, severity, urgency or certainty), found 'numbr' (did you mean "
                          "'number'?)"), id="type-typo"),
    pytest.param("  displaced number", "  displaced integer",
                 (27, 13, "expected a type (text, number, yes/no, date, time, party, list of "
                          "TYPE, severity, urgency or certainty), found 'integer'"),
                 id="type-unknown"),
    pytest.param("costs borne by requesting", "costs shared requesting 75, coordinator 25%",
                 (48, 27, "expected a percentage, found '75'"), id="share-without-percent"),
    pytest.param("costs borne by requesting", "costs paid by requesting",
                 (48, 9, "expected 'borne by', 'shared equally by' or 'shared ROLE N%, ...', "
                         "found 'paid'"), id="costs-form"),
    pytest.param("within 2 hours of breach of engines", "within 2 hours of breach engines",
                 (52, 105, "expected 'of', found 'engines'"), id="breach-without-of"),
    pytest.param("expect no duty for state", "expect no duty state",
                 (71, 18, "expected 'for', found 'state'"), id="expect-no-duty-without-for"),
    pytest.param("expect riverbend may withhold", "expect riverbend might withhold",
                 (70, 20, "expected 'must', 'may' or 'must not', found 'might'"),
                 id="expect-modality"),
    pytest.param('example "severe flood in Lakeside with a request"',
                 "example severe_flood",
                 (62, 9, "expected the example's name in double quotes, found 'severe_flood'"),
                 id="example-name"),
])
def test_syntax_error(old, new, expected):
    assert syntax_summary(edit((old, new))) == expected


def test_syntax_error_render_golden():
    d = syntax_error(edit(('  affected must "notify', '  affected mst "notify')))
    assert d.render() == (
        "lakeside.agreement:41:12: error: expected 'must', 'may' or 'must not', found 'mst' "
        "(did you mean 'must'?)\n"
        '   41 |   affected mst "notify the State EOC through the shared incident channel" '
        "within 30 minutes\n"
        "      |            ^^^")


def test_unterminated_string_render_golden():
    d = syntax_error(edit(("Riverbend\"\n  kind", "Riverbend\n  kind")))
    assert d.render() == (
        'lakeside.agreement:3:9: error: this string is never closed: a "..." string must end on '
        'the same line (use """...""" for several lines)\n'
        '    3 |   title "Mutual Aid Agreement between Lakeside County and the City of Riverbend\n'
        "      |         ^")


def test_unterminated_triple_quoted_string():
    assert syntax_summary(edit(('  """\n  expect lakeside', "\n  expect lakeside"))) == (
        63, 12, 'this """ string is never closed')


def test_unknown_keyword_render_golden():
    d = syntax_error(edit(("kind mutual-aid", "kind mutal-aid")))
    assert d.render() == (
        "lakeside.agreement:4:8: error: expected a kind (mou, mutual-aid, compact, protocol or "
        "other), found 'mutal-aid' (did you mean 'mutual-aid'?)\n"
        "    4 |   kind mutal-aid\n"
        "      |        ^^^^^^^^^")


def test_syntax_error_at_end_of_file_points_just_after_the_last_word():
    assert syntax_summary(HEADER + 'clause c\n  when incident.type == "a"\n  a must\n') == (
        8, 9, "expected the action in double quotes, found the end of the file")


def test_text_that_is_not_an_agreement():
    assert syntax_summary("hello world\n") == (
        1, 1, "expected a declaration (agreement, recital, party, fields, role, trigger, clause "
              "or example), found 'hello'")


def test_parse_raises_compact_error_with_diagnostics():
    with pytest.raises(CompactError) as info:
        parse(edit(("kind mutual-aid", "kind mutual_aid")), "x.agreement")
    assert [d.severity for d in info.value.diagnostics] == ["error"]
    assert str(info.value).startswith("x.agreement:4:8: error: expected a kind")


def test_check_source_reports_a_syntax_error_as_a_diagnostic():
    doc, diags, symbols = check_source(edit(("kind mutual-aid", "kind mutual_aid")), "x.agreement")
    assert doc is None
    assert [(d.severity, d.span.line, d.span.col) for d in diags] == [("error", 4, 8)]


def test_deeply_nested_text_gives_a_diagnostic_not_a_crash():
    text = HEADER + "trigger t when " + "(" * 400 + 'incident.type == "a"' + ")" * 400 + "\n"
    doc, diags, _ = check_source(text)
    assert all(d.severity in ("error", "warning") for d in diags)


# ------------------------------------------------------------------ misleading syntax errors

def test_costs_shared_without_equally():
    line, col, message = syntax_summary(edit(("costs borne by requesting",
                                              "costs shared by requesting, coordinator")))
    assert (line, col) == (48, 16)
    assert "equally" in message
    assert "cannot be used as a name" not in message


def test_dangling_comma_in_a_role_list():
    assert syntax_summary(edit(("except requesting, coordinator", "except requesting,"))) == (
        36, 1, "expected a party or role id, found 'trigger'")


@pytest.mark.parametrize("old, new, position", [
    pytest.param("expect lakeside must notify by 2026-03-14T08:30:00Z",
                 "expect lakeside must notify by 2026-03-14", (68, 34), id="expect-by-date"),
    pytest.param("expect no no_self_deploy", "expect no", (72, 12), id="expect-no-nothing"),
    pytest.param("  expect lakeside must notify",
                 "  at 2026-03-14\n  expect lakeside must notify", (68, 6), id="at-date"),
    pytest.param("role affected is parties where party.region == incident.region",
                 "role affected is parties whose area intersects", (33, 1),
                 id="area-intersects-nothing"),
])
def test_syntax_error_names_what_was_expected(old, new, position):
    line, col, message = syntax_summary(edit((old, new)))
    assert (line, col) == position
    assert message.startswith("expected ")
    assert "something else" not in message


def test_time_offset_without_colon():
    line, col, message = syntax_summary(edit(("by 2026-03-14T08:30:00Z", "by 2026-03-14T08:30:00+0500")))
    assert (line, col) == (68, 34)
    assert "+0500" in message and "no offset" not in message


def test_agreement_without_id():
    line, col, message = syntax_summary(edit(("agreement lakeside-riverbend-mutual-aid\n",
                                              "agreement\n")))
    assert "agreement id" in message


def test_field_without_incident_prefix():
    line, col, message = syntax_summary(edit(('incident.type == "flood" and',
                                              'type == "flood" and')))
    assert (line, col) == (36, 26)
    assert "incident.type" in message


def test_capitalised_declaration_keyword_after_fields():
    line, col, message = syntax_summary(edit(("role coordinator is state", "Role coordinator is state")))
    assert (line, col) == (31, 1)
    assert "did you mean 'role'?" in message


# ------------------------------------------------------------------ drafting mistakes (issue 12)

def test_a_limit_after_costs_says_what_a_costs_line_is():
    d = syntax_error(edit(("costs borne by requesting", "costs borne by requesting up to 10000")))
    assert d.render() == (
        "lakeside.agreement:48:29: error: unexpected 'up' after the costs: a costs line is "
        "'costs borne by ROLE', 'costs shared equally by ROLE, ...' or 'costs shared ROLE N%, "
        "ROLE N%, ...', with no limit; a limit such as 'up to 10000' belongs in the clause's "
        "text\n"
        "   48 |   costs borne by requesting up to 10000\n"
        "      |                             ^^")


def test_other_words_after_costs_say_what_a_costs_line_is():
    assert syntax_summary(edit(("costs borne by requesting",
                                "costs shared equally by requesting, lakeside each"))) == (
        48, 48, "unexpected 'each' after the costs: a costs line is 'costs borne by ROLE', "
                "'costs shared equally by ROLE, ...' or 'costs shared ROLE N%, ROLE N%, ...'")


def test_a_number_with_separators_says_to_write_it_without():
    d = syntax_error(edit(("unless incident.displaced > 5000", "unless incident.amount > 10,000")))
    assert d.render() == (
        "lakeside.agreement:47:28: error: numbers are written without separators: write 10000, "
        "not 10,000\n"
        "   47 |   unless incident.amount > 10,000\n"
        "      |                            ^^^^^^")


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("incident.displaced >= 500", "incident.displaced >= 1,500",
                 (37, 54, "numbers are written without separators: write 1500, not 1,500"),
                 id="in-a-trigger"),
    pytest.param("incident.displaced > 5000", "incident.displaced > 5,000.5",
                 (47, 31, "numbers are written without separators: write 5000.5, not 5,000.5"),
                 id="with-decimals"),
])
def test_numbers_with_separators_elsewhere(old, new, expected):
    assert syntax_summary(edit((old, new))) == expected


def test_deadline_terms_joined_by_or_point_to_whichever():
    d = syntax_error(edit(("within 4 hours of incident.requested_at",
                           "within 30 days of incident.requested_at or 1 week")))
    assert d.render() == (
        "lakeside.agreement:46:117: error: deadline terms joined by 'or' must say which of them "
        "counts: close them with ', whichever is earlier' or ', whichever is later' (within 30 "
        "days of incident.requested_at or 1 week, whichever is earlier)\n"
        '   46 |   assisting must "deploy one Type 1 engine strike team to the staging area" '
        "within 30 days of incident.requested_at or 1 week\n"
        "      | " + " " * 116 + "^^")


def test_or_inside_the_action_is_not_taken_for_deadline_terms():
    line, col, message = syntax_summary(edit((
        'assisting may "withhold resources needed to protect its own jurisdiction"',
        'assisting may "act within a day or two" within 1 day or')))
    assert "whichever" in message and (line, col) == (56, 56)
    line, col, message = syntax_summary(edit((
        'assisting may "withhold resources needed to protect its own jurisdiction"',
        'assisting may "act within a day or two" maybe')))
    assert "whichever" not in message


# ------------------------------------------------------------------ v2 expect lines

@pytest.mark.parametrize("old, new, expected", [
    pytest.param("expect riverbend may withhold", "expect riverbend may withhold fulfiled",
                 (70, 33, "expected a status (open, breached, fulfilled or lapsed) or the end of "
                          "the expect line, found 'fulfiled' (did you mean 'fulfilled'?)"),
                 id="status-typo"),
    pytest.param("expect riverbend must engines by 2026-03-14T13:00:00Z",
                 "expect riverbend must engines by 2026-03-14T13:00:00Z soon",
                 (69, 57, "expected a status (open, breached, fulfilled or lapsed) or the end of "
                          "the expect line, found 'soon'"), id="after-by"),
    pytest.param("expect riverbend may withhold", "expect riverbend may withhold open now",
                 (70, 38, "expected the end of the expect line after its status, found 'now'"),
                 id="after-status"),
    pytest.param("expect no no_self_deploy", "expect no no_self_deploy riverbend",
                 (72, 28, "expected 'for PARTY' or the end of the expect line, found "
                          "'riverbend'"), id="no-clause-without-for"),
    pytest.param("expect riverbend may withhold", "expect warning names",
                 (70, 18, "expected the warning's text in double quotes, found 'names'"),
                 id="warning-without-quotes"),
])
def test_expect_line_errors(old, new, expected):
    assert syntax_summary(edit((old, new))) == expected


def test_expect_forms_of_v2_read_the_same_by_both_readers_and_format_back():
    text = edit(("  expect no no_self_deploy\n", "  expect no no_self_deploy\n"
                 "  expect no notify for riverbend\n"
                 "  expect riverbend must engines by 2026-03-14T13:00:00Z open\n"
                 "  expect riverbend may withhold open\n"
                 '  expect warning "names no party"\n'))
    fast, slow = parse(text), parse(text, fast=False)
    assert fast == slow
    expects = [i.value for d in fast.declarations if isinstance(d, ast.ExampleDecl)
               for i in d.items if i.key == "expect"]
    assert [(e.kind, e.party and e.party.name, e.clause and e.clause.name,
             e.status and e.status.name, e.text and e.text.value) for e in expects[-4:]] == [
        ("no_clause", "riverbend", "notify", None, None),
        ("duty", "riverbend", "engines", "open", None),
        ("duty", "riverbend", "withhold", "open", None),
        ("warning", None, None, None, "names no party")]
    assert format_source(text) == text


def test_a_party_named_warning_is_still_expected_as_a_party():
    text = edit(('party state "State Emergency Operations Center"',
                 'party warning "Warning Office"\n\nparty state "State Emergency Operations Center"'),
                ("expect riverbend may withhold", "expect warning may withhold"))
    expects = [i.value for d in parse(text).declarations if isinstance(d, ast.ExampleDecl)
               for i in d.items if i.key == "expect"]
    assert (expects[2].kind, expects[2].party.name) == ("duty", "warning")
    assert parse(text) == parse(text, fast=False)
