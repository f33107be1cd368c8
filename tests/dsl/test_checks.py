"""Golden tests of the static checks of language.md ("Static checks"): exact message, line, column.

Each test makes one mistake in the complete example of language.md (see base_agreement.py)
and asserts the complete list of diagnostics, so that a missing, extra or moved diagnostic is
caught. A few tests also pin the full rendered text with its caret line.

"""

from __future__ import annotations

import pytest

from dsl.parser import parse
from engine.compiler import check_source
from tests.dsl.base_agreement import (BASE, HEADER, INCIDENT_BLOCK, LANGUAGE_MD, check_summary,
                                      diagnostics, edit, errors)


# ------------------------------------------------------------------ the base itself

def test_base_is_the_spec_example():
    spec = LANGUAGE_MD.read_text(encoding="utf-8")
    start = spec.index("## A complete example")
    block = spec[spec.index("```\n", start) + 4:]
    assert block[:block.index("```")] == BASE


def test_base_checks_clean():
    doc, diags, symbols = check_source(BASE, "lakeside.agreement")
    assert doc is not None
    assert diags == []
    assert sorted(symbols.clauses) == ["engines", "escalate", "no_self_deploy", "notify",
                                       "withhold"]


# ------------------------------------------------------------------ rendered format (golden)

def test_render_unknown_role_matches_interfaces_md():
    text = edit(('  assisting must "deploy one', '  asisting must "deploy one'))
    diags = diagnostics(text)
    assert len(diags) == 1
    assert diags[0].render() == (
        "lakeside.agreement:46:3: error: unknown role 'asisting' (did you mean 'assisting'?)\n"
        '   46 |   asisting must "deploy one Type 1 engine strike team to the staging area" '
        "within 4 hours of incident.requested_at\n"
        "      |   ^^^^^^^^")


def test_render_unknown_party_in_role():
    diags = diagnostics(edit(("role coordinator is state", "role coordinator is stat")))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:31:21: error: unknown role or party 'stat' (did you mean 'state'?)\n"
        "   31 | role coordinator is stat\n"
        "      |                     ^^^^"]


def test_render_literal_outside_one_of():
    diags = diagnostics(edit(('incident.type == "flood" and', 'incident.type == "flod" and')))
    assert [d.render() for d in diags] == [
        'lakeside.agreement:36:43: error: "flod" is not one of the values of incident.type '
        '("flood", "wildfire", "hazmat") (did you mean \'flood\'?)\n'
        '   36 | trigger major_flood when incident.type == "flod" and incident.severity >= '
        '"severe"\n'
        "      |                                           ^^^^^^"]


def test_render_costs_not_totalling_100():
    diags = diagnostics(edit(("  costs borne by requesting",
                              "  costs shared requesting 75%, coordinator 20%")))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:48:3: error: cost shares total 95%, not 100%\n"
        "   48 |   costs shared requesting 75%, coordinator 20%\n"
        "      |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"]


def test_render_until_before_effective():
    diags = diagnostics(edit(("until 2028-12-31", "until 2025-12-31")))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:6:30: error: 'until 2025-12-31' is before 'effective 2026-01-01'\n"
        "    6 |   effective 2026-01-01 until 2025-12-31\n"
        "      |                              ^^^^^^^^^^"]


def test_render_warning_trigger_never_used():
    text = edit(("trigger mass_displacement when incident.displaced >= 500\n",
                 "trigger mass_displacement when incident.displaced >= 500\n"
                 "trigger big_fire when incident.type == \"wildfire\"\n"))
    assert [d.render() for d in diagnostics(text)] == [
        "lakeside.agreement:38:9: warning: trigger 'big_fire' is never used\n"
        '   38 | trigger big_fire when incident.type == "wildfire"\n'
        "      |         ^^^^^^^^"]


def test_render_uses_the_given_file_name():
    _doc, diags, _ = check_source(edit(("role coordinator is state", "role coordinator is stat")),
                                  "agreements/lakeside.agreement")
    assert diags[0].render().startswith("agreements/lakeside.agreement:31:21: error: ")


# ------------------------------------------------------------------ undefined ids

