"""Type checks of conditions: triggers and clauses they name, the paths they read, comparisons."""

from __future__ import annotations

import json

from dsl import ast
from dsl.cap_shape import path_problem
from dsl.contradictions import ORDERING
from dsl.types import SCALE_RANK, SCALES, UNKNOWN, is_list, item_type, literal_type

ORDERED_TYPES = ("number", "date", "time") + tuple(SCALES)


class ConditionChecks:
    """The checker's condition and path checks (a part of dsl.checker.Checker)."""

    def literal_fits(self, lit: ast.Literal, type_name: str) -> bool:
        kind = literal_type(lit.kind)
        if type_name in SCALES:
            return lit.kind == "text" and (lit.value in SCALE_RANK[type_name] or lit.value == UNKNOWN)
        if type_name == "party":
            return lit.kind == "text"
        return kind == type_name or type_name == "any"

    def check_condition(self, cond, party_allowed: bool) -> None:
        s = self.symbols
        for node in walk(cond):
            if isinstance(node, ast.TriggerRef):
                if node.name in s.triggers:
                    self.used.add(node.name)
                elif node.name in s.clauses:
                    self.error(node.span, f"'{node.name}' is a clause, not a trigger; write "
                                          f"'breached {node.name}' to test for its breach")
                else:
                    self.error(node.span, f"unknown trigger '{node.name}'"
                                          f"{self.hint(node.name, s.triggers)}")
            elif isinstance(node, ast.Breached):
                if node.clause not in s.clauses:
                    self.error(node.clause_span, f"unknown clause '{node.clause}'"
                                                 f"{self.hint(node.clause, s.clauses)}")
                elif node.lapsed:
                    self.check_lapses(node.clause, node.clause_span, f"lapsed {node.clause}")
            elif isinstance(node, ast.Given):
                self.path_type(node.path, party_allowed)
            elif isinstance(node, ast.Intersects):
                for side in (node.left, node.right):
                    t = self.path_type(side, party_allowed)
                    if t is not None and not is_list(t) and t != "any":
                        self.error(side.span, f"{side} is {article(t)}; 'intersects' compares "
                                              "two lists")
            elif isinstance(node, ast.Compare):
                self.check_compare(node, party_allowed)

    def check_lapses(self, clause_id: str, span, written: str) -> None:
        """A warning where a clause read for its lapse never lapses: only a `may` with a
        deadline does (a `must` is breached)."""
        statement = self.symbols.clauses[clause_id].get("statement")
        if statement is None:
            return
        if statement.modality != "may":
            hint = f"; write 'breached {clause_id}'" if statement.modality == "must" else ""
            self.warning(span, f"'{written}' never holds: clause '{clause_id}' is a "
                               f"'{statement.modality}', and only a 'may' lapses{hint}")
        elif statement.deadline is None:
            self.warning(span, f"'{written}' never holds: clause '{clause_id}' has no deadline, "
                               "so it never lapses")

    def path_type(self, path: ast.Path, party_allowed: bool) -> str | None:
        """The type a path reads, or None after reporting why it is not valid here."""
        s = self.symbols
        if path.root == "party":
            if not party_allowed:
                self.error(path.span, f"{path} reads a party's attribute, which only a role's "
                                      "'parties where' condition can do")
                return None
            name = path.names[0]
            type_name = s.party_attribute_type(name)
            if type_name is None:
                self.error(path.span, f"no party has the attribute '{name}'"
                                      f"{self.hint(name, s.party_attribute_names())}")
                return None
            if len(path.names) > 1:
                self.error(path.span, f"party.{name} is {article(type_name)}; it has no parts")
                return None
            return type_name
        name = path.names[0]
        info = s.fields.get(name)
        if info is None:
            self.error(path.span, f"unknown field 'incident.{name}'{self.hint(name, s.fields)}; "
                                  "declare it under 'fields'")
            return None
        if len(path.names) > 1:
            if is_list(info.type):
                first = " or read incident.region (the first)" if name == "regions" else ""
                self.error(path.span, f"{path} steps through incident.{name}, which is "
                                      f"{article(info.type)}; test the whole list (with contains, "
                                      f"in, intersects or is given){first}")
                return None
            if info.type != "any":
                self.error(path.span, f"incident.{name} is {article(info.type)}; it has no "
                                      f"part '{path.names[1]}'")
                return None
            problem = path_problem(path)
            if problem is not None:
                self.error(path.span, problem)
                return None
            return "any"
        return info.type

    def operand(self, value, party_allowed: bool):
        """(type, field info or None) of one side of a comparison; type None if invalid."""
        if isinstance(value, ast.Path):
            t = self.path_type(value, party_allowed)
            info = self.symbols.fields.get(value.names[0]) if value.root == "incident" \
                and len(value.names) == 1 else None
            return t, info
        if isinstance(value, ast.ListLiteral):
            kinds = {literal_type(i.kind) for i in value.items}
            if len(kinds) > 1:
                self.error(value.span, "a list's values must all be of one type")
                return None, None
            return "list of " + (kinds.pop() if kinds else "any"), None
        return literal_type(value.kind), None

    def check_compare(self, node: ast.Compare, party_allowed: bool) -> None:
        lt, linfo = self.operand(node.left, party_allowed)
        rt, rinfo = self.operand(node.right, party_allowed)
        if lt is None or rt is None:
            return
        op = node.op
        if op in ("in", "not in"):
            if not is_list(rt) and rt != "any":
                self.error(node.right.span, f"'{op}' needs a list on its right, such as "
                                            f'["a", "b"], but {describe(node.right)} is '
                                            f"{article(rt)}")
                return
            self.check_pair(node, node.left, lt, linfo, node.right, item_type(rt), rinfo, op,
                            right_is_list=True)
        elif op == "contains":
            if lt == "text" and rt == "text":
                return
            if not is_list(lt) and lt != "any":
                self.error(node.left.span, f"'contains' needs a list (or text) on its left, but "
                                           f"{describe(node.left)} is {article(lt)}")
                return
            self.check_pair(node, node.left, item_type(lt), linfo, node.right, rt, rinfo, op)
        else:
            self.check_pair(node, node.left, lt, linfo, node.right, rt, rinfo, op)

    def check_pair(self, node, left, lt, linfo, right, rt, rinfo, op, right_is_list=False) -> None:
        if "any" in (lt, rt):
            return
        # A literal is judged by the field it is compared with.
        for field_side, ft, finfo, lit_side, lit_t in ((left, lt, linfo, right, rt),
                                                       (right, rt, rinfo, left, lt)):
            if isinstance(field_side, ast.Path) and not isinstance(lit_side, ast.Path):
                literals = lit_side.items if isinstance(lit_side, ast.ListLiteral) else [lit_side]
                if ft in SCALES:
                    bad = [l for l in literals if not self.literal_fits(l, ft)]
                    for l in bad:
                        values = ", ".join(SCALES[ft][::-1] + (UNKNOWN,))
                        self.error(l.span, f"{l.raw} is not a {ft} ({values})"
                                           f"{self.hint(str(l.value), SCALES[ft] + (UNKNOWN,))}")
                    if bad:
                        return
                    if op in ORDERING and any(l.value == UNKNOWN for l in literals):
                        self.warning(node.span, f"'{UNKNOWN}' is outside the {ft} scale, so "
                                                f"'{op}' with it is never true")
                    return
                if ft == "party" and lit_t == "text":
                    break
                if finfo is not None and finfo.one_of is not None and ft == lit_t:
                    for l in literals:
                        if l.value not in finfo.one_of:
                            shown = ", ".join(json.dumps(v) if isinstance(v, str) else str(v)
                                              for v in finfo.one_of)
                            self.error(l.span, f"{l.raw} is not one of the values of "
                                               f"incident.{finfo.name} ({shown})"
                                               f"{self.hint(str(l.value), [str(v) for v in finfo.one_of])}")
        compatible = lt == rt or {lt, rt} == {"party", "text"} or (
            lt in SCALES and rt in SCALES and lt == rt)
        if not compatible:
            self.error(node.span, f"cannot compare {describe(left)} ({lt}) with "
                                  f"{describe(right)} ({rt})")
            return
        if op in ORDERING and lt not in ORDERED_TYPES:
            self.error(node.span, f"'{op}' is an ordering comparison, and {lt} values have no "
                                  f"order; use == or != to compare {describe(left)}")


def article(type_name: str) -> str:
    """A type as a sentence names a value of it: 'text', 'a number', 'a yes/no value'."""
    special = {"text": "text", "yes/no": "a yes/no value", "any": "any value",
               "party": "a party id"}
    if type_name in special:
        return special[type_name]
    if type_name.startswith("list"):
        return f"a {type_name}"
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name


def describe(value) -> str:
    if isinstance(value, ast.Path):
        return str(value)
    if isinstance(value, ast.ListLiteral):
        return "the list"
    return value.raw


def walk(cond):
    """Every node of a condition, depth first."""
    stack = [cond]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.Or, ast.And)):
            stack.extend(reversed(node.items))
        elif isinstance(node, (ast.Not, ast.Group)):
            stack.append(node.item)
