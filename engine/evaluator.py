"""Evaluate an incident against compiled agreements: who must act, by when, and why.

`evaluate` here is the plain linear reference: it looks at every clause of every agreement.
`engine.index.Library` gives the same answers while examining only the clauses that can match.
The answers' types (duties, warnings, the evaluation and its JSON) are in `engine.results`.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Iterable

from dsl.timestamps import parse_time
from dsl.types import BUILTIN_FIELDS
from engine import advice
from engine import conditions as C
from engine.compiler import Clause, CompiledAgreement
from engine import due_times
from engine.deadlines import utc_text
# The answers' types, also reachable here as before.
from engine.results import Duty, Evaluation, OutOfEffect, Warning_  # noqa: F401
from engine.incidents import Incident, IncidentError, from_dict
from engine.schema import BUILTIN_KEYS, Violation, incident_schema, validate_document

BUILTIN_SCHEMA = incident_schema(dict(BUILTIN_FIELDS), title="built-in incident fields")


# ---------------------------------------------------------------- one agreement, one incident

class AgreementRun:
    """The evaluation of one agreement against one incident at time T (the conditions' context)."""

    def __init__(self, agreement: CompiledAgreement, data: dict, at: datetime,
                 excluded: frozenset = frozenset()):
        self.agreement = agreement
        self.incident = data
        self.at = at
        self.excluded = excluded
        self.party = None
        self.triggers: dict[str, bool] = {}
        self._typed: dict[str, object] = {}
        self._roles: dict[str, tuple[str, ...]] = {}
        self._duties: dict[str, list[Duty]] = {}
        self.warnings: set[Warning_] = set()
        self._fulfilled = None

    # values ----------------------------------------------------------
    def typed(self, field: str, type_name: str | None):
        try:
            return self._typed[field]
        except KeyError:
            value = C.convert(self.incident.get(field, C.MISSING), type_name)
            self._typed[field] = value
            return value

    def fulfilled(self) -> list[tuple[str, str, datetime, int | None]]:
        if self._fulfilled is None:
            records = []
            for record in self.incident.get("fulfilled") or ():
                owner = record.get("agreement")
                if owner is not None and owner != self.agreement.id:
                    continue
                records.append((record["clause"], record["party"], parse_time(record["at"]),
                                record.get("occurrence")))
            self._fulfilled = records
        return self._fulfilled

    def fulfilled_by(self, clause: str, party: str, moment: datetime, duty=None) -> bool:
        """A record of this clause and party made at or before `moment` (in incident.fulfilled,
        or the time `fulfilled at incident.FIELD` gives); for an occurrence of a recurring duty,
        one that names it, or names none and was made within its period."""
        occurrence = duty.occurrence if duty is not None else None
        records = self.fulfilled()
        facts = self.fulfilled_from_facts(clause, moment)
        if facts is not None:
            records = (*records, (clause, party, facts, None))
        for c, p, at, named in records:
            if c != clause or p != party or at > moment:
                continue
            if occurrence is None or named == occurrence:
                return True
            if named is None and (duty.since is None or duty.since < at) \
                    and (duty.due is None or at <= duty.due):
                return True
        return False

    def fulfilled_from_facts(self, clause_id: str, moment: datetime) -> datetime | None:
        """When `fulfilled at incident.FIELD` makes every duty of a clause fulfilled, at or
        before `moment`: that time, as if `incident.fulfilled` recorded it; else None."""
        field = self.agreement.clause_index[clause_id].fulfilled_at
        if field is None:
            return None
        at = self.typed(field, "time")
        return at if at is not C.MISSING and at <= moment else None

    # roles ------------------------------------------------------------
    def resolve(self, name: str) -> tuple[str, ...]:
        """The parties a role (or a party id) names for this incident, in declaration order."""
        found = self._roles.get(name)
        if found is not None:
            return found
        ag = self.agreement
        role = ag.roles.get(name)
        if role is None:
            ids = (name,) if name in ag.party_index else ()
        elif role.kind == "fixed":  # parties and roles: their union, in order, without repeats
            ids = tuple(dict.fromkeys(
                p for member in role.members
                for p in (self.resolve(member) if member in ag.roles else (member,))))
        elif role.kind == "field":
            value = role.path.raw(self)
            wanted = set(value) if isinstance(value, list) else {value}
            ids = tuple(p.id for p in ag.parties if p.id in wanted)
        elif role.kind == "where":
            ids = []
            for p in ag.parties:
                self.party = p
                try:
                    if role.condition.holds(self):
                        ids.append(p.id)
                finally:
                    self.party = None
            ids = tuple(ids)
        elif role.kind == "except":
            removed = set()
            for member in role.members:
                removed.update(self.resolve(member))
            ids = tuple(p.id for p in ag.parties if p.id not in removed)
        else:  # area: geocodes in common, or a boundary that meets the alert's geometry
            ids = self._in_area(role)
        if self.excluded:
            ids = tuple(i for i in ids if i not in self.excluded)
        self._roles[name] = ids
        return ids

    def _in_area(self, role) -> tuple[str, ...]:
        ag = self.agreement
        area = role.path.raw(self)
        area = set(area) if isinstance(area, list) else set()
        geometry = self.incident.get("geometry") if role.path.field == "area" else None
        ids, unplaced = [], []
        for p in ag.parties:
            codes = p.attributes.get("area")
            if isinstance(codes, list) and area.intersection(codes):
                ids.append(p.id)
                continue
            boundary = p.attributes.get("boundary")
            if geometry is None:
                continue
            if not isinstance(boundary, str):
                unplaced.append(p.id)
                continue
            from engine.boundaries import BoundaryError, boundary_shape, intersects
            try:
                shape = boundary_shape(boundary, _folder(ag.filename))
            except BoundaryError as exc:
                self.warnings.add(Warning_(ag.id, None, f"party {p.id}'s boundary cannot be "
                                                        f"read: {exc}"))
                continue
            if intersects(shape, geometry):
                ids.append(p.id)
        if unplaced and not area:
            self.warnings.add(Warning_(ag.id, None, (
                f"role {role.id}: the alert gives only geometry (no geocodes), and "
                f"{', '.join(unplaced)} {'has' if len(unplaced) == 1 else 'have'} no boundary "
                "to compare it with")))
        return tuple(ids)

    # duties -----------------------------------------------------------
    def duties(self, clause: Clause) -> list[Duty]:
        found = self._duties.get(clause.id)
        if found is None:
            self._duties[clause.id] = []  # a guard against cycles the checker already refuses
            found = self._duties[clause.id] = self._compute(clause)
        return found

    def breached_duties(self, clause_id: str) -> list[Duty]:
        return self._late_duties(clause_id, "must")

    def lapsed_duties(self, clause_id: str) -> list[Duty]:
        """The permissions of a clause whose time has passed without a record of their use."""
        return self._late_duties(clause_id, "may")

    def _late_duties(self, clause_id: str, modality: str) -> list[Duty]:
        clause = self.agreement.clause_index[clause_id]
        return [d for d in self.duties(clause)
                if d.modality == modality and d.due is not None and d.due < self.at
                and not self.fulfilled_by(clause_id, d.party, d.due, d)]

    def _compute(self, clause: Clause) -> list[Duty]:
        if not clause.when.holds(self):
            return []
        if clause.unless is not None and clause.unless.holds(self):
            return []
        parties = self.resolve(clause.subject)
        ag = self.agreement
        if not parties:
            what = "role" if clause.subject_is_role else "party"
            self.warnings.add(Warning_(ag.id, clause.id, f"{what} {clause.subject} names no party"))
            return []
        costs = self._costs(clause)
        owed = self._beneficiaries(clause)
        when_because = tuple(explain_parts(clause.when, self))
        done = self.fulfilled_from_facts(clause.id, self.at)
        if done is not None and clause.modality == "must":
            when_because += (f"fulfilled at incident.{clause.fulfilled_at} "
                             f"(was {utc_text(done)})",)
        role = clause.subject if clause.subject_is_role else None
        out = []
        per_calendar: dict = {}
        dl = clause.deadline
        business = dl is not None and dl.counts_business_days
        recurring = dl is not None and dl.kind == "every"
        for party in parties:
            # Business days skip public holidays: a party with calendars of its own may be due
            # at another time than the others.
            calendars = ag.calendars_for(party) if business else ()
            found = per_calendar.get(calendars)
            if found is None:
                found = per_calendar[calendars] = self._occurrences(clause, calendars) \
                    if recurring else due_times.due(self, dl, calendars)
            if recurring:
                occurrences, note = found
                for number, since, due in occurrences or [(1, None, None)]:
                    out.append(self._with_status(clause, Duty(
                        ag.id, clause.id, clause.title, clause.modality, party, role,
                        clause.action, due, "open", costs, when_because, note, number, since,
                        to=owed)))
                continue
            due, note, decided = found
            because = when_because + (decided,) if decided is not None else when_because
            out.append(self._with_status(clause, Duty(
                ag.id, clause.id, clause.title, clause.modality, party, role, clause.action,
                due, "open", costs, because, note, to=owed)))
        return out

    def _with_status(self, clause: Clause, duty: Duty) -> Duty:
        """The duty with its status, and the clause's `otherwise` once breached or lapsed."""
        status = self._status(duty)
        if status == "open":
            return duty
        consequence = clause.consequence if status in ("breached", "lapsed") else None
        return dataclasses.replace(duty, status=status, consequence=consequence)

    def _status(self, duty: Duty) -> str:
        if duty.modality == "may":
            # A permission lapses once its due time has passed without a record of its use
            # (by then); it is never fulfilled or breached.
            lapsed = (duty.due is not None and duty.due < self.at
                      and not self.fulfilled_by(duty.clause, duty.party, duty.due, duty))
            return "lapsed" if lapsed else "open"
        if duty.modality != "must":
            return "open"
        if self.fulfilled_by(duty.clause, duty.party, self.at, duty):
            return "fulfilled"
        if duty.due is not None and duty.due < self.at:
            return "breached"
        return "open"

    def _occurrences(self, clause: Clause, calendars):
        found, note, over = due_times.occurrences(self, clause.deadline, calendars)
        if over:
            self.warnings.add(Warning_(self.agreement.id, clause.id, (
                f"more than {due_times.MAX_OCCURRENCES} occurrences of '{clause.deadline.text}' "
                f"are due by {utc_text(self.at)}: only the first {due_times.MAX_OCCURRENCES} are "
                "given")))
        return found, note

    def _beneficiaries(self, clause: Clause) -> tuple[str, ...] | None:
        """The parties a duty is owed to, in the order named, each once; None when the clause
        names nobody (the key is then left out)."""
        if not clause.beneficiaries:
            return None
        owed: dict[str, None] = {}
        for who in clause.beneficiaries:
            found = self.resolve(who)
            if not found:
                what = "role" if who in self.agreement.roles else "party"
                self.warnings.add(Warning_(self.agreement.id, clause.id,
                                           f"to: {what} {who} names no party"))
            owed.update(dict.fromkeys(found))
        return tuple(owed)

    def _costs(self, clause: Clause) -> tuple[tuple[str, float], ...]:
        if not clause.costs:
            return ()
        shares: dict[str, float] = {}
        missing = 0.0
        for who, part in clause.costs:
            payers = self.resolve(who)
            if not payers:
                missing += part
                what = "role" if who in self.agreement.roles else "party"
                self.warnings.add(Warning_(self.agreement.id, clause.id,
                                           f"costs: {what} {who} names no party"))
                continue
            for payer in payers:
                shares[payer] = shares.get(payer, 0.0) + part / len(payers)
        total = sum(shares.values())
        if missing and total:
            shares = {p: s / total for p, s in shares.items()}
        return tuple(shares.items())

    def all_duties(self) -> list[Duty]:
        return [d for duties in self._duties.values() for d in duties]


def _folder(filename: str) -> str | None:
    """The folder of an agreement file, where its boundary files are; None when not a file."""
    from pathlib import Path
    path = Path(filename)
    return str(path.parent) if filename and not filename.startswith("<") and \
        path.parent.is_dir() else None


def explain_parts(cond: C.Cond, ctx) -> list[str]:
    """A `when` condition's explanation, one entry per top-level `and` part."""
    while isinstance(cond, C.Parens):
        cond = cond.item
    if isinstance(cond, C.AllOf):
        return [item.explain(ctx) for item in cond.items]
    return [cond.explain(ctx)]


# ---------------------------------------------------------------- shared steps

def reported_at(data: dict) -> datetime:
    return parse_time(data["reported_at"])


def skip_reason(agreement: CompiledAgreement, day: date) -> str | None:
    """Why an agreement is not in effect on the incident's day, or None if it is."""
    if day < agreement.effective_from:
        return f"not in effect on {day} (takes effect {agreement.effective_from})"
    if agreement.effective_until is not None and day > agreement.effective_until:
        return f"not in effect on {day} (expired {agreement.effective_until})"
    return None


def one_of_warnings(runs) -> list[Warning_]:
    """A warning per field and value that no agreement evaluated lists in its `one of` for
    that field (language.md, Validation), with a suggestion where a listed value is close.
    `runs` are the (agreement, incident data it reads) pairs evaluated."""
    listed: dict[str, set] = {}
    seen: dict[str, dict] = {}
    for ag, data in runs:
        for name, allowed in ag.one_of.items():
            listed.setdefault(name, set()).update(advice.value_key(v) for v in allowed)
            if data.get(name) is not None:
                for value in advice.field_values(data[name]):
                    seen.setdefault(name, {}).setdefault(advice.value_key(value), value)
    out = []
    for name, values in seen.items():
        candidates = [key[1] for key in listed[name] if key[0] == "s"]
        for key, value in values.items():
            if key not in listed[name]:
                out.append(Warning_(None, None, advice.one_of_message(
                    name, value, advice.closest(value, candidates)), name, value))
    return out


def party_violations(runs, known: frozenset) -> set[Violation]:
    """A field of type party must name an organisation known to the evaluation
    (interfaces.md): any other id is an input error, with a suggestion where one is close."""
    out = set()
    for ag, data in runs:
        for name in ag.party_fields:
            out.update(party_field_violations(name, data.get(name), known))
    return out


def party_field_violations(name: str, value, known: frozenset) -> list[Violation]:
    """The ids in one party field (or list of party) that name no known organisation."""
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    return [Violation(f"$.{name}" + (f"[{index}]" if index is not None else ""),
                      advice.unknown_party_message(item, advice.closest(item, known)), name, None)
            for index, item in items if isinstance(item, str) and item not in known]


def check_builtins(incident: Incident, languages=(None,)) -> set[Violation]:
    """Violations of the built-in fields in the CAP blocks that agreements in `languages` read
    (a bad value in a block nobody reads refuses nothing), named by their XML element; raised
    at once if `reported_at` is unusable, since without it no effective period can be judged."""
    violations = set()
    indexes = sorted({incident.block_index(lang) for lang in (languages or (None,))},
                     key=lambda i: -1 if i is None else i)
    for index in indexes:
        data = incident.data if index is None else incident.variants[index][1]
        violations.update(at_source(validate_document(data, BUILTIN_SCHEMA, "", BUILTIN_KEYS),
                                    incident, index))
    if any(v.field == "reported_at" for v in violations):
        raise_violations(violations)
    return violations


def at_source(violations, incident: Incident, index: int | None) -> list[Violation]:
    """Violations of a CAP alert's mapping named by the XML element the value came from
    (`info[2]/certainty: ...`), since the sender wrote XML, not JSON."""
    if index is None or index >= len(incident.sources):
        return list(violations)
    sources = incident.sources[index]
    out = []
    for v in violations:
        element = sources.get(v.field)
        head = f"$.{v.field}"
        if element and (v.path == head or v.path.startswith(head + "[")):
            v = Violation(element + v.path[len(head):], v.message, v.field, v.agreement)
        out.append(v)
    return out


def language_warnings(incident: Incident, languages) -> list[Warning_]:
    """A warning per agreement language that no <info> block of a CAP alert is in."""
    if not incident.variants:
        return []
    first = incident.variants[0][0]
    return [Warning_(None, None, f"no <info> block of the alert is in language '{lang}': "
                                 f"agreements in '{lang}' read the first block ('{first}')")
            for lang in sorted({lang for lang in languages if lang})
            if not incident.language_match(lang)]


def raise_violations(violations) -> None:
    ordered = sorted(violations, key=lambda v: (v.path, v.agreement or "", v.message))
    raise IncidentError([v.render() for v in ordered], ordered)


def as_incident(incident) -> Incident:
    return incident if isinstance(incident, Incident) else from_dict(incident)


def warning_key(w: Warning_) -> tuple:
    return (w.agreement or "", w.clause or "", w.message)


def finish(incident: Incident, at: datetime, duties, skipped, warnings, examined=0,
           total=0) -> Evaluation:
    """The result, in its deterministic order."""
    status = incident.data.get("status", "actual")
    ordered = tuple(sorted(set(warnings), key=warning_key))
    return Evaluation(
        incident=incident.id,
        evaluated_at=at,
        exercise=status in ("exercise", "test"),
        duties=tuple(sorted(duties, key=Duty.sort_key)),
        skipped=skipped if isinstance(skipped, OutOfEffect) else tuple(sorted(skipped)),
        warnings=ordered,
        clauses_examined=examined, clauses_total=total, signature=incident.signature)


def cancelled(incident: Incident, at: datetime | None) -> Evaluation:
    moment = at or _sent(incident)
    return finish(incident, moment, [], [], [Warning_(
        None, None, "this CAP message cancels the alert it references: it gives no duties")])


def _sent(incident: Incident) -> datetime:
    for key in ("reported_at",):
        if key in incident.data:
            try:
                return parse_time(incident.data[key])
            except ValueError:
                pass
    sent = (incident.data.get("cap") or {}).get("sent")
    try:
        return parse_time(sent)
    except (TypeError, ValueError):
        raise IncidentError("the CAP Cancel message has no valid <sent> time")


# ---------------------------------------------------------------- the linear reference

def known_parties(agreements: Iterable[CompiledAgreement]) -> frozenset:
    """The organisations an evaluation knows without a record: every agreement's parties."""
    return frozenset(p.id for ag in agreements for p in ag.parties)


def evaluate(incident, agreements: Iterable[CompiledAgreement], at: datetime | None = None,
             excluded: dict[str, frozenset] | None = None,
             known: frozenset | None = None) -> Evaluation:
    """Evaluate every clause of every agreement: the reference the index is tested against.
    `known` are the organisations a party field may name (default: the agreements' parties)."""
    incident = as_incident(incident)
    if incident.cancelled:
        return cancelled(incident, at)
    agreements = list(agreements)
    violations = check_builtins(incident, {ag.language for ag in agreements})
    if known is None:
        known = known_parties(agreements)
    moment = at or reported_at(incident.data)
    runs, skipped, warnings = [], [], []
    for ag in agreements:
        data = incident.for_language(ag.language)
        when = reported_at(data)
        reason = skip_reason(ag, when.date())
        if reason:
            skipped.append((ag.id, reason))
            continue
        violations.update(at_source(validate_document(data, dict(ag.schema), ag.id, BUILTIN_KEYS),
                                    incident, incident.block_index(ag.language)))
        runs.append((ag, data))
    if not violations:
        violations.update(party_violations(runs, known))
    if violations:
        raise_violations(violations)
    duties = []
    total = 0
    warnings.extend(one_of_warnings(runs))
    warnings.extend(language_warnings(incident, {ag.language for ag, _ in runs}))
    for ag, data in runs:
        run = AgreementRun(ag, data, moment, (excluded or {}).get(ag.id, frozenset()))
        for clause in ag.clauses:
            run.duties(clause)
        total += len(ag.clauses)
        duties.extend(run.all_duties())
        warnings.extend(run.warnings)
    return finish(incident, moment, duties, skipped, warnings, total, total)