@pytest.mark.parametrize("old, new, expected", [
    pytest.param("role coordinator is state", "role coordinator is stat",
                 (31, 21, "unknown role or party 'stat' (did you mean 'state'?)"),
                 id="party-in-fixed-role"),
    pytest.param("role coordinator is state", "role coordinator is governor",
                 (31, 21, "unknown role or party 'governor'"), id="party-no-suggestion"),
    pytest.param("except requesting, coordinator", "except requesting, coordinatr",
                 (34, 46, "unknown role or party 'coordinatr' (did you mean 'coordinator'?)"),
                 id="role-in-except"),
    pytest.param('  assisting may "withhold', '  asisting may "withhold',
                 (56, 3, "unknown role 'asisting' (did you mean 'assisting'?)"),
                 id="role-as-subject"),
    pytest.param("  costs borne by requesting", "  costs borne by requestng",
                 (48, 18, "unknown role 'requestng' (did you mean 'requesting'?)"),
                 id="role-in-costs"),
    pytest.param("when major_flood or mass_displacement", "when major_flod or mass_displacement",
                 (40, 8, "unknown trigger 'major_flod' (did you mean 'major_flood'?)"),
                 id="trigger"),
    pytest.param("  when breached engines", "  when breached engins",
                 (51, 17, "unknown clause 'engins' (did you mean 'engines'?)"),
                 id="clause-in-breached"),
    pytest.param("of breach of engines", "of breach of engins",
                 (52, 108, "unknown clause 'engins' (did you mean 'engines'?)"),
                 id="clause-in-breach-deadline"),
    pytest.param("incident.displaced >= 500", "incident.displacd >= 500",
                 (37, 32, "unknown field 'incident.displacd' (did you mean 'displaced'?); "
                          "declare it under 'fields'"),
                 id="field"),
    pytest.param("incident.displaced >= 500", "incident.casualties >= 500",
                 (37, 32, "unknown field 'incident.casualties'; declare it under 'fields'"),
                 id="field-no-suggestion"),
    pytest.param("party.region == incident.region", "party.regin == incident.region",
                 (32, 32, "no party has the attribute 'regin' (did you mean 'region'?)"),
                 id="party-attribute"),
    pytest.param("expect riverbend may withhold", "expect riverbend may withold",
                 (70, 24, "unknown clause 'withold' (did you mean 'withhold'?)"),
                 id="clause-in-expect"),
    pytest.param("expect no no_self_deploy", "expect no no_self_deplo",
                 (72, 13, "unknown clause 'no_self_deplo' (did you mean 'no_self_deploy'?)"),
                 id="clause-in-expect-no"),
    pytest.param("expect riverbend may withhold", "expect riverbnd may withhold",
                 (70, 10, "unknown party 'riverbnd' (did you mean 'riverbend'?)"),
                 id="party-in-expect"),
    pytest.param("expect no duty for state", "expect no duty for stat",
                 (71, 22, "unknown party 'stat' (did you mean 'state'?)"),
                 id="party-in-expect-no-duty"),
])
def test_undefined_id(old, new, expected):
    assert check_summary(edit((old, new))) == [("error", *expected)]


def test_clause_used_as_trigger_says_how_to_test_a_breach():
    assert check_summary(edit(("  when breached engines", "  when engines"))) == [
        ("error", 51, 8, "'engines' is a clause, not a trigger; write 'breached engines' to test "
                         "for its breach")]


def test_deadline_on_a_prohibition_is_an_error():
    text = edit(('  assisting must not "deploy resources without a request"',
                 '  assisting must not "deploy resources without a request" within 2 hours'))
    assert [d.render() for d in diagnostics(text)] == [
        "lakeside.agreement:60:59: error: a prohibition has no deadline: it holds for as long "
        "as the clause holds; remove 'within 2 hours'\n"
        '   60 |   assisting must not "deploy resources without a request" within 2 hours\n'
        "      |                                                           ^^^^^^^^^^^^^^"]


@pytest.mark.parametrize("deadline", ["by 2026-03-14T12:00:00Z",
                                      "within 1 hour of incident.requested_at",
                                      "within 1 hour of breach of engines"])
def test_every_deadline_form_on_a_prohibition_is_an_error(deadline):
    text = edit(('  assisting must not "deploy resources without a request"',
                 f'  assisting must not "deploy resources without a request" {deadline}'))
    assert check_summary(text) == [
        ("error", 60, 59, "a prohibition has no deadline: it holds for as long as the clause "
                          f"holds; remove '{deadline}'")]


