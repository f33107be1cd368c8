"""Evaluation semantics of language.md, rule by rule, with exact duties, due times and reasons.

Every evaluation here goes through `run`, which evaluates with the linear reference
(`engine.evaluator.evaluate`) and with the indexed `engine.index.Library` and asserts that both
give the same answer, byte for byte; every rejected incident goes through `rejected`, which
asserts that both reject it with the same messages.
"""

from __future__ import annotations

import copy
import json
import textwrap
from datetime import datetime

import pytest

from engine.compiler import CompiledAgreement, load
from engine.evaluator import evaluate
from engine.examples import run_examples
from engine.incidents import IncidentError
from engine.index import Library
from tests.engine.samples import (LAKESIDE, LAKESIDE_ID, MAJOR_FLOOD_BECAUSE, T1,
                                  T1_ENGINES_DUTY)

PARTIES = '''
party lakeside "Lakeside County"
  region "Lakeside"
  area ["FIPS:039001", "FIPS:039003"]

party riverbend "City of Riverbend"
  region "Riverbend"
  area ["FIPS:039005"]

party state "State EOC"
  region "Statewide"
'''


def agreement(body: str, id: str = "t", effective: str = "2026-01-01 until 2028-12-31",
              parties: str = PARTIES) -> CompiledAgreement:
    text = (f'agreement {id}\n  title "Test agreement {id}"\n  kind mutual-aid\n  binding\n'
            f'  effective {effective}\n{parties}\n{textwrap.dedent(body)}')
    return load(text, f"{id}.agreement")


def lakeside() -> CompiledAgreement:
    return load(LAKESIDE, "lakeside.agreement")


