"""Evaluation of the roles of v2: a fixed role as a union of roles and parties, `party.id`."""

from __future__ import annotations

from engine.index import Library
from tests.engine.test_evaluation import agreement, incident, parties_of, run

ROLES = '''
fields
  requested_by party

role requesting is incident.requested_by
role assisting is parties except requesting, coordinator
role coordinator is state
role responders is assisting, coordinator, riverbend
role others is parties where party.id != incident.requested_by and party.id in ["lakeside", "state"]

clause report "Situation reports"
  when incident.requested_by is given
  responders must "send situation reports" within 1 hour

clause offer "Offers"
  when incident.requested_by is given
  others may "offer help"
'''


def test_a_fixed_role_of_roles_is_their_union_in_order_without_repeats():
    result = run(agreement(ROLES), incident(requested_by="lakeside"))
    assert parties_of(result, "report") == ["riverbend", "state"]
    result = run(agreement(ROLES), incident(requested_by="state"))
    # assisting: lakeside, riverbend (state is coordinator); then coordinator; riverbend again
    assert [d["party"] for d in result["duties"] if d["clause"] == "report"] == [
        "lakeside", "riverbend", "state"]


def test_party_id_reads_the_candidates_own_id():
    result = run(agreement(ROLES), incident(requested_by="lakeside"))
    assert parties_of(result, "offer") == ["state"]
    assert parties_of(run(agreement(ROLES), incident(requested_by="riverbend")), "offer") == [
        "lakeside", "state"]


def test_why_not_a_party_of_a_union():
    ag = agreement(ROLES.replace("role responders is assisting, coordinator, riverbend",
                                 "role responders is assisting, coordinator"))
    [answer] = Library([ag]).why_not(incident(requested_by="lakeside"), "t", "report", "lakeside")
    assert answer.as_dict()["reasons"] == [
        "role responders is assisting, coordinator; lakeside is none of these"]
