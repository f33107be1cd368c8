"""Who may do what, and who may see what: the one place the access rules live."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.errors import NotAllowed, NotFound
from agreements.models import Agreement, Duty, Incident, Organisation, Revision, User


def require_role(actor: User | None, *roles: str, doing: str) -> User:
    """The actor, if active and holding one of `roles`."""
    if actor is None or not actor.active:
        raise NotAllowed(f"you must be signed in to {doing}")
    if actor.role not in roles:
        wanted = ", ".join(roles[:-1]) + " or " + roles[-1] if len(roles) > 1 else roles[0]
        raise NotAllowed(f"only {_article(wanted)} {wanted} may {doing}; you are "
                         f"{_article(actor.role)} {actor.role}")
    return actor


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def current_party_ids(agreement: Agreement) -> set[str]:
    """The parties of the revision that matters now: out for signature, else in force, else latest."""
    revision = agreement.published_revision or agreement.executed_revision or agreement.latest_revision
    return set(revision.party_ids) if revision else set()


def can_see_agreement(user: User | None, agreement: Agreement) -> bool:
    if user is None or not user.active:
        return False
    if user.role != "partner":
        return True
    # A partner sees only agreements its organisation is party to, and never a mere draft.
    return (user.organisation_id in current_party_ids(agreement)
            and (agreement.published_revision_id is not None
                 or agreement.executed_revision_id is not None))


def can_see_revision(user: User | None, revision: Revision) -> bool:
    if not can_see_agreement(user, revision.agreement):
        return False
    if user.role != "partner":
        return True
    return revision.published_at is not None and user.organisation_id in revision.party_ids


def can_see_duty(user: User | None, duty: Duty) -> bool:
    if user is None or not user.active:
        return False
    return user.role != "partner" or duty.party_id == user.organisation_id


def can_see_incident(user: User | None, session: Session, incident: Incident) -> bool:
    if user is None or not user.active:
        return False
    if user.role != "partner":
        return True
    return session.scalar(select(Duty.id).where(Duty.incident_id == incident.id,
                                                Duty.party_id == user.organisation_id)
                          .limit(1)) is not None


def visible_agreements(session: Session, user: User | None) -> list[Agreement]:
    agreements = session.scalars(select(Agreement).order_by(Agreement.slug)).all()
    return [a for a in agreements if can_see_agreement(user, a)]


def visible_incidents(session: Session, user: User | None) -> list[Incident]:
    if user is None or not user.active:
        return []
    query = select(Incident).order_by(Incident.reported_at.desc(), Incident.id.desc())
    if user.role == "partner":
        query = query.where(Incident.id.in_(
            select(Duty.incident_id).where(Duty.party_id == user.organisation_id)))
    return list(session.scalars(query).all())


def visible_duties(user: User | None, duties) -> list[Duty]:
    return [d for d in duties if can_see_duty(user, d)]


def managed_organisation(session: Session, actor: User | None, org_id: str, *, what: str,
                         doing: str) -> Organisation:
    """The organisation whose `what` (contact points, feed tokens) the actor may manage: an
    administrator any, a partner its own; NotAllowed or NotFound otherwise."""
    require_role(actor, "admin", "partner", doing=doing)
    if actor.role == "partner" and actor.organisation_id != org_id:
        raise NotAllowed(f"a partner manages only its own organisation's {what}; you act for "
                         f"{actor.organisation_id or 'no organisation'}")
    org = session.get(Organisation, org_id) if org_id else None
    if org is None:
        raise NotFound(f"there is no organisation '{org_id}'")
    return org
