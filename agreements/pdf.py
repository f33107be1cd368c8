"""Render one agreement revision to a PDF (cover, clauses, annex, signatures) with WeasyPrint."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import jinja2
import pydyf
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from dsl import ast
from dsl.formatter import value as written_value
from engine.compiler import Clause, CompiledAgreement, Deadline, load

TEMPLATES = Path(__file__).resolve().parent / "templates" / "pdf"

# Document-info keys that `agreements.seal.verify_pdf` reads back without text extraction.
INFO_CONTENT_HASH = "/CompactContentHash"
INFO_AGREEMENT_ID = "/CompactAgreementId"
INFO_REVISION = "/CompactRevision"
KEYWORD_CONTENT_HASH = "compact-content-hash:"

KIND_LABELS = {
    "mou": "Memorandum of understanding",
    "mutual-aid": "Mutual aid agreement",
    "compact": "Compact",
    "protocol": "Protocol",
    "other": "Agreement",
}
MODALITY_WORDS = {"must": "shall", "may": "may", "must not": "shall not"}
OPERATOR_WORDS = {"==": "is", "!=": "is not", "<": "is less than", "<=": "is at most",
                  ">": "is more than", ">=": "is at least", "contains": "contains"}
TIME_OPERATOR_WORDS = {"<": "is before", "<=": "is at or before", ">": "is after",
                       ">=": "is at or after"}


@dataclass(frozen=True)
class SignatureRecord:
    party_id: str
    signer_name: str
    signer_title: str
    signed_at: datetime  # aware, UTC
    user: str  # the signing user's login or email
    address: str | None  # the IP address the signature came from
    content_hash: str  # the revision hash the signature binds to


class FetchRefused(Exception):
    """A rendered document asked for an outside resource; agreement PDFs never load any."""


class RefusingURLFetcher(URLFetcher):
    """A WeasyPrint fetcher that refuses every URL, so agreement text can never reach a file or host."""

    def fetch(self, url, headers=None):
        raise FetchRefused(f"agreement PDFs load no outside resources (refused {url!r})")

    def open(self, url, data=None, timeout=None):
        raise FetchRefused("agreement PDFs load no outside resources")


def render_pdf(source: str, *, revision_number: int | None = None,
               signatures: Sequence[SignatureRecord] = (), executed_at: datetime | None = None,
               filename: str = "<agreement>") -> bytes:
    """The PDF of one revision; the same inputs always give the same bytes.

    Raises CompactError for agreement text with errors, ValueError for signatures that do not
    fit the revision (another hash, an unknown or repeated party, a naive time).
    """
    agreement = load(source, filename)
    if revision_number is not None and (type(revision_number) is not int or revision_number < 0):
        raise ValueError(f"revision_number must be a whole number, got {revision_number!r}")
    context = document_context(agreement, revision_number, signatures, executed_at)
    html = _environment().get_template("agreement.html").render(context)
    css = _environment().get_template("agreement.css").render(context)
    fetcher = RefusingURLFetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[CSS(string=css, base_url=None, url_fetcher=fetcher)],
        # pydyf pairs this with an MD5 of the written file, so the whole /ID follows the content.
        pdf_identifier=agreement.content_hash[:32].encode("ascii"),
        finisher=_metadata_finisher(agreement, revision_number),
    )


def document_context(agreement: CompiledAgreement, revision_number: int | None,
                     signatures: Sequence[SignatureRecord], executed_at: datetime | None) -> dict:
    """Everything the templates print, already worded; the templates only lay it out."""
    words = Wording(agreement)
    signed = _signatures_by_party(agreement, signatures)
    if executed_at is not None:
        executed_at = _utc(executed_at, "executed_at")
        unsigned = [p.id for p in agreement.parties if p.id not in signed]
        if unsigned:
            raise ValueError(f"an executed agreement needs every party's signature; "
                             f"missing: {', '.join(unsigned)}")
    return {
        "agreement": agreement,
        "kind_label": KIND_LABELS.get(agreement.kind, agreement.kind),
        "binding_label": "Binding" if agreement.binding else "Non-binding",
        "effective_text": _period(agreement),
        "withdrawal_text": _duration(*agreement.withdrawal_notice)
        if agreement.withdrawal_notice else None,
        "holidays_text": holidays_text(agreement),
        "revision_label": (f"Revision {revision_number}" if revision_number is not None
                           else "Unnumbered draft"),
        "lang": _language(agreement.language),
        "keywords": _keywords(agreement, revision_number),
        "parties": [_party_view(p) for p in agreement.parties],
        "recitals": [_after_whereas(r.text.value) for r in agreement.symbols.recitals],
        "role_definitions": words.role_definitions(),
        "roles": [{"id": role_id, "term": term, "definition": definition}
                  for role_id, (term, definition) in zip(agreement.symbols.roles,
                                                         words.role_definitions())],
        "trigger_definitions": words.trigger_definitions(),
        "clauses": [words.clause_view(c) for c in agreement.clauses],
        "annex": [{"party": p, "duties": words.duties_of(p.id)} for p in agreement.parties],
        "signature_blocks": [_signature_block(p, signed.get(p.id)) for p in agreement.parties],
        "certificate": _certificate(agreement, signed, executed_at),
    }


# ---------------------------------------------------------------- wording from the logic

class Wording:
    """Plain-English phrases for an agreement's roles, conditions, deadlines and costs."""

    def __init__(self, agreement: CompiledAgreement):
        self.agreement = agreement
        self.symbols = agreement.symbols

    # -- who

    def is_single(self, role_id: str) -> bool:
        role = self.agreement.roles[role_id]
        if role.kind == "fixed" and len(role.members) == 1 \
                and role.members[0] in self.agreement.roles:
            return self.is_single(role.members[0])  # a role that is another role
        return role.kind == "field" or (role.kind == "fixed" and len(role.members) == 1)

    def term(self, name: str, *, each: bool = False) -> str:
        """`the requesting party`, `the assisting parties` / `each assisting party`, or a name."""
        if name in self.agreement.party_index:
            return self.agreement.party_index[name].name
        words = name.replace("_", " ")
        single = self.is_single(name)
        if words.endswith("s"):  # already a plural noun: neighbours, services
            return f"each of the {words}" if each and not single else f"the {words}"
        if words.endswith(("or", "er")):  # an agent noun: coordinator, partner
            if single:
                return f"the {words}"
            return f"each {words}" if each else f"the {words}s"
        if single:
            return f"the {words} party"
        return f"each {words} party" if each else f"the {words} parties"

    def one_of(self, role_id: str) -> str:
        """A single member of a role: `the coordinator`, `an assisting party`, `one of the neighbours`."""
        words = role_id.replace("_", " ")
        if self.is_single(role_id):
            return self.term(role_id)
        if words.endswith("s"):
            return f"one of the {words}"
        noun = words if words.endswith(("or", "er")) else f"{words} party"
        return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"

    def role_definitions(self) -> list[tuple[str, str]]:
        return [(_capital(self.term(role_id)), self.role_definition(role))
                for role_id, role in self.symbols.roles.items()]

    def role_definition(self, role: ast.RoleDecl) -> str:
        if role.kind == "fixed":
            return _join([self.term(m.name) for m in role.members], "and")
        if role.kind == "field":
            return f"the party named in the incident's {'.'.join(role.path.names)} field"
        if role.kind == "where":
            return f"every party of this agreement for which {self.condition(role.condition)}"
        if role.kind == "except":
            return ("every party of this agreement except "
                    + _join([self.term(m.name) for m in role.members], "and"))
        return f"every party of this agreement whose area overlaps {self.path(role.path)}"

    def trigger_definitions(self) -> list[tuple[str, str]]:
        return [(f"“{_capital(_humane(t.id))}”", f"met when {self.condition(t.condition)}")
                for t in self.symbols.triggers.values()]

    # -- conditions

    def condition(self, cond) -> str:
        if isinstance(cond, ast.Or):
            return " or ".join(self.condition(i) for i in cond.items)
        if isinstance(cond, ast.And):
            return " and ".join(self.condition(i) for i in cond.items)
        if isinstance(cond, ast.Group):
            return f"({self.condition(cond.item)})"
        if isinstance(cond, ast.Not):
            return f"it is not the case that {self.condition(cond.item)}"
        if isinstance(cond, ast.TriggerRef):
            return f"the “{_humane(cond.name)}” condition is met"
        if isinstance(cond, ast.Breached):
            return (f"the permission of {self.clause_ref(cond.clause)} has lapsed" if cond.lapsed
                    else f"{self.clause_ref(cond.clause)} has been breached")
        if isinstance(cond, ast.Given):
            return f"{self.path(cond.path)} is {'not ' if cond.negated else ''}given"
        if isinstance(cond, ast.Intersects):
            return f"{self.path(cond.left)} overlaps {self.path(cond.right)}"
        if isinstance(cond, ast.Compare):
            return self.comparison(cond)
        raise AssertionError(type(cond))

    def comparison(self, cond: ast.Compare) -> str:
        left, right, op = cond.left, cond.right, cond.op
        if op in ("in", "not in") and isinstance(right, ast.ListLiteral):
            items = [self.operand(i) for i in right.items]
            if op == "in":
                return f"{self.operand(left)} is {_join(items, 'or')}"
            return f"{self.operand(left)} is none of {_join(items, 'and')}"
        if op in ("in", "not in"):
            return f"{self.operand(left)} is {'not ' if op == 'not in' else ''}among {self.operand(right)}"
        types = {self.path_type(v) for v in (left, right) if isinstance(v, ast.Path)}
        words = OPERATOR_WORDS[op]
        if types & {"time", "date"} and op in TIME_OPERATOR_WORDS:
            words = TIME_OPERATOR_WORDS[op]
        return f"{self.operand(left)} {words} {self.operand(right)}"

    def operand(self, value) -> str:
        if isinstance(value, ast.Path):
            return self.path(value)
        if isinstance(value, ast.ListLiteral):
            return _join([self.operand(i) for i in value.items], "and")
        if value.kind == "text":
            return f"“{value.value}”"
        return written_value(value)

    @staticmethod
    def path(path: ast.Path) -> str:
        owner = "the incident's" if path.root == "incident" else "the party's"
        return f"{owner} {'.'.join(path.names)}"

    def path_type(self, path: ast.Path) -> str | None:
        if path.root != "incident":
            return self.symbols.party_attribute_type(path.names[0])
        info = self.symbols.fields.get(path.names[0])
        return info.type if info is not None else None

    def clause_ref(self, clause_id: str) -> str:
        clause = self.agreement.clause_index[clause_id]
        return f"clause {clause.index + 1} ({clause.title})"

    # -- deadlines and costs

    def deadline(self, deadline: Deadline | None) -> str | None:
        if deadline is None:
            return None
        if deadline.kind == "every":
            start = f"the incident's {deadline.field}" if deadline.field else "the incident's onset"
            return (f"every {_duration(deadline.amount, deadline.unit)}, the first "
                    f"{_duration(deadline.amount, deadline.unit)} after {start}")
        if deadline.kind == "whichever":
            return (" or ".join(self.deadline(t) for t in deadline.terms)
                    + f", whichever is {deadline.pick}")
        if deadline.kind == "by":
            return deadline.text
        span = _duration(deadline.amount, deadline.unit)
        if deadline.kind == "within_field":
            return f"within {span} of the incident's {deadline.field}"
        if deadline.kind == "within_breach":
            return f"within {span} of the breach of {self.clause_ref(deadline.breach_of)}"
        if deadline.kind == "within_lapse":
            return (f"within {span} of the lapse of the permission of "
                    f"{self.clause_ref(deadline.lapse_of)}")
        return f"within {span} of the incident's onset"

    def costs(self, clause: Clause) -> str | None:
        if clause.costs_kind is None:
            return None
        if clause.costs_kind == "borne":
            return f"Costs are borne by {self.term(clause.costs[0][0])}."
        if clause.costs_kind == "equal":
            return f"Costs are shared equally by {_join([self.term(w) for w, _ in clause.costs], 'and')}."
        shares = [f"{self.term(w)} {_percent(f)}" for w, f in clause.costs]
        return f"Costs are shared: {_join(shares, 'and')}."

    # -- clauses

    def clause_view(self, clause: Clause) -> dict:
        decl = self.symbols.clauses[clause.id]
        deadline = self.deadline(clause.deadline)
        return {
            "number": clause.index + 1,
            "id": clause.id,
            "title": clause.title,
            "text": clause.text if clause.text is not None else self.clause_sentence(clause, decl),
            "generated": clause.text is None,
            "who": _capital(self.term(clause.subject, each=True)),
            "what": f"{clause.modality} {clause.action}{self.owed_to(clause)}",
            "by_when": deadline or "No deadline",
            "when": clause.when.text,
            "unless": clause.unless.text if clause.unless is not None else None,
            "costs": self.costs(clause) or "Not allocated by this clause",
            "otherwise": self.consequence(clause),
            "fulfilled_at": (f"At the time the incident's {clause.fulfilled_at} gives"
                             if clause.fulfilled_at is not None else None),
        }

    def owed_to(self, clause: Clause) -> str:
        """` to Lakeside County and the assisting parties`, or nothing: whom a duty is owed to."""
        if not clause.beneficiaries:
            return ""
        return " to " + _join([self.term(name) for name in clause.beneficiaries], "and")

    @staticmethod
    def consequence(clause: Clause) -> str | None:
        """What follows a breach (a must) or a lapse (a may), from the clause's `otherwise`."""
        if clause.consequence is None:
            return None
        when = "If the permission lapses" if clause.modality == "may" else "If the duty is breached"
        return f"{when}: {clause.consequence}"

    def clause_sentence(self, clause: Clause, decl: ast.ClauseDecl) -> str:
        """The clause worded from its logic, for clauses that give no legal text of their own."""
        sentence = (f"When {self.condition(decl.get('when'))}, "
                    f"{self.term(clause.subject, each=True)} {MODALITY_WORDS[clause.modality]} "
                    f"{clause.action}{self.owed_to(clause)}")
        deadline = self.deadline(clause.deadline)
        if deadline:
            sentence += f" {deadline}"
        unless = decl.get("unless")
        if unless is not None:
            sentence += f", unless {self.condition(unless)}"
        sentence += "."
        if clause.fulfilled_at is not None:
            sentence += (f" {'It' if clause.modality == 'must' else 'The permission'} counts as "
                         f"{'fulfilled' if clause.modality == 'must' else 'used'} at the time "
                         f"the incident's {clause.fulfilled_at} gives.")
        if clause.consequence is not None:
            sentence += f" Otherwise, {clause.consequence.rstrip('.')}."
        costs = self.costs(clause)
        return f"{sentence} {costs}" if costs else sentence

    # -- annex

    def duties_of(self, party_id: str) -> list[dict]:
        """Every duty a party can be given, with the role condition that would give it."""
        duties = []
        for clause in self.agreement.clauses:
            membership = self.membership(clause.subject, party_id)
            if membership is None:
                continue
            when = f"when {clause.when.text}"
            if clause.unless is not None:
                when += f", unless {clause.unless.text}"
            duties.append({
                "clause": clause.id,
                "number": clause.index + 1,
                "title": clause.title,
                "modality": clause.modality,
                "action": clause.action + self.owed_to(clause),
                "deadline": self.deadline(clause.deadline) or "No deadline",
                "as": membership,
                "when": when,
            })
        return duties

    def membership(self, subject: str, party_id: str) -> str | None:
        """How a party comes to be the clause's subject, or None when it never can."""
        if subject in self.agreement.party_index:
            return "Named in the clause" if subject == party_id else None
        role = self.symbols.roles[subject]
        as_role = f"As {self.one_of(subject)}"
        party = self.agreement.party_index[party_id]
        if role.kind == "fixed":
            if party_id in {m.name for m in role.members}:
                return f"{as_role} (named)"
            for member in (m.name for m in role.members if m.name in self.symbols.roles):
                inner = self.membership(member, party_id)  # a union of roles: through one
                if inner is not None:
                    return f"{as_role} ({inner[0].lower()}{inner[1:]})"
            return None
        if role.kind == "field":
            return f"{as_role}, when named in the incident's {'.'.join(role.path.names)} field"
        if role.kind == "where":
            if _never_holds_for(role.condition, party):
                return None
            return f"{as_role}, when {self.condition(role.condition)}"
        if role.kind == "area":
            if "area" not in party.attributes:
                return None
            return f"{as_role}, when its area overlaps {self.path(role.path)}"
        exclusions = []
        for member in (m.name for m in role.members):
            if self.always_in(member, party_id):
                return None
            if member in self.symbols.roles:
                exclusions.append(self.term(member))
        if not exclusions:
            return f"{as_role} (always)"
        return f"{as_role}, when it is not {_join(exclusions, 'or')}"

    def always_in(self, name: str, party_id: str) -> bool:
        if name == party_id:
            return True
        role = self.symbols.roles.get(name)
        return (role is not None and role.kind == "fixed"
                and any(self.always_in(m.name, party_id) for m in role.members))