def incident(**fields) -> dict:
    out = {"id": "I-1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}
    out.update(fields)
    return out


def t1(**changes) -> dict:
    out = dict(T1)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _time(at):
    return datetime.fromisoformat(at) if isinstance(at, str) else at


def _copy(inc):
    return copy.deepcopy(inc) if isinstance(inc, dict) else inc


def run(agreements, inc, at=None) -> dict:
    """The evaluation JSON; the linear reference and the index must agree byte for byte."""
    if isinstance(agreements, CompiledAgreement):
        agreements = [agreements]
    at = _time(at)
    linear = evaluate(_copy(inc), agreements, at=at)
    indexed = Library(agreements).evaluate(_copy(inc), at=at)
    assert indexed.as_dict() == linear.as_dict()
    assert indexed.to_json() == linear.to_json()
    return linear.as_dict()


def rejected(agreements, inc, at=None) -> list[str]:
    """The messages of an invalid incident; both evaluators must reject it the same way."""
    if isinstance(agreements, CompiledAgreement):
        agreements = [agreements]
    at = _time(at)
    with pytest.raises(IncidentError) as linear:
        evaluate(_copy(inc), agreements, at=at)
    with pytest.raises(IncidentError) as indexed:
        Library(agreements).evaluate(_copy(inc), at=at)
    assert indexed.value.messages == linear.value.messages
    assert linear.value.messages
    return linear.value.messages


def summary(result: dict) -> list[tuple]:
    """(clause, party, modality, due, status) of every duty, in the result's order."""
    return [(d["clause"], d["party"], d["modality"], d["due"], d["status"])
            for d in result["duties"]]


def duty(result: dict, clause: str, party: str, agreement_id: str | None = None) -> dict:
    found = [d for d in result["duties"] if d["clause"] == clause and d["party"] == party
             and (agreement_id is None or d["agreement"] == agreement_id)]
    assert len(found) == 1, summary(result)
    return found[0]


def clauses(result: dict) -> set[str]:
    return {d["clause"] for d in result["duties"]}


def parties_of(result: dict, clause: str) -> list[str]:
    return [d["party"] for d in result["duties"] if d["clause"] == clause]


# ================================================================ the language.md example

def test_language_example_gives_the_interfaces_json():
    result = run(lakeside(), T1)
    assert result["incident"] == "T-1"
    assert result["evaluated_at"] == "2026-03-14T08:00:00Z"
    assert result["exercise"] is False
    assert summary(result) == [
        ("notify", "lakeside", "must", "2026-03-14T08:30:00Z", "open"),
        ("engines", "riverbend", "must", "2026-03-14T13:00:00Z", "open"),
        ("withhold", "riverbend", "may", None, "open"),
    ]
    assert duty(result, "engines", "riverbend") == T1_ENGINES_DUTY
    notify = duty(result, "notify", "lakeside")
    assert notify["role"] == "affected"
    assert notify["title"] == "Notification of the State"
    assert notify["action"] == "notify the State EOC through the shared incident channel"
    assert notify["costs"] == []
    assert notify["because"] == [MAJOR_FLOOD_BECAUSE]
    withhold = duty(result, "withhold", "riverbend")
    assert withhold["because"] == [MAJOR_FLOOD_BECAUSE]
    assert withhold["role"] == "assisting"
    assert result["skipped"] == []
    assert result["warnings"] == []


def test_language_example_blocks_pass():
    results = run_examples(lakeside())
    assert [r.name for r in results] == ["severe flood in Lakeside with a request"]
    assert all(r.passed for r in results), [r.failures for r in results]


def test_interfaces_warning_for_a_role_that_names_no_party():
    result = run(lakeside(), t1(region=None))
    assert "notify" not in clauses(result)
    assert result["warnings"] == [{"agreement": LAKESIDE_ID, "clause": "notify",
                                   "message": "role affected names no party"}]


def test_duty_has_exactly_the_interfaces_keys():
    result = run(lakeside(), T1)
    assert set(result) == {"incident", "evaluated_at", "exercise", "duties", "skipped",
                           "warnings"}
    for d in result["duties"]:
        assert {"agreement", "clause", "title", "modality", "party", "role", "action", "due",
                "status", "costs", "because"} <= set(d)


# ================================================================ 1. effective period

PERIOD = '''
clause act "Act"
  when incident.type == "flood"
  state must "act" within 1 hour
'''


@pytest.mark.parametrize("reported_at, due", [
    ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"),               # first day
    ("2028-12-31T23:59:59Z", "2029-01-01T00:59:59Z"),               # last day
    ("2028-12-31T23:30:00-05:00", "2029-01-01T05:30:00Z"),          # 2029 in UTC, not locally
    ("2026-01-01T00:30:00+01:00", "2026-01-01T00:30:00Z"),          # 2025 in UTC, not locally
])
def test_period_includes_both_dates_read_in_reported_at_offset(reported_at, due):
    result = run(agreement(PERIOD), incident(reported_at=reported_at))
    assert summary(result) == [("act", "state", "must", due, "open")]
    assert result["skipped"] == []


@pytest.mark.parametrize("reported_at, reason", [
    ("2029-01-01T00:30:00+01:00", "not in effect on 2029-01-01 (expired 2028-12-31)"),
    ("2029-01-01T00:00:00Z", "not in effect on 2029-01-01 (expired 2028-12-31)"),
])
def test_after_until_is_skipped_with_reason(reported_at, reason):
    result = run(agreement(PERIOD), incident(reported_at=reported_at))
    assert result["duties"] == []
    assert result["skipped"] == [{"agreement": "t", "reason": reason}]


@pytest.mark.parametrize("reported_at", ["2025-12-31T23:30:00-05:00", "2025-12-31T12:00:00Z"])
def test_before_effective_is_skipped_with_reason(reported_at):
    result = run(agreement(PERIOD), incident(reported_at=reported_at))
    assert result["duties"] == []
    [skip] = result["skipped"]
    assert skip["agreement"] == "t"
    assert skip["reason"].startswith("not in effect on 2025-12-31")
    assert "2026-01-01" in skip["reason"]


def test_open_ended_period():
    ag = agreement(PERIOD, effective="2026-01-01")
    result = run(ag, incident(reported_at="2099-06-01T12:00:00Z"))
    assert summary(result) == [("act", "state", "must", "2099-06-01T13:00:00Z", "open")]


def test_period_is_judged_on_reported_at_not_on_evaluation_time():
    result = run(agreement(PERIOD), incident(reported_at="2028-12-31T22:00:00Z"),
                 at="2029-02-01T00:00:00Z")
    assert summary(result) == [("act", "state", "must", "2028-12-31T23:00:00Z", "breached")]
    assert result["evaluated_at"] == "2029-02-01T00:00:00Z"


def test_skipped_agreement_beside_one_in_effect():
    old = agreement(PERIOD, id="old-compact", effective="2020-01-01 until 2025-12-31")
    current = agreement(PERIOD, id="current")
    result = run([old, current], incident())
    assert [(d["agreement"], d["clause"], d["party"]) for d in result["duties"]] == [
        ("current", "act", "state")]
    assert result["skipped"] == [{"agreement": "old-compact",
                                  "reason": "not in effect on 2026-03-14 (expired 2025-12-31)"}]


def test_skipped_agreement_does_not_validate_the_incident():
    old = agreement('''
        fields
          code number
        clause act "Act"
          when incident.code == 1
          state must "act"
        ''', id="old", effective="2020-01-01 until 2025-12-31")
    current = agreement(PERIOD, id="current")
    result = run([old, current], incident(code="not a number"))
    assert summary(result) == [("act", "state", "must", "2026-03-14T09:00:00Z", "open")]
    assert [s["agreement"] for s in result["skipped"]] == ["old"]


# ================================================================ 2. validation

VALIDATED = '''
fields
  displaced number
  requested_at time
  declared_on date
  hazards list of number
  declared yes/no
  requested_by party

clause act "Act"
  when incident.displaced >= 1
  state must "act"
'''


def test_invalid_incident_message_as_in_interfaces():
    messages = rejected(lakeside(), t1(displaced="many"))
    assert messages == ["$.displaced: 'many' is not a number: write digits without quotes, such as 12 or 0.5 (field 'displaced' of "
                        "agreement lakeside-riverbend-mutual-aid)"]


def test_every_violation_is_reported_with_its_json_path():
    messages = rejected(agreement(VALIDATED), incident(
        displaced="many", requested_at="2026-03-14T09:00:00", declared_on="2026-3-1",
        hazards=[1, "a"], declared="yes", requested_by=7))
    paths = sorted(m.split(": ", 1)[0] for m in messages)
    assert paths == ["$.declared", "$.declared_on", "$.displaced", "$.hazards[1]",
                     "$.requested_at", "$.requested_by"]
    by_path = {m.split(": ", 1)[0]: m for m in messages}
    assert by_path["$.displaced"] == ("$.displaced: 'many' is not a number: write digits without quotes, such as 12 or 0.5 "
                                      "(field 'displaced' of agreement t)")
    assert by_path["$.hazards[1]"] == ("$.hazards[1]: 'a' is not a number: write digits without quotes, such as 12 or 0.5 "
                                       "(field 'hazards' of agreement t)")
    for path, message in by_path.items():
        field = path[2:].split("[")[0]
        assert message.endswith(f"(field '{field}' of agreement t)")
    assert "'2026-03-14T09:00:00'" in by_path["$.requested_at"]
    assert "'2026-3-1'" in by_path["$.declared_on"]


@pytest.mark.parametrize("value", ["2026-03-14T09:00:00", "2026-03-14", "tomorrow",
                                   "2026-13-14T09:00:00Z"])
def test_time_without_offset_or_malformed_is_invalid(value):
    [message] = rejected(agreement(VALIDATED), incident(requested_at=value))
    assert message.startswith("$.requested_at: ")


@pytest.mark.parametrize("value", ["2026-02-30", "14/03/2026", "2026-03-14T00:00:00Z"])
def test_malformed_date_is_invalid(value):
    [message] = rejected(agreement(VALIDATED), incident(declared_on=value))
    assert message.startswith("$.declared_on: ")


def test_invalid_for_one_agreement_means_nothing_is_evaluated():
    strict = agreement(VALIDATED, id="strict")
    other = agreement(PERIOD, id="other")
    messages = rejected([other, strict], incident(displaced="many"))
    assert messages == ["$.displaced: 'many' is not a number: write digits without quotes, such as 12 or 0.5 (field 'displaced' of "
                        "agreement strict)"]


def test_violations_of_several_agreements_are_all_reported():
    a = agreement('''
        fields
          displaced number
        clause act "Act"
          when incident.displaced >= 1
          state must "act"
        ''', id="a1")
    b = agreement('''
        fields
          code number
        clause act "Act"
          when incident.code == 1
          state must "act"
        ''', id="b1")
    messages = rejected([a, b], incident(displaced="many", code="x"))
    assert sorted(messages) == [
        "$.code: 'x' is not a number: write digits without quotes, such as 12 or 0.5 (field 'code' of agreement b1)",
        "$.displaced: 'many' is not a number: write digits without quotes, such as 12 or 0.5 (field 'displaced' of agreement a1)",
    ]


@pytest.mark.parametrize("inc, path, word", [
    ({"type": "flood", "reported_at": "2026-03-14T08:00:00Z"}, "$", "'id'"),
    ({"id": "I-1", "reported_at": "2026-03-14T08:00:00Z"}, "$", "'type'"),
    ({"id": "I-1", "type": "flood"}, "$", "'reported_at'"),
    (incident(reported_at="2026-03-14T08:00:00"), "$.reported_at", "2026-03-14T08:00:00"),
    (incident(severity="huge"), "$.severity", "'huge'"),
    (incident(urgency="Immediate"), "$.urgency", "'Immediate'"),
    (incident(area="FIPS:039001"), "$.area", "'FIPS:039001'"),
    (incident(id=5), "$.id", "5"),
    (incident(fulfilled=[{"clause": "act", "party": "state"}]), "$.fulfilled[0]", "'at'"),
    (incident(fulfilled=[{"clause": "act", "party": "state", "at": "2026-03-14T08:00:00"}]),
     "$.fulfilled[0].at", "2026-03-14T08:00:00"),
])
def test_builtin_field_violations(inc, path, word):
    messages = rejected(agreement(PERIOD), inc)
    assert any(m.startswith(path + ": ") and word in m for m in messages), messages


VERY_TYPED = '''
fields
  count number
  note text
  ok yes/no
  lead party
  at_time time
  on_day date
  codes list of text
  helpers list of party
  level severity

clause act "Act"
  when incident.count >= 1
  state must "act"
'''


@pytest.mark.parametrize("fields, expected", [
    pytest.param({"ok": "yes"}, "$.ok: 'yes' is not a yes/no value: write true or false",
                 id="yes/no"),
    pytest.param({"count": "12"}, "$.count: '12' is not a number: write digits without quotes, "
                                  "such as 12 or 0.5", id="number"),
    pytest.param({"count": True}, "$.count: true is not a number: write digits without quotes, "
                                  "such as 12 or 0.5", id="number-not-yes"),
    pytest.param({"note": 12}, "$.note: 12 is not text: write it in double quotes", id="text"),
    pytest.param({"lead": ["lakeside"]}, "$.lead: [\"lakeside\"] is not a party: write the "
                 "organisation's id in double quotes", id="party"),
    pytest.param({"at_time": "2026-03-14 09:00"}, "$.at_time: '2026-03-14 09:00' is not a time "
                 "with an offset, such as '2026-03-14T08:00:00Z'", id="time"),
    pytest.param({"at_time": 1773478800}, "$.at_time: 1773478800 is not a time with an offset, "
                 "such as '2026-03-14T08:00:00Z'", id="time-as-number"),
    pytest.param({"on_day": "14 March"}, "$.on_day: '14 March' is not a date such as "
                 "'2026-03-14'", id="date"),
    pytest.param({"codes": "a, b"}, "$.codes: 'a, b' is not a list of text: write its values "
                 "between [ and ]", id="list"),
    pytest.param({"codes": ["a", 2]}, "$.codes[1]: 2 is not text: write it in double quotes",
                 id="list-item"),
    pytest.param({"helpers": [None]}, "$.helpers[0]: null is not a party: write the "
                 "organisation's id in double quotes", id="list-of-party-item"),
    pytest.param({"level": "huge"}, "$.level: 'huge' is not a severity: write 'extreme', "
                 "'severe', 'moderate', 'minor' or 'unknown'", id="scale"),
    pytest.param({"level": 3}, "$.level: 3 is not a severity: write 'extreme', 'severe', "
                 "'moderate', 'minor' or 'unknown'", id="scale-not-text"),
])
def test_violations_speak_the_language_types(fields, expected):
    [message] = rejected(agreement(VERY_TYPED), incident(**fields))
    assert message == expected + " (field '" + expected[2:].split(":")[0].split("[")[0] + \
        "' of agreement t)"


@pytest.mark.parametrize("inc, expected", [
    pytest.param({"type": "flood", "reported_at": "2026-03-14T08:00:00Z"},
                 "$: the incident gives no 'id', which is required", id="required"),
    pytest.param(incident(status="drill"), "$.status: 'drill' is not one of the values of "
                 "status: write 'actual', 'exercise' or 'test'", id="status"),
    pytest.param(incident(urgency="Immediate"), "$.urgency: 'Immediate' is not an urgency: write "
                 "'immediate', 'expected', 'future', 'past' or 'unknown'", id="scale"),
    pytest.param(incident(fulfilled={"clause": "act"}), "$.fulfilled: {\"clause\": \"act\"} is "
                 "not a list of fulfilment records: write its values between [ and ]",
                 id="fulfilled-not-a-list"),
    pytest.param(incident(fulfilled=["act"]), "$.fulfilled[0]: 'act' is not a fulfilment record: "
                 'write {"clause": ..., "party": ..., "at": ...}', id="fulfilled-not-a-record"),
    pytest.param(incident(fulfilled=[{"clause": "act", "party": "state"}]),
                 "$.fulfilled[0]: the record gives no 'at', which a fulfilment record requires",
                 id="fulfilled-record-without-at"),
])
def test_builtin_violations_speak_the_language_types(inc, expected):
    assert rejected(agreement(PERIOD), inc) == [expected]


def test_incident_that_is_not_an_object_is_rejected():
    with pytest.raises(IncidentError):
        evaluate([1, 2], [agreement(PERIOD)])
    with pytest.raises(IncidentError):
        Library([agreement(PERIOD)]).evaluate([1, 2])


# ================================================================ one of

ONE_OF = '''
fields
  type text one of "flood", "wildfire"

clause is_flood "Flood"
  when incident.type == "flood"
  state must "flood"

clause other "Other"
  when incident.type not in ["flood", "wildfire"]
  state must "other"

clause any "Any"
  when incident.type != "wildfire"
  riverbend must "any"
'''


def test_value_outside_one_of_warns_and_is_evaluated_as_written():
    result = run(agreement(ONE_OF), incident(type="tornado"))
    assert summary(result) == [("any", "riverbend", "must", None, "open"),
                               ("other", "state", "must", None, "open")]
    assert duty(result, "other", "state")["because"] == [
        'incident.type not in ["flood", "wildfire"] (was "tornado")']
    assert result["warnings"] == [{
        "agreement": None, "clause": None, "field": "type", "value": "tornado",
        "message": "type 'tornado' is not one of the values any agreement lists"}]


def test_value_outside_one_of_that_is_close_to_a_listed_value_suggests_it():
    result = run(agreement(ONE_OF), incident(type="Flood "))
    assert result["warnings"] == [{
        "agreement": None, "clause": None, "field": "type", "value": "Flood ",
        "message": "type 'Flood ' is not one of the values any agreement lists "
                   "(did you mean 'flood'?)"}]
    typo = run(agreement(ONE_OF), incident(type="wildfre"))
    assert typo["warnings"][0]["message"] == (
        "type 'wildfre' is not one of the values any agreement lists (did you mean 'wildfire'?)")


def test_one_warning_per_field_and_value_however_many_agreements_narrow_it():
    many = [agreement(ONE_OF, id=f"t{i}") for i in range(5)]
    result = run(many, incident(type="Flood "))
    assert [w["message"] for w in result["warnings"]] == [
        "type 'Flood ' is not one of the values any agreement lists (did you mean 'flood'?)"]


QUAKES = '''
fields
  type text one of "earthquake"

clause quake "Quake"
  when incident.type == "earthquake"
  state must "assess"
'''


def test_value_listed_by_one_agreement_gives_no_warning_for_the_others():
    other = agreement(QUAKES, id="quakes")
    result = run([agreement(ONE_OF), other], incident(type="earthquake"))
    assert result["warnings"] == []


def test_agreement_not_in_effect_does_not_list_values():
    old = agreement(QUAKES, id="old", effective="2020-01-01 until 2020-12-31")
    result = run([agreement(ONE_OF), old], incident(type="earthquake"))
    assert [w["message"] for w in result["warnings"]] == [
        "type 'earthquake' is not one of the values any agreement lists"]


def test_value_inside_one_of_gives_no_warning():
    result = run(agreement(ONE_OF), incident(type="flood"))
    assert summary(result) == [("any", "riverbend", "must", None, "open"),
                               ("is_flood", "state", "must", None, "open")]
    assert result["warnings"] == []


def test_value_outside_one_of_is_not_an_input_error_in_the_language_example():
    result = run(lakeside(), t1(type="earthquake", displaced=600))
    assert summary(result) == [("notify", "lakeside", "must", "2026-03-14T08:30:00Z", "open")]
    assert duty(result, "notify", "lakeside")["because"] == [
        "mass_displacement: incident.displaced >= 500 (was 600)"]
    assert result["warnings"] == [{
        "agreement": None, "clause": None, "field": "type", "value": "earthquake",
        "message": "type 'earthquake' is not one of the values any agreement lists"}]


# ================================================================ party fields

def test_party_field_naming_no_known_organisation_is_an_input_error_with_a_suggestion():
    parties = PARTIES.replace("party lakeside ", "party lakeside_county ")
    ag = agreement('''
        fields
          requested_by party
        role requesting is incident.requested_by
        clause answer "Answer"
          when incident.requested_by is given
          requesting must "answer"
        ''', parties=parties)
    messages = rejected(ag, incident(requested_by="lakeside"))
    assert messages == ["$.requested_by: 'lakeside' is not a known party "
                        "(did you mean 'lakeside_county'?)"]
    assert rejected(ag, incident(requested_by="nobody_here")) == [
        "$.requested_by: 'nobody_here' is not a known party"]
    assert summary(run(ag, incident(requested_by="lakeside_county"))) == [
        ("answer", "lakeside_county", "must", None, "open")]


def test_party_field_may_name_a_party_of_another_agreement_evaluated():
    ag = agreement('''
        fields
          requested_by party
        role requesting is incident.requested_by
        clause answer "Answer"
          when incident.requested_by is given
          requesting must "answer"
        ''')
    other = agreement("", id="other", parties='party harmon "Harmon County"\n')
    result = run([ag, other], incident(requested_by="harmon"))
    assert result["duties"] == []
    assert result["warnings"] == [{"agreement": "t", "clause": "answer",
                                   "message": "role requesting names no party"}]


def test_list_of_party_field_checks_each_item():
    ag = agreement('''
        fields
          helpers list of party
        role helping is incident.helpers
        clause help "Help"
          when incident.helpers is given
          helping must "help"
        ''')
    assert rejected(ag, incident(helpers=["riverbend", "statte"])) == [
        "$.helpers[1]: 'statte' is not a known party (did you mean 'state'?)"]


# ================================================================ scales

SCALE = '''
clause sev "Severity"
  when incident.severity >= "severe"
  state must "sev"

clause urg "Urgency"
  when incident.urgency > "future"
  state must "urg"

clause cer "Certainty"
  when incident.certainty <= "likely"
  state must "cer"
'''


@pytest.mark.parametrize("value, holds", [
    ("extreme", True), ("severe", True), ("moderate", False), ("minor", False),
    ("unknown", False)])
def test_severity_order(value, holds):
    result = run(agreement(SCALE), incident(severity=value))
    assert clauses(result) == ({"sev"} if holds else set())
    if holds:
        assert duty(result, "sev", "state")["because"] == [
            f"incident.severity >= severe (was {value})"]


@pytest.mark.parametrize("value, holds", [
    ("immediate", True), ("expected", True), ("future", False), ("past", False),
    ("unknown", False)])
def test_urgency_order(value, holds):
    result = run(agreement(SCALE), incident(urgency=value))
    assert clauses(result) == ({"urg"} if holds else set())


@pytest.mark.parametrize("value, holds", [
    ("observed", False), ("likely", True), ("possible", True), ("unlikely", True),
    ("unknown", False)])
def test_certainty_order(value, holds):
    result = run(agreement(SCALE), incident(certainty=value))
    assert clauses(result) == ({"cer"} if holds else set())
    if holds:
        assert duty(result, "cer", "state")["because"] == [
            f"incident.certainty <= likely (was {value})"]


SEVERITY_VALUES = ("minor", "moderate", "severe", "extreme", "unknown")


@pytest.mark.parametrize("op, threshold, value", [
    (op, threshold, value)
    for op in (">=", ">", "<=", "<", "==", "!=") for threshold in SEVERITY_VALUES[:4]
    for value in SEVERITY_VALUES])
def test_scale_comparisons_index_matches_reference(op, threshold, value):
    ag = agreement(f'''
        clause sev "Severity"
          when incident.severity {op} "{threshold}"
          state must "sev"
        ''')
    rank = {v: i for i, v in enumerate(SEVERITY_VALUES[:4])}
    if op in ("==", "!="):
        holds = (value == threshold) == (op == "==")
    elif value == "unknown":
        holds = False
    else:
        a, b = rank[value], rank[threshold]
        holds = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b}[op]
    result = run(ag, incident(severity=value))  # run() compares Library with evaluate
    assert clauses(result) == ({"sev"} if holds else set())


