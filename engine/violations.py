"""Every violation of an incident at once, and the fields each agreement reads: for forms that say all that is wrong in one round."""

from __future__ import annotations

from engine import conditions as C
from engine.compiler import CompiledAgreement
from engine.evaluator import (BUILTIN_SCHEMA, as_incident, at_source, party_field_violations,
                              reported_at, skip_reason)
from engine.incident_types import IncidentError
from engine.schema import BUILTIN_KEYS, Violation, validate_document


def fields_read(agreement: CompiledAgreement) -> frozenset[str]:
    """The incident fields an agreement declares or reads: in a clause's conditions (through its
    triggers), a role (`is incident.requested_by`, `where ...`), or a deadline's anchor."""
    names = {name for name, info in agreement.fields.items() if not info.builtin}
    paths: list = []
    for clause in agreement.clauses:
        paths += C.paths_of(clause.when)
        if clause.unless is not None:
            paths += C.paths_of(clause.unless)
        for term in clause.deadline.singles() if clause.deadline is not None else ():
            if term.field:
                names.add(term.field)
    for role in agreement.roles.values():
        if role.path is not None:
            paths.append(role.path)
        if role.condition is not None:
            paths += C.paths_of(role.condition)
    names.update(p.field for p in paths if isinstance(p, C.PathOperand) and p.root == "incident")
    return frozenset(names)


def every_violation(incident, agreements, known: frozenset) -> list[Violation]:
    """All the violations the evaluation would refuse the incident for, without stopping at
    the first kind: the built-in fields, every agreement's declared fields and the party
    fields together. An agreement out of effect on the incident's day is left out as the
    evaluation leaves it out; if `reported_at` cannot be read, every agreement is checked."""
    incident = as_incident(incident)
    if incident.cancelled:
        return []
    agreements = list(agreements)
    indexes = sorted({incident.block_index(a.language) for a in agreements} or {None},
                     key=lambda i: -1 if i is None else i)
    found: set[Violation] = set()
    for index in indexes:
        data = incident.data if index is None else incident.variants[index][1]
        found.update(at_source(validate_document(data, BUILTIN_SCHEMA, "", BUILTIN_KEYS),
                               incident, index))
    for agreement in agreements:
        data = incident.for_language(agreement.language)
        try:
            day = reported_at(data).date()
        except (KeyError, TypeError, ValueError, IncidentError):
            day = None
        if day is not None and skip_reason(agreement, day):
            continue
        found.update(at_source(validate_document(data, dict(agreement.schema), agreement.id,
                                                 BUILTIN_KEYS),
                               incident, incident.block_index(agreement.language)))
        for name in agreement.party_fields:
            found.update(party_field_violations(name, data.get(name), known))
    return sorted(found, key=lambda v: (v.path, v.agreement or "", v.message))
