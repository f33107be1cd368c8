"""Checks of an agreement's examples: their incident JSON (errors placed inside it) and names."""

from __future__ import annotations

import json

from dsl import ast
from dsl.errors import Span


# The statuses a duty of each modality can have (`lapsed`: a permission whose time is past).
STATUSES = {"must": ("open", "breached", "fulfilled"), "may": ("open", "lapsed"),
            "must not": ("open",)}


def _either(words) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class ExampleChecks:
    """The checker's example checks (a part of dsl.checker.Checker)."""

    def check_example(self, example: ast.ExampleDecl) -> None:
        s = self.symbols
        name = example.name.value
        seen: dict[str, ast.ExampleItem] = {}
        for item in example.items:
            if item.key in ("incident", "at") and item.key in seen:
                self.error(item.span, f"example '{name}' has a second '{item.key}' line")
            seen.setdefault(item.key, item)
        incident = example.get("incident")
        if incident is None:
            self.error(example.name.span, f"example '{name}' needs an 'incident' line with the "
                                          "incident as JSON")
        else:
            self.check_example_json(incident)
        if not example.expects:
            self.warning(example.name.span, f"example '{name}' expects nothing; add 'expect' lines")
        for exp in example.expects:
            if exp.party is not None and exp.party.name not in s.parties:
                self.error(exp.party.span, f"unknown party '{exp.party.name}'"
                                           f"{self.hint(exp.party.name, s.parties)}")
            if exp.clause is not None and exp.clause.name not in s.clauses:
                self.error(exp.clause.span, f"unknown clause '{exp.clause.name}'"
                                            f"{self.hint(exp.clause.name, s.clauses)}")
            if exp.status is not None and exp.status.name not in STATUSES[exp.modality]:
                self.error(exp.status.span, f"a '{exp.modality}' duty is never "
                                            f"{exp.status.name}: it is "
                                            f"{_either(STATUSES[exp.modality])}")
            if exp.kind == "warning" and not exp.text.value.strip():
                self.error(exp.text.span, "the warning's text is empty; quote a part of the "
                                          "warning expected")

    def check_example_json(self, lit: ast.Literal) -> None:
        try:
            data = json.loads(lit.value)
        except json.JSONDecodeError as exc:
            span = json_error_span(lit, exc)
            self.error(span, f"the example's incident is not valid JSON: {exc.msg}")
            return
        if not isinstance(data, dict):
            self.error(lit.span, "the example's incident must be a JSON object { ... }")


def json_error_span(lit: ast.Literal, exc: json.JSONDecodeError) -> Span:
    """Map a JSON error inside a string literal back to its line and column in the agreement."""
    if not lit.raw.startswith('"""'):
        # Walk the raw text: an escape is two source characters for one value character.
        raw, index, value_pos = lit.raw, 1, 0
        while index < len(raw) - 1 and value_pos < exc.pos:
            index += 2 if raw[index] == "\\" else 1
            value_pos += 1
        col = lit.span.col + index
        return Span(lit.span.line, col, lit.span.line, col + 1, lit.span.start, lit.span.start)
    raw_lines = lit.raw[3:].split("\n")
    skip = 1 if len(raw_lines) > 1 and not raw_lines[0].strip() else 0
    value_lines = lit.value.split("\n")
    index = exc.lineno - 1
    if index >= len(value_lines) or skip + index >= len(raw_lines):
        return lit.span
    raw_line = raw_lines[skip + index]
    removed = len(raw_line) - len(value_lines[index]) if raw_line.endswith(value_lines[index]) else 0
    line = lit.span.line + skip + index
    col = (lit.span.col + 3 if skip + index == 0 else 1) + removed + exc.colno - 1
    return Span(line, col, line, col + 1, lit.span.start, lit.span.start)