@pytest.mark.parametrize("op", [">=", ">", "<=", "<", "==", "!=", "in", "not in"])
@pytest.mark.parametrize("value", [499, 500, 500.0, 500.5, 501, -1])
def test_number_comparisons_index_matches_reference(op, value):
    right = "[500, 700]" if op in ("in", "not in") else "500"
    ag = agreement(f'''
        fields
          displaced number
        clause many "Many"
          when incident.displaced {op} {right}
          state must "many"
        ''')
    holds = {">=": value >= 500, ">": value > 500, "<=": value <= 500, "<": value < 500,
             "==": value == 500, "!=": value != 500, "in": value in (500, 700),
             "not in": value not in (500, 700)}[op]
    result = run(ag, incident(displaced=value))  # run() compares Library with evaluate
    assert clauses(result) == ({"many"} if holds else set())


UNKNOWN = '''
clause ge_minor "ge"
  when incident.severity >= "minor"
  state must "a"

clause le_extreme "le"
  when incident.severity <= "extreme"
  state must "b"

clause lt_extreme "lt"
  when incident.severity < "extreme"
  state must "c"

clause gt_minor "gt"
  when incident.severity > "minor"
  state must "d"

clause eq_unknown "eq"
  when incident.severity == "unknown"
  state must "e"

clause ne_minor "ne"
  when incident.severity != "minor"
  state must "f"
'''


