"""Static checks of a parsed agreement: every error and warning of language.md, in one pass."""

from __future__ import annotations

from dsl import ast
from dsl.condition_checks import ConditionChecks, article, describe, walk  # noqa: F401 (re-exported)
from dsl.contradictions import never_holds
from dsl.errors import Diagnostic, Span
from dsl.formatter import deadline as render_deadline
from dsl.example_checks import ExampleChecks, json_error_span  # noqa: F401 (re-exported)
from dsl.lexical import suggest
from dsl.symbols import Symbols, value_type  # noqa: F401 (re-exported)
from dsl.textcheck import text_disagreements
from dsl.types import BUILTIN_FIELDS, FieldInfo, is_list, item_type


class Checker(ConditionChecks, ExampleChecks):
    """One pass over a document; its condition and example checks live in their own modules."""

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
                 "withdrawal_notice": "withdrawal notice", "language": "language",
                 "holidays": "holidays"}
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
        calendars = seen.get("holidays")
        if calendars is not None:
            self.check_calendars(calendars.value if isinstance(calendars.value, tuple)
                                 else (calendars.value,))
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

    def check_party(self, party: ast.PartyDecl) -> None:
        seen: dict[str, ast.Attribute] = {}
        for attr in party.attributes:
            if attr.name in seen:
                self.error(attr.span, f"party '{party.id}' has the attribute '{attr.name}' twice")
            seen[attr.name] = attr
            if attr.name == "id":
                self.error(attr.span, f"a party's id is the name after 'party' ('{party.id}'); "
                                      "'party.id' reads it, so no attribute is called 'id'")
            if attr.name == "area" and not (isinstance(attr.value, ast.ListLiteral) and all(
                    i.kind == "text" for i in attr.value.items)):
                self.error(attr.value.span, "a party's area is a list of geocodes such as "
                                            '["FIPS:039001"]')
            if attr.name == "holidays":
                codes = attr.value.items if isinstance(attr.value, ast.ListLiteral) \
                    else (attr.value,)
                if all(isinstance(c, ast.Literal) and c.kind == "text" for c in codes) and codes:
                    self.check_calendars(codes)
                else:
                    self.error(attr.value.span, "a party's holidays are calendars in quotes such "
                                                'as "US-FL" or ["LT", "PL"]')

    def check_calendars(self, codes) -> None:
        """Each public-holiday calendar must be one the `holidays` package has."""
        from dsl.holiday_calendars import problem
        for code in codes:
            message = problem(code.value)
            if message:
                self.error(code.span, message)

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
            for member in role.members:  # parties, and roles (their union)
                self.resolve_member(member, True, "a fixed role")
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
            return ([m.name for m in role.members if m.name in roles]
                    if role.kind in ("except", "fixed") else [])

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
        for term in deadline_terms(getattr(statement, "deadline", None)):
            anchor = term.breach_of or term.lapse_of
            if anchor is not None and anchor.name in self.symbols.clauses:
                found.append(anchor.name)
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
                 "otherwise": "otherwise", "fulfilled_at": "fulfilled at",
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
        if "fulfilled_at" in seen:
            self.check_fulfilled_at(seen["fulfilled_at"], seen.get("statement"))
        if "otherwise" in seen and "statement" in seen:
            self.check_otherwise(seen["otherwise"], seen["statement"].value)
        if "text" in seen:
            for message in text_disagreements(clause):
                self.warning(seen["text"].value.span, message)

    def check_subject(self, name: ast.Name) -> None:
        s = self.symbols
        if name.name in s.roles:
            self.used.add(name.name)
        elif name.name not in s.parties:
            self.error(name.span, f"unknown role '{name.name}'"
                                  f"{self.hint(name.name, list(s.roles) + list(s.parties))}")

    def check_statement(self, st: ast.Statement) -> None:
        self.check_subject(st.subject)
        for name in st.to:
            self.check_subject(name)
        dl = st.deadline
        if dl is None:
            return
        if st.modality == "must not":
            self.error(dl.span, "a prohibition has no deadline: it holds for as long as the "
                                f"clause holds; remove '{render_deadline(dl)}'")
            return
        for term in deadline_terms(dl):
            self.check_deadline_term(term)

    def check_deadline_term(self, dl: ast.Deadline) -> None:
        if dl.kind == "every" and dl.duration.amount < 1:
            self.error(dl.duration.span, "a recurring duty needs a period of at least 1 "
                                         f"{dl.duration.unit}")
        if dl.field_path is not None:
            type_name = self.path_type(dl.field_path, party_allowed=False)
            if type_name is not None and type_name not in ("time", "any"):
                self.error(dl.field_path.span, f"{dl.field_path} is {article(type_name)}; a "
                                               "deadline is counted from a field of type time")
        elif dl.kind in ("within_breach", "within_lapse"):
            name = dl.breach_of or dl.lapse_of
            if name.name not in self.symbols.clauses:
                self.error(name.span, f"unknown clause '{name.name}'"
                                      f"{self.hint(name.name, self.symbols.clauses)}")
            elif dl.kind == "within_lapse":
                self.check_lapses(name.name, name.span, f"lapse of {name.name}")

    def check_fulfilled_at(self, item: ast.ClauseItem, statement) -> None:
        """`fulfilled at incident.FIELD`: a time field; a prohibition is never fulfilled."""
        path = item.value
        type_name = self.path_type(path, party_allowed=False)
        if type_name is not None and type_name not in ("time", "any"):
            self.error(path.span, f"{path} is {article(type_name)}; a duty is fulfilled at a "
                                  "field of type time")
        if statement is not None and statement.value.modality == "must not":
            self.warning(item.span, "'fulfilled at' never applies here: a 'must not' is never "
                                    "fulfilled")

    def check_otherwise(self, item: ast.ClauseItem, st: ast.Statement) -> None:
        """`otherwise` says what follows a breach (must) or a lapse (may): a warning where
        neither can ever happen, so the consequence would never be shown."""
        if st.modality == "must not":
            reason = "a 'must not' is never breached"
        elif st.deadline is None:
            reason = (f"a '{st.modality}' without a deadline "
                      f"{'is never breached' if st.modality == 'must' else 'never lapses'}")
        else:
            return
        self.warning(item.span, f"'otherwise' never applies here: {reason}")

    def check_costs(self, costs: ast.Costs) -> None:
        for share in costs.shares:
            self.check_subject(share.who)
        if costs.kind == "percent":
            total = sum(share.percent.value for share in costs.shares)
            if abs(total - 100) > 1e-9:
                self.error(costs.span, f"cost shares total {total:g}%, not 100%")

    # ------------------------------------------------------------ warnings
    def check_unused(self) -> None:
        for trigger in self.symbols.triggers.values():
            if trigger.id not in self.used:
                self.warning(trigger.id_span, f"trigger '{trigger.id}' is never used")
        for role in self.symbols.roles.values():
            if role.id not in self.used:
                self.warning(role.id_span, f"role '{role.id}' is never used")


def deadline_terms(dl: ast.Deadline | None) -> tuple[ast.Deadline, ...]:
    """The single deadlines a deadline is made of: itself, or each term of a `whichever`."""
    if dl is None:
        return ()
    return dl.terms if dl.kind == "whichever" else (dl,)


def check(doc: ast.Document) -> tuple[list[Diagnostic], Symbols]:
    """Every static error and warning of a parsed document, and the symbols it defines."""
    checker = Checker(doc)
    diagnostics = checker.run()
    return diagnostics, checker.symbols
