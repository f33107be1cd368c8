"""Random and mutated agreement text never raises anything but the project's own error type."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from dsl.errors import CompactError
from dsl.formatter import format_source
from engine.compiler import check_source, load
from engine.evaluator import evaluate
from engine.incidents import IncidentError, load_incident

BASE = '''agreement fuzz-base
  title "Fuzz base"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31
  withdrawal notice 30 days
recital "Because."
party a "A" region "North" area ["FIPS:1", "FIPS:2"]
party b "B" region "South"
fields
  type text one of "flood", "fire"
  displaced number
  requested_by party
  requested_at time
role local is parties where party.region == incident.region
role req is incident.requested_by
role rest is parties except req
role near is parties whose area intersects incident.area
role both is local, req, b
role others is parties where party.id != incident.requested_by
trigger big when incident.type == "flood" and (incident.severity >= "severe" or incident.displaced > 10)
clause one "One"
  when big and not incident.requested_by is not given
  local must "do one" to both, a within 2 business days of incident.requested_at
  fulfilled at incident.requested_at
  otherwise "the one is done by others"
  unless incident.displaced in [1, 2, 3]
  costs shared req 75%, rest 25%
  text """Legal
  words"""
clause two "Two"
  when breached one or lapsed three or incident.type contains "x"
  near must not "do two" to others
  costs shared equally by a, b
clause three "Three"
  when big
  rest may "do three" by 2026-03-14T12:00:00-05:00
  costs borne by req
example "e" # comment
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-15T00:00:00Z
  expect a must one by 2026-03-16T09:00:00Z
  expect no two
  expect no duty for b
  expect no three for b
  expect a must one open
  expect warning "names no party"
'''

PIECES = ['"', '"""', "(", ")", "[", "]", ",", "#", "\n", " and ", " or ", " not ", "==", ">=",
          "incident.", "party.", "%", "clause", "when", "must", "within", "of", "breach", "by",
          "2026-13-45", "2026-03-14T08:00:00", "-", ".", "\\", "é", "\x00", "\t", "1e9", "9" * 30,
          " to ", "otherwise", "lapsed", "fulfilled at", "lapse of"]


def never_crashes(text: str) -> None:
    _, diagnostics, _ = check_source(text, "fuzz.agreement")
    for d in diagnostics:
        assert d.render()
    try:
        agreement = load(text, "fuzz.agreement")
    except CompactError:
        return
    try:
        format_source(text)
    except CompactError:
        pass
    for example in agreement.examples:
        try:
            evaluate(json.loads(example.incident_text), [agreement], at=example.at)
        except (IncidentError, ValueError):
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_only_raises_compact_error(text):
    never_crashes(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 8),
                          st.one_of(st.sampled_from(PIECES), st.text(max_size=3))),
                min_size=1, max_size=4))
def test_mutated_agreements_only_raise_compact_error(edits):
    text = BASE
    for position, delete, insert in edits:
        position = min(position, len(text))
        text = text[:position] + insert + text[position + delete:]
    never_crashes(text)


def test_the_fuzz_base_itself_is_valid():
    agreement = load(BASE, "base.agreement")
    assert [c.id for c in agreement.clauses] == ["one", "two", "three"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200),
                 st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                              lambda c: st.one_of(st.lists(c, max_size=3),
                                                  st.dictionaries(st.sampled_from(
                                                      ["id", "type", "reported_at", "displaced",
                                                       "severity", "area", "fulfilled",
                                                       "requested_by", "requested_at"]), c,
                                                      max_size=6)), max_leaves=12)))
def test_random_incidents_only_raise_incident_error(data):
    agreement = load(BASE, "base.agreement")
    try:
        if isinstance(data, (bytes, str)):
            incident = load_incident(data)
        else:
            incident = data
        evaluate(incident, [agreement])
    except IncidentError:
        pass