def test_unknown_is_never_ordered_but_equality_still_works():
    result = run(agreement(UNKNOWN), incident(severity="unknown"))
    assert clauses(result) == {"eq_unknown", "ne_minor"}
    assert duty(result, "eq_unknown", "state")["because"] == [
        "incident.severity == unknown (was unknown)"]


def test_known_value_against_every_ordering():
    result = run(agreement(UNKNOWN), incident(severity="moderate"))
    assert clauses(result) == {"ge_minor", "le_extreme", "lt_extreme", "gt_minor", "ne_minor"}


# ================================================================ absent fields

ABSENT = '''
fields
  count number
  region_list list of text
  label text

clause eq "eq"
  when incident.count == 1
  state must "a"

clause ne "ne"
  when incident.count != 1
  state must "b"

clause lt "lt"
  when incident.count < 1
  state must "c"

clause le "le"
  when incident.count <= 1
  state must "d"

clause gt "gt"
  when incident.count > 1
  state must "e"

clause ge "ge"
  when incident.count >= 1
  state must "f"

clause in_ "in"
  when incident.label in ["x", "y"]
  state must "g"

clause not_in "not in"
  when incident.label not in ["x", "y"]
  state must "h"

clause contains_ "contains"
  when incident.region_list contains "x"
  state must "i"

clause sev_ne "severity !="
  when incident.severity != "minor"
  state must "j"

clause ne_field "field != field"
  when incident.label != incident.region
  state must "k"

clause intersects_ "intersects"
  when incident.region_list intersects incident.area
  state must "l"
'''


def test_comparisons_reading_an_absent_field_are_all_false():
    result = run(agreement(ABSENT), incident())
    assert result["duties"] == []
    assert result["warnings"] == []


def test_one_absent_side_of_a_field_comparison_is_false():
    result = run(agreement(ABSENT), incident(region="Lakeside", area=["x"]))
    assert result["duties"] == []


def test_absence_comparisons_hold_once_the_field_is_given():
    result = run(agreement(ABSENT), incident(count=2, label="z", region_list=["x"],
                                             severity="severe", region="Lakeside", area=["x"]))
    assert clauses(result) == {"ne", "gt", "ge", "not_in", "contains_", "sev_ne", "ne_field",
                               "intersects_"}
    assert duty(result, "ne", "state")["because"] == ["incident.count != 1 (was 2)"]
    assert duty(result, "not_in", "state")["because"] == [
        'incident.label not in ["x", "y"] (was "z")']
    assert duty(result, "ne_field", "state")["because"] == [
        'incident.label != incident.region (was "z" and "Lakeside")']


def test_not_of_an_absent_comparison_holds():
    ag = agreement('''
        fields
          count number
        clause c "C"
          when not incident.count == 1
          state must "a"
        ''')
    result = run(ag, incident())
    assert summary(result) == [("c", "state", "must", None, "open")]


# ================================================================ is given / is not given

GIVEN = '''
fields
  requested_by party

clause is_given "Given"
  when incident.requested_by is given
  state must "a"

clause not_given "Not given"
  when incident.requested_by is not given
  state must "b"
'''


def test_is_given():
    result = run(agreement(GIVEN), incident(requested_by="lakeside"))
    assert summary(result) == [("is_given", "state", "must", None, "open")]
    assert duty(result, "is_given", "state")["because"] == [
        'incident.requested_by is given (was "lakeside")']


def test_is_not_given():
    result = run(agreement(GIVEN), incident())
    assert summary(result) == [("not_given", "state", "must", None, "open")]
    assert duty(result, "not_given", "state")["because"] == ["incident.requested_by is not given"]


def test_no_self_deploy_in_the_language_example():
    result = run(lakeside(), t1(requested_by=None, requested_at=None))
    assert summary(result) == [
        ("notify", "lakeside", "must", "2026-03-14T08:30:00Z", "open"),
        ("no_self_deploy", "lakeside", "must not", None, "open"),
        ("no_self_deploy", "riverbend", "must not", None, "open"),
        ("withhold", "lakeside", "may", None, "open"),
        ("withhold", "riverbend", "may", None, "open"),
    ]
    # With no request, `assisting` (every party but requesting and coordinator) is both.
    assert duty(result, "no_self_deploy", "riverbend")["because"] == [
        MAJOR_FLOOD_BECAUSE, "incident.requested_by is not given"]
    assert duty(result, "no_self_deploy", "lakeside")["role"] == "assisting"


# ================================================================ in, not in, contains, intersects

OPERATORS = '''
fields
  hazards list of text
  zones list of text

clause in_ "In"
  when incident.region in ["Lakeside", "Riverbend"]
  state must "in"

clause not_in "Not in"
  when incident.region not in ["Lakeside", "Riverbend"]
  state must "not in"

clause contains_ "Contains"
  when incident.hazards contains "chlorine"
  state must "contains"

clause literal_in "Literal in list field"
  when "smoke" in incident.hazards
  state must "literal in"

clause overlap "Intersects"
  when incident.area intersects incident.zones
  state must "intersects"
'''


def test_in():
    result = run(agreement(OPERATORS), incident(region="Lakeside"))
    assert clauses(result) == {"in_"}
    assert duty(result, "in_", "state")["because"] == [
        'incident.region in ["Lakeside", "Riverbend"] (was "Lakeside")']


def test_not_in():
    result = run(agreement(OPERATORS), incident(region="Harmon"))
    assert clauses(result) == {"not_in"}
    assert duty(result, "not_in", "state")["because"] == [
        'incident.region not in ["Lakeside", "Riverbend"] (was "Harmon")']


def test_contains_on_a_list():
    result = run(agreement(OPERATORS), incident(hazards=["chlorine", "smoke"]))
    assert clauses(result) == {"contains_", "literal_in"}
    assert duty(result, "contains_", "state")["because"] == [
        'incident.hazards contains "chlorine" (was ["chlorine", "smoke"])']
    result = run(agreement(OPERATORS), incident(hazards=["chlorinated water"]))
    assert clauses(result) == set()


def test_intersects():
    result = run(agreement(OPERATORS), incident(area=["FIPS:1", "FIPS:2"],
                                                zones=["FIPS:2", "FIPS:3"]))
    assert clauses(result) == {"overlap"}
    assert duty(result, "overlap", "state")["because"] == [
        'incident.area intersects incident.zones (was ["FIPS:1", "FIPS:2"] and '
        '["FIPS:2", "FIPS:3"])']
    assert clauses(run(agreement(OPERATORS), incident(area=["FIPS:1"], zones=["FIPS:3"]))) \
        == set()
    assert clauses(run(agreement(OPERATORS), incident(area=[], zones=[]))) == set()


TYPED = '''
fields
  requested_at time
  declared yes/no
  declared_on date

clause later "Time compared as an instant"
  when incident.requested_at > incident.reported_at
  state must "later"

clause before "Time literal"
  when incident.requested_at < 2026-03-14T10:00:00Z
  state must "before"

clause yes_ "Yes/no"
  when incident.declared == yes
  state must "yes"

clause since "Date"
  when incident.declared_on >= 2026-03-01
  state must "since"
'''


def test_times_dates_and_yes_no_compare_by_value():
    # 04:00-05:00 is 09:00Z: after reported_at (08:00Z) although its text sorts before it.
    result = run(agreement(TYPED), incident(requested_at="2026-03-14T04:00:00-05:00",
                                            declared=True, declared_on="2026-03-02"))
    assert clauses(result) == {"later", "before", "yes_", "since"}
    assert duty(result, "later", "state")["because"] == [
        "incident.requested_at > incident.reported_at (was 2026-03-14T04:00:00-05:00 and "
        "2026-03-14T08:00:00Z)"]
    assert duty(result, "yes_", "state")["because"] == ["incident.declared == yes (was yes)"]
    assert duty(result, "since", "state")["because"] == [
        "incident.declared_on >= 2026-03-01 (was 2026-03-02)"]
    result = run(agreement(TYPED), incident(requested_at="2026-03-14T05:00:00-05:00",
                                            declared=False, declared_on="2026-02-28"))
    assert clauses(result) == {"later"}