def _never_holds_for(cond, party) -> bool:
    """True when a role condition reads an attribute the party lacks in a way that cannot hold.

    Conservative: only comparisons joined by `and`/`or` are judged; a reading of an absent
    value is false (language.md), so such a comparison can never make the party a member.
    """
    if isinstance(cond, ast.And):
        return any(_never_holds_for(i, party) for i in cond.items)
    if isinstance(cond, ast.Or):
        return all(_never_holds_for(i, party) for i in cond.items)
    if isinstance(cond, ast.Group):
        return _never_holds_for(cond.item, party)
    if isinstance(cond, ast.Given):
        return not cond.negated and _lacks(cond.path, party)
    if isinstance(cond, ast.Compare):
        if _own_id_fails(cond, party):
            return True
        return any(_lacks(v, party) for v in (cond.left, cond.right))
    if isinstance(cond, ast.Intersects):
        return any(_lacks(v, party) for v in (cond.left, cond.right))
    return False


def _own_id_fails(cond: ast.Compare, party) -> bool:
    """`party.id == "x"`, `!=`, `in [...]` or `not in [...]` that fails for this party's id."""
    left, right = cond.left, cond.right
    if not (isinstance(left, ast.Path) and left.root == "party" and left.names == ("id",)):
        return False
    if isinstance(right, ast.Literal) and right.kind == "text" and cond.op in ("==", "!="):
        return (party.id == right.value) != (cond.op == "==")
    if isinstance(right, ast.ListLiteral) and cond.op in ("in", "not in"):
        return (party.id in [i.value for i in right.items]) != (cond.op == "in")
    return False


