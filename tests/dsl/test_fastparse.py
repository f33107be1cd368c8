"""The hand-written reader gives the grammar's tree, spans included, or leaves the text to it."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dsl import fastparse
from dsl.errors import CompactError
from dsl.ast import tree_difference
from dsl.parser import blank_comments, parse
from tests.dsl.base_agreement import BASE as SPEC_EXAMPLE
from tests.dsl.test_fuzz import BASE as FUZZ_BASE, PIECES

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "agreements/library").glob("*.agreement"))


def outcome(text: str, fast: bool):
    try:
        return parse(text, "x.agreement", fast=fast)
    except CompactError as exc:
        return exc.diagnostics[0].render()


def assert_same(text: str) -> None:
    fast, slow = outcome(text, True), outcome(text, False)
    if isinstance(slow, str):
        assert fast == slow  # the grammar's diagnostic, word for word
    else:
        assert not isinstance(fast, str), fast
        assert tree_difference(fast, slow) is None, tree_difference(fast, slow)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_the_reader_reads_every_library_agreement_itself_and_exactly(path):
    text = path.read_text()
    assert fastparse.read(blank_comments(text)) is not None  # no fallback: the speed is real
    assert_same(text)


def test_the_reader_reads_the_spec_example_and_the_fuzz_base_exactly():
    for text in (SPEC_EXAMPLE, FUZZ_BASE):
        assert fastparse.read(blank_comments(text)) is not None
        assert_same(text)


def test_a_wrong_word_goes_back_to_the_grammar_for_its_diagnostic():
    text = SPEC_EXAMPLE.replace("kind mutual-aid", "kind mutual-ayd")
    assert fastparse.read(blank_comments(text)) is None
    assert outcome(text, True) == outcome(text, False)
    assert "expected a kind (mou, mutual-aid, compact, protocol or other)" in outcome(text, True)


def test_nesting_too_deep_for_the_reader_is_the_grammars_diagnostic():
    deep = FUZZ_BASE.replace("when big and", "when " + "(" * (sys.getrecursionlimit()) + "big"
                             + ")" * sys.getrecursionlimit() + " and")
    assert_same(deep)
    assert "nested too deeply" in outcome(deep, True)


def test_every_construct_of_the_language_is_read_the_same(base_agreement_texts):
    for text in base_agreement_texts:
        assert_same(text)


@pytest.fixture
def base_agreement_texts():
    """Texts that use each construct at least once, with odd but valid spacing and comments."""
    return [
        FUZZ_BASE.replace("  ", "\t "),
        FUZZ_BASE.replace("\n", "  # note\n"),
        FUZZ_BASE.replace(" and ", "\n   and ").replace(", ", " ,\n  "),
        FUZZ_BASE + 'clause four\n  when not not (big)\n  a may "x" within 3 weeks of breach of one\n'
                    '  when incident.displaced is given or incident.type not in ["a","b"] or '
                    'incident.area intersects party.area\n',
        FUZZ_BASE + 'clause five\n  when lapsed three\n  b must "y" to a , req\n  within 1 day of '
                    'lapse of three fulfilled at incident.requested_at otherwise """z"""\n',
        FUZZ_BASE + 'trigger t2 when incident.flag == yes and incident.n != -1.5 and '
                    'incident.d >= 2026-01-02\nrole r9 is parties where party.tier in [1, 2]\n',
        FUZZ_BASE.replace("kind mutual-aid", "kind other").replace("binding\n", "non-binding\n")
        + 'fields\n  tags list of list of text\n  stamp time one of 2026-01-01T00:00:00+01:00\n',
        FUZZ_BASE + 'clause five\n  when big\n  a must "x" within 2 months\n'
                    'clause six\n  when big\n  a must "y" within 30 calendar  days of breach of one\n'
                    'clause seven\n  when big\n  a may "z" within 1 year of incident.at\n'
                    'clause eight\n  when big\n  a must "w" within 1 calendar day\n',
        FUZZ_BASE + 'clause nine\n  when big\n  a must "x" within 2 days of incident.at or 3 '
                    'months ,whichever  is\tearlier\n'
                    'clause ten\n  when big\n  a must "y" within 1 day or within 2 hours of breach '
                    'of one or by 2026-01-02T00:00:00Z, whichever is later\n  unless big\n',
        FUZZ_BASE + 'clause eleven\n  when big\n  a must "x" every 1 week\n'
                    'clause twelve\n  when big\n  a may "y" every  2 business days  of '
                    'incident.at\n  unless big\n',
    ]


TOKENS = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\S+')


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), pieces=st.lists(st.sampled_from(PIECES), max_size=4))
def test_mutated_text_reads_the_same_or_fails_the_same(seed, pieces):
    """Random pieces at random places: mostly errors, which must be the grammar's own."""
    rng = random.Random(seed)
    text = rng.choice([FUZZ_BASE, SPEC_EXAMPLE])
    for piece in pieces:
        at = rng.randrange(len(text) + 1)
        text = text[:at] + piece + text[at:]
    if rng.random() < 0.3:
        start = rng.randrange(len(text))
        text = text[:start] + text[start + rng.randrange(1, 40):]
    assert_same(text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_respaced_text_reads_the_same(seed):
    """White space and comments moved between tokens: mostly valid, so spans are compared."""
    rng = random.Random(seed)
    text = rng.choice([FUZZ_BASE, SPEC_EXAMPLE, LIBRARY[rng.randrange(len(LIBRARY))].read_text()])
    out, last = [], 0
    for m in TOKENS.finditer(text):
        gap = text[last:m.start()]
        if gap and rng.random() < 0.2:
            gap = rng.choice([" ", "\t", "  ", " \n  ", "\n", " # c\n ", "\r\n  "])
        elif not gap and rng.random() < 0.05:
            gap = " "
        out.append(gap + m.group(0))
        last = m.end()
    assert_same("".join(out) + text[last:])


def test_each_punctuation_mark_left_out_reads_the_same_or_fails_the_same():
    """The typo of a missing bracket, quote, comma, dot or sign, at every place it can happen."""
    text = FUZZ_BASE
    places = [i for i, ch in enumerate(text) if ch in '[](),."%=<>-:']
    assert len(places) > 100
    for i in places:
        assert_same(text[:i] + text[i + 1:])
