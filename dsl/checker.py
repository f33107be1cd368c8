"""Static checks of a parsed agreement: every error and warning of language.md, in one pass."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from dsl import ast
from dsl.errors import Diagnostic, Span
from dsl.lexical import suggest
from dsl.types import (BUILTIN_FIELDS, SCALE_RANK, SCALES, UNKNOWN, FieldInfo, is_list, item_type,
                       literal_type)

ORDERING = ("<", "<=", ">", ">=")
ORDERED_TYPES = ("number", "date", "time") + tuple(SCALES)


@dataclass
class Symbols:
    """The names an agreement defines, for the checker and the compiler."""

    agreement: ast.AgreementDecl | None = None
    header: dict[str, ast.HeaderItem] = field(default_factory=dict)
    parties: dict[str, ast.PartyDecl] = field(default_factory=dict)
    roles: dict[str, ast.RoleDecl] = field(default_factory=dict)
    triggers: dict[str, ast.TriggerDecl] = field(default_factory=dict)
    clauses: dict[str, ast.ClauseDecl] = field(default_factory=dict)
    fields: dict[str, FieldInfo] = field(default_factory=lambda: dict(BUILTIN_FIELDS))
    examples: list[ast.ExampleDecl] = field(default_factory=list)
    recitals: list[ast.Recital] = field(default_factory=list)

    def kind_of(self, name: str) -> str | None:
        for kind, table in (("party", self.parties), ("role", self.roles),
                            ("trigger", self.triggers), ("clause", self.clauses)):
            if name in table:
                return kind
        return None

    def party_attribute_type(self, name: str) -> str | None:
        for party in self.parties.values():
            for attr in party.attributes:
                if attr.name == name:
                    return value_type(attr.value)
        return None

    def party_attribute_names(self) -> set[str]:
        return {a.name for p in self.parties.values() for a in p.attributes}


def value_type(value) -> str:
    if isinstance(value, ast.ListLiteral):
        return "list of " + (literal_type(value.items[0].kind) if value.items else "any")
    return literal_type(value.kind)


class Checker:
    def __init__(self, doc: ast.Document):
        self.doc = doc
        self.diagnostics: list[Diagnostic] = []
        self.symbols = Symbols()
        self.used: set[str] = set()

    # ------------------------------------------------------------ reporting
    def error(self, span: Span | None, message: str) -> None:
        self.diagnostics.append(Diagnostic("error", message, span, self.doc.filename,
                                           self.doc.source))

    def warning(self, span: Span | None, message: str) -> None:
        self.diagnostics.append(Diagnostic("warning", message, span, self.doc.filename,
                                           self.doc.source))

    @staticmethod
    def hint(name: str, candidates) -> str:
        found = suggest(name, candidates)
        return f" (did you mean '{found}'?)" if found else ""

    # ------------------------------------------------------------ driver
    def run(self) -> list[Diagnostic]:
        self.collect()
        s = self.symbols
        for party in s.parties.values():
            self.check_party(party)
        for role in s.roles.values():
            self.check_role(role)
        self.check_role_cycles()
        for trigger in s.triggers.values():
            self.check_condition(trigger.condition, party_allowed=False)
        self.check_trigger_cycles()
        for clause in s.clauses.values():
            self.check_clause(clause)
        self.check_breach_cycles()
        for example in s.examples:
            self.check_example(example)
        self.check_unused()
        if s.agreement is not None and not s.examples:
            self.warning(s.agreement.id_span,
                         f"agreement '{s.agreement.id}' has no examples; add an 'example' block "
                         "so that 'compact test' can check it")
        self.diagnostics.sort(key=lambda d: (d.span.start if d.span else -1))
        return self.diagnostics

    def collect(self) -> None:
        s = self.symbols
        first_fields: ast.FieldsDecl | None = None
        for index, decl in enumerate(self.doc.declarations):
            if isinstance(decl, ast.AgreementDecl):
                if s.agreement is not None:
                    self.error(decl.span, "there can be only one 'agreement' declaration in a file "
                               f"(the first is at line {s.agreement.span.line})")
                    continue
                s.agreement = decl
                if index != 0:
                    self.error(decl.span, "the 'agreement' declaration must come first")
                self.check_header(decl)
            elif isinstance(decl, ast.Recital):
                s.recitals.append(decl)
            elif isinstance(decl, ast.PartyDecl):
                self.define(decl.id, decl.id_span, "party", s.parties, decl)
            elif isinstance(decl, ast.RoleDecl):
                self.define(decl.id, decl.id_span, "role", s.roles, decl)
            elif isinstance(decl, ast.TriggerDecl):
                self.define(decl.id, decl.id_span, "trigger", s.triggers, decl)
            elif isinstance(decl, ast.ClauseDecl):
                self.define(decl.id, decl.id_span, "clause", s.clauses, decl)
            elif isinstance(decl, ast.FieldsDecl):
                if first_fields is not None:
                    self.error(decl.span, "there can be only one 'fields' declaration (the first "
                               f"is at line {first_fields.span.line}); list every field there")
                    continue
                first_fields = decl
                self.collect_fields(decl)
            elif isinstance(decl, ast.ExampleDecl):
                s.examples.append(decl)
        if s.agreement is None:
            start = self.doc.declarations[0].span if self.doc.declarations else None
            self.error(start or Span(1, 1, 1, 1, 0, 0),
                       "the file has no 'agreement' declaration; it must start with "
                       "'agreement ID' followed by its title, kind, binding and effective lines")

    def define(self, name: str, span: Span, kind: str, table: dict, decl) -> None:
        existing = self.symbols.kind_of(name)
        if existing is not None:
            table_of = {"party": self.symbols.parties, "role": self.symbols.roles,
                        "trigger": self.symbols.triggers, "clause": self.symbols.clauses}
            first = table_of[existing][name]
            line = (getattr(first, "id_span", None) or first.span).line
            self.error(span, f"duplicate id '{name}': already defined as a {existing} "
                             f"at line {line}")
            return
        table[name] = decl

    # ------------------------------------------------------------ header
    def check_header(self, decl: ast.AgreementDecl) -> None:
        seen: dict[str, ast.HeaderItem] = {}
        words = {"title": "title", "kind": "kind", "binding": "binding or non-binding",
                 "effective": "effective", "governing_law": "governing law",
                 "withdrawal_notice": "withdrawal notice", "language": "language"}
        for item in decl.items:
            if item.key in seen:
                self.error(item.span, f"the agreement says '{words[item.key]}' twice (first at "
                                      f"line {seen[item.key].span.line})")
                continue
            seen[item.key] = item
        self.symbols.header = seen
        for key in ("title", "kind", "binding", "effective"):
            if key not in seen:
                a = "an" if words[key][0] in "aeiou" else "a"
                self.error(decl.id_span, f"agreement '{decl.id}' needs {a} '{words[key]}' line")
        eff = seen.get("effective")
        if eff is not None and isinstance(eff.value, tuple):
            start, until = eff.value
            if until.value < start.value:
                self.error(until.span, f"'until {until.raw}' is before 'effective {start.raw}'")

    # ------------------------------------------------------------ fields and parties
    def collect_fields(self, decl: ast.FieldsDecl) -> None:
        declared: dict[str, ast.FieldDecl] = {}
        for f in decl.fields:
            type_name = str(f.type)
            if f.name in declared:
                self.error(f.span, f"field '{f.name}' is declared twice (first at line "
                                   f"{declared[f.name].span.line})")
                continue
            declared[f.name] = f
            builtin = BUILTIN_FIELDS.get(f.name)
            if builtin is not None and builtin.type != type_name:
                self.error(f.type.span, f"'{f.name}' is a built-in field of type {builtin.type}; "
                                        f"it cannot be declared as {type_name}")
                continue
            one_of = None
            if f.one_of is not None:
                one_of = []
                for lit in f.one_of:
                    if not self.literal_fits(lit, item_type(type_name)):
                        self.error(lit.span, f"{lit.raw} is not a {item_type(type_name)} value, "
                                             f"so it cannot be one of field '{f.name}'")
                    else:
                        one_of.append(lit.value)
                one_of = tuple(one_of)
            self.symbols.fields[f.name] = FieldInfo(
                f.name, type_name, one_of, required=builtin.required if builtin else False,
                builtin=False)

    def literal_fits(self, lit: ast.Literal, type_name: str) -> bool:
        kind = literal_type(lit.kind)
        if type_name in SCALES:
            return lit.kind == "text" and (lit.value in SCALE_RANK[type_name] or lit.value == UNKNOWN)
        if type_name == "party":
            return lit.kind == "text"
        return kind == type_name or type_name == "any"

    def check_party(self, party: ast.PartyDecl) -> None:
        seen: dict[str, ast.Attribute] = {}
        for attr in party.attributes:
            if attr.name in seen:
                self.error(attr.span, f"party '{party.id}' has the attribute '{attr.name}' twice")
            seen[attr.name] = attr
            if attr.name == "area" and not (isinstance(attr.value, ast.ListLiteral) and all(
                    i.kind == "text" for i in attr.value.items)):
                self.error(attr.value.span, "a party's area is a list of geocodes such as "
                                            '["FIPS:039001"]')

    # ------------------------------------------------------------ roles
    def resolve_member(self, name: ast.Name, allow_roles: bool, what: str) -> None:
        s = self.symbols
        if name.name in s.parties:
            return
        if name.name in s.roles:
            if allow_roles:
                self.used.add(name.name)
                return
            self.error(name.span, f"'{name.name}' is a role; {what} lists parties")
            return
        candidates = list(s.parties) + (list(s.roles) if allow_roles else [])
        noun = "role or party" if allow_roles else "party"
        self.error(name.span, f"unknown {noun} '{name.name}'{self.hint(name.name, candidates)}")

    def check_role(self, role: ast.RoleDecl) -> None:
        if role.kind == "fixed":
            for member in role.members:
                self.resolve_member(member, False, "a fixed role")
        elif role.kind == "except":
            for member in role.members:
                self.resolve_member(member, True, "")
        elif role.kind == "where":
            self.check_condition(role.condition, party_allowed=True)
        elif role.kind in ("field", "area"):
            type_name = self.path_type(role.path, party_allowed=False)
            if type_name is None:
                return
            if role.kind == "field" and type_name not in ("party", "list of party", "any"):
                self.error(role.path.span, f"{role.path} is {article(type_name)}; a role can only "
                                           "be read from a field of type party")
            if role.kind == "area" and not (is_list(type_name) or type_name == "any"):
                self.error(role.path.span, f"{role.path} is {article(type_name)}; an area is a "
                                           "list of geocodes")

    def check_role_cycles(self) -> None:
        roles = self.symbols.roles

        def refs(name: str) -> list[str]:
            role = roles[name]
            return [m.name for m in role.members if m.name in roles] if role.kind == "except" else []

        self.report_cycles(list(roles), refs, lambda n: roles[n].id_span,
                           "role '{first}' is defined in terms of itself: {path}")

    # ------------------------------------------------------------ triggers and breaches
    def trigger_refs(self, cond) -> list[str]:
        return [node.name for node in walk(cond) if isinstance(node, ast.TriggerRef)
                and node.name in self.symbols.triggers]

    def check_trigger_cycles(self) -> None:
        triggers = self.symbols.triggers
        self.report_cycles(list(triggers), lambda n: self.trigger_refs(triggers[n].condition),
                           lambda n: triggers[n].id_span,
                           "trigger '{first}' refers to itself: {path}")

    def breach_refs(self, clause: ast.ClauseDecl) -> list[str]:
        """Clauses whose breaches this clause's duties depend on."""
        found: list[str] = []
        seen_triggers: set[str] = set()

        def visit(cond) -> None:
            for node in walk(cond):
                if isinstance(node, ast.Breached) and node.clause in self.symbols.clauses:
                    found.append(node.clause)
                elif isinstance(node, ast.TriggerRef) and node.name in self.symbols.triggers \
                        and node.name not in seen_triggers:
                    seen_triggers.add(node.name)
                    visit(self.symbols.triggers[node.name].condition)

        for key in ("when", "unless"):
            cond = clause.get(key)
            if cond is not None:
                visit(cond)
        statement = clause.get("statement")
        if statement is not None and statement.deadline is not None \
                and statement.deadline.breach_of is not None \
                and statement.deadline.breach_of.name in self.symbols.clauses:
            found.append(statement.deadline.breach_of.name)
        return list(dict.fromkeys(found))

    def check_breach_cycles(self) -> None:
        clauses = self.symbols.clauses
        self.report_cycles(list(clauses), lambda n: self.breach_refs(clauses[n]),
                           lambda n: clauses[n].id_span,
                           "cycle of breached references: {path}")

    def report_cycles(self, names, refs, span_of, template: str) -> None:
        state: dict[str, int] = {}
        reported: set[frozenset] = set()

        def visit(name: str, stack: list[str]) -> None:
            state[name] = 1
            stack.append(name)
            for ref in refs(name):
                if state.get(ref) == 1:
                    cycle = stack[stack.index(ref):] + [ref]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        first = min(cycle[:-1], key=lambda n: span_of(n).start)
                        i = cycle.index(first)
                        ordered = cycle[i:-1] + cycle[:i] + [first]
                        self.error(span_of(first), template.format(
                            first=first, path=" → ".join(ordered)))
                elif state.get(ref) is None:
                    visit(ref, stack)
            stack.pop()
            state[name] = 2

        for name in names:
            if name not in state:
                visit(name, [])

    # ------------------------------------------------------------ clauses
    def check_clause(self, clause: ast.ClauseDecl) -> None:
        seen: dict[str, ast.ClauseItem] = {}
        names = {"when": "when", "unless": "unless", "costs": "costs", "text": "text",
                 "statement": "must/may/must not"}
        for item in clause.items:
            if item.key in seen:
                self.error(item.span, f"clause '{clause.id}' has a second '{names[item.key]}' line "
                                      f"(the first is at line {seen[item.key].span.line}); "
                                      "one clause states one duty")
                continue
            seen[item.key] = item
        if "when" not in seen:
            self.error(clause.id_span, f"clause '{clause.id}' needs a 'when' line saying when it "
                                       "applies")
        if "statement" not in seen:
            self.error(clause.id_span, f"clause '{clause.id}' needs a line saying who must, may or "
                                       "must not do what (ROLE must \"...\")")
        for key in ("when", "unless"):
            if key in seen:
                self.check_condition(seen[key].value, party_allowed=False)
        if "when" in seen:
            reason = never_holds(seen["when"].value, self.symbols)
            if reason:
                self.warning(seen["when"].value.span,
                             f"clause '{clause.id}' can never apply: its condition can never hold "
                             f"({reason})")
        if "statement" in seen:
            self.check_statement(seen["statement"].value)
        if "costs" in seen:
            self.check_costs(seen["costs"].value)

    def check_subject(self, name: ast.Name) -> None:
        s = self.symbols
        if name.name in s.roles:
            self.used.add(name.name)
        elif name.name not in s.parties:
            self.error(name.span, f"unknown role '{name.name}'"
                                  f"{self.hint(name.name, list(s.roles) + list(s.parties))}")

    def check_statement(self, st: ast.Statement) -> None:
        self.check_subject(st.subject)
        dl = st.deadline
        if dl is None:
            return
        if dl.kind == "within_field":
            type_name = self.path_type(dl.field_path, party_allowed=False)
            if type_name is not None and type_name not in ("time", "any"):
                self.error(dl.field_path.span, f"{dl.field_path} is {article(type_name)}; a "
                                               "deadline is counted from a field of type time")
        elif dl.kind == "within_breach":
            name = dl.breach_of
            if name.name not in self.symbols.clauses:
                self.error(name.span, f"unknown clause '{name.name}'"
                                      f"{self.hint(name.name, self.symbols.clauses)}")

    def check_costs(self, costs: ast.Costs) -> None:
        for share in costs.shares:
            self.check_subject(share.who)
        if costs.kind == "percent":
            total = sum(share.percent.value for share in costs.shares)
            if abs(total - 100) > 1e-9:
                self.error(costs.span, f"cost shares total {total:g}%, not 100%")

    # ------------------------------------------------------------ conditions
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
            if info.type != "any":
                self.error(path.span, f"incident.{name} is {article(info.type)}; it has no "
                                      f"part '{path.names[1]}'")
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

    # ------------------------------------------------------------ examples
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

    def check_example_json(self, lit: ast.Literal) -> None:
        try:
            data = json.loads(lit.value)
        except json.JSONDecodeError as exc:
            span = json_error_span(lit, exc)
            self.error(span, f"the example's incident is not valid JSON: {exc.msg}")
            return
        if not isinstance(data, dict):
            self.error(lit.span, "the example's incident must be a JSON object { ... }")

    # ------------------------------------------------------------ warnings
    def check_unused(self) -> None:
        for trigger in self.symbols.triggers.values():
            if trigger.id not in self.used:
                self.warning(trigger.id_span, f"trigger '{trigger.id}' is never used")
        for role in self.symbols.roles.values():
            if role.id not in self.used:
                self.warning(role.id_span, f"role '{role.id}' is never used")


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


# ---------------------------------------------------------------- can never hold

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


def check(doc: ast.Document) -> tuple[list[Diagnostic], Symbols]:
    """Every static error and warning of a parsed document, and the symbols it defines."""
    checker = Checker(doc)
    diagnostics = checker.run()
    return diagnostics, checker.symbols