# ================================================================ and, or, not, parentheses

LOGIC = '''
fields
  a number
  b number
  c number

clause flat "and binds tighter"
  when incident.a == 1 or incident.b == 2 and incident.c == 3
  state must "flat"

clause grouped "parentheses"
  when (incident.a == 1 or incident.b == 2) and incident.c == 3
  riverbend must "grouped"

clause negated "not"
  when not incident.a == 1
  lakeside must "negated"
'''


@pytest.mark.parametrize("a, b, c", [
    (a, b, c) for a in (1, 0, None) for b in (2, 0, None) for c in (3, 0, None)])
def test_and_binds_tighter_than_or_and_parentheses_group(a, b, c):
    values = {k: v for k, v in (("a", a), ("b", b), ("c", c)) if v is not None}
    result = run(agreement(LOGIC), incident(**values))
    A, B, C = a == 1, b == 2, c == 3
    expected = set()
    if A or (B and C):
        expected.add("flat")
    if (A or B) and C:
        expected.add("grouped")
    if not A:
        expected.add("negated")
    assert clauses(result) == expected


def test_explanations_of_and_or_not_and_parentheses():
    result = run(agreement(LOGIC), incident(a=1, c=3))
    assert duty(result, "flat", "state")["because"] == ["incident.a == 1 (was 1)"]
    assert duty(result, "grouped", "riverbend")["because"] == [
        "(incident.a == 1 (was 1))", "incident.c == 3 (was 3)"]
    result = run(agreement(LOGIC), incident(a=5, b=2, c=3))
    assert duty(result, "flat", "state")["because"] == [
        "incident.b == 2 (was 2) and incident.c == 3 (was 3)"]
    assert duty(result, "negated", "lakeside")["because"] == ["not incident.a == 1 (was 5)"]


# ================================================================ triggers

TRIGGERS = '''
fields
  displaced number

trigger big when incident.displaced >= 10
trigger huge when big and incident.severity >= "severe"

clause nested "Nested"
  when huge
  state must "nested"

clause either "Either"
  when big or incident.region == "Lakeside"
  riverbend must "either"
'''


def test_trigger_explanation_names_the_trigger_and_what_it_read():
    # One level: the trigger the clause names, then the facts, also those of the triggers it
    # uses (not "huge: big: ...", which reads as if the severity belonged to big).
    result = run(agreement(TRIGGERS), incident(displaced=12, severity="extreme"))
    assert duty(result, "nested", "state")["because"] == [
        "huge: incident.displaced >= 10 (was 12) and incident.severity >= severe "
        "(was extreme)"]


def test_a_chain_of_triggers_is_explained_at_one_level():
    chain = agreement('''
        fields
          declaration text
          requested_by party

        trigger declared when incident.declaration == "governor"
        trigger activated when declared and incident.severity >= "severe"
        trigger requested when activated and incident.requested_by is given

        clause answer "Answer"
          when requested and incident.type == "flood"
          state must "answer the request"
        ''')
    result = run(chain, incident(declaration="governor", severity="extreme",
                                 requested_by="lakeside"))
    assert duty(result, "answer", "state")["because"] == [
        'requested: incident.declaration == "governor" (was "governor") and incident.severity '
        '>= severe (was extreme) and incident.requested_by is given (was "lakeside")',
        'incident.type == "flood" (was "flood")']
    # Each trigger the clause names directly still gives its own name.
    twice = agreement(TRIGGERS.replace("when huge", "when huge and big"))
    result = run(twice, incident(displaced=12, severity="extreme"))
    assert duty(result, "nested", "state")["because"] == [
        "huge: incident.displaced >= 10 (was 12) and incident.severity >= severe (was extreme)",
        "big: incident.displaced >= 10 (was 12)"]


def test_or_explains_only_the_parts_that_held():
    result = run(agreement(TRIGGERS), incident(displaced=3, region="Lakeside"))
    assert clauses(result) == {"either"}
    assert duty(result, "either", "riverbend")["because"] == [
        'incident.region == "Lakeside" (was "Lakeside")']
    result = run(agreement(TRIGGERS), incident(displaced=30, region="Lakeside"))
    assert duty(result, "either", "riverbend")["because"] == [
        'big: incident.displaced >= 10 (was 30) or incident.region == "Lakeside" '
        '(was "Lakeside")']


def test_trigger_in_the_language_example():
    result = run(lakeside(), t1(severity="moderate", displaced=600))
    assert summary(result) == [("notify", "lakeside", "must", "2026-03-14T08:30:00Z", "open")]
    assert duty(result, "notify", "lakeside")["because"] == [
        "mass_displacement: incident.displaced >= 500 (was 600)"]
    result = run(lakeside(), t1(displaced=600))
    assert duty(result, "notify", "lakeside")["because"] == [
        MAJOR_FLOOD_BECAUSE + " or mass_displacement: incident.displaced >= 500 (was 600)"]


def test_no_trigger_no_duty():
    result = run(lakeside(), t1(severity="moderate"))
    assert result["duties"] == []
    assert result["warnings"] == []


# ================================================================ roles

ROLES = '''
fields
  requested_by party

role coordinator is state
role pair is lakeside, riverbend
role requesting is incident.requested_by
role affected is parties where party.region == incident.region
role assisting is parties except requesting, coordinator
role others is parties except state
role local is parties whose area intersects incident.area
role local_where is parties where party.area intersects incident.area

clause c_fixed "Fixed"
  when incident.type == "flood"
  coordinator must "fixed"

clause c_pair "Fixed pair"
  when incident.type == "flood"
  pair must "pair"

clause c_field "From a field"
  when incident.type == "flood"
  requesting must "field"

clause c_where "Where"
  when incident.type == "flood"
  affected must "where"

clause c_except "Except"
  when incident.type == "flood"
  assisting must "except"

clause c_except_party "Except a party"
  when incident.type == "flood"
  others must "except party"

clause c_area "Area"
  when incident.type == "flood"
  local must "area"

clause c_area_where "Area by where"
  when incident.type == "flood"
  local_where must "area where"

clause c_party "A party itself"
  when incident.type == "flood"
  riverbend must "party"
'''


def roles_of(result):
    return {(d["clause"], d["party"]): d["role"] for d in result["duties"]}


def test_every_role_form():
    result = run(agreement(ROLES), incident(requested_by="riverbend", region="Lakeside",
                                            area=["FIPS:039005", "FIPS:999999"]))
    assert parties_of(result, "c_fixed") == ["state"]
    assert parties_of(result, "c_pair") == ["lakeside", "riverbend"]
    assert parties_of(result, "c_field") == ["riverbend"]
    assert parties_of(result, "c_where") == ["lakeside"]
    assert parties_of(result, "c_except") == ["lakeside"]
    assert parties_of(result, "c_except_party") == ["lakeside", "riverbend"]
    assert parties_of(result, "c_area") == ["riverbend"]
    assert parties_of(result, "c_area_where") == ["riverbend"]
    assert parties_of(result, "c_party") == ["riverbend"]
    roles = roles_of(result)
    assert roles[("c_fixed", "state")] == "coordinator"
    assert roles[("c_pair", "lakeside")] == "pair"
    assert roles[("c_field", "riverbend")] == "requesting"
    assert roles[("c_where", "lakeside")] == "affected"
    assert roles[("c_except", "lakeside")] == "assisting"
    assert roles[("c_area", "riverbend")] == "local"
    assert roles[("c_party", "riverbend")] is None
    assert result["warnings"] == []


def test_each_party_of_a_role_gets_one_duty():
    result = run(agreement(ROLES), incident(area=["FIPS:039001", "FIPS:039005"]))
    assert parties_of(result, "c_area") == ["lakeside", "riverbend"]
    for d in result["duties"]:
        assert d["due"] is None and d["status"] == "open"


def test_party_field_naming_an_organisation_outside_the_agreement_names_no_party():
    # Harmon is known to the evaluation (a party of another agreement), not a party of `t`.
    other = agreement("", id="other", parties='party harmon "Harmon County"\n')
    result = run([agreement(ROLES), other], incident(requested_by="harmon", region="Riverbend",
                                                     area=["FIPS:039001"]))
    assert parties_of(result, "c_field") == []
    assert {"agreement": "t", "clause": "c_field",
            "message": "role requesting names no party"} in result["warnings"]
    # `except requesting` removes nobody then.
    assert parties_of(result, "c_except") == ["lakeside", "riverbend"]
    assert parties_of(result, "c_where") == ["riverbend"]
    assert parties_of(result, "c_area") == ["lakeside"]