def test_role_listing_a_role_as_fixed_member():
    # v2: a fixed role may list roles as well as parties (their union)
    text = edit(("role assisting is parties except requesting, coordinator",
                 "role assisting is parties except requesting, coordinator\n"
                 "role backup is coordinator"))
    assert check_summary(text) == [("warning", 35, 6, "role 'backup' is never used")]


# ------------------------------------------------------------------ duplicate ids

@pytest.mark.parametrize("old, new, expected", [
    pytest.param('  region "Statewide"\n',
                 '  region "Statewide"\n\nparty riverbend "Riverbend Water Authority"\n',
                 (25, 7, "duplicate id 'riverbend': already defined as a party at line 18"),
                 id="party"),
    pytest.param("role coordinator is state\n",
                 "role coordinator is state\nrole coordinator is lakeside\n",
                 (32, 6, "duplicate id 'coordinator': already defined as a role at line 31"),
                 id="role"),
    pytest.param("trigger mass_displacement when incident.displaced >= 500\n",
                 "trigger mass_displacement when incident.displaced >= 500\n"
                 "trigger major_flood when incident.displaced > 0\n",
                 (38, 9, "duplicate id 'major_flood': already defined as a trigger at line 36"),
                 id="trigger"),
    pytest.param('example "severe flood',
                 'clause withhold "Right to withhold, again"\n  when major_flood\n'
                 '  assisting may "withhold"\n\nexample "severe flood',
                 (62, 8, "duplicate id 'withhold': already defined as a clause at line 54"),
                 id="clause"),
    pytest.param("  requested_at time\n", "  requested_at time\n  displaced number\n",
                 (30, 3, "field 'displaced' is declared twice (first at line 27)"), id="field"),
    pytest.param("role coordinator is state\n", "role coordinator is state\nrole state is lakeside\n",
                 (32, 6, "duplicate id 'state': already defined as a party at line 22"),
                 id="role-named-like-a-party"),
    pytest.param("trigger mass_displacement when incident.displaced >= 500\n",
                 "trigger mass_displacement when incident.displaced >= 500\n"
                 "trigger notify when incident.displaced > 0\n",
                 (40, 8, "duplicate id 'notify': already defined as a trigger at line 38"),
                 id="clause-named-like-a-trigger"),
])
def test_duplicate_id(old, new, expected):
    found = errors(edit((old, new)))
    assert ("error", *expected) in found
    assert found[0] == ("error", *expected)


def test_duplicate_party_is_the_only_error():
    text = edit(('  region "Statewide"\n',
                 '  region "Statewide"\n\nparty riverbend "Riverbend Water Authority"\n'))
    assert check_summary(text) == [
        ("error", 25, 7, "duplicate id 'riverbend': already defined as a party at line 18")]


def test_duplicate_field_caret_covers_the_declaration():
    diags = diagnostics(edit(("  requested_at time\n", "  requested_at time\n  displaced number\n")))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:30:3: error: field 'displaced' is declared twice (first at line 27)\n"
        "   30 |   displaced number\n"
        "      |   ^^^^^^^^^^^^^^^^"]


def test_builtin_field_redeclared_with_another_type():
    text = edit(("  requested_at time\n", "  requested_at time\n  region number\n"))
    assert check_summary(text) == [
        ("error", 30, 10, "'region' is a built-in field of type text; it cannot be declared as "
                          "number")]


# ------------------------------------------------------------------ literals and types

