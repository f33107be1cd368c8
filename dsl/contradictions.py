"""Whether a condition can never hold: a bounded DNF and a contradiction test of each conjunct."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

from dsl import ast
from dsl.types import SCALE_RANK, SCALES

if TYPE_CHECKING:
    from dsl.symbols import Symbols

ORDERING = ("<", "<=", ">", ">=")


def never_holds(cond, symbols: Symbols) -> str | None:
    """Why a condition can never hold, or None if it might (a cheap, sound-when-it-speaks test)."""
    try:
        disjuncts = _dnf(cond, symbols, depth=0)
    except _TooBig:
        return None
    reasons = []
    for conj in disjuncts:
        reason = _contradiction(conj, symbols)
        if reason is None:
            return None
        reasons.append(reason)
    return reasons[0] if reasons else None


class _TooBig(Exception):
    pass


def _dnf(cond, symbols: Symbols, depth: int) -> list[list[tuple[bool, object]]]:
    """Disjunctive normal form as lists of (positive, atom), triggers inlined; bounded in size."""
    if depth > 20:
        raise _TooBig
    if isinstance(cond, ast.Group):
        return _dnf(cond.item, symbols, depth + 1)
    if isinstance(cond, ast.TriggerRef):
        trigger = symbols.triggers.get(cond.name)
        if trigger is None:
            return [[(True, cond)]]
        return _dnf(trigger.condition, symbols, depth + 1)
    if isinstance(cond, ast.Or):
        out = []
        for item in cond.items:
            out.extend(_dnf(item, symbols, depth + 1))
        if len(out) > 64:
            raise _TooBig
        return out
    if isinstance(cond, ast.And):
        out = [[]]
        for item in cond.items:
            out = [a + b for a, b in itertools.product(out, _dnf(item, symbols, depth + 1))]
            if len(out) > 64:
                raise _TooBig
        return out
    if isinstance(cond, ast.Not):
        inner = cond.item
        while isinstance(inner, ast.Group):
            inner = inner.item
        if isinstance(inner, ast.Given):
            return [[(True, ast.Given(inner.path, not inner.negated, span=inner.span))]]
        return [[(False, inner)]]
    return [[(True, cond)]]


def _field_of(value) -> str | None:
    if isinstance(value, ast.Path) and value.root == "incident":
        return str(value)
    return None


def _contradiction(conj: list[tuple[bool, object]], symbols: Symbols) -> str | None:
    equal: dict[str, object] = {}
    not_equal: dict[str, set] = {}
    allowed: dict[str, set] = {}
    given: dict[str, bool] = {}
    compared: set[str] = set()
    lower: dict[str, tuple] = {}
    upper: dict[str, tuple] = {}

    def rank(path: str, value):
        info = symbols.fields.get(path.split(".", 1)[1])
        if info is not None and info.type in SCALES:
            return SCALE_RANK[info.type].get(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return None

    for positive, atom in conj:
        if isinstance(atom, ast.Given) and positive:
            path = str(atom.path)
            want = not atom.negated
            if given.get(path, want) != want:
                return f"{path} cannot be both given and not given"
            given[path] = want
            continue
        if not positive or not isinstance(atom, ast.Compare):
            continue
        left, op, right = atom.left, atom.op, atom.right
        if _field_of(left) is None and _field_of(right) is not None and op in ("==", "!="):
            left, right = right, left
        path = _field_of(left)
        if path is None or isinstance(right, ast.Path):
            continue
        compared.add(path)
        if op == "==" and isinstance(right, ast.Literal):
            if path in equal and equal[path] != right.value:
                return (f"{path} cannot be both {_show(equal[path])} and {_show(right.value)}")
            equal[path] = right.value
        elif op == "!=" and isinstance(right, ast.Literal):
            not_equal.setdefault(path, set()).add(right.value)
        elif op == "in" and isinstance(right, ast.ListLiteral):
            values = {i.value for i in right.items}
            allowed[path] = allowed[path] & values if path in allowed else values
        elif op in ORDERING and isinstance(right, ast.Literal):
            r = rank(path, right.value)
            if r is None:
                continue
            strict = op in ("<", ">")
            if op in (">", ">="):
                if path not in lower or (r, strict) > lower[path]:
                    lower[path] = (r, strict)
            else:
                if path not in upper or (r, not strict) < upper[path]:
                    upper[path] = (r, not strict)
    for path in compared:
        if given.get(path) is False:
            return f"{path} is compared but also required to be not given"
    for path, value in equal.items():
        if value in not_equal.get(path, ()):
            return f"{path} cannot be both {_show(value)} and not {_show(value)}"
        if path in allowed and value not in allowed[path]:
            return f"{path} cannot be {_show(value)} and also one of the listed values"
        r = rank(path, value)
        if r is not None and isinstance(r, (int, float)):
            lo, hi = lower.get(path), upper.get(path)
            if (lo and (r < lo[0] or (r == lo[0] and lo[1]))) or \
                    (hi and (r > hi[0] or (r == hi[0] and not hi[1]))):
                return f"{path} cannot be {_show(value)} and also satisfy its other bounds"
    for path, values in allowed.items():
        if not values:
            return f"{path} cannot be in lists that share no value"
    for path in set(lower) & set(upper):
        (lo, lo_strict), (hi, hi_inclusive) = lower[path], upper[path]
        if lo > hi or (lo == hi and (lo_strict or not hi_inclusive)):
            return f"no value of {path} satisfies both of its bounds"
    return None


def _show(value) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)

