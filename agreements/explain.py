"""Why not, for a recorded incident: who else could have been tasked by the agreements in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from agreements import compiled as cache
from agreements.access import require_role
from agreements.clock import moment
from agreements.errors import Invalid
from agreements.incidents import (_evaluation_time, _reported_at, executed_in_force,
                                  latest_facts, withdrawn)
from agreements.models import Incident, User
from engine.whynot import Answer, WhyNotError


@dataclass(frozen=True)
class WhyNotReport:
    """Answers for one incident, with what was asked and what could be asked."""

    answers: list[Answer]
    evaluated_at: datetime
    agreements: list[str]  # every agreement in force, for the question form
    asked: tuple[str | None, str | None, str | None]


def why_not(session: Session, actor: User, incident: Incident, agreement: str | None = None,
            clause: str | None = None, party: str | None = None, *,
            now: datetime | None = None) -> WhyNotReport:
    """Why a clause gave no duty (to a party), against the agreements in force and the
    incident's latest message. Without an agreement: for every agreement that gave this
    incident a duty: each clause that gave nobody a duty, and each party that a clause's role
    (read from the incident) left out; a clause that names its parties outright is not asked."""
    require_role(actor, "coordinator", "admin", doing="ask why a party was not tasked")
    parsed = latest_facts(incident)
    at = moment(now)
    at = _reported_at(parsed, at) if incident.state == "past" else _evaluation_time(parsed, at)
    revisions = executed_in_force(session)
    library = cache.library(revisions)
    gone = withdrawn(session, at)
    excluded = {r.slug: gone[r.agreement_id] for r in revisions if r.agreement_id in gone}
    slugs = sorted(r.slug for r in revisions)
    try:
        if agreement:
            answers = library.why_not(parsed, agreement, clause or None, party or None, at=at,
                                      excluded=excluded)
        else:
            answers = _untasked(library, parsed, incident, at, excluded)
    except WhyNotError as exc:
        raise Invalid(str(exc), [str(exc)]) from None
    return WhyNotReport(answers, at, slugs, (agreement, clause, party))


def _untasked(library, parsed, incident: Incident, at, excluded) -> list[Answer]:
    """For each agreement that tasked someone here: every party it did not task, per clause."""
    live = [d for d in incident.duties if d.state != "superseded"]
    tasked = {}
    for duty in live:
        tasked.setdefault(duty.agreement_slug, set()).add((duty.clause, duty.party_id))
    by_id = {a.id: a for a in library.agreements}
    out = []
    for slug in sorted(tasked):
        compiled = by_id.get(slug)
        if compiled is None:
            continue
        for clause in compiled.clauses:
            [whole] = library.why_not(parsed, slug, clause.id, at=at, excluded=excluded)
            if not whole.gave_duty:
                out.append(whole)  # the clause gave nobody a duty: one reason for all
                continue
            role = compiled.roles.get(clause.subject)
            if role is None or role.kind == "fixed":
                continue  # it names its parties outright: nobody else could have been tasked
            for party in compiled.parties:
                if (clause.id, party.id) not in tasked[slug]:
                    out.extend(library.why_not(parsed, slug, clause.id, party.id, at=at,
                                               excluded=excluded))
    return out
