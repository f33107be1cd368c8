"""Compiled conditions: evaluation against an incident and the explanation of why they held."""

from __future__ import annotations

import contextvars
import json
from datetime import date, datetime

from dsl import ast
from dsl.timestamps import parse_time
from dsl.types import SCALE_RANK, SCALES, is_list, item_type

MISSING = object()


def same(a, b) -> bool:
    """Equality that never confuses yes/no with 1/0."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    return a == b


# `json.dumps` with options builds an encoder per call; these are built once (same output).
_TEXT_JSON = json.JSONEncoder(ensure_ascii=False).encode
_VALUE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


def show(value, type_name: str | None) -> str:
    """An incident value as an explanation shows it: text quoted, scales and times bare."""
    if value is MISSING:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if type_name in SCALES or type_name in ("time", "date"):
            return value
        return _TEXT_JSON(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return _VALUE_JSON(value)


class Operand:
    __slots__ = ("text",)

    def read(self, ctx):
        raise NotImplementedError

    def raw(self, ctx):
        return MISSING


class PathOperand(Operand):
    """`incident.NAME[.NAME]` or `party.NAME`, converted to its type's Python value."""

    __slots__ = ("root", "names", "type", "field")

    def __init__(self, path: ast.Path, type_name: str | None):
        self.root = path.root
        self.names = path.names
        self.field = path.names[0]
        self.type = type_name
        self.text = str(path)

    def raw(self, ctx):
        if self.root == "party":
            if ctx.party is None:
                return MISSING
            if self.field == "id":  # `party.id`: the candidate's own id
                return ctx.party.id
            return ctx.party.attributes.get(self.field, MISSING)
        value = ctx.incident.get(self.field, MISSING)
        for name in self.names[1:]:
            if isinstance(value, dict):
                value = value.get(name, MISSING)
            else:
                return MISSING
        return MISSING if value is None and len(self.names) > 1 else value

    def read(self, ctx):
        if self.root == "party":
            return self.raw(ctx)
        if len(self.names) == 1:
            return ctx.typed(self.field, self.type)
        return self.raw(ctx)


class LiteralOperand(Operand):
    __slots__ = ("value",)

    def __init__(self, value, text: str):
        self.value = value
        self.text = text

    def read(self, ctx):
        return self.value


def convert(value, type_name: str | None):
    """A validated JSON value as the engine compares it (times and dates parsed)."""
    if value is MISSING or value is None:
        return MISSING
    if type_name == "time" and isinstance(value, str):
        return parse_time(value)
    if type_name == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if type_name in ("list of time", "list of date") and isinstance(value, list):
        return [convert(v, item_type(type_name)) for v in value]
    return value


# ---------------------------------------------------------------- condition nodes

class Cond:
    __slots__ = ("text",)

    def holds(self, ctx) -> bool:
        raise NotImplementedError

    def explain(self, ctx) -> str:
        """Why this condition held (call only when it did)."""
        return self.text


class AllOf(Cond):
    __slots__ = ("items",)

    def __init__(self, items, text):
        self.items, self.text = items, text

    def holds(self, ctx) -> bool:
        for item in self.items:
            if not item.holds(ctx):
                return False
        return True

    def explain(self, ctx) -> str:
        return " and ".join(item.explain(ctx) for item in self.items)

    def parts(self):
        return self.items


class AnyOf(Cond):
    __slots__ = ("items",)

    def __init__(self, items, text):
        self.items, self.text = items, text

    def holds(self, ctx) -> bool:
        for item in self.items:
            if item.holds(ctx):
                return True
        return False

    def explain(self, ctx) -> str:
        return " or ".join(item.explain(ctx) for item in self.items if item.holds(ctx))


class Negation(Cond):
    __slots__ = ("item",)

    def __init__(self, item, text):
        self.item, self.text = item, text

    def holds(self, ctx) -> bool:
        return not self.item.holds(ctx)

    def explain(self, ctx) -> str:
        if hasattr(self.item, "values"):
            return f"{self.text}{self.item.values(ctx)}"
        read = dict.fromkeys(paths_of(self.item))
        shown = ", ".join(f"{p.text} was {show(p.raw(ctx), p.type)}" for p in read)
        return f"{self.text} ({shown})" if shown else self.text


class Parens(Cond):
    __slots__ = ("item",)

    def __init__(self, item, text):
        self.item, self.text = item, text

    def holds(self, ctx) -> bool:
        return self.item.holds(ctx)

    def explain(self, ctx) -> str:
        return f"({self.item.explain(ctx)})"


class TriggerCall(Cond):
    __slots__ = ("name", "cond")

    def __init__(self, name, cond):
        self.name, self.cond, self.text = name, cond, name

    def holds(self, ctx) -> bool:
        cache = ctx.triggers
        found = cache.get(self.name)
        if found is None:
            found = cache[self.name] = self.cond.holds(ctx)
        return found

    def explain(self, ctx) -> str:
        """`requested: FACTS`, one level: a trigger used inside another gives its facts without
        its name (`requested: declared: ...` read as if the rest belonged to `declared`)."""
        if _IN_TRIGGER.get():
            return self.cond.explain(ctx)
        token = _IN_TRIGGER.set(True)
        try:
            return f"{self.name}: {self.cond.explain(ctx)}"
        finally:
            _IN_TRIGGER.reset(token)


