"""What changed between two revisions, in the plain words of their documents (agreements.pdf's model)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agreements.access import can_see_revision
from agreements.errors import NotFound
from agreements.models import Revision, User
from agreements.plain_document import document_model

# The facts of the cover, by the document model's keys, with the label a reader sees.
TERMS = (("Title", lambda m: m["agreement"].title), ("Kind", lambda m: m["kind_label"]),
         ("Binding", lambda m: m["binding_label"]), ("Effective", lambda m: m["effective_text"]),
         ("Governing law", lambda m: m["agreement"].governing_law),
         ("Withdrawal notice", lambda m: m["withdrawal_text"]),
         ("Business days", lambda m: m.get("holidays_text")))
# A clause's summary as the PDF prints it beside the clause, in this order.
CLAUSE_FIELDS = (("Title", "title"), ("Text", "text"), ("Who", "who"), ("What", "what"),
                 ("By when", "by_when"), ("Trigger", "trigger"), ("Costs", "costs"),
                 ("Fulfilled", "fulfilled_at"), ("Otherwise", "otherwise"))
DUTY_FIELDS = (("Duty", "duty"), ("By when", "deadline"), ("As", "as"), ("When", "when"))
PARTY_FIELDS = (("Name", "name"), ("Contact", "contact"), ("Signatory", "signatory"))


@dataclass(frozen=True)
class Change:
    """One thing, worded before and after (None where it was or is not given)."""
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ItemChange:
    """A clause, party, role, condition or duty found in both revisions, and what differs."""
    key: str
    name: str  # as the new revision words it
    changes: tuple[Change, ...]
    old_number: int | None = None  # clauses and duties: their numbers in each revision
    new_number: int | None = None

    @property
    def renumbered(self) -> bool:
        return self.old_number != self.new_number


@dataclass(frozen=True)
class Listing:
    """Items only the new revision has, only the old one has, those both have that differ, and
    those that differ only in their number (moved by an insertion, a removal or a reordering)."""
    added: tuple = ()
    removed: tuple = ()
    changed: tuple[ItemChange, ...] = ()
    renumbered: tuple[ItemChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.renumbered)


@dataclass(frozen=True)
class PlainDiff:
    terms: tuple[Change, ...]
    recitals: Listing  # of recital texts
    parties: Listing  # of the model's party views
    roles: Listing  # of {"id", "term", "definition"}
    conditions: Listing  # of (term, definition)
    clauses: Listing  # of the model's clause views
    duties: dict[str, Listing] = field(default_factory=dict)  # by party id, of annex duties

    @property
    def empty(self) -> bool:
        return not (self.terms or self.recitals or self.parties or self.roles
                    or self.conditions or self.clauses or any(self.duties.values()))

    def duties_of(self, party_id: str | None) -> Listing:
        return self.duties.get(party_id, Listing())


def _changes(old, new, fields) -> tuple[Change, ...]:
    return tuple(Change(label, old[key], new[key]) for label, key in fields
                 if old[key] != new[key])


def _listing(old: list, new: list, key, fields, name, number=None) -> Listing:
    """Pair items by `key`; `fields` (label, key) say what is compared of a pair."""
    before = {key(item): item for item in old}
    after = {key(item): item for item in new}
    changed, renumbered = [], []
    for k, item in after.items():
        if k not in before:
            continue
        change = ItemChange(k, name(item), _changes(before[k], item, fields),
                            number(before[k]) if number else None, number(item) if number else None)
        if change.changes:
            changed.append(change)
        elif change.renumbered:
            renumbered.append(change)
    return Listing(added=tuple(i for k, i in after.items() if k not in before),
                   removed=tuple(i for k, i in before.items() if k not in after),
                   changed=tuple(changed), renumbered=tuple(renumbered))


def _clause(view: dict) -> dict:
    trigger = f"when {view['when']}" + (f", unless {view['unless']}" if view["unless"] else "")
    return {**view, "trigger": trigger}


def _duty(duty: dict) -> dict:
    return {**duty, "duty": f"{duty['modality']} {duty['action']}"}


def _pairs(items) -> list[dict]:
    return [{"term": term, "definition": definition} for term, definition in items]


def plain_diff(old: dict, new: dict) -> PlainDiff:
    """Compare two document models (agreements.pdf.document_context): clauses by their id,
    parties and roles by theirs, conditions and recitals by their words."""
    terms = tuple(Change(label, read(old), read(new)) for label, read in TERMS
                  if read(old) != read(new))
    recitals = Listing(added=tuple(r for r in new["recitals"] if r not in old["recitals"]),
                       removed=tuple(r for r in old["recitals"] if r not in new["recitals"]))
    parties = _listing(old["parties"], new["parties"], lambda p: p["id"], PARTY_FIELDS,
                       lambda p: p["name"])
    roles = _listing(old["roles"], new["roles"], lambda r: r["id"],
                     (("Term", "term"), ("Definition", "definition")), lambda r: r["term"])
    conditions = _listing(_pairs(old["trigger_definitions"]), _pairs(new["trigger_definitions"]),
                          lambda c: c["term"], (("Definition", "definition"),),
                          lambda c: c["term"])
    clauses = _listing([_clause(c) for c in old["clauses"]], [_clause(c) for c in new["clauses"]],
                       lambda c: c["id"], CLAUSE_FIELDS, lambda c: c["title"],
                       number=lambda c: c["number"])
    old_annex = {e["party"].id: e["duties"] for e in old["annex"]}
    duties = {}
    for entry in new["annex"]:
        duties[entry["party"].id] = _listing(
            [_duty(d) for d in old_annex.get(entry["party"].id, [])],
            [_duty(d) for d in entry["duties"]], lambda d: d["clause"], DUTY_FIELDS,
            lambda d: d["title"], number=lambda d: d["number"])
    return PlainDiff(terms, recitals, parties, roles, conditions, clauses, duties)


@dataclass(frozen=True)
class Comparison:
    """A revision beside the one in force, as far as the actor may see both."""
    revision: Revision
    in_force: Revision | None
    diff: PlainDiff | None  # None when there is nothing in force, or it may not be seen
    hidden: bool = False  # a revision is in force that the actor may not see

    @property
    def first(self) -> bool:
        return self.in_force is None


def changes_since_in_force(actor: User | None, revision: Revision) -> Comparison:
    """What `revision` changes from the agreement's revision in force, in plain words; only
    for an actor who may see both (a party an amendment adds never sees the one in force)."""
    if not can_see_revision(actor, revision):
        raise NotFound(f"agreement '{revision.agreement.slug}' has no revision {revision.number}")
    in_force = revision.agreement.executed_revision
    if in_force is None:
        return Comparison(revision, None, None)
    if not can_see_revision(actor, in_force):
        return Comparison(revision, in_force, None, hidden=True)
    return Comparison(revision, in_force, plain_diff(document_model(in_force),
                                                     document_model(revision)))