def test_empty_roles_warn_once_per_clause_that_needs_them():
    result = run(agreement(ROLES), incident())
    assert sorted(clauses(result)) == ["c_except", "c_except_party", "c_fixed", "c_pair",
                                       "c_party"]
    assert result["warnings"] == [
        {"agreement": "t", "clause": "c_area", "message": "role local names no party"},
        {"agreement": "t", "clause": "c_area_where",
         "message": "role local_where names no party"},
        {"agreement": "t", "clause": "c_field", "message": "role requesting names no party"},
        {"agreement": "t", "clause": "c_where", "message": "role affected names no party"},
    ]


def test_where_role_reads_party_attributes():
    result = run(agreement(ROLES), incident(region="Statewide"))
    assert parties_of(result, "c_where") == ["state"]
    result = run(agreement(ROLES), incident(region="Nowhere"))
    assert parties_of(result, "c_where") == []
    assert {"agreement": "t", "clause": "c_where",
            "message": "role affected names no party"} in result["warnings"]


def test_role_from_a_field_in_the_language_example():
    result = run(lakeside(), t1(requested_by="riverbend"))
    assert parties_of(result, "engines") == ["lakeside"]
    assert duty(result, "engines", "lakeside")["costs"] == [{"party": "riverbend", "share": 1.0}]
    assert parties_of(result, "withhold") == ["lakeside"]


def test_no_duty_and_no_warning_when_the_condition_does_not_hold():
    result = run(agreement(ROLES), incident(type="wildfire"))
    assert result["duties"] == []
    assert result["warnings"] == []


# ================================================================ unless

def test_unless_defeats_the_duty():
    result = run(lakeside(), t1(displaced=6000))
    assert "engines" not in clauses(result)
    assert duty(result, "notify", "lakeside")["because"] == [
        MAJOR_FLOOD_BECAUSE + " or mass_displacement: incident.displaced >= 500 (was 6000)"]


def test_unless_on_the_boundary_and_on_an_absent_field():
    result = run(lakeside(), t1(displaced=5000))
    assert duty(result, "engines", "riverbend")["status"] == "open"
    result = run(lakeside(), t1(displaced=None))
    assert duty(result, "engines", "riverbend")["due"] == "2026-03-14T13:00:00Z"


# ================================================================ deadlines

DEADLINES = '''
fields
  requested_at time

clause m30 "30 minutes"
  when incident.type == "flood"
  state must "a" within 30 minutes

clause h4 "4 hours"
  when incident.type == "flood"
  state must "b" within 4 hours

clause d2 "2 days"
  when incident.type == "flood"
  state must "c" within 2 days

clause w1 "1 week"
  when incident.type == "flood"
  state must "d" within 1 week

clause of_field "Of a field"
  when incident.type == "flood"
  state must "e" within 4 hours of incident.requested_at

clause by_time "By a time"
  when incident.type == "flood"
  state must "f" by 2026-03-20T17:00:00-05:00

clause none "No deadline"
  when incident.type == "flood"
  state must "g"
'''


def test_every_deadline_form_in_utc():
    result = run(agreement(DEADLINES), incident(reported_at="2026-03-14T08:00:00-05:00",
                                                requested_at="2026-03-14T09:15:00-05:00"))
    assert {d["clause"]: d["due"] for d in result["duties"]} == {
        "m30": "2026-03-14T13:30:00Z",
        "h4": "2026-03-14T17:00:00Z",
        "d2": "2026-03-16T13:00:00Z",
        "w1": "2026-03-21T13:00:00Z",
        "of_field": "2026-03-14T18:15:00Z",
        "by_time": "2026-03-20T22:00:00Z",
        "none": None,
    }
    assert result["evaluated_at"] == "2026-03-14T13:00:00Z"
    assert all(d["status"] == "open" for d in result["duties"])


def test_absent_anchor_leaves_the_duty_without_a_due_time_with_a_note():
    result = run(agreement(DEADLINES), incident(), at="2026-04-30T00:00:00Z")
    d = duty(result, "of_field", "state")
    assert d["due"] is None
    assert d["status"] == "open"
    assert "requested_at" in d["note"]
    assert duty(result, "m30", "state")["status"] == "breached"


def test_deadline_from_a_field_in_the_language_example():
    result = run(lakeside(), t1(requested_at="2026-03-14T06:00:00-05:00"))
    assert duty(result, "engines", "riverbend")["due"] == "2026-03-14T15:00:00Z"
    result = run(lakeside(), t1(requested_at=None))
    d = duty(result, "engines", "riverbend")
    assert d["due"] is None
    assert "requested_at" in d["note"]


# ================================================================ business days

BUSINESS = '''
fields
  requested_at time

clause bd1 "1 business day"
  when incident.type == "flood"
  state must "a" within 1 business day

clause bd2 "2 business days"
  when incident.type == "flood"
  state must "b" within 2 business days

clause bd5 "5 business days"
  when incident.type == "flood"
  state must "c" within 5 business days
'''


@pytest.mark.parametrize("reported_at, bd1, bd2, bd5", [
    # Friday 16:00-05:00 + 1 business day = Monday 16:00-05:00 = 21:00Z
    ("2026-03-13T16:00:00-05:00", "2026-03-16T21:00:00Z", "2026-03-17T21:00:00Z",
     "2026-03-20T21:00:00Z"),
    # Friday 22:00-05:00 is Saturday in UTC; it is counted as Friday.
    ("2026-03-13T22:00:00-05:00", "2026-03-17T03:00:00Z", "2026-03-18T03:00:00Z",
     "2026-03-21T03:00:00Z"),
    # Friday 02:00+09:00 is Thursday in UTC; it is counted as Friday.
    ("2026-03-13T02:00:00+09:00", "2026-03-15T17:00:00Z", "2026-03-16T17:00:00Z",
     "2026-03-19T17:00:00Z"),
    # Thursday
    ("2026-03-12T10:00:00Z", "2026-03-13T10:00:00Z", "2026-03-16T10:00:00Z",
     "2026-03-19T10:00:00Z"),
    # Weekend starts: Saturday and Sunday count on from the next Monday.
    ("2026-03-14T10:00:00Z", "2026-03-16T10:00:00Z", "2026-03-17T10:00:00Z",
     "2026-03-20T10:00:00Z"),
    ("2026-03-15T10:00:00Z", "2026-03-16T10:00:00Z", "2026-03-17T10:00:00Z",
     "2026-03-20T10:00:00Z"),
])
def test_business_days_count_monday_to_friday_in_the_anchor_offset(reported_at, bd1, bd2, bd5):
    result = run(agreement(BUSINESS), incident(reported_at=reported_at))
    assert {d["clause"]: d["due"] for d in result["duties"]} == {
        "bd1": bd1, "bd2": bd2, "bd5": bd5}


def test_business_days_of_a_field_use_that_fields_offset():
    ag = agreement('''
        fields
          requested_at time
        clause bdf "Of a field"
          when incident.type == "flood"
          state must "a" within 1 business day of incident.requested_at
        ''')
    # Friday 20:00Z, but the anchor says Saturday 05:00+09:00: counted from Saturday.
    result = run(ag, incident(reported_at="2026-03-13T20:00:00Z",
                              requested_at="2026-03-14T05:00:00+09:00"))
    assert summary(result) == [("bdf", "state", "must", "2026-03-15T20:00:00Z", "open")]


# ================================================================ statuses

STATUSES = '''
clause due1 "Due in an hour"
  when incident.type == "flood"
  state must "a" within 1 hour

clause nodue "No due time"
  when incident.type == "flood"
  state must "b"

clause perm "Permission"
  when incident.type == "flood"
  riverbend may "c" within 1 hour

clause forbid "Prohibition"
  when incident.type == "flood"
  riverbend must not "d"
'''


def record(clause, party, at, agreement_id=None):
    out = {"clause": clause, "party": party, "at": at}
    if agreement_id is not None:
        out["agreement"] = agreement_id
    return out


def status_of(result, clause, party="state", agreement_id=None):
    return duty(result, clause, party, agreement_id)["status"]


@pytest.mark.parametrize("at, expected", [
    (None, "open"),                          # T defaults to reported_at
    ("2026-03-14T08:59:59Z", "open"),
    ("2026-03-14T09:00:00Z", "open"),        # due at T is not due before T
    ("2026-03-14T09:00:01Z", "breached"),
    ("2026-03-14T04:00:01-05:00", "breached"),
])
def test_must_is_breached_only_when_due_before_t(at, expected):
    result = run(agreement(STATUSES), incident(), at=at)
    assert status_of(result, "due1") == expected
    assert duty(result, "due1", "state")["due"] == "2026-03-14T09:00:00Z"


