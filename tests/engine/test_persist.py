"""engine.persist: a compiled agreement pickled without its syntax tree evaluates exactly as the
fresh one, and bytes of another Compact version (or damaged ones) are refused, never used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import persist
from engine.compiler import compile_source, load
from engine.evaluator import evaluate
from engine.examples import run_examples
from engine.incidents import load_incident
from engine.index import Library

LIBRARY = Path(__file__).parents[2] / "agreements" / "library"
AGREEMENTS = sorted(LIBRARY.glob("*.agreement"))
INCIDENTS = sorted(p for p in (LIBRARY / "incidents").iterdir() if p.suffix in (".json", ".xml"))


def fresh(path: Path):
    return load(path.read_text(encoding="utf-8"), path.name)


def round_trip(compiled):
    return persist.loads(persist.dumps(compiled))


def structure(value, depth=0):
    """A value as plain data: conditions (compared by identity) by their class and slots."""
    assert depth < 60
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, dict) or type(value).__name__ == "mappingproxy":
        return {k: structure(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [structure(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):  # equal sets may iterate in different orders
        return ["set"] + sorted(repr(structure(v, depth + 1)) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return [type(value).__name__] + [structure(getattr(value, f), depth + 1)
                                         for f in value.__dataclass_fields__
                                         if f not in ("document", "symbols")]
    slots = [n for k in type(value).__mro__ for n in getattr(k, "__slots__", ())]
    if slots:
        return [type(value).__name__] + [structure(getattr(value, n, None), depth + 1)
                                         if not callable(getattr(value, n, None))
                                         else getattr(value, n).__name__ for n in slots]
    return repr(value)


def as_json(evaluation) -> str:
    return json.dumps(evaluation.as_dict(), sort_keys=True, default=str)


@pytest.mark.parametrize("path", AGREEMENTS, ids=lambda p: p.stem)
def test_a_pickled_agreement_has_no_syntax_tree_and_keeps_every_plain_field(path):
    # (compiled here, not shared through load's cache with tests that evaluate it)
    compiled = compile_source(path.read_text(encoding="utf-8"), path.name)
    loaded = round_trip(compiled)
    assert compiled.document is not None and compiled.symbols is not None
    assert loaded.document is None and loaded.symbols is None and not loaded.has_syntax
    assert structure(loaded.without_syntax()) == structure(
        compiled.without_syntax().__class__(**{**compiled.__dict__, "document": None,
                                               "symbols": None, "warnings": loaded.warnings}))
    assert [(d.message, d.span) for d in loaded.warnings] == \
        [(d.message, d.span) for d in compiled.warnings]
    assert [r.failures for r in run_examples(loaded)] == \
        [r.failures for r in run_examples(compiled)]
    again = loaded.with_syntax()  # pages that word the agreement compile it again on demand
    assert again.document is not None and again.content_hash == compiled.content_hash


@pytest.mark.parametrize("incident_path", INCIDENTS, ids=lambda p: p.name)
def test_pickled_agreements_evaluate_byte_identically(incident_path):
    incident = load_incident(incident_path.read_bytes())
    compiled = [fresh(p) for p in AGREEMENTS]
    loaded = [round_trip(c) for c in compiled]
    for one, other in zip(compiled, loaded):  # each alone, and all together, linear and indexed
        assert as_json(evaluate(incident, [other])) == as_json(evaluate(incident, [one]))
    expected = as_json(evaluate(incident, compiled))
    assert as_json(evaluate(incident, loaded)) == expected
    assert as_json(Library(loaded).evaluate(incident)) == as_json(Library(compiled).evaluate(incident))


def test_the_version_names_the_package_and_the_engine_source():
    assert persist.VERSION.startswith("0") or "+" in persist.VERSION
    assert "+" in persist.VERSION and len(persist.VERSION) <= 40  # the column's width


def test_a_pickle_of_another_version_is_refused():
    data = persist.dumps(fresh(AGREEMENTS[0]))
    assert persist.version_of(data) == persist.VERSION
    head, _, body = data.partition(b"\n")
    other = b"compact-compiled 0.0.9+0123456789abcdef\n" + body
    with pytest.raises(persist.StaleForm, match="compiled by Compact 0.0.9"):
        persist.loads(other)


@pytest.mark.parametrize("data", [b"", b"garbage", b"compact-compiled " +
                                  persist.VERSION.encode() + b"\n\x80\x05not a pickle"])
def test_damaged_bytes_are_refused(data):
    with pytest.raises(persist.StaleForm):
        persist.loads(data)


def test_a_pickle_cannot_name_arbitrary_callables():
    import pickle
    evil = (b"compact-compiled " + persist.VERSION.encode() + b"\n"
            + pickle.dumps(__import__("os").system))
    with pytest.raises(persist.StaleForm):
        persist.loads(evil)


def test_the_compact_form_is_small():
    compiled = fresh(LIBRARY / "intrastate-mutual-aid.agreement")
    assert len(persist.dumps(compiled)) < 20 * len(compiled.canonical_source)
