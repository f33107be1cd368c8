"""The bundled library: every agreement checks clean, is formatted, and passes its examples."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dsl import ast
from dsl.formatter import format_source
from dsl.parser import parse
from engine.compiler import check_source, load
from engine.examples import run_examples
from engine.incidents import load_incident
from engine.index import Library

LIBRARY = Path(__file__).resolve().parents[2] / "agreements" / "library"
FILES = sorted(LIBRARY.glob("*.agreement"))
INCIDENTS = sorted((LIBRARY / "incidents").glob("*.json")) + sorted(
    (LIBRARY / "incidents").glob("*.xml"))


def test_the_library_has_the_agreements_the_issues_ask_for():
    kinds = {load(p.read_text(), p.name).kind for p in FILES}
    assert len(FILES) >= 8
    # issue 12: the EMAC and a state-wide agreement with billing and protest deadlines
    assert {"emac.agreement", "florida-statewide-mutual-aid.agreement"} <= {p.name for p in FILES}
    assert {"mou", "mutual-aid", "compact", "protocol"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_agreement_checks_without_errors_or_warnings(path):
    _, diagnostics, _ = check_source(path.read_text(), path.name)
    assert [d.render() for d in diagnostics] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_agreement_is_in_canonical_layout(path):
    text = path.read_text()
    assert format_source(text) == text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_passes(path):
    agreement = load(path.read_text(), path.name)
    results = run_examples(agreement)
    assert len(results) >= 3
    assert [(r.name, r.failures) for r in results if not r.passed] == []


@pytest.mark.parametrize("path", INCIDENTS, ids=lambda p: p.name)
def test_every_sample_incident_evaluates(path):
    library = Library(load(p.read_text(), p.name) for p in FILES)
    incident = load_incident(path.read_bytes())
    result = library.evaluate(incident)
    assert result.as_dict() == library.evaluate_linear(incident).as_dict()
    if incident.cancelled:
        assert result.duties == ()
    else:
        assert result.duties, f"{path.name} triggers no duty"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_clause_is_named_by_an_example(path):
    document = parse(path.read_text(), path.name)
    clauses = [d.id for d in document.declarations if isinstance(d, ast.ClauseDecl)]
    named = {item.value.clause.name for d in document.declarations
             if isinstance(d, ast.ExampleDecl) for item in d.items
             if item.key == "expect" and item.value.clause is not None}
    assert [c for c in clauses if c not in named] == []


def _evaluate(name, incident, at):
    path = LIBRARY / name
    library = Library([load(path.read_text(), path.name)])
    return library.evaluate(load_incident(json.dumps(incident).encode()),
                            at=datetime.fromisoformat(at)).as_dict()


def _duty(result, clause, party):
    return next(d for d in result["duties"] if d["clause"] == clause and d["party"] == party)


def test_an_unprotested_florida_bill_is_agreed_to_after_30_calendar_days():
    result = _evaluate("florida-statewide-mutual-aid.agreement", {
        "id": "SMAA-T", "type": "hurricane", "reported_at": "2026-09-03T08:00:00-04:00",
        "requesting_party": "indian_river", "assisting_parties": ["brevard"],
        "assistance_closed_at": "2026-09-20T18:00:00-04:00",
        "bill_sent_at": "2026-10-05T10:00:00-04:00",
        "bill_received_at": "2026-10-06T10:00:00-04:00"}, "2026-11-06T12:00:00-05:00")
    protest = _duty(result, "protest", "indian_river")
    assert (protest["status"], protest["due"]) == ("lapsed", "2026-11-05T14:00:00Z")
    assert protest["consequence"] == (
        "the bill and the items on it are agreed to, and the right to contest the bill is waived")
    assert _duty(result, "reimburse", "indian_river")["to"] == ["brevard"]
    assert _duty(result, "bill", "brevard")["status"] == "fulfilled"


def test_emac_reimbursement_and_evacuee_costs_are_owed_to_the_other_states():
    result = _evaluate("emac.agreement", {
        "id": "EMAC-T", "type": "hurricane", "reported_at": "2026-09-03T08:00:00-04:00",
        "governor_declaration": True, "requesting_party_state": "georgia",
        "assisting_party_states": ["florida_dem", "north_carolina"], "resources_deployed": True,
        "request_received_at": "2026-09-03T10:00:00-04:00", "request_form": "verbal",
        "evacuating_state": "georgia", "receiving_states": ["north_carolina"]},
        "2026-09-04T00:00:00Z")
    assert _duty(result, "reimburse", "georgia")["to"] == ["florida_dem", "north_carolina"]
    assert _duty(result, "evacuee_costs", "georgia")["to"] == ["north_carolina"]
    assert _duty(result, "confirm_request", "georgia")["due"] == "2026-10-03T14:00:00Z"
    assert load((LIBRARY / "emac.agreement").read_text(), "emac.agreement").withdrawal_notice[0] == 30
