"""The bundled library: every agreement checks clean, is formatted, and passes its examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.formatter import format_source
from engine.compiler import check_source, load
from engine.examples import run_examples
from engine.incidents import load_incident
from engine.index import Library

LIBRARY = Path(__file__).resolve().parents[2] / "agreements" / "library"
FILES = sorted(LIBRARY.glob("*.agreement"))
INCIDENTS = sorted((LIBRARY / "incidents").glob("*.json")) + sorted(
    (LIBRARY / "incidents").glob("*.xml"))


def test_the_library_has_the_six_agreements_the_issue_asks_for():
    kinds = {load(p.read_text(), p.name).kind for p in FILES}
    assert len(FILES) >= 6
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
