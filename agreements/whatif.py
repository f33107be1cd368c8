"""What-if: how a revision would change whose duties past incidents gave, before it is signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.compiled import compiled
from agreements.drafting import get_agreement
from agreements.errors import Invalid, NotFound
from agreements.incidents import parse_incident
from agreements.models import Incident, User
from engine.evaluator import Duty, evaluate
from engine.incidents import IncidentError

# v2: whom it is owed to, and (evaluated as of a later time) its status and what follows it
_COMPARED = ("modality", "action", "role", "due", "costs", "to", "status", "consequence")


@dataclass(frozen=True)
class DutyChange:
    before: Duty
    after: Duty

    @property
    def changed(self) -> list[str]:
        return [f for f in _COMPARED if getattr(self.before, f) != getattr(self.after, f)]


@dataclass
class IncidentDiff:
    incident: str
    added: list[Duty] = field(default_factory=list)
    removed: list[Duty] = field(default_factory=list)
    changed: list[DutyChange] = field(default_factory=list)
    unchanged: int = 0
    note: str | None = None  # why nothing could be compared, e.g. the incident does not fit

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        return {"incident": self.incident, "added": [d.as_dict() for d in self.added],
                "removed": [d.as_dict() for d in self.removed],
                "changed": [{"before": c.before.as_dict(), "after": c.after.as_dict(),
                             "fields": c.changed} for c in self.changed],
                "unchanged": self.unchanged, "note": self.note}


def _duties(agreements, parsed, excluded=None, at: datetime | None = None) -> dict:
    """(clause, party, occurrence) -> the duty: each occurrence of a recurring duty apart."""
    if not agreements:
        return {}
    result = evaluate(parsed, agreements, at=at, excluded=excluded)
    return {(d.clause, d.party, d.occurrence or 0): d for d in result.duties}


@operation
def what_if(session: Session, actor: User, slug: str, number: int, *,
            incident_keys: list[str] | None = None, now: datetime | None = None,
            as_of: datetime | None = None) -> list[IncidentDiff]:
    """Evaluate past incidents with revision `number` instead of the revision in force (or none),
    each at its report time, and say whose duties would be added, removed or changed.

    With `as_of`, each incident reported before it is evaluated at that time instead: what
    its clock would have brought by then (occurrences of recurring duties, breaches and
    lapses, the duties that follow them, and consequences) is compared too."""
    require_role(actor, "drafter", "coordinator", "admin", doing="run a what-if evaluation")
    at = moment(now)
    agreement = get_agreement(session, slug)
    candidate = next((r for r in agreement.revisions if r.number == number), None)
    if candidate is None:
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    if candidate.error_count:
        raise Invalid(f"revision {number} has errors; fix them before a what-if",
                      candidate.diagnostics.splitlines())
    baseline = [compiled(agreement.executed_revision)] if agreement.executed_revision else []
    draft = [compiled(candidate)]
    query = select(Incident).order_by(Incident.reported_at, Incident.id)
    if incident_keys:
        query = query.where(Incident.key.in_(incident_keys))
    incidents = session.scalars(query).all()
    if incident_keys:
        missing = sorted(set(incident_keys) - {i.key for i in incidents})
        if missing:
            raise NotFound(f"no incident {', '.join(repr(k) for k in missing)}")
    diffs = []
    for incident in incidents:
        diff = IncidentDiff(incident.key)
        parsed = parse_incident(incident.latest_message.received)
        when = as_of if as_of is not None and as_of > incident.reported_at else None
        try:
            before = _duties(baseline, parsed, at=when)
            after = _duties(draft, parsed, at=when)
        except IncidentError as exc:
            diff.note = "cannot be compared: " + "; ".join(exc.messages)
            diffs.append(diff)
            continue
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old is None:
                diff.added.append(new)
            elif new is None:
                diff.removed.append(old)
            elif any(getattr(old, f) != getattr(new, f) for f in _COMPARED):
                diff.changed.append(DutyChange(old, new))
            else:
                diff.unchanged += 1
        diffs.append(diff)
    record(session, actor, "agreement.what_if", candidate, at=at, agreement=slug,
           revision_hash=candidate.content_hash, number=number, incidents=len(diffs),
           differing=sum(1 for d in diffs if d.differs))
    return diffs