@pytest.mark.parametrize("made, at, expected", [
    ("2026-03-14T08:30:00Z", "2026-03-14T08:45:00Z", "fulfilled"),
    ("2026-03-14T08:30:00Z", "2026-03-14T08:30:00Z", "fulfilled"),   # at T counts
    ("2026-03-14T08:30:00Z", "2026-03-14T08:29:59Z", "open"),        # after T does not
    ("2026-03-14T10:00:00Z", "2026-03-14T12:00:00Z", "fulfilled"),   # late, but done by T
    ("2026-03-14T10:00:00Z", "2026-03-14T09:30:00Z", "breached"),    # done only after T
    ("2026-03-14T04:00:00-05:00", "2026-03-14T09:00:00Z", "fulfilled"),  # instants compared
    ("2026-03-14T04:00:01-05:00", "2026-03-14T09:00:00Z", "open"),
])
def test_fulfilled_when_a_record_is_made_at_or_before_t(made, at, expected):
    result = run(agreement(STATUSES), incident(fulfilled=[record("due1", "state", made)]),
                 at=at)
    assert status_of(result, "due1") == expected


def test_fulfilled_record_at_reported_at_counts_at_the_default_time():
    result = run(agreement(STATUSES), incident(
        fulfilled=[record("due1", "state", "2026-03-14T08:00:00Z")]))
    assert status_of(result, "due1") == "fulfilled"


def test_fulfilment_without_a_due_time():
    result = run(agreement(STATUSES), incident(
        fulfilled=[record("nodue", "state", "2026-03-20T00:00:00Z")]), at="2026-04-01T00:00:00Z")
    assert status_of(result, "nodue") == "fulfilled"
    result = run(agreement(STATUSES), incident(), at="2027-01-01T00:00:00Z")
    assert status_of(result, "nodue") == "open"


def test_record_for_another_party_or_clause_does_not_count():
    result = run(agreement(STATUSES), incident(fulfilled=[
        record("due1", "riverbend", "2026-03-14T08:30:00Z"),
        record("nodue", "state", "2026-03-14T08:30:00Z")]), at="2026-03-14T10:00:00Z")
    assert status_of(result, "due1") == "breached"
    assert status_of(result, "nodue") == "fulfilled"


def test_may_is_open_until_it_lapses_and_must_not_is_always_open():
    fulfilled = [record("perm", "riverbend", "2026-03-14T08:10:00Z"),
                 record("forbid", "riverbend", "2026-03-14T08:10:00Z")]
    for at in (None, "2026-03-14T12:00:00Z"):
        for inc in (incident(), incident(fulfilled=fulfilled)):
            result = run(agreement(STATUSES), inc, at=at)
            perm = duty(result, "perm", "riverbend")
            forbid = duty(result, "forbid", "riverbend")
            # v2: past its due time, a permission not used by then has lapsed
            lapsed = at is not None and "fulfilled" not in inc
            assert (perm["modality"], perm["due"], perm["status"]) == (
                "may", "2026-03-14T09:00:00Z", "lapsed" if lapsed else "open")
            assert (forbid["modality"], forbid["due"], forbid["status"]) == (
                "must not", None, "open")


def test_record_with_an_agreement_key_counts_only_for_that_agreement():
    a1 = agreement(STATUSES, id="a1")
    a2 = agreement(STATUSES, id="a2")
    at = "2026-03-14T12:00:00Z"
    made = "2026-03-14T08:30:00Z"
    result = run([a1, a2], incident(fulfilled=[record("due1", "state", made, "a1")]), at=at)
    assert status_of(result, "due1", agreement_id="a1") == "fulfilled"
    assert status_of(result, "due1", agreement_id="a2") == "breached"
    result = run([a1, a2], incident(fulfilled=[record("due1", "state", made)]), at=at)
    assert status_of(result, "due1", agreement_id="a1") == "fulfilled"
    assert status_of(result, "due1", agreement_id="a2") == "fulfilled"
    result = run([a1, a2], incident(fulfilled=[record("due1", "state", made, "a3")]), at=at)
    assert status_of(result, "due1", agreement_id="a1") == "breached"
    assert status_of(result, "due1", agreement_id="a2") == "breached"


# ================================================================ breached C and escalation

def test_not_breached_while_the_duty_is_due_at_t():
    result = run(lakeside(), T1, at="2026-03-14T13:00:00Z")
    assert status_of(result, "engines", "riverbend") == "open"
    assert "escalate" not in clauses(result)


def test_breach_triggers_escalation_due_from_the_breached_due_time():
    result = run(lakeside(), T1, at="2026-03-14T13:00:01Z")
    assert summary(result) == [
        ("notify", "lakeside", "must", "2026-03-14T08:30:00Z", "breached"),
        ("engines", "riverbend", "must", "2026-03-14T13:00:00Z", "breached"),
        ("escalate", "state", "must", "2026-03-14T15:00:00Z", "open"),
        ("withhold", "riverbend", "may", None, "open"),
    ]
    escalate = duty(result, "escalate", "state")
    assert escalate["role"] == "coordinator"
    assert escalate["action"] == "arrange alternate resources through the statewide compact"
    [because] = escalate["because"]
    assert because.startswith("breached engines")
    assert "2026-03-14T13:00:00Z" in because


def test_escalation_itself_breached_later():
    result = run(lakeside(), T1, at="2026-03-14T15:00:01Z")
    assert status_of(result, "escalate", "state") == "breached"


@pytest.mark.parametrize("made, at, engines_status, escalated", [
    ("2026-03-14T12:00:00Z", "2026-03-14T14:00:00Z", "fulfilled", False),
    ("2026-03-14T13:00:00Z", "2026-03-14T14:00:00Z", "fulfilled", False),  # at the due time
    ("2026-03-14T13:30:00Z", "2026-03-14T14:00:00Z", "fulfilled", True),   # late: breached
    ("2026-03-14T14:30:00Z", "2026-03-14T14:00:00Z", "breached", True),    # after T
])
def test_breached_counts_fulfilment_at_or_before_the_due_time(made, at, engines_status,
                                                               escalated):
    result = run(lakeside(), t1(fulfilled=[record("engines", "riverbend", made)]), at=at)
    assert status_of(result, "engines", "riverbend") == engines_status
    assert ("escalate" in clauses(result)) is escalated
    if escalated:
        assert duty(result, "escalate", "state")["due"] == "2026-03-14T15:00:00Z"


def test_fulfilment_limited_to_another_agreement_does_not_prevent_breach():
    result = run(lakeside(), t1(fulfilled=[
        record("engines", "riverbend", "2026-03-14T12:00:00Z", "some-other-agreement")]),
        at="2026-03-14T14:00:00Z")
    assert status_of(result, "engines", "riverbend") == "breached"
    assert "escalate" in clauses(result)
    result = run(lakeside(), t1(fulfilled=[
        record("engines", "riverbend", "2026-03-14T12:00:00Z", LAKESIDE_ID)]),
        at="2026-03-14T14:00:00Z")
    assert status_of(result, "engines", "riverbend") == "fulfilled"
    assert "escalate" not in clauses(result)


BREACH = '''
role pair is lakeside, riverbend

clause deploy "Deploy"
  when incident.type == "flood"
  pair must "deploy" within 1 hour

clause escalate "Escalate"
  when breached deploy
  state must "escalate" within 30 minutes of breach of deploy

clause watch "Watch"
  when incident.type == "flood"
  state may "watch" within 3 hours of breach of deploy
'''


def test_one_party_late_is_enough_for_breached():
    inc = incident(fulfilled=[record("deploy", "lakeside", "2026-03-14T08:50:00Z")])
    result = run(agreement(BREACH), inc, at="2026-03-14T10:00:00Z")
    assert summary(result) == [
        ("deploy", "lakeside", "must", "2026-03-14T09:00:00Z", "fulfilled"),
        ("deploy", "riverbend", "must", "2026-03-14T09:00:00Z", "breached"),
        ("escalate", "state", "must", "2026-03-14T09:30:00Z", "breached"),
        ("watch", "state", "may", "2026-03-14T12:00:00Z", "open"),
    ]
    [because] = duty(result, "escalate", "state")["because"]
    assert because.startswith("breached deploy")
    assert "riverbend" in because and "lakeside" not in because


def test_breach_deadline_without_a_breach_has_no_due_time_and_a_note():
    inc = incident(fulfilled=[record("deploy", "lakeside", "2026-03-14T08:50:00Z"),
                              record("deploy", "riverbend", "2026-03-14T09:00:00Z")])
    result = run(agreement(BREACH), inc, at="2026-03-14T10:00:00Z")
    assert "escalate" not in clauses(result)
    watch = duty(result, "watch", "state")
    assert watch["due"] is None
    assert watch.get("note")


