"""The library page's search: an agreement's title, id and parties, and its clauses' titles, actions and text."""

from __future__ import annotations

from dataclasses import dataclass

from dsl import ast
from dsl.errors import CompactError

EXCERPT = 90  # characters of clause text shown around a match


@dataclass(frozen=True)
class ClauseText:
    id: str
    title: str
    action: str
    text: str


@dataclass(frozen=True)
class ClauseMatch:
    """A clause the search found, and where: its title, its action and/or its text."""

    clause: str
    title: str
    where: tuple[str, ...]
    excerpt: str  # the part of the action or text that matched, shortened around the match


def clauses_of(revision) -> list[ClauseText]:
    """The clauses of a revision: from its compiled form (cached), or its text if it has errors."""
    if not revision.error_count:
        from agreements.compiled import compiled
        try:
            agreement = compiled(revision)
        except CompactError:
            agreement = None
        if agreement is not None:
            return [ClauseText(c.id, c.title, c.action, c.text or "") for c in agreement.clauses]
    from dsl.parser import parse
    try:
        doc = parse(revision.source)
    except CompactError:
        return []  # a draft that does not parse: only its title and parties are searched
    out = []
    for decl in doc.of_type(ast.ClauseDecl):
        statement = decl.get("statement")
        text = decl.get("text")
        out.append(ClauseText(decl.id, decl.title.value if decl.title else decl.id,
                              statement.action.value if statement is not None else "",
                              text.value if text is not None else ""))
    return out


def agreement_matches(needle: str, title: str, slug: str, parties: dict[str, str]) -> bool:
    """Whether the search words (already case-folded) are in the title, the id or a party."""
    haystack = " ".join([title, slug, *parties.keys(), *parties.values()]).casefold()
    return needle in haystack


def clause_matches(needle: str, clauses: list[ClauseText]) -> list[ClauseMatch]:
    """The clauses whose id, title, action or text holds the search words (case-folded)."""
    found = []
    for clause in clauses:
        where = tuple(name for name, value in (("title", f"{clause.id} {clause.title}"),
                                               ("action", clause.action),
                                               ("text", clause.text))
                      if needle in value.casefold())
        if not where:
            continue
        shown = clause.action if "action" in where else clause.text if "text" in where else ""
        found.append(ClauseMatch(clause.id, clause.title, where,
                                 excerpt(shown, needle) if shown else ""))
    return found


def excerpt(text: str, needle: str, width: int = EXCERPT) -> str:
    """The text around the first match, with an ellipsis where it is cut."""
    text = " ".join(text.split())
    at = text.casefold().find(needle)
    if len(text) <= width or at < 0:
        return text if len(text) <= width else text[:width].rstrip() + "…"
    start = max(0, at - (width - len(needle)) // 2)
    end = min(len(text), start + width)
    start = max(0, end - width)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
