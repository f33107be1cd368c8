"""Compile a checked agreement once into an immutable, cacheable form the evaluator runs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType

from dsl import ast
from dsl.checker import Symbols, check
from dsl.errors import CompactError, Diagnostic
from dsl.formatter import format_document
from dsl.parser import parse
from engine import conditions as C
from dsl.types import ENUM_FIELDS
from engine.schema import BUILTIN_KEYS, incident_schema, schema_key


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    attributes: MappingProxyType


@dataclass(frozen=True)
class Role:
    """kind: fixed, field, where, except, area (as in the language)."""

    id: str
    kind: str
    members: tuple[str, ...] = ()
    path: C.PathOperand | None = None
    condition: C.Cond | None = None
    text: str = ""


@dataclass(frozen=True)
class Deadline:
    kind: str  # within, within_field, within_breach, within_lapse, by, whichever, every
    amount: int = 0
    unit: str = ""
    field: str | None = None
    breach_of: str | None = None
    time: datetime | None = None
    text: str = ""
    terms: tuple["Deadline", ...] = ()  # of a `whichever`: its terms, in order
    pick: str | None = None  # of a `whichever`: earlier or later
    lapse_of: str | None = None

    def singles(self) -> tuple["Deadline", ...]:
        """The single deadlines this one is made of: itself, or each term of a `whichever`."""
        return self.terms if self.kind == "whichever" else (self,)

    @property
    def counts_business_days(self) -> bool:
        return any(t.unit == "business day" for t in self.singles())


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    index: int
    modality: str
    action: str
    subject: str  # a role id or a party id
    subject_is_role: bool
    when: C.Cond
    unless: C.Cond | None
    deadline: Deadline | None
    costs_kind: str | None
    costs: tuple[tuple[str, float], ...]  # (role or party, fraction of the whole)
    text: str | None
    consequence: str | None = None  # `otherwise "..."`: what follows a breach or a lapse
    fulfilled_at: str | None = None  # `fulfilled at incident.FIELD`: the time field's name
    beneficiaries: tuple[str, ...] = ()  # `to ROLE|PARTY, ...`: whom the duty is owed to


@dataclass(frozen=True)
class Expectation:
    kind: str  # duty, no_clause (party: limited to that party), no_duty, warning
    party: str | None
    modality: str | None
    clause: str | None
    by: datetime | None
    text: str
    line: int
    status: str | None = None  # open, breached, fulfilled, lapsed
    warning: str | None = None  # the text some evaluation warning contains


@dataclass(frozen=True)
class Example:
    name: str
    incident_text: str
    at: datetime | None
    expects: tuple[Expectation, ...]
    line: int


@dataclass(frozen=True)
class CompiledAgreement:
    """Everything the evaluator needs about one agreement revision; never changes once built.

    Evaluation, explanations, examples and the what-if read only the plain fields. `document`
    (the syntax tree) and `symbols` (the checker's tables) are kept only by `load` for the
    pages that word an agreement from its syntax (the PDF); the compact form that caches and
    `engine.persist` hold has neither (`without_syntax`), and `with_syntax` compiles them
    again from the canonical source when one is needed."""

    id: str
    title: str
    kind: str
    binding: bool
    effective_from: date
    effective_until: date | None
    governing_law: str | None
    withdrawal_notice: tuple[int, str] | None
    language: str | None
    parties: tuple[Party, ...]
    party_index: MappingProxyType
    roles: MappingProxyType
    clauses: tuple[Clause, ...]
    clause_index: MappingProxyType
    fields: MappingProxyType  # name -> FieldInfo (built-in and declared)
    schema: MappingProxyType
    field_schemas: MappingProxyType  # name -> schema key, for fields this agreement declares
    one_of: MappingProxyType  # name -> tuple of allowed values
    party_fields: tuple[str, ...]  # fields of type party or list of party
    examples: tuple[Example, ...]
    content_hash: str  # SHA-256 of the canonical (formatted) source
    canonical_source: str
    filename: str
    warnings: tuple[Diagnostic, ...]
    holidays: tuple[str, ...] = ()  # public-holiday calendars business days skip
    document: ast.Document | None = field(default=None, repr=False, compare=False)
    symbols: Symbols | None = field(default=None, repr=False, compare=False)

    def calendars_for(self, party_id: str) -> tuple[str, ...]:
        """The holiday calendars of a party's business days: its own `holidays`, or the
        agreement's."""
        party = self.party_index.get(party_id)
        own = party.attributes.get("holidays") if party is not None else None
        if own is None:
            return self.holidays
        return (own,) if isinstance(own, str) else tuple(own)

    @property
    def has_syntax(self) -> bool:
        return self.document is not None

    def without_syntax(self) -> "CompiledAgreement":
        """The same agreement without its syntax tree and symbols (a fraction of the memory)."""
        if self.document is None and self.symbols is None:
            return self
        return dataclasses.replace(self, document=None, symbols=None)

    def with_syntax(self) -> "CompiledAgreement":
        """This agreement with its syntax tree: itself, or compiled again from its canonical
        source (the same agreement and hash; spans are positions in the canonical text)."""
        if self.document is not None:
            return self
        return load(self.canonical_source, self.filename)


def content_hash(canonical_source: str) -> str:
    return hashlib.sha256(canonical_source.encode("utf-8")).hexdigest()


def check_source(text: str, filename: str = "<agreement>"):
    """Parse and check: (document or None, diagnostics, symbols or None). Never raises for bad text."""
    try:
        doc = parse(text, filename)
    except CompactError as exc:
        return None, exc.diagnostics, None
    diagnostics, symbols = check(doc)
    if not any(d.is_error for d in diagnostics):
        diagnostics = diagnostics + check_examples(doc, symbols)
        diagnostics.sort(key=lambda d: d.span.start if d.span else -1)
    return doc, diagnostics, symbols


def check_examples(doc: ast.Document, symbols: Symbols) -> list[Diagnostic]:
    """Examples whose incident does not fit the agreement's schema (needs the engine's schema)."""
    from engine.schema import validate_document

    out = []
    schema = incident_schema(symbols.fields)
    for example in symbols.examples:
        lit = example.get("incident")
        if lit is None:
            continue
        try:
            data = json.loads(lit.value)
        except json.JSONDecodeError:
            continue  # reported by the checker
        if not isinstance(data, dict):
            continue
        for v in validate_document(data, schema, symbols.agreement.id, BUILTIN_KEYS):
            out.append(Diagnostic("error", f"example '{example.name.value}': the incident is "
                                           f"invalid: {v.path}: {v.message}", lit.span,
                                  doc.filename, doc.source))
    return out


def load(text: str, filename: str = "<agreement>") -> CompiledAgreement:
    """Parse, check and compile agreement text; raises CompactError listing every error."""
    return _compile_cached(text, filename)


@lru_cache(maxsize=256)
def _compile_cached(text: str, filename: str) -> CompiledAgreement:
    return compile_source(text, filename)


def compile_source(text: str, filename: str = "<agreement>") -> CompiledAgreement:
    """`load` without its cache (a caller that keeps the result itself, e.g. without syntax)."""
    doc, diagnostics, symbols = check_source(text, filename)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise CompactError(errors)
    return compile_document(doc, symbols, tuple(diagnostics))


def compile_document(doc: ast.Document, symbols: Symbols, warnings=()) -> CompiledAgreement:
    header = symbols.header
    conds = C.ConditionCompiler(symbols)
    canonical = format_document(doc)

    parties = tuple(
        Party(p.id, p.name.value, MappingProxyType({a.name: _attr_value(a.value)
                                                    for a in p.attributes}))
        for p in symbols.parties.values())
    roles = {}
    for r in symbols.roles.values():
        from dsl.formatter import render_role
        roles[r.id] = Role(
            r.id, r.kind, tuple(m.name for m in r.members),
            C.PathOperand(r.path, conds.path_type(r.path)) if r.path is not None else None,
            conds.compile(r.condition) if r.condition is not None else None,
            render_role(r))

    clauses = []
    for index, c in enumerate(symbols.clauses.values()):
        st: ast.Statement = c.get("statement")
        unless = c.get("unless")
        costs: ast.Costs | None = c.get("costs")
        text = c.get("text")
        otherwise = c.get("otherwise")
        fulfilled_at = c.get("fulfilled_at")
        clauses.append(Clause(
            id=c.id, title=c.title.value if c.title else c.id, index=index,
            modality=st.modality, action=st.action.value, subject=st.subject.name,
            subject_is_role=st.subject.name in symbols.roles,
            when=conds.compile(c.get("when")),
            unless=conds.compile(unless) if unless is not None else None,
            deadline=_deadline(st.deadline),
            costs_kind=costs.kind if costs else None,
            costs=_costs(costs),
            text=text.value if text is not None else None,
            consequence=otherwise.value if otherwise is not None else None,
            fulfilled_at=fulfilled_at.names[0] if fulfilled_at is not None else None,
            beneficiaries=tuple(n.name for n in st.to),
        ))

    fields = symbols.fields
    schema = incident_schema(fields, title=f"incident for {symbols.agreement.id}")
    declared = {name: schema_key(schema["properties"][name]) for name, info in fields.items()
                if schema_key(schema["properties"][name]) != BUILTIN_KEYS.get(name)}
    one_of = {name: info.one_of for name, info in fields.items()
              if info.one_of is not None and name not in ENUM_FIELDS}
    effective = header["effective"].value
    start, until = effective if isinstance(effective, tuple) else (effective, None)
    notice = header.get("withdrawal_notice")
    language = header.get("language")
    law = header.get("governing_law")
    calendars = header.get("holidays")
    calendars = () if calendars is None else tuple(c.value for c in (
        calendars.value if isinstance(calendars.value, tuple) else (calendars.value,)))
    return CompiledAgreement(
        id=symbols.agreement.id,
        title=header["title"].value.value,
        kind=header["kind"].value.name,
        binding=header["binding"].value,
        effective_from=start.value,
        effective_until=until.value if until else None,
        governing_law=law.value.value if law else None,
        withdrawal_notice=(notice.value.amount, notice.value.unit) if notice else None,
        language=language.value.value if language else None,
        parties=parties,
        party_index=MappingProxyType({p.id: p for p in parties}),
        roles=MappingProxyType(roles),
        clauses=tuple(clauses),
        clause_index=MappingProxyType({c.id: c for c in clauses}),
        fields=MappingProxyType(dict(fields)),
        schema=MappingProxyType(schema),
        field_schemas=MappingProxyType(declared),
        one_of=MappingProxyType(one_of),
        party_fields=tuple(name for name, info in fields.items()
                           if info.type in ("party", "list of party")),
        examples=tuple(_example(e) for e in symbols.examples),
        content_hash=content_hash(canonical),
        canonical_source=canonical,
        filename=doc.filename,
        warnings=tuple(warnings),
        holidays=calendars,
        document=doc,
        symbols=symbols,
    )


def _attr_value(value):
    if isinstance(value, ast.ListLiteral):
        return [i.value for i in value.items]
    return value.value


def _deadline(dl: ast.Deadline | None) -> Deadline | None:
    if dl is None:
        return None
    from dsl.formatter import deadline as render
    text = render(dl)
    if dl.kind == "whichever":
        return Deadline("whichever", terms=tuple(_deadline(t) for t in dl.terms), pick=dl.pick,
                        text=text)
    if dl.kind == "by":
        return Deadline("by", time=dl.time.value, text=text)
    base = dict(amount=dl.duration.amount, unit=dl.duration.unit, text=text)
    if dl.kind == "every":
        return Deadline("every", field=dl.field_path.names[0] if dl.field_path else None, **base)
    if dl.kind == "within_field":
        return Deadline("within_field", field=dl.field_path.names[0], **base)
    if dl.kind == "within_breach":
        return Deadline("within_breach", breach_of=dl.breach_of.name, **base)
    if dl.kind == "within_lapse":
        return Deadline("within_lapse", lapse_of=dl.lapse_of.name, **base)
    return Deadline("within", **base)


def _costs(costs: ast.Costs | None) -> tuple[tuple[str, float], ...]:
    if costs is None:
        return ()
    if costs.kind == "percent":
        return tuple((s.who.name, s.percent.value / 100) for s in costs.shares)
    return tuple((s.who.name, 1 / len(costs.shares)) for s in costs.shares)


def _example(e: ast.ExampleDecl) -> Example:
    from dsl.formatter import render_example_item
    incident = e.get("incident")
    at = e.get("at")
    expects = []
    for item in e.items:
        if item.key != "expect":
            continue
        x = item.value
        expects.append(Expectation(
            x.kind, x.party.name if x.party else None, x.modality,
            x.clause.name if x.clause else None, x.by.value if x.by else None,
            next(render_example_item(item)).strip(), x.span.line,
            x.status.name if x.status else None, x.text.value if x.text else None))
    return Example(e.name.value, incident.value if incident else "{}",
                   at.value if at else None, tuple(expects), e.span.line)