_IN_TRIGGER: contextvars.ContextVar[bool] = contextvars.ContextVar("in_trigger", default=False)


class BreachedClause(Cond):
    """`breached C`, or with `lapsed`, `lapsed C`: some duty of C is past due, not done."""

    __slots__ = ("clause", "lapsed")

    def __init__(self, clause, lapsed: bool = False):
        self.clause, self.lapsed = clause, lapsed
        self.text = f"{'lapsed' if lapsed else 'breached'} {clause}"

    def late(self, ctx) -> list:
        return (ctx.lapsed_duties if self.lapsed else ctx.breached_duties)(self.clause)

    def holds(self, ctx) -> bool:
        return bool(self.late(ctx))

    def explain(self, ctx) -> str:
        late = ", ".join(f"{d.party} was due {d.due_text}" for d in self.late(ctx))
        return f"{self.text} ({late})"


# The shapes of comparison `Comparison.holds` decides without the general path: a one-name
# incident field whose value the engine compares as read (not a time or a date), against a
# literal. Each gives exactly the general path's answer (and raises where it raises).
GENERAL, EQ_TEXT, IN_TEXTS, NOT_IN_TEXTS, SCALE_ORDER, NUMBER_ORDER = range(6)
_AS_READ = ("time", "date", "list of time", "list of date")  # types `convert` changes
_ORDER = ("<", "<=", ">", ">=")


def _shape(left, op: str, right, scale: str | None) -> tuple[int, object]:
    """A comparison's shape and the literal it compares with (prepared: a set of texts, a
    rank), or GENERAL."""
    if not (isinstance(left, PathOperand) and isinstance(right, LiteralOperand)) \
            or left.root != "incident" or len(left.names) != 1 or left.type in _AS_READ:
        return GENERAL, None
    value = right.value
    if op == "==" and type(value) is str:
        return EQ_TEXT, value
    if op in ("in", "not in") and type(value) is list and all(type(v) is str for v in value):
        return (IN_TEXTS if op == "in" else NOT_IN_TEXTS), frozenset(value)
    if op in _ORDER and scale is not None and type(value) is str:
        return SCALE_ORDER, SCALE_RANK[scale].get(value)
    if op in _ORDER and scale is None and type(value) in (int, float):
        return NUMBER_ORDER, value
    return GENERAL, None


class Comparison(Cond):
    __slots__ = ("left", "op", "right", "scale", "test", "shape", "literal", "field")

    def __init__(self, left: Operand, op: str, right: Operand, scale: str | None):
        self.left, self.op, self.right, self.scale = left, op, right, scale
        self.text = f"{left.text} {op} {right.text}"
        self.test = _TESTS[op]
        self.shape, self.literal = _shape(left, op, right, scale)
        self.field = left.field if self.shape else None

    def holds(self, ctx) -> bool:
        shape = self.shape
        if shape:
            a = ctx.incident.get(self.field)  # None reads as not given
            if shape == EQ_TEXT:
                return a == self.literal  # only a text equals a text (never yes/no)
            if a is None:
                return False
            if shape == IN_TEXTS:
                return isinstance(a, str) and a in self.literal
            if shape == NOT_IN_TEXTS:
                return not (isinstance(a, str) and a in self.literal)
            if shape == SCALE_ORDER:
                a = SCALE_RANK[self.scale].get(a)
                b = self.literal
                if a is None or b is None:
                    return False
            else:
                b = self.literal
            try:
                return self.test(a, b)
            except TypeError:
                return False
        a = self.left.read(ctx)
        if a is MISSING:
            return False
        b = self.right.read(ctx)
        if b is MISSING:
            return False
        if self.scale is not None and self.op in ("<", "<=", ">", ">="):
            ranks = SCALE_RANK[self.scale]
            a, b = ranks.get(a), ranks.get(b)
            if a is None or b is None:
                return False
        try:
            return self.test(a, b)
        except TypeError:
            return False

    def values(self, ctx) -> str:
        shown = [show(op.raw(ctx), op.type) for op in (self.left, self.right)
                 if isinstance(op, PathOperand)]
        return f" (was {' and '.join(shown)})" if shown else ""

    def explain(self, ctx) -> str:
        return self.text + self.values(ctx)


def _in(a, b) -> bool:
    return isinstance(b, list) and any(same(a, x) for x in b)


def _contains(a, b) -> bool:
    if isinstance(a, list):
        return any(same(x, b) for x in a)
    if isinstance(a, str) and isinstance(b, str):
        return b in a
    return False