def _lacks(value, party) -> bool:
    return (isinstance(value, ast.Path) and value.root == "party"
            and value.names[0] != "id" and value.names[0] not in party.attributes)


# ---------------------------------------------------------------- signatures

def _signatures_by_party(agreement: CompiledAgreement,
                         signatures: Sequence[SignatureRecord]) -> dict[str, SignatureRecord]:
    by_party: dict[str, SignatureRecord] = {}
    for record in signatures:
        if record.party_id not in agreement.party_index:
            raise ValueError(f"signature for {record.party_id!r}, which is not a party of "
                             f"{agreement.id}")
        if record.content_hash != agreement.content_hash:
            raise ValueError(f"the signature of {record.party_id!r} binds to revision "
                             f"{record.content_hash}, not to this revision "
                             f"{agreement.content_hash}")
        if record.party_id in by_party:
            raise ValueError(f"two signatures for {record.party_id!r}")
        _utc(record.signed_at, f"signed_at of {record.party_id!r}")
        by_party[record.party_id] = record
    return by_party


def _signature_block(party, record: SignatureRecord | None) -> dict:
    return {
        "party": party,
        "signatory": _attribute(party, "signatory"),
        "signed": record is not None,
        "name": record.signer_name if record else None,
        "title": record.signer_title if record else None,
        "date": _utc(record.signed_at).date().isoformat() if record else None,
    }


