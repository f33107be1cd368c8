"""Why not: for an incident, agreement, clause and party, why no duty was given."""

from __future__ import annotations

import pytest

from engine.compiler import load
from engine.index import Library
from engine.whynot import WhyNotError, nothing_given
from tests.engine.samples import LAKESIDE, LAKESIDE_ID, T1


@pytest.fixture(scope="module")
def library():
    return Library([load(LAKESIDE, "lakeside.agreement")])


def answers(library, incident, clause=None, party=None, **kw):
    return [(a.clause, a.party, a.gave_duty, list(a.reasons))
            for a in library.why_not(incident, LAKESIDE_ID, clause, party, **kw)]


def test_first_failing_condition_with_the_value_read(library):
    assert answers(library, dict(T1, severity="moderate"), "engines") == [
        ("engines", None, False, [
            "when major_flood and incident.requested_by is given: trigger major_flood did not "
            "hold: incident.severity >= severe was false (was moderate)"])]


def test_every_alternative_of_an_or_is_named(library):
    [(_, _, gave, [reason])] = answers(library, dict(T1, severity="moderate"), "notify")
    assert not gave
    assert reason == (
        "when major_flood or mass_displacement: none held: trigger major_flood did not hold: "
        "incident.severity >= severe was false (was moderate); trigger mass_displacement did "
        "not hold: incident.displaced >= 500 was false (was 120)")


def test_a_field_that_is_not_given(library):
    incident = {k: v for k, v in T1.items() if k not in ("requested_by", "requested_at")}
    [(_, _, _, [reason])] = answers(library, incident, "engines")
    assert reason == ("when major_flood and incident.requested_by is given: "
                      "incident.requested_by is given was false (it is not given)")


def test_a_party_left_out_of_the_role(library):
    assert answers(library, T1, "engines", "lakeside") == [
        ("engines", "lakeside", False, [
            "role assisting is parties except requesting, coordinator; lakeside is left out "
            "because it is requesting"])]
    assert answers(library, T1, "engines", "state")[0][3] == [
        "role assisting is parties except requesting, coordinator; state is left out because "
        "it is coordinator"]


def test_a_party_for_which_the_where_condition_failed(library):
    assert answers(library, T1, "notify", "riverbend")[0][3] == [
        "role affected is parties where party.region == incident.region; for riverbend: "
        "party.region == incident.region was false (was \"Riverbend\" and \"Lakeside\")"]


def test_the_party_that_was_tasked(library):
    assert answers(library, T1, "engines", "riverbend") == [
        ("engines", "riverbend", True, [
            "riverbend must 'deploy one Type 1 engine strike team to the staging area' (open)"])]


def test_an_exception_that_held(library):
    [(_, _, gave, [reason])] = answers(library, dict(T1, displaced=6000), "engines")
    assert not gave
    assert reason == ("unless incident.displaced > 5000 held: incident.displaced > 5000 "
                      "(was 6000)")


def test_no_party_of_the_agreement(library):
    assert answers(library, T1, "engines", "harmon")[0][3] == [
        f"harmon is not a party of agreement {LAKESIDE_ID}"]


def test_withdrawn_party(library):
    excluded = {LAKESIDE_ID: frozenset({"riverbend"})}
    assert answers(library, T1, "engines", "riverbend", excluded=excluded)[0][3] == [
        f"riverbend has withdrawn from agreement {LAKESIDE_ID}"]


def test_agreement_not_in_effect(library):
    late = dict(T1, reported_at="2031-01-01T00:00:00Z")
    assert answers(library, late, "engines")[0][3] == [
        "not in effect on 2031-01-01 (expired 2028-12-31)"]


def test_unknown_names_get_suggestions(library):
    with pytest.raises(WhyNotError, match=r"there is no agreement 'lakeside-riverbend' here "
                                          r"\(did you mean 'lakeside-riverbend-mutual-aid'\?\)"):
        library.why_not(T1, "lakeside-riverbend")
    with pytest.raises(WhyNotError, match=r"has no clause 'engine' \(did you mean 'engines'\?\)"):
        library.why_not(T1, LAKESIDE_ID, "engine")


def test_nothing_given_lists_each_clause(library):
    [(agreement, reasons)] = nothing_given(library.agreements, dict(T1, severity="minor",
                                                                    type="hazmat"))
    assert agreement == LAKESIDE_ID
    assert [r.split(":")[0] for r in reasons] == ["notify", "engines", "escalate", "withhold",
                                                   "no_self_deploy"]
    assert reasons[1] == (
        "engines: when major_flood and incident.requested_by is given: trigger major_flood did "
        "not hold: incident.type == \"flood\" was false (was \"hazmat\")")