@pytest.mark.parametrize("old, new, expected", [
    pytest.param('incident.type == "flood" and', 'incident.type == "flod" and',
                 (36, 43, '"flod" is not one of the values of incident.type ("flood", '
                          '"wildfire", "hazmat") (did you mean \'flood\'?)'), id="equals"),
    pytest.param('incident.type == "flood" and', '"flod" == incident.type and',
                 (36, 26, '"flod" is not one of the values of incident.type ("flood", '
                          '"wildfire", "hazmat") (did you mean \'flood\'?)'), id="literal-left"),
    pytest.param("incident.displaced >= 500", 'incident.type != "hazmatt"',
                 (37, 49, '"hazmatt" is not one of the values of incident.type ("flood", '
                          '"wildfire", "hazmat") (did you mean \'hazmat\'?)'), id="not-equals"),
    pytest.param("incident.displaced >= 500", 'incident.type in ["flood", "earthquake"]',
                 (37, 59, '"earthquake" is not one of the values of incident.type ("flood", '
                          '"wildfire", "hazmat")'), id="in-list"),
    pytest.param("incident.displaced >= 500", 'incident.status == "exrcise"',
                 (37, 51, '"exrcise" is not one of the values of incident.status ("actual", '
                          '"exercise", "test") (did you mean \'exercise\'?)'),
                 id="builtin-status"),
    pytest.param('incident.severity >= "severe"', 'incident.severity >= "sever"',
                 (36, 76, '"sever" is not a severity (extreme, severe, moderate, minor, unknown) '
                          "(did you mean 'severe'?)"), id="scale-value"),
    pytest.param('incident.severity >= "severe"', 'incident.severity >= "Severe"',
                 (36, 76, '"Severe" is not a severity (extreme, severe, moderate, minor, '
                          "unknown) (did you mean 'severe'?)"), id="scale-value-case"),
])
def test_literal_outside_field_values(old, new, expected):
    assert check_summary(edit((old, new))) == [("error", *expected)]


def test_one_of_value_of_the_wrong_type():
    text = edit(('type text one of "flood", "wildfire", "hazmat"',
                 'type text one of "flood", "wildfire", 3'))
    assert errors(text) == [
        ("error", 26, 41, "3 is not a text value, so it cannot be one of field 'type'")]


@pytest.mark.parametrize("new, expected", [
    pytest.param('incident.displaced == "many"',
                 'cannot compare incident.displaced (number) with "many" (text)', id="number-text"),
    pytest.param("incident.requested_at > 5",
                 "cannot compare incident.requested_at (time) with 5 (number)", id="time-number"),
    pytest.param("incident.displaced == yes",
                 "cannot compare incident.displaced (number) with yes (yes/no)",
                 id="number-yesno"),
    pytest.param("incident.requested_at > 2026-01-01",
                 "cannot compare incident.requested_at (time) with 2026-01-01 (date)",
                 id="time-date"),
    pytest.param('incident.area == "FIPS:1"',
                 'cannot compare incident.area (list of text) with "FIPS:1" (text)',
                 id="list-text"),
    pytest.param("incident.severity == incident.urgency",
                 "cannot compare incident.severity (severity) with incident.urgency (urgency)",
                 id="two-scales"),
    pytest.param("incident.displaced == incident.region",
                 "cannot compare incident.displaced (number) with incident.region (text)",
                 id="two-fields"),
])
def test_incompatible_types(new, expected):
    text = edit(("incident.displaced >= 500", new))
    assert check_summary(text) == [("error", 37, 32, expected)]


@pytest.mark.parametrize("new, expected", [
    pytest.param('incident.region > "Lakeside"',
                 "'>' is an ordering comparison, and text values have no order; use == or != to "
                 "compare incident.region", id="field-literal"),
    pytest.param("incident.region >= incident.type",
                 "'>=' is an ordering comparison, and text values have no order; use == or != to "
                 "compare incident.region", id="field-field"),
    pytest.param('"Lakeside" < incident.region',
                 "'<' is an ordering comparison, and text values have no order; use == or != to "
                 'compare "Lakeside"', id="literal-left"),
])
def test_ordering_comparison_on_text(new, expected):
    assert check_summary(edit(("incident.displaced >= 500", new))) == [("error", 37, 32, expected)]


def test_ordering_comparison_on_yes_no():
    text = edit(("  requested_at time\n", "  requested_at time\n  urgent yes/no\n"),
                ("incident.displaced >= 500", "incident.urgent > no"))
    assert check_summary(text) == [
        ("error", 38, 32, "'>' is an ordering comparison, and yes/no values have no order; use "
                          "== or != to compare incident.urgent")]


def test_ordering_comparison_on_party_field():
    text = edit(("incident.displaced >= 500", 'incident.requested_by < "lakeside"'))
    assert check_summary(text) == [
        ("error", 37, 32, "'<' is an ordering comparison, and party values have no order; use "
                          "== or != to compare incident.requested_by")]


def test_ordering_comparisons_on_ordered_types_are_accepted():
    text = edit(("incident.displaced >= 500",
                 "incident.displaced >= 500 and incident.requested_at > 2026-03-14T00:00:00Z "
                 'and incident.urgency <= "expected" and incident.displaced < 50%'))
    assert check_summary(text) == []