def test_nothing_is_breached_before_anything_is_due():
    result = run(agreement(BREACH), incident())
    assert "escalate" not in clauses(result)
    assert duty(result, "watch", "state")["due"] is None


# ================================================================ costs

COSTS = '''
fields
  requested_by party

role requesting is incident.requested_by
role pair is lakeside, riverbend
role trio is lakeside, riverbend, state

clause borne_role "Borne by a role"
  when incident.type == "flood"
  state must "a"
  costs borne by requesting

clause borne_party "Borne by a party"
  when incident.type == "flood"
  state must "b"
  costs borne by riverbend

clause equal "Shared equally"
  when incident.type == "flood"
  state must "c"
  costs shared equally by lakeside, riverbend

clause equal_role "Shared equally with a role of two"
  when incident.type == "flood"
  state must "d"
  costs shared equally by pair, state

clause percent "Percentages"
  when incident.type == "flood"
  state must "e"
  costs shared lakeside 75%, riverbend 25%

clause percent_role "Percentages with a role of two"
  when incident.type == "flood"
  state must "f"
  costs shared pair 50%, state 50%

clause borne_trio "Borne by a role of three"
  when incident.type == "flood"
  state must "g"
  costs borne by trio

clause missing_payer "A payer role naming nobody"
  when incident.type == "flood"
  state must "h"
  costs shared equally by requesting, state

clause nothing "No costs"
  when incident.type == "flood"
  state must "i"
'''


def costs_of(result, clause):
    entries = duty(result, clause, "state")["costs"]
    assert all(set(e) == {"party", "share"} for e in entries)
    parties = [e["party"] for e in entries]
    assert len(parties) == len(set(parties))
    return {e["party"]: e["share"] for e in entries}


def test_costs():
    result = run(agreement(COSTS), incident(requested_by="lakeside"))
    assert costs_of(result, "borne_role") == {"lakeside": 1.0}
    assert costs_of(result, "borne_party") == {"riverbend": 1.0}
    assert costs_of(result, "equal") == {"lakeside": 0.5, "riverbend": 0.5}
    assert costs_of(result, "equal_role") == {"lakeside": 0.25, "riverbend": 0.25, "state": 0.5}
    assert costs_of(result, "percent") == {"lakeside": 0.75, "riverbend": 0.25}
    assert costs_of(result, "percent_role") == {"lakeside": 0.25, "riverbend": 0.25,
                                                "state": 0.5}
    assert costs_of(result, "borne_trio") == pytest.approx(
        {"lakeside": 1 / 3, "riverbend": 1 / 3, "state": 1 / 3})
    assert costs_of(result, "missing_payer") == {"lakeside": 0.5, "state": 0.5}
    assert duty(result, "nothing", "state")["costs"] == []
    for d in result["duties"]:
        if d["costs"]:
            assert sum(e["share"] for e in d["costs"]) == pytest.approx(1.0, abs=1e-9)
    assert result["warnings"] == []


def test_costs_shares_still_sum_to_one_when_a_payer_role_names_nobody():
    result = run(agreement(COSTS), incident())
    shares = costs_of(result, "missing_payer")
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert "state" in shares
    assert any(w["clause"] == "missing_payer" and "requesting names no party" in w["message"]
               for w in result["warnings"])


def test_costs_in_the_language_example():
    result = run(lakeside(), T1)
    assert duty(result, "engines", "riverbend")["costs"] == [{"party": "lakeside", "share": 1.0}]


# ================================================================ exercises and tests

@pytest.mark.parametrize("status", ["exercise", "test"])
def test_exercise_or_test_gives_the_same_duties_marked_as_exercise(status):
    real = run(lakeside(), t1(status="actual"), at="2026-03-14T14:00:00Z")
    drill = run(lakeside(), t1(status=status), at="2026-03-14T14:00:00Z")
    assert real["exercise"] is False
    assert drill["exercise"] is True
    assert drill["duties"] == real["duties"]
    assert drill["warnings"] == real["warnings"]
    assert drill["skipped"] == real["skipped"]


def test_status_defaults_to_actual():
    assert run(lakeside(), T1)["exercise"] is False
    ag = agreement('''
        clause real "Only real incidents"
          when incident.status == "actual"
          state must "act"
        ''')
    result = run(ag, incident())
    assert summary(result) == [("real", "state", "must", None, "open")]
    assert duty(result, "real", "state")["because"] == [
        'incident.status == "actual" (was "actual")']
    assert run(ag, incident(status="exercise"))["duties"] == []


# ================================================================ order of duties

SORT_PARTIES = '''
party state "State EOC"
party riverbend "City of Riverbend"
party lakeside "Lakeside County"
'''


def test_duties_sorted_by_due_then_agreement_clause_party():
    b = agreement('''
        role everyone is state, riverbend, lakeside

        clause zz "ZZ"
          when incident.type == "flood"
          everyone must "zz" within 1 hour

        clause aa "AA"
          when incident.type == "flood"
          state must "aa" by 2026-03-14T04:30:00-05:00

        clause mm "MM"
          when incident.type == "flood"
          state may "mm"

        clause kk "KK"
          when incident.type == "flood"
          state must "kk" within 30 minutes
        ''', id="b-ag", parties=SORT_PARTIES)
    a = agreement('''
        clause zz "ZZ"
          when incident.type == "flood"
          state must "zz" within 1 hour

        clause nn "NN"
          when incident.type == "flood"
          lakeside may "nn"
        ''', id="a-ag", parties=SORT_PARTIES)
    expected = [
        ("2026-03-14T08:30:00Z", "b-ag", "kk", "state"),
        ("2026-03-14T09:00:00Z", "a-ag", "zz", "state"),
        ("2026-03-14T09:00:00Z", "b-ag", "zz", "lakeside"),
        ("2026-03-14T09:00:00Z", "b-ag", "zz", "riverbend"),
        ("2026-03-14T09:00:00Z", "b-ag", "zz", "state"),
        ("2026-03-14T09:30:00Z", "b-ag", "aa", "state"),
        (None, "a-ag", "nn", "lakeside"),
        (None, "b-ag", "mm", "state"),
    ]
    for ags in ([a, b], [b, a]):
        result = run(ags, incident())
        assert [(d["due"], d["agreement"], d["clause"], d["party"])
                for d in result["duties"]] == expected


# ================================================================ determinism

def test_same_inputs_give_byte_identical_json():
    others = [agreement(ROLES, id="roles"), agreement(COSTS, id="costs"),
              agreement(PERIOD, id="old", effective="2020-01-01 until 2025-12-31")]
    inc = t1(fulfilled=[record("engines", "riverbend", "2026-03-14T13:30:00Z")],
             area=["FIPS:039001"])
    ags = [lakeside(), *others]
    at = datetime.fromisoformat("2026-03-14T14:00:00Z")
    first = evaluate(copy.deepcopy(inc), ags, at=at).to_json()
    for _ in range(3):
        assert evaluate(copy.deepcopy(inc), ags, at=at).to_json() == first
        assert Library(ags).evaluate(copy.deepcopy(inc), at=at).to_json() == first
    assert evaluate(copy.deepcopy(inc), list(reversed(ags)), at=at).to_json() == first
    assert Library(list(reversed(ags))).evaluate(copy.deepcopy(inc), at=at).to_json() == first
    assert json.loads(first) == evaluate(copy.deepcopy(inc), ags, at=at).as_dict()
    assert json.loads(first)["skipped"] and json.loads(first)["duties"]


def test_evaluation_does_not_change_the_incident():
    inc = t1(fulfilled=[record("engines", "riverbend", "2026-03-14T13:30:00Z")])
    before = copy.deepcopy(inc)
    evaluate(inc, [lakeside()], at=datetime.fromisoformat("2026-03-14T14:00:00Z"))
    Library([lakeside()]).evaluate(inc, at=datetime.fromisoformat("2026-03-14T14:00:00Z"))
    assert inc == before


# ================================================================ explanations of negations

def test_negated_group_explanation_shows_the_values_it_read():
    result = run(agreement(LOGIC + '''
clause neg_group "Not a group"
  when not (incident.a == 1 or incident.b == 2)
  state must "neg group"
'''), incident(a=7, b=9))
    assert duty(result, "neg_group", "state")["because"] == [
        "not (incident.a == 1 or incident.b == 2) (incident.a was 7, incident.b was 9)"]


def test_negated_trigger_explanation_shows_the_values_it_read():
    result = run(agreement(TRIGGERS + '''
clause small "Small"
  when not big
  state must "small"
'''), incident(displaced=7))
    assert duty(result, "small", "state")["because"] == ["not big (incident.displaced was 7)"]
    result = run(agreement(TRIGGERS + '''
clause small "Small"
  when not big
  state must "small"
'''), incident())
    assert duty(result, "small", "state")["because"] == [
        "not big (incident.displaced was not given)"]
