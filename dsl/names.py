"""The names an agreement text defines, for the editor's completion; works on text with errors."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from dsl import ast
from dsl.errors import CompactError
from dsl.parser import parse
from dsl.tokens import DECLARATION_KEYWORDS
from dsl.types import BUILTIN_FIELDS

# The words an author types, in the order the editor offers them when several fit.
KEYWORDS = (
    "agreement", "title", "kind", "binding", "non-binding", "effective", "until",
    "governing law", "withdrawal notice", "language", "holidays", "recital", "party", "fields",
    "one of", "list of", "role", "is", "parties", "except", "where", "whose area intersects",
    "trigger", "when", "clause", "must", "must not", "may", "to", "unless", "within", "of",
    "breach of", "lapse of", "by", "whichever is earlier", "whichever is later", "every",
    "costs borne by", "costs shared equally by", "costs shared", "text", "otherwise",
    "fulfilled at", "example", "incident", "at", "expect", "no", "duty for", "and", "or", "not",
    "in", "not in", "contains", "is given", "is not given", "intersects", "breached", "lapsed",
    "yes", "mou", "mutual-aid", "compact", "protocol", "other",
    "minutes", "hours", "days", "business days", "calendar days", "weeks", "months", "years",
    "text", "number", "yes/no", "date", "time", "severity", "urgency", "certainty",
)
MAX_REPAIRS = 12  # declarations set aside before giving up on a parse
REPAIR_SECONDS = 0.5  # after this, the rest of a text that does not parse is only scanned

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DECLARATION = re.compile(r"^[ \t]*(" + "|".join(DECLARATION_KEYWORDS) + r")(?![\w-])",
                          re.MULTILINE)
_SCAN = {
    "party": re.compile(rf'^[ \t]*party[ \t]+({_NAME})(?:[ \t]+"((?:[^"\\\n]|\\.)*)")?'),
    "role": re.compile(rf"^[ \t]*role[ \t]+({_NAME})()"),
    "trigger": re.compile(rf"^[ \t]*trigger[ \t]+({_NAME})()"),
    "clause": re.compile(rf'^[ \t]*clause[ \t]+({_NAME})(?:[ \t]+"((?:[^"\\\n]|\\.)*)")?'),
}
_FIELD_LINE = re.compile(rf"^[ \t]*({_NAME})[ \t]+(list of [a-z/]+|[a-z/]+)")
_ATTRIBUTE_LINE = re.compile(rf"^[ \t]+({_NAME})[ \t]+[\"\[\dyn-]")


@dataclass(frozen=True)
class Name:
    name: str
    detail: str = ""  # a party's full name, a clause's title, a field's type


@dataclass
class Names:
    """What the editor may offer, by kind, in the order the text defines them."""

    parties: list[Name] = field(default_factory=list)
    roles: list[Name] = field(default_factory=list)
    triggers: list[Name] = field(default_factory=list)
    clauses: list[Name] = field(default_factory=list)
    fields: list[Name] = field(default_factory=list)
    attributes: list[Name] = field(default_factory=list)
    complete: bool = True  # False when part of the text could only be scanned, not parsed

    def add(self, kind: str, name: str, detail: str = "") -> None:
        table: list[Name] = getattr(self, kind)
        if all(n.name != name for n in table):
            table.append(Name(name, detail))

    def as_dict(self) -> dict:
        out = {kind: [{"name": n.name, "detail": n.detail} for n in getattr(self, kind)]
               for kind in ("parties", "roles", "triggers", "clauses", "fields", "attributes")}
        out["keywords"] = list(dict.fromkeys(KEYWORDS))
        out["complete"] = self.complete
        return out


def names_of(text: str) -> Names:
    """Every party, role, trigger, clause, incident field and party attribute the text defines.

    A text that does not parse is parsed again without the declaration where the error is
    (up to MAX_REPAIRS times, within about REPAIR_SECONDS); the names of what was set aside are
    read line by line, so a half-typed clause still offers the parties above and below it, and
    its own id."""
    names = Names()
    document, set_aside = _tolerant_parse(text)
    if document is not None:
        _from_document(document, names)
    for block in set_aside:
        names.complete = False
        _scan(block, names)
    for info in BUILTIN_FIELDS.values():
        names.add("fields", info.name, info.type)
    return names


def _tolerant_parse(text: str) -> tuple[ast.Document | None, list[str]]:
    set_aside: list[str] = []
    give_up = time.monotonic() + REPAIR_SECONDS
    for _ in range(MAX_REPAIRS + 1):
        try:
            return parse(text), set_aside
        except CompactError as exc:
            if time.monotonic() > give_up:
                break  # a large text with many errors: its names are read line by line
            span = next((d.span for d in exc.diagnostics if d.span is not None), None)
            if span is None:
                break
            start, end = _declaration_around(text, span.start)
            if start == end:
                break
            set_aside.append(text[start:end])
            # Blank it, keeping line breaks so that what follows keeps its lines.
            text = text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]
    set_aside.append(text)
    return None, set_aside


def _declaration_around(text: str, offset: int) -> tuple[int, int]:
    """The start and end offsets of the declaration whose lines hold `offset`."""
    start = 0
    end = len(text)
    for match in _DECLARATION.finditer(text):
        if match.start() <= offset:
            start = match.start()
        else:
            end = match.start()
            break
    line_start = text.rfind("\n", 0, start) + 1
    return line_start, end


def _from_document(doc: ast.Document, names: Names) -> None:
    for decl in doc.declarations:
        if isinstance(decl, ast.PartyDecl):
            names.add("parties", decl.id, decl.name.value)
            for attribute in decl.attributes:
                names.add("attributes", attribute.name)
        elif isinstance(decl, ast.RoleDecl):
            names.add("roles", decl.id, "role")
        elif isinstance(decl, ast.TriggerDecl):
            names.add("triggers", decl.id, "trigger")
        elif isinstance(decl, ast.ClauseDecl):
            names.add("clauses", decl.id, decl.title.value if decl.title else "")
        elif isinstance(decl, ast.FieldsDecl):
            for f in decl.fields:
                names.add("fields", f.name, str(f.type))


def _scan(block: str, names: Names) -> None:
    """Names read line by line from text that does not parse."""
    current = None
    for line in block.split("\n"):
        keyword = _DECLARATION.match(line)
        if keyword:
            current = keyword.group(1)
            found = _SCAN.get(current)
            match = found.match(line) if found else None
            if match:
                kind = {"party": "parties", "role": "roles", "trigger": "triggers",
                        "clause": "clauses"}[current]
                names.add(kind, match.group(1), match.group(2) or
                          ("" if kind in ("parties", "clauses") else kind[:-1]))
            continue
        if current == "fields":
            match = _FIELD_LINE.match(line)
            if match and match.group(1) not in ("one",):
                names.add("fields", match.group(1), match.group(2))
        elif current == "party":
            match = _ATTRIBUTE_LINE.match(line)
            if match:
                names.add("attributes", match.group(1))
