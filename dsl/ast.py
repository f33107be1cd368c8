"""Syntax-tree nodes of the agreement language; every node carries its source span."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Union

from dsl.errors import Span


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False, repr=False, kw_only=True)


# ---------------------------------------------------------------- values

@dataclass(frozen=True)
class Literal(Node):
    """A literal value. kind: text, number, percent, yesno, date, time."""

    kind: str
    value: object  # str | float | int | bool | date | datetime
    raw: str = field(compare=False)


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class Path(Node):
    """`incident.NAME[.NAME...]` or `party.NAME`."""

    root: str  # "incident" or "party"
    names: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join((self.root, *self.names))


Value = Union[Literal, ListLiteral, Path]


# ---------------------------------------------------------------- conditions

@dataclass(frozen=True)
class Or(Node):
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class And(Node):
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Not(Node):
    item: "Condition"


@dataclass(frozen=True)
class Group(Node):
    """Parentheses the author wrote; kept so the formatter can keep them."""

    item: "Condition"


@dataclass(frozen=True)
class TriggerRef(Node):
    name: str


@dataclass(frozen=True)
class Breached(Node):
    """`breached CLAUSE`, or with `lapsed` set, `lapsed CLAUSE` (a permission past its time)."""

    clause: str
    clause_span: Span = field(compare=False, repr=False)
    lapsed: bool = False


@dataclass(frozen=True)
class Compare(Node):
    left: Value
    op: str  # == != < <= > >= in "not in" contains
    right: Value


@dataclass(frozen=True)
class Given(Node):
    path: Path
    negated: bool  # True for `is not given`


@dataclass(frozen=True)
class Intersects(Node):
    left: Path
    right: Path


Condition = Union[Or, And, Not, Group, TriggerRef, Breached, Compare, Given, Intersects]


# ---------------------------------------------------------------- small parts

@dataclass(frozen=True)
class Name(Node):
    """An identifier where it is used (a reference), with its own span."""

    name: str


@dataclass(frozen=True)
class Duration(Node):
    amount: int
    unit: str  # minute, hour, day, business day, week, month, year
    raw_unit: str = field(compare=False)


@dataclass(frozen=True)
class Deadline(Node):
    """`within D`, `within D of incident.F`, `within D of breach of C`, `within D of lapse of
    C`, or `by TIME`; or several of those terms joined by `or`, `, whichever is earlier|later`
    (kind "whichever", the terms in `terms`, "earlier" or "later" in `pick`); or `every D [of
    incident.F]`, a recurring duty (kind "every", `field_path` None for reported_at)."""

    # "within", "within_field", "within_breach", "within_lapse", "by", "whichever", "every"
    kind: str
    duration: Duration | None = None
    field_path: Path | None = None
    breach_of: Name | None = None
    time: Literal | None = None
    terms: tuple["Deadline", ...] = ()
    pick: str | None = None
    lapse_of: Name | None = None


@dataclass(frozen=True)
class Statement(Node):
    subject: Name  # a role or a party
    modality: str  # must, may, "must not"
    action: Literal
    deadline: Deadline | None
    to: tuple[Name, ...] = ()  # `to ROLE|PARTY, ...`: whom the duty is owed to


@dataclass(frozen=True)
class CostShare(Node):
    who: Name
    percent: Literal | None  # None for equal shares


@dataclass(frozen=True)
class Costs(Node):
    kind: str  # "borne", "equal", "percent"
    shares: tuple[CostShare, ...]


@dataclass(frozen=True)
class TypeRef(Node):
    name: str  # text number yes/no date time party severity urgency certainty
    item: "TypeRef | None" = None  # for `list of TYPE`

    def __str__(self) -> str:
        return f"list of {self.item}" if self.item else self.name


# ---------------------------------------------------------------- declarations

@dataclass(frozen=True)
class HeaderItem(Node):
    """One line of the agreement header: title, kind, binding, effective, ..."""

    key: str  # title kind binding effective governing_law withdrawal_notice language holidays
    value: object  # Literal | Name | Duration | bool | tuple[Literal, Literal | None]


@dataclass(frozen=True)
class AgreementDecl(Node):
    id: str
    id_span: Span = field(compare=False, repr=False)
    items: tuple[HeaderItem, ...]


@dataclass(frozen=True)
class Recital(Node):
    text: Literal


@dataclass(frozen=True)
class Attribute(Node):
    name: str
    value: Literal | ListLiteral


@dataclass(frozen=True)
class PartyDecl(Node):
    id: str
    id_span: Span = field(compare=False, repr=False)
    name: Literal
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class FieldDecl(Node):
    name: str
    type: TypeRef
    one_of: tuple[Literal, ...] | None


@dataclass(frozen=True)
class FieldsDecl(Node):
    fields: tuple[FieldDecl, ...]


@dataclass(frozen=True)
class RoleDecl(Node):
    """kind: fixed (members), field (path), where (condition), except (members), area."""

    id: str
    id_span: Span = field(compare=False, repr=False)
    kind: str
    members: tuple[Name, ...] = ()
    path: Path | None = None
    condition: Condition | None = None


@dataclass(frozen=True)
class TriggerDecl(Node):
    id: str
    id_span: Span = field(compare=False, repr=False)
    condition: Condition


@dataclass(frozen=True)
class ClauseItem(Node):
    """One line of a clause: when, statement, unless, costs, text, otherwise or fulfilled_at."""

    key: str
    value: object  # Condition | Statement | Costs | Literal


@dataclass(frozen=True)
class ClauseDecl(Node):
    id: str
    id_span: Span = field(compare=False, repr=False)
    title: Literal | None
    items: tuple[ClauseItem, ...]

    def get(self, key: str):
        for item in self.items:
            if item.key == key:
                return item.value
        return None


@dataclass(frozen=True)
class Expect(Node):
    """kind: duty (party, modality, clause, by, status), no_clause (clause, and party when
    `for PARTY` limits it), no_duty (party), warning (text)."""

    kind: str
    party: Name | None = None
    modality: str | None = None
    clause: Name | None = None
    by: Literal | None = None
    status: Name | None = None  # open, breached, fulfilled or lapsed
    text: Literal | None = None


@dataclass(frozen=True)
class ExampleItem(Node):
    key: str  # incident, at, expect
    value: object


@dataclass(frozen=True)
class ExampleDecl(Node):
    name: Literal
    items: tuple[ExampleItem, ...]

    def get(self, key: str):
        for item in self.items:
            if item.key == key:
                return item.value
        return None

    @property
    def expects(self) -> list[Expect]:
        return [item.value for item in self.items if item.key == "expect"]


Declaration = Union[AgreementDecl, Recital, PartyDecl, FieldsDecl, RoleDecl, TriggerDecl,
                    ClauseDecl, ExampleDecl]


@dataclass(frozen=True)
class Comment(Node):
    text: str  # including the leading '#'
    own_line: bool


@dataclass(frozen=True)
class Document(Node):
    """A whole `.agreement` file as written."""

    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...]
    filename: str = field(compare=False)
    source: str = field(compare=False, repr=False)

    def of_type(self, cls) -> list:
        return [d for d in self.declarations if isinstance(d, cls)]

    @property
    def agreement(self) -> AgreementDecl | None:
        found = self.of_type(AgreementDecl)
        return found[0] if found else None


def tree_difference(a, b, where: str = "document") -> str | None:
    """Where two trees differ in any field, even those equality ignores (spans, raw text)."""
    if dataclasses.is_dataclass(b) and not isinstance(b, type):
        if type(a) is not type(b):
            return f"{where}: {type(a).__name__} instead of {type(b).__name__}"
        for f in dataclasses.fields(b):
            if f.name not in ("source", "filename"):
                found = tree_difference(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
                if found:
                    return found
        return None
    if isinstance(b, (tuple, list)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{where}: {a!r} instead of {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = tree_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return f"{where}: {a!r} instead of {b!r}"
    return None