def _certificate(agreement: CompiledAgreement, signed: dict[str, SignatureRecord],
                 executed_at: datetime | None) -> dict | None:
    if executed_at is None:
        return None
    order = {p.id: i for i, p in enumerate(agreement.parties)}
    events = sorted(signed.values(), key=lambda r: (_utc(r.signed_at), order[r.party_id]))
    return {
        "executed_at": _timestamp(executed_at),
        "events": [{
            "party": agreement.party_index[r.party_id],
            "signer_name": r.signer_name,
            "signer_title": r.signer_title,
            "user": r.user,
            "at": _timestamp(r.signed_at),
            "address": r.address or "not recorded",
            "content_hash": r.content_hash,
        } for r in events],
    }


# ---------------------------------------------------------------- small helpers

def holidays_text(agreement: CompiledAgreement) -> str | None:
    """Which public-holiday calendars business days skip, the agreement's and each party's
    own; None when business days are simply Monday to Friday for everyone."""
    own = [(p, agreement.calendars_for(p.id)) for p in agreement.parties
           if "holidays" in p.attributes]
    if not agreement.holidays and not own:
        return None
    if agreement.holidays:
        text = ("Business days are Monday to Friday, except the public holidays of "
                f"{_join(list(agreement.holidays), 'and')}")
    else:
        text = "Business days are Monday to Friday"
    if own:
        text += "; for the duties of " + "; of ".join(
            f"{p.name}, except the public holidays of {_join(list(codes), 'and')}"
            for p, codes in own)
    return text + " (calendars of the holidays package: ISO 3166 country and subdivision codes)."