def test_unknown_in_an_ordering_is_a_warning():
    text = edit(('incident.severity >= "severe"', 'incident.severity >= "unknown"'))
    assert check_summary(text) == [
        ("warning", 36, 55, "'unknown' is outside the severity scale, so '>=' with it is never "
                            "true")]


# ------------------------------------------------------------------ costs and dates

@pytest.mark.parametrize("costs, expected", [
    ("costs shared requesting 75%, coordinator 20%", "cost shares total 95%, not 100%"),
    ("costs shared requesting 50%, coordinator 25%, lakeside 30%",
     "cost shares total 105%, not 100%"),
    ("costs shared requesting 33.3%, coordinator 33.3%, lakeside 33.3%",
     "cost shares total 99.9%, not 100%"),
])
def test_costs_not_totalling_100(costs, expected):
    assert check_summary(edit(("costs borne by requesting", costs))) == [("error", 48, 3, expected)]


@pytest.mark.parametrize("costs", [
    "costs shared requesting 75%, coordinator 25%",
    "costs shared requesting 62.5%, coordinator 37.5%",
    "costs shared requesting 100%",
    "costs shared equally by requesting, coordinator, lakeside",
    "costs borne by lakeside",
])
def test_costs_that_are_fine(costs):
    assert check_summary(edit(("costs borne by requesting", costs))) == []


def test_until_before_effective():
    assert check_summary(edit(("until 2028-12-31", "until 2025-12-31"))) == [
        ("error", 6, 30, "'until 2025-12-31' is before 'effective 2026-01-01'")]


def test_until_on_the_effective_day_is_fine():
    assert check_summary(edit(("until 2028-12-31", "until 2026-01-01"))) == []


# ------------------------------------------------------------------ cycles of breached

def test_cycle_of_two_clauses():
    text = edit(("  when major_flood and incident.requested_by is given\n",
                 "  when major_flood and incident.requested_by is given and not breached escalate\n"))
    assert check_summary(text) == [
        ("error", 44, 8, "cycle of breached references: engines → escalate → engines")]


def test_cycle_of_one_clause():
    assert check_summary(edit(("  when breached engines", "  when breached escalate"))) == [
        ("error", 50, 8, "cycle of breached references: escalate → escalate")]


def test_cycle_through_a_breach_deadline():
    text = edit(("within 4 hours of incident.requested_at", "within 4 hours of breach of escalate"))
    assert check_summary(text) == [
        ("error", 44, 8, "cycle of breached references: engines → escalate → engines")]


def test_cycle_through_a_trigger():
    text = edit(('incident.severity >= "severe"\n',
                 'incident.severity >= "severe" and not breached escalate\n'))
    assert errors(text) == [
        ("error", 44, 8, "cycle of breached references: engines → escalate → engines")]


def test_cycle_of_three_clauses():
    text = edit(("  when breached engines", "  when breached withhold"),
                ("  when major_flood\n  assisting may", "  when breached no_self_deploy\n  assisting may"),
                ("  when major_flood and incident.requested_by is not given",
                 "  when breached escalate"))
    assert errors(text) == [
        ("error", 50, 8,
         "cycle of breached references: escalate → withhold → no_self_deploy → escalate")]


def test_breached_chain_without_cycle_is_fine():
    text = edit(("  when major_flood\n  assisting may", "  when breached escalate\n  assisting may"))
    assert check_summary(text) == []


def test_trigger_that_refers_to_itself():
    text = edit(("incident.displaced >= 500", "incident.displaced >= 500 or mass_displacement"))
    assert errors(text) == [
        ("error", 37, 9,
         "trigger 'mass_displacement' refers to itself: mass_displacement → mass_displacement")]


# ------------------------------------------------------------------ examples

def test_example_incident_invalid_json_points_into_the_json():
    text = edit(('"displaced": 120,', '"displaced": 120,,'))
    diags = diagnostics(text)
    assert [d.render() for d in diags] == [
        "lakeside.agreement:65:62: error: the example's incident is not valid JSON: Expecting "
        "property name enclosed in double quotes\n"
        '   65 |      "reported_at": "2026-03-14T08:00:00Z", "displaced": 120,,\n'
        "      |                                                              ^"]


