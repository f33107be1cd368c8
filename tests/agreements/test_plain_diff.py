"""agreements.plain_diff: what changed between two revisions, in their documents' plain words."""

from __future__ import annotations

import pytest

from agreements.pdf import document_context
from agreements.plain_diff import Change, plain_diff
from engine.compiler import load

BASE = '''\
agreement lakeside-riverbend-mutual-aid
  title "Mutual Aid Agreement between Lakeside County and the City of Riverbend"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31

recital "The parties share a river and its floods."

party lakeside "Lakeside County Office of Emergency Management"
party riverbend "City of Riverbend Fire Department"
party state "State Emergency Operations Center"

fields
  type text one of "flood", "wildfire"
  requested_by party
  requested_at time

role coordinator is state
role requesting is incident.requested_by
role assisting is parties except requesting, coordinator

trigger major_flood when incident.type == "flood" and incident.severity >= "severe"

clause engines "Deployment of engine strike teams"
  when major_flood and incident.requested_by is given
  assisting must "deploy one Type 1 engine strike team to the staging area" within 4 hours of incident.requested_at
  costs borne by requesting

clause report "Situation report"
  when major_flood
  coordinator must "publish a situation report" within 12 hours
'''


def model(text: str, number: int = 1) -> dict:
    return document_context(load(text), number, (), None)


def diff(new_text: str):
    return plain_diff(model(BASE, 1), model(new_text, 2))


def test_the_same_words_are_no_change():
    same = diff(BASE + "\n# only a comment\n")
    assert same.empty
    assert not same.clauses and not same.parties and not same.duties_of("lakeside")


def test_a_clause_added_is_listed_with_its_summary():
    d = diff(BASE.replace('clause report "', 'clause shelters "Shelters"\n  when major_flood\n'
                          '  requesting must "open shelters" within 2 hours\n\nclause report "'))
    assert [(c["number"], c["title"], c["who"], c["what"], c["by_when"]) for c in d.clauses.added] == [
        (2, "Shelters", "The requesting party", "must open shelters",
         "within 2 hours of the incident's onset")]
    assert not d.clauses.removed and not d.clauses.changed
    assert [(c.name, c.old_number, c.new_number) for c in d.clauses.renumbered] == [
        ("Situation report", 2, 3)]
    assert [x["title"] for x in d.duties_of("lakeside").added] == ["Shelters"]


def test_a_clause_removed_is_listed_by_its_old_number():
    start = BASE.index('clause engines "')
    d = diff(BASE[:start] + BASE[BASE.index('clause report "'):])
    assert [(c["number"], c["title"]) for c in d.clauses.removed] == [
        (1, "Deployment of engine strike teams")]
    assert [(c.name, c.old_number, c.new_number) for c in d.clauses.renumbered] == [
        ("Situation report", 2, 1)]
    assert [x["title"] for x in d.duties_of("riverbend").removed] == [
        "Deployment of engine strike teams"]


def test_a_clause_changed_shows_each_part_before_and_after():
    d = diff(BASE.replace("within 4 hours of incident.requested_at", "within 6 hours of incident.requested_at")
             .replace("costs borne by requesting", "costs shared equally by requesting, assisting"))
    (change,) = d.clauses.changed
    assert (change.key, change.name, change.renumbered) == ("engines", "Deployment of engine strike teams", False)
    parts = {c.label: (c.before, c.after) for c in change.changes}
    assert parts["By when"] == ("within 4 hours of the incident's requested_at",
                                "within 6 hours of the incident's requested_at")
    assert parts["Costs"] == ("Costs are borne by the requesting party.",
                              "Costs are shared equally by the requesting party and the assisting "
                              "parties.")
    assert set(parts) == {"Text", "By when", "Costs"}  # the text is worded from the logic
    (duty,) = d.duties_of("riverbend").changed
    assert [c.label for c in duty.changes] == ["By when"]


def test_parties_added_removed_and_renamed():
    d = diff(BASE.replace('party state "State Emergency Operations Center"',
                          'party state "State Office of Emergency Services"\n'
                          'party harbour "Harbour Authority"')
             .replace('party riverbend "City of Riverbend Fire Department"\n', ''))
    assert [(p["id"], p["name"]) for p in d.parties.added] == [("harbour", "Harbour Authority")]
    assert [(p["id"], p["name"]) for p in d.parties.removed] == [
        ("riverbend", "City of Riverbend Fire Department")]
    (renamed,) = d.parties.changed
    assert renamed.changes == (Change("Name", "State Emergency Operations Center",
                                      "State Office of Emergency Services"),)
    assert [x["title"] for x in d.duties_of("harbour").added] == [
        "Deployment of engine strike teams"]
    assert "riverbend" not in d.duties


def test_a_role_changed_in_words():
    d = diff(BASE.replace("role coordinator is state", "role coordinator is state, lakeside"))
    role, assisting = d.roles.changed
    assert (role.key, assisting.key) == ("coordinator", "assisting")
    assert [(c.label, c.before, c.after) for c in role.changes] == [
        ("Term", "The coordinator", "The coordinators"),
        ("Definition", "State Emergency Operations Center",
         "State Emergency Operations Center and Lakeside County Office of Emergency Management")]
    assert [(c.label, c.after) for c in assisting.changes] == [(
        "Definition", "every party of this agreement except the requesting party and the "
        "coordinators")]
    assert [x["title"] for x in d.duties_of("lakeside").added] == ["Situation report"]


def test_terms_conditions_and_recitals():
    d = diff(BASE.replace("until 2028-12-31", "until 2030-12-31")
             .replace('"The parties share a river and its floods."',
                      '"The parties share a river, its floods and its fires."')
             .replace('incident.severity >= "severe"', 'incident.severity >= "moderate"'))
    assert d.terms == (Change("Effective", "From 1 January 2026 to 31 December 2028 inclusive",
                              "From 1 January 2026 to 31 December 2030 inclusive"),)
    assert d.recitals.added == ("the parties share a river, its floods and its fires.",)
    assert d.recitals.removed == ("the parties share a river and its floods.",)
    (condition,) = d.conditions.changed
    assert condition.name == "“Major flood”"
    assert condition.changes[0].after.endswith("the incident's severity is at least “moderate”")


@pytest.mark.parametrize("field", ["added", "removed", "changed", "renumbered"])
def test_a_listing_is_true_when_anything_is_in_it(field):
    from agreements.plain_diff import ItemChange, Listing
    assert not Listing()
    assert Listing(**{field: (ItemChange("x", "X", ()),)})
