"""The names an agreement defines, shared by the checker and the compiler."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl import ast
from dsl.types import BUILTIN_FIELDS, FieldInfo, literal_type


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
        if name == "id":  # `party.id`: the candidate's own id
            return "party"
        for party in self.parties.values():
            for attr in party.attributes:
                if attr.name == name:
                    return value_type(attr.value)
        return None

    def party_attribute_names(self) -> set[str]:
        return {"id"} | {a.name for p in self.parties.values() for a in p.attributes}


def value_type(value) -> str:
    if isinstance(value, ast.ListLiteral):
        return "list of " + (literal_type(value.items[0].kind) if value.items else "any")
    return literal_type(value.kind)