def test_example_incident_invalid_json_on_one_line():
    text = edit((INCIDENT_BLOCK,
                 '  incident """{"id": "T-1", "type": "flood" '
                 '"reported_at": "2026-03-14T08:00:00Z"}"""\n'))
    assert check_summary(text) == [
        ("error", 63, 45, "the example's incident is not valid JSON: Expecting ',' delimiter")]


def test_example_incident_unterminated_json():
    text = edit(('"requested_at": "2026-03-14T09:00:00Z"}', '"requested_at": "2026-03-14T09:00:00Z"'))
    found = check_summary(text)
    assert len(found) == 1
    severity, line, _col, message = found[0]
    assert (severity, message) == ("error", "the example's incident is not valid JSON: Expecting "
                                            "',' delimiter")
    assert 63 <= line <= 67


def test_example_incident_invalid_json_in_escaped_string():
    text = edit((INCIDENT_BLOCK,
                 '  incident "{\\"id\\": \\"T-1\\", \\"type\\": \\"flood\\" \\"x\\": 1}"\n'))
    assert check_summary(text) == [
        ("error", 63, 51, "the example's incident is not valid JSON: Expecting ',' delimiter")]


def test_example_incident_not_an_object():
    text = edit((INCIDENT_BLOCK, '  incident "[1, 2]"\n'))
    assert check_summary(text) == [
        ("error", 63, 12, "the example's incident must be a JSON object { ... }")]


def test_example_incident_that_does_not_fit_the_fields():
    text = edit(('"displaced": 120,', '"displaced": "many",'))
    assert check_summary(text) == [
        ("error", 63, 12, "example 'severe flood in Lakeside with a request': the incident is "
                          "invalid: $.displaced: 'many' is not a number: write digits without "
                          "quotes, such as 12 or 0.5")]


def test_example_without_incident():
    text = edit((INCIDENT_BLOCK, ""))
    assert check_summary(text) == [
        ("error", 62, 9, "example 'severe flood in Lakeside with a request' needs an 'incident' "
                         "line with the incident as JSON")]


def test_example_with_unknown_clause_and_invalid_json_reports_both():
    text = edit(('"displaced": 120,', '"displaced": 120,,'),
                ("expect riverbend may withhold", "expect riverbend may withold"))
    assert check_summary(text) == [
        ("error", 65, 62, "the example's incident is not valid JSON: Expecting property name "
                          "enclosed in double quotes"),
        ("error", 70, 24, "unknown clause 'withold' (did you mean 'withhold'?)"),
    ]


# ------------------------------------------------------------------ warnings

def test_warning_trigger_never_used():
    text = edit(("trigger mass_displacement when incident.displaced >= 500\n",
                 "trigger mass_displacement when incident.displaced >= 500\n"
                 "trigger big_fire when incident.type == \"wildfire\"\n"))
    assert check_summary(text) == [("warning", 38, 9, "trigger 'big_fire' is never used")]


def test_warning_role_never_used():
    text = edit(("role assisting is", "role responders is riverbend, lakeside\nrole assisting is"))
    assert check_summary(text) == [("warning", 34, 6, "role 'responders' is never used")]


def test_trigger_used_only_by_another_trigger_counts_as_used():
    text = edit(("trigger mass_displacement when incident.displaced >= 500",
                 "trigger mass_displacement when incident.displaced >= 500 and huge\n"
                 "trigger huge when incident.displaced > 100"))
    assert check_summary(text) == []


@pytest.mark.parametrize("when, reason", [
    pytest.param('incident.type == "flood" and incident.type == "hazmat"',
                 'incident.type cannot be both "flood" and "hazmat"', id="two-values"),
    pytest.param('major_flood and incident.type == "hazmat"',
                 'incident.type cannot be both "flood" and "hazmat"', id="through-a-trigger"),
    pytest.param("incident.displaced > 10 and incident.displaced < 5",
                 "no value of incident.displaced satisfies both of its bounds", id="bounds"),
    pytest.param("incident.requested_by is given and incident.requested_by is not given",
                 "incident.requested_by cannot be both given and not given", id="given"),
    pytest.param('incident.type == "flood" and incident.type != "flood"',
                 'incident.type cannot be both "flood" and not "flood"', id="equal-and-not"),
    pytest.param('incident.type in ["flood", "hazmat"] and incident.type == "wildfire"',
                 'incident.type cannot be "wildfire" and also one of the listed values',
                 id="in-list"),
])
def test_warning_clause_that_can_never_apply(when, reason):
    text = edit(("  when major_flood\n  assisting may", f"  when {when}\n  assisting may"))
    assert check_summary(text) == [
        ("warning", 55, 8, f"clause 'withhold' can never apply: its condition can never hold "
                           f"({reason})")]