def _party_view(party) -> dict:
    return {"id": party.id, "name": party.name, "contact": _attribute(party, "contact"),
            "signatory": _attribute(party, "signatory")}


def _attribute(party, name: str) -> str | None:
    """A printed party attribute; attributes may also be numbers, yes/no or lists."""
    value = party.attributes.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _period(agreement: CompiledAgreement) -> str:
    start = _long_date(agreement.effective_from)
    if agreement.effective_until is None:
        return f"From {start}, until withdrawal or termination"
    return f"From {start} to {_long_date(agreement.effective_until)} inclusive"


# Spelled out here rather than with strftime("%B"), which follows the process locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _duration(amount: int, unit: str) -> str:
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _utc(moment: datetime, what: str = "time") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment!r}")
    return moment.astimezone(timezone.utc)


def _timestamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


# A recital printed after "Whereas" reads on in lower case when it opens with one of these.
_OPENING_WORDS = {"The", "A", "An", "Both", "Each", "Every", "All", "Its", "Their", "It",
                  "They", "These", "This", "Those", "In", "On", "Under", "Since", "As"}


def _after_whereas(recital: str) -> str:
    first, _, rest = recital.partition(" ")
    if first in _OPENING_WORDS:
        return f"{first.lower()} {rest}" if rest else first.lower()
    return recital


