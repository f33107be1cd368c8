"""Names for the editor's completion (dsl.names): what a text defines, even with errors."""

from __future__ import annotations

import time

from dsl.names import names_of
from engine.compiler import check_source
from tests.agreements.conftest import library_text

INTRASTATE = "intrastate-mutual-aid.agreement"


def test_names_lists_what_the_text_defines():
    names = names_of(library_text(INTRASTATE))
    assert names.complete
    assert [n.name for n in names.parties] == ["state_eoc", "lakeside_county", "harmon_county",
                                               "pine_ridge_county", "ashford_county"]
    assert names.parties[0].detail == "State of Columbia Emergency Operations Center"
    assert [n.name for n in names.roles] == ["coordinator", "requesting", "assisting",
                                             "affected", "regional"]
    assert "respond" in [n.name for n in names.clauses]
    fields = {n.name: n.detail for n in names.fields}
    assert fields["requested_at"] == "time" and fields["reported_at"] == "time"
    assert {"region", "area", "contact"} <= {n.name for n in names.attributes}


def test_names_survive_a_syntax_error():
    text = library_text(INTRASTATE).replace(
        "clause respond", 'clause half "Half typed"\n  when major_emergency and\n\nclause respond')
    assert check_source(text)[0] is None  # it does not parse
    names = names_of(text)
    assert not names.complete
    clauses = [n.name for n in names.clauses]
    assert "half" in clauses and "respond" in clauses and "reimburse" in clauses
    assert [n.name for n in names.parties][:2] == ["state_eoc", "lakeside_county"]
    assert "requested_by" in [n.name for n in names.fields]


def test_names_of_a_large_text_with_many_errors_come_quickly():
    """Each repair parses the whole text again: past a time budget the rest is only scanned
    (450 KB with 15 broken clauses took 24 s before the budget, about 1 s with it)."""
    text = library_text(INTRASTATE) * 40 + "".join(
        f'\nclause broken_{i} "Broken"\n  when incident.type ==\n' for i in range(15))
    started = time.monotonic()
    names = names_of(text)
    assert time.monotonic() - started < 6
    clauses = [n.name for n in names.clauses]
    assert "respond" in clauses and "broken_0" in clauses and "broken_14" in clauses
    assert len(names.parties) == 5 and not names.complete
