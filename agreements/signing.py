"""Signing and withdrawal: who binds themselves to which revision, and when they stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import require_role
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.compiled import compiled
from agreements.dissemination import lifecycle
from agreements.drafting import get_agreement
from agreements.errors import Conflict, Invalid, NotAllowed
from agreements.models import Revision, Signature, User, Withdrawal
from engine.deadlines import add_duration


@dataclass(frozen=True)
class SignatureSlot:
    party_id: str
    party_name: str
    signature: Signature | None


def signature_slots(revision: Revision) -> list[SignatureSlot]:
    """One slot per party of the revision, in the order the agreement lists them."""
    signed = {s.party_id: s for s in revision.signatures}
    return [SignatureSlot(p, name, signed.get(p)) for p, name in revision.parties]


@operation
def sign(session: Session, actor: User, slug: str, number: int, *, signer_name: str,
         signer_title: str, consent: bool, address: str | None = None,
         now: datetime | None = None) -> Signature:
    """A partner signs the revision out for signature for its own organisation, once."""
    require_role(actor, "partner", doing="sign an agreement")
    at = moment(now)
    agreement = get_agreement(session, slug, for_update=True)
    revision = agreement.published_revision
    if revision is None or agreement.state != "out_for_signature":
        raise Conflict(f"'{slug}' has no revision out for signature")
    if revision.number != number:
        raise Conflict(f"revision {number} of '{slug}' is not the one out for signature "
                       f"(revision {revision.number} is); read it and sign that one")
    party = actor.organisation_id
    if party not in revision.party_ids:
        raise NotAllowed(f"your organisation ({party or 'none'}) is not a party of '{slug}'")
    signer_name, signer_title = (signer_name or "").strip(), (signer_title or "").strip()
    missing = [w for w, v in (("your name", signer_name), ("your title", signer_title)) if not v]
    if missing:
        raise Invalid(f"to sign, give {' and '.join(missing)}")
    if consent is not True:
        raise Invalid("to sign, confirm that you consent to be bound on behalf of your "
                      "organisation")
    earlier = session.scalar(select(Signature).where(Signature.revision_id == revision.id,
                                                     Signature.party_id == party))
    if earlier is not None:
        raise Conflict(f"{earlier.signer_name} already signed revision {number} of '{slug}' for "
                       f"{party} on {earlier.signed_at:%Y-%m-%d %H:%M} UTC")
    signature = Signature(revision=revision, party_id=party, user_id=actor.id,
                          signer_name=signer_name[:200], signer_title=signer_title[:200],
                          consent=True, content_hash=revision.content_hash,
                          address=(address or None), signed_at=at)
    session.add(signature)
    session.flush()
    record(session, actor, "revision.sign", revision, at=at, agreement=slug,
           revision_hash=revision.content_hash, party=party, signer=signer_name,
           title=signer_title, address=address)
    session.refresh(revision, ["signatures"])
    if {s.party_id for s in revision.signatures} >= set(revision.party_ids):
        agreement.state = "executed"
        agreement.executed_revision = revision
        agreement.published_revision = None
        agreement.executed_at = at
        record(session, actor, "agreement.execute", revision, at=at, agreement=slug,
               revision_hash=revision.content_hash, number=number,
               reason="every party has signed")
        lifecycle.executed(session, agreement, revision, at)
    return signature


def withdrawal_effective_at(revision: Revision, notice_at: datetime) -> datetime:
    """Notice time plus the agreement's `withdrawal notice` period (at once when it has none)."""
    period = compiled(revision).withdrawal_notice
    if period is None:
        return notice_at
    amount, unit = period
    return add_duration(notice_at, amount, unit)


@operation
def withdraw(session: Session, actor: User, slug: str, *, reason: str = "",
             party_id: str | None = None, now: datetime | None = None) -> Withdrawal:
    """A party gives notice; it stops being a party once the notice period has run."""
    require_role(actor, "partner", "admin", doing="give notice of withdrawal")
    at = moment(now)
    agreement = get_agreement(session, slug, for_update=True)
    revision = agreement.executed_revision
    if revision is None:
        raise Conflict(f"'{slug}' has not been executed, so there is nothing to withdraw from")
    if actor.role == "partner":
        if party_id not in (None, actor.organisation_id):
            raise NotAllowed("a partner gives notice only for its own organisation")
        party_id = actor.organisation_id
    if party_id is None:
        raise Invalid("say which party gives notice")
    if party_id not in revision.party_ids:
        raise NotAllowed(f"{party_id} is not a party of '{slug}'")
    earlier = session.scalar(select(Withdrawal).where(Withdrawal.agreement_id == agreement.id,
                                                      Withdrawal.party_id == party_id))
    if earlier is not None:
        raise Conflict(f"{party_id} already gave notice on {earlier.notice_at:%Y-%m-%d %H:%M} UTC, "
                       f"effective {earlier.effective_at:%Y-%m-%d %H:%M} UTC")
    withdrawal = Withdrawal(agreement=agreement, party_id=party_id, revision_id=revision.id,
                            user_id=actor.id, reason=(reason or "").strip(), notice_at=at,
                            effective_at=withdrawal_effective_at(revision, at))
    session.add(withdrawal)
    session.flush()
    record(session, actor, "agreement.withdraw", withdrawal, at=at, agreement=slug,
           revision_hash=revision.content_hash, party=party_id,
           effective_at=withdrawal.effective_at, reason=withdrawal.reason)
    lifecycle.withdrawal_notice(session, agreement, revision, withdrawal, at)
    return withdrawal