@pytest.mark.parametrize("when", [
    'incident.type == "flood" or incident.type == "hazmat"',
    "incident.displaced > 10 and incident.displaced < 500",
    'incident.severity >= "severe" and incident.severity <= "severe"',
    'not incident.type == "flood" and incident.type == "hazmat"',
])
def test_satisfiable_conditions_give_no_warning(when):
    text = edit(("  when major_flood\n  assisting may", f"  when {when}\n  assisting may"))
    assert check_summary(text) == []


def test_warning_agreement_without_examples():
    text = BASE[:BASE.index('example "')]
    assert check_summary(text) == [
        ("warning", 2, 11, "agreement 'lakeside-riverbend-mutual-aid' has no examples; add an "
                           "'example' block so that 'compact test' can check it")]


def test_warnings_do_not_stop_an_agreement_from_loading():
    from engine.compiler import load
    text = edit(("role assisting is", "role responders is riverbend, lakeside\nrole assisting is"))
    compiled = load(text, "lakeside.agreement")
    assert [w.message for w in compiled.warnings] == ["role 'responders' is never used"]


# ------------------------------------------------------------------ other errors

def test_agreement_header_lines_missing():
    text = HEADER.replace('  title "T"\n', "").replace("  binding\n", "")
    assert errors(text) == [
        ("error", 1, 11, "agreement 't' needs a 'title' line"),
        ("error", 1, 11, "agreement 't' needs a 'binding or non-binding' line"),
    ]


def test_agreement_without_effective_line():
    text = HEADER.replace("  effective 2026-01-01\n", "")
    assert errors(text) == [("error", 1, 11, "agreement 't' needs an 'effective' line")]


def test_second_agreement_declaration():
    text = edit(("recital \"Both", "agreement other\n\nrecital \"Both"))
    assert errors(text) == [
        ("error", 10, 1, "there can be only one 'agreement' declaration in a file (the first is "
                         "at line 2)")]


def test_file_without_agreement():
    assert errors('party a "A"\n') == [
        ("error", 1, 1, "the file has no 'agreement' declaration; it must start with "
                        "'agreement ID' followed by its title, kind, binding and effective lines")]


def test_clause_without_when_or_statement():
    text = edit(("  when major_flood\n  assisting may", "  assisting may"),
                ('  assisting must not "deploy resources without a request"\n', ""))
    assert errors(text) == [
        ("error", 54, 8, "clause 'withhold' needs a 'when' line saying when it applies"),
        ("error", 57, 8, "clause 'no_self_deploy' needs a line saying who must, may or must not "
                         "do what (ROLE must \"...\")"),
    ]


def test_clause_with_two_duties():
    text = edit(('  assisting may "withhold resources needed to protect its own jurisdiction"\n',
                 '  assisting may "withhold resources needed to protect its own jurisdiction"\n'
                 '  coordinator must "be told"\n'))
    assert errors(text) == [
        ("error", 57, 3, "clause 'withhold' has a second 'must/may/must not' line (the first is at "
                         "line 56); one clause states one duty")]


def test_party_attribute_outside_a_role():
    assert check_summary(edit(("incident.displaced >= 500", 'party.region == "Lakeside"'))) == [
        ("error", 37, 32, "party.region reads a party's attribute, which only a role's 'parties "
                          "where' condition can do")]


def test_deadline_from_a_field_that_is_not_a_time():
    text = edit(("within 4 hours of incident.requested_at", "within 4 hours of incident.displaced"))
    assert check_summary(text) == [
        ("error", 46, 95, "incident.displaced is a number; a deadline is counted from a field of "
                          "type time")]


def test_role_read_from_a_field_that_is_not_a_party():
    text = edit(("role requesting is incident.requested_by", "role requesting is incident.displaced"))
    assert check_summary(text) == [
        ("error", 33, 20, "incident.displaced is a number; a role can only be read from a field "
                          "of type party")]


# ------------------------------------------------------------------ many errors in one run