def _humane(identifier: str) -> str:
    return identifier.replace("_", " ")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _language(language: str | None) -> str:
    # Only a well-formed tag reaches the document: it selects hyphenation and shaping rules.
    if language and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", language):
        return language
    return "en"


def _keywords(agreement: CompiledAgreement, revision_number: int | None) -> str:
    words = [f"{KEYWORD_CONTENT_HASH}{agreement.content_hash}",
             f"compact-agreement-id:{agreement.id}"]
    if revision_number is not None:
        words.append(f"compact-revision:{revision_number}")
    return ", ".join(words)


def _metadata_finisher(agreement: CompiledAgreement, revision_number: int | None):
    """Writes the revision's identity into the document info, where verify reads it back."""

    def finish(document, pdf):
        pdf.info[INFO_CONTENT_HASH[1:]] = pydyf.String(agreement.content_hash)
        pdf.info[INFO_AGREEMENT_ID[1:]] = pydyf.String(agreement.id)
        if revision_number is not None:
            pdf.info[INFO_REVISION[1:]] = pydyf.String(str(revision_number))

    return finish


def css_string(value) -> Markup:
    """A value as a quoted CSS string: every character outside [A-Za-z0-9 ] is hex-escaped."""
    escaped = "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):x} "
                      for ch in str(value))
    return Markup(f'"{escaped}"')


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["css_string"] = css_string
    return env