_TESTS = {
    "==": same,
    "!=": lambda a, b: not same(a, b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": _in,
    "not in": lambda a, b: isinstance(b, list) and not _in(a, b),
    "contains": _contains,
}


class IsGiven(Cond):
    __slots__ = ("path", "negated")

    def __init__(self, path: PathOperand, negated: bool):
        self.path, self.negated = path, negated
        self.text = f"{path.text} is {'not ' if negated else ''}given"

    def holds(self, ctx) -> bool:
        value = self.path.raw(ctx)
        present = value is not MISSING and value is not None
        return present != self.negated

    def values(self, ctx) -> str:
        return "" if self.negated else f" (was {show(self.path.raw(ctx), self.path.type)})"

    def explain(self, ctx) -> str:
        return self.text + self.values(ctx)


class Overlap(Cond):
    __slots__ = ("left", "right")

    def __init__(self, left: PathOperand, right: PathOperand):
        self.left, self.right = left, right
        self.text = f"{left.text} intersects {right.text}"

    def holds(self, ctx) -> bool:
        a, b = self.left.raw(ctx), self.right.raw(ctx)
        if not isinstance(a, list) or not isinstance(b, list):
            return False
        return any(same(x, y) for x in a for y in b)

    def values(self, ctx) -> str:
        return (f" (was {show(self.left.raw(ctx), None)} and "
                f"{show(self.right.raw(ctx), None)})")

    def explain(self, ctx) -> str:
        return self.text + self.values(ctx)


def paths_of(cond: Cond) -> list[PathOperand]:
    """The fields a condition reads, in order (a trigger's through its condition)."""
    if isinstance(cond, (AllOf, AnyOf)):
        return [p for item in cond.items for p in paths_of(item)]
    if isinstance(cond, (Negation, Parens)):
        return paths_of(cond.item)
    if isinstance(cond, TriggerCall):
        return paths_of(cond.cond)
    if isinstance(cond, Comparison):
        return [o for o in (cond.left, cond.right) if isinstance(o, PathOperand)]
    if isinstance(cond, IsGiven):
        return [cond.path]
    if isinstance(cond, Overlap):
        return [cond.left, cond.right]
    return []


# ---------------------------------------------------------------- compiling from the AST

class ConditionCompiler:
    """Turns checked AST conditions into Cond objects, sharing one object per trigger."""

    def __init__(self, symbols):
        self.symbols = symbols
        self.triggers: dict[str, TriggerCall] = {}

    def path_type(self, path: ast.Path) -> str | None:
        if path.root == "party":
            return self.symbols.party_attribute_type(path.names[0])
        info = self.symbols.fields.get(path.names[0])
        if info is None or len(path.names) > 1:
            return "any"
        return info.type

    def operand(self, value, other_type: str | None) -> Operand:
        if isinstance(value, ast.Path):
            return PathOperand(value, self.path_type(value))
        if isinstance(value, ast.ListLiteral):
            items = [self.literal_value(i) for i in value.items]
            text = "[" + ", ".join(self.literal_text(i, item_type(other_type or "")) for i in
                                   value.items) + "]"
            return LiteralOperand(items, text)
        return LiteralOperand(self.literal_value(value), self.literal_text(value, other_type))

    @staticmethod
    def literal_value(lit: ast.Literal):
        return lit.value

    @staticmethod
    def literal_text(lit: ast.Literal, other_type: str | None) -> str:
        if lit.kind == "text":
            if other_type in SCALES or (other_type and is_list(other_type)
                                        and item_type(other_type) in SCALES):
                return lit.value
            return json.dumps(lit.value, ensure_ascii=False)
        return lit.raw

    def compile(self, cond) -> Cond:
        if isinstance(cond, ast.Or):
            return AnyOf(tuple(self.compile(i) for i in cond.items), _source(cond))
        if isinstance(cond, ast.And):
            return AllOf(tuple(self.compile(i) for i in cond.items), _source(cond))
        if isinstance(cond, ast.Not):
            return Negation(self.compile(cond.item), _source(cond))
        if isinstance(cond, ast.Group):
            return Parens(self.compile(cond.item), _source(cond))
        if isinstance(cond, ast.TriggerRef):
            call = self.triggers.get(cond.name)
            if call is None:
                call = TriggerCall(cond.name, None)
                self.triggers[cond.name] = call
                call.cond = self.compile(self.symbols.triggers[cond.name].condition)
            return call
        if isinstance(cond, ast.Breached):
            return BreachedClause(cond.clause, cond.lapsed)
        if isinstance(cond, ast.Given):
            return IsGiven(PathOperand(cond.path, self.path_type(cond.path)), cond.negated)
        if isinstance(cond, ast.Intersects):
            return Overlap(PathOperand(cond.left, self.path_type(cond.left)),
                           PathOperand(cond.right, self.path_type(cond.right)))
        if isinstance(cond, ast.Compare):
            lt = self.path_type(cond.left) if isinstance(cond.left, ast.Path) else None
            rt = self.path_type(cond.right) if isinstance(cond.right, ast.Path) else None
            left = self.operand(cond.left, rt)
            right = self.operand(cond.right, lt)
            scale = next((t for t in (lt, rt) if t in SCALES), None)
            return Comparison(left, cond.op, right, scale)
        raise AssertionError(type(cond))


def _source(node) -> str:
    from dsl.formatter import condition
    return condition(node)