def test_every_semantic_error_is_reported_in_one_run():
    text = edit(
        ("until 2028-12-31", "until 2025-12-31"),
        ("role coordinator is state", "role coordinator is stat"),
        ('incident.type == "flood" and', 'incident.type == "flod" and'),
        ("incident.displaced >= 500", 'incident.region > "Lakeside"'),
        ("when major_flood or mass_displacement", "when major_flod or mass_displacement"),
        ("costs borne by requesting", "costs shared requesting 75%, coordinator 20%"),
        ("  when breached engines", "  when breached escalate"),
        ('"displaced": 120,', '"displaced": 120,,'),
        ("expect riverbend may withhold", "expect riverbend may withold"),
    )
    assert check_summary(text) == [
        ("error", 6, 30, "'until 2025-12-31' is before 'effective 2026-01-01'"),
        ("error", 31, 21, "unknown role or party 'stat' (did you mean 'state'?)"),
        ("error", 36, 43, '"flod" is not one of the values of incident.type ("flood", '
                          '"wildfire", "hazmat") (did you mean \'flood\'?)'),
        ("error", 37, 32, "'>' is an ordering comparison, and text values have no order; use == "
                          "or != to compare incident.region"),
        ("error", 40, 8, "unknown trigger 'major_flod' (did you mean 'major_flood'?)"),
        ("error", 48, 3, "cost shares total 95%, not 100%"),
        ("error", 50, 8, "cycle of breached references: escalate → escalate"),
        ("error", 65, 62, "the example's incident is not valid JSON: Expecting property name "
                          "enclosed in double quotes"),
        ("error", 70, 24, "unknown clause 'withold' (did you mean 'withhold'?)"),
    ]


def test_errors_and_warnings_together_sorted_by_position():
    text = edit(("role assisting is", "role responders is riverbend, lakeside\nrole assisting is"),
                ("role coordinator is state", "role coordinator is stat"))
    assert check_summary(text) == [
        ("error", 31, 21, "unknown role or party 'stat' (did you mean 'state'?)"),
        ("warning", 34, 6, "role 'responders' is never used"),
    ]


def test_check_source_never_raises_and_returns_no_document_on_syntax_error():
    doc, diags, symbols = check_source(edit(("kind mutual-aid", "kind mutual_aid")), "x.agreement")
    assert doc is None and symbols is None
    assert [d.severity for d in diags] == ["error"]


def test_parsed_document_is_checked_without_mutating_it():
    doc = parse(BASE)
    assert doc.declarations == parse(BASE).declarations


# ------------------------------------------------------------------ v2 expect lines

def test_expect_statuses_that_a_duty_of_that_modality_never_has():
    assert errors(edit(
        ("expect lakeside must notify by 2026-03-14T08:30:00Z",
         "expect lakeside must notify by 2026-03-14T08:30:00Z lapsed"),
        ("expect riverbend may withhold", "expect riverbend may withhold breached"),
        ("expect no no_self_deploy", "expect riverbend must not no_self_deploy fulfilled"))) == [
        ("error", 68, 55, "a 'must' duty is never lapsed: it is open, breached or fulfilled"),
        ("error", 70, 33, "a 'may' duty is never breached: it is open or lapsed"),
        ("error", 72, 44, "a 'must not' duty is never fulfilled: it is open")]


def test_expect_statuses_each_modality_has_check_clean():
    assert check_summary(edit(
        ("expect lakeside must notify by 2026-03-14T08:30:00Z",
         "expect lakeside must notify by 2026-03-14T08:30:00Z open\n"
         "  expect lakeside must notify breached\n  expect lakeside must notify fulfilled"),
        ("expect riverbend may withhold", "expect riverbend may withhold open\n"
         "  expect riverbend may withhold lapsed"),
        ("expect no no_self_deploy", "expect riverbend must not no_self_deploy open"))) == []


def test_expect_no_clause_for_an_unknown_party():
    assert errors(edit(("expect no no_self_deploy", "expect no no_self_deploy for vero_beach"))) == [
        ("error", 72, 32, "unknown party 'vero_beach'")]
    assert errors(edit(("expect no no_self_deploy", "expect no no_self_deploy for riverbnd"))) == [
        ("error", 72, 32, "unknown party 'riverbnd' (did you mean 'riverbend'?)")]


def test_expect_warning_with_empty_text():
    assert errors(edit(("expect no no_self_deploy", 'expect warning " "'))) == [
        ("error", 72, 18, "the warning's text is empty; quote a part of the warning expected")]
