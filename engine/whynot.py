"""Why an agreement, clause or party gave no duty: the first condition that failed, with the value read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import advice
from engine import conditions as C
from engine.compiler import Clause, CompiledAgreement
from engine.evaluator import AgreementRun, as_incident, reported_at, skip_reason


class WhyNotError(Exception):
    """A question that names no agreement, clause or party of the library."""


@dataclass(frozen=True)
class Answer:
    """The answer for one clause (and party): whether it gave a duty, and why or why not."""

    agreement: str
    clause: str | None
    party: str | None
    gave_duty: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"agreement": self.agreement, "clause": self.clause, "party": self.party,
                "gave_duty": self.gave_duty, "reasons": list(self.reasons)}

    def text(self) -> str:
        where = self.agreement + (f".{self.clause}" if self.clause else "")
        who = f" for {self.party}" if self.party else ""
        head = f"{where}{who}: " + ("gave a duty" if self.gave_duty else "no duty")
        return "\n".join([head, *(f"  {r}" for r in self.reasons)])


# ---------------------------------------------------------------- conditions

def failure(cond: C.Cond, ctx) -> str:
    """Why a condition that does not hold failed, naming the first failing part and the
    values it read: `incident.severity >= severe was false (was moderate)`."""
    if isinstance(cond, C.Parens):
        return failure(cond.item, ctx)
    if isinstance(cond, C.AllOf):
        for item in cond.items:
            if not item.holds(ctx):
                return failure(item, ctx)
        return f"{cond.text} was false"
    if isinstance(cond, C.AnyOf):
        return "none held: " + "; ".join(failure(i, ctx) for i in cond.items)
    if isinstance(cond, C.TriggerCall):
        inner = failure(cond.cond, ctx)
        if inner.startswith("trigger ") and " did not hold: " in inner:
            # A trigger defined by another: one level, `trigger requested › declared ...`.
            return f"trigger {cond.name} › {inner[len('trigger '):]}"
        return f"trigger {cond.name} did not hold: {inner}"
    if isinstance(cond, C.Negation):
        return f"{cond.text} was false, because {cond.item.explain(ctx)}"
    if isinstance(cond, C.BreachedClause):
        if cond.lapsed:
            return (f"lapsed {cond.clause} was false (no permission of clause {cond.clause} is "
                    "past its due time unexercised)")
        return (f"breached {cond.clause} was false (no duty of clause {cond.clause} is past "
                "its due time unfulfilled)")
    if isinstance(cond, C.IsGiven):
        if cond.negated:
            return f"{cond.text} was false (was {C.show(cond.path.raw(ctx), cond.path.type)})"
        return f"{cond.text} was false (it is not given)"
    if isinstance(cond, (C.Comparison, C.Overlap)):
        return f"{cond.text} was false{cond.values(ctx)}"
    return f"{cond.text} was false"


# ---------------------------------------------------------------- roles

def _excluded_by(run: AgreementRun, role, party: str) -> str | None:
    for member in role.members:
        if party in run.resolve(member):
            return member
    return None


def role_failure(run: AgreementRun, subject: str, party: str) -> str:
    """Why `party` is not among the parties `subject` (a role or a party id) names."""
    ag = run.agreement
    if party not in ag.party_index:
        return f"{party} is not a party of agreement {ag.id}"
    if party in run.excluded:
        return f"{party} has withdrawn from agreement {ag.id}"
    role = ag.roles.get(subject)
    if role is None:
        return f"the clause names {subject}, not {party}"
    head = f"role {role.id} is {role.text}"
    if role.kind == "fixed":
        if any(m in ag.roles for m in role.members):
            return f"{head}; {party} is none of these"
        return f"{head}, which does not list {party}"
    if role.kind == "field":
        value = role.path.raw(run)
        return f"{head} (was {C.show(value, None)}), which does not name {party}"
    if role.kind == "where":
        run.party = ag.party_index[party]
        try:
            return f"{head}; for {party}: {failure(role.condition, run)}"
        finally:
            run.party = None
    if role.kind == "except":
        member = _excluded_by(run, role, party)
        return f"{head}; {party} is left out because it is {member}" if member else head
    area = role.path.raw(run)
    mine = ag.party_index[party].attributes.get("area")
    return (f"{head}; {party}'s area {C.show(mine if mine is not None else C.MISSING, None)} "
            f"does not intersect {role.path.text} (was {C.show(area, None)})")


def empty_role(run: AgreementRun, subject: str) -> str:
    """Why a role names no party at all for this incident."""
    ag = run.agreement
    role = ag.roles.get(subject)
    if role is None:
        return f"party {subject} has withdrawn from agreement {ag.id}"
    head = f"role {role.id} names no party (role {role.id} is {role.text}"
    if role.kind == "field":
        value = role.path.raw(run)
        if value is C.MISSING or value is None:
            return f"{head}; {role.path.text} is not given)"
        return f"{head}; {role.path.text} was {C.show(value, None)}, not a party of {ag.id})"
    return head + ")"


# ---------------------------------------------------------------- clauses

def clause_answer(run: AgreementRun, clause: Clause, party: str | None) -> Answer:
    ag = run.agreement
    if not clause.when.holds(run):
        return Answer(ag.id, clause.id, party, False,
                      (f"when {clause.when.text}: {failure(clause.when, run)}",))
    if clause.unless is not None and clause.unless.holds(run):
        return Answer(ag.id, clause.id, party, False,
                      (f"unless {clause.unless.text} held: {clause.unless.explain(run)}",))
    parties = run.resolve(clause.subject)
    duties = {d.party: d for d in run.duties(clause)}
    if party is None:
        if not parties:
            return Answer(ag.id, clause.id, None, False, (empty_role(run, clause.subject),))
        return Answer(ag.id, clause.id, None, True, tuple(
            f"{p} {clause.modality} {clause.action!r} ({duties[p].status})" for p in parties))
    if party in parties:
        return Answer(ag.id, clause.id, party, True,
                      (f"{party} {clause.modality} {clause.action!r} ({duties[party].status})",))
    return Answer(ag.id, clause.id, party, False, (role_failure(run, clause.subject, party),))


def why_not(agreements, incident, agreement: str, clause: str | None = None,
            party: str | None = None, at: datetime | None = None,
            excluded: dict[str, frozenset] | None = None) -> list[Answer]:
    """For one agreement (every clause, or one) and optionally one party: whether each clause
    gave a duty, and if not, why not. The incident must be valid (evaluate it first)."""
    by_id = {a.id: a for a in agreements}
    ag: CompiledAgreement | None = by_id.get(agreement)
    if ag is None:
        raise WhyNotError(f"there is no agreement '{agreement}' here"
                          + advice.hint(advice.closest(agreement, by_id)))
    if clause is not None and clause not in ag.clause_index:
        raise WhyNotError(f"agreement {agreement} has no clause '{clause}'"
                          + advice.hint(advice.closest(clause, ag.clause_index)))
    incident = as_incident(incident)
    clauses = [ag.clause_index[clause]] if clause else list(ag.clauses)
    if incident.cancelled:
        return [Answer(ag.id, c.id, party, False,
                       ("the CAP message cancels the alert: it gives no duties",))
                for c in clauses]
    data = incident.for_language(ag.language)
    reason = skip_reason(ag, reported_at(data).date())
    if reason:
        return [Answer(ag.id, c.id, party, False, (reason,)) for c in clauses]
    run = AgreementRun(ag, data, at or reported_at(incident.data),
                       (excluded or {}).get(ag.id, frozenset()))
    return [clause_answer(run, c, party) for c in clauses]


def nothing_given(agreements, incident, at: datetime | None = None,
                  excluded: dict[str, frozenset] | None = None) -> list[tuple[str, list[str]]]:
    """For an evaluation that gave no duty: per agreement, why it gave nothing (not in effect;
    or per clause the first failing condition, an exception that held, a role naming nobody)."""
    incident = as_incident(incident)
    out = []
    for ag in sorted(agreements, key=lambda a: a.id):
        if not incident.cancelled:
            reason = skip_reason(ag, reported_at(incident.for_language(ag.language)).date())
            if reason:
                out.append((ag.id, [reason]))
                continue
        answers = why_not([ag], incident, ag.id, at=at, excluded=excluded)
        out.append((ag.id, [f"{a.clause}: {r}" for a in answers for r in a.reasons]
                    or ["it has no clauses"]))
    return out
