"""Who may do what, and who may see what: the one place the access rules live."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agreements.errors import NotAllowed, NotFound
from agreements.models import (Agreement, Duty, DutyBeneficiary, Incident, Organisation,
                               Revision, User)


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


def standing_revisions(agreement: Agreement) -> list[Revision]:
    """The revisions that bind or ask now: the one out for signature and the one in force."""
    return [r for r in (agreement.published_revision, agreement.executed_revision)
            if r is not None]


def current_party_ids(agreement: Agreement) -> set[str]:
    """The parties of every revision that matters now: out for signature and in force (a party
    an amendment drops stays a party of the revision still in force); else of the latest."""
    standing = standing_revisions(agreement)
    if standing:
        return set().union(*(r.party_ids for r in standing))
    revision = agreement.latest_revision
    return set(revision.party_ids) if revision else set()


def can_see_agreement(user: User | None, agreement: Agreement) -> bool:
    if user is None or not user.active:
        return False
    if user.role != "partner":
        return True
    # A partner sees only agreements its organisation is party to, through a revision out for
    # signature or in force, and never a mere draft.
    return any(user.organisation_id in r.party_ids for r in standing_revisions(agreement))


def can_see_revision(user: User | None, revision: Revision) -> bool:
    if not can_see_agreement(user, revision.agreement):
        return False
    if user.role != "partner":
        return True
    # Only a revision its organisation is party to: a party an amendment adds does not see the
    # revision in force (nor its signatures), one it drops does not see the amendment.
    return revision.published_at is not None and user.organisation_id in revision.party_ids


def shown_revision(user: User | None, agreement: Agreement) -> Revision | None:
    """The revision a page names the agreement by: for staff the latest; for a partner the one
    out for signature, else the one in force, among those it is party to (never a draft)."""
    if user is not None and user.role != "partner":
        return agreement.latest_revision
    return next((r for r in standing_revisions(agreement) if can_see_revision(user, r)), None)


def can_see_duty(user: User | None, duty: Duty) -> bool:
    """Staff see every duty; a partner its organisation's, and those owed to it (read only:
    only a duty's own party acts on it, agreements.duties.change_duty)."""
    if user is None or not user.active:
        return False
    return (user.role != "partner" or duty.party_id == user.organisation_id
            or user.organisation_id in (getattr(duty, "owed_to", None) or ()))


def partner_duties(organisation_id: str | None):
    """The SQL condition on Duty of what a partner sees: its own duties and those owed to it."""
    return or_(Duty.party_id == organisation_id, Duty.id.in_(
        select(DutyBeneficiary.duty_id).where(DutyBeneficiary.party_id == organisation_id)))


def can_see_incident(user: User | None, session: Session, incident: Incident) -> bool:
    if user is None or not user.active:
        return False
    if user.role != "partner":
        return True
    return session.scalar(select(Duty.id).where(Duty.incident_id == incident.id,
                                                partner_duties(user.organisation_id))
                          .limit(1)) is not None


def has_own_duty(user: User | None, session: Session, incident: Incident) -> bool:
    """Whether the user's organisation has (or had) a duty of its own in the incident."""
    if user is None or not user.active or user.organisation_id is None:
        return False
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
            select(Duty.incident_id).where(partner_duties(user.organisation_id))))
    return list(session.scalars(query).all())


def visible_duties(user: User | None, duties, owed=frozenset()) -> list[Duty]:
    """The duties (or rows of duty columns) the user may see; `owed` are the ids of those owed
    to a partner's organisation, for rows that do not carry their beneficiaries."""
    return [d for d in duties if can_see_duty(user, d) or d.id in owed]


def owed_duty_ids(session: Session, user: User | None, duty_ids) -> set[int]:
    """Of these duties, the ids of those owed to the partner's organisation (none for staff)."""
    if user is None or user.role != "partner" or not duty_ids:
        return set()
    return set(session.scalars(select(DutyBeneficiary.duty_id).where(
        DutyBeneficiary.party_id == user.organisation_id,
        DutyBeneficiary.duty_id.in_(list(duty_ids)))))


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
