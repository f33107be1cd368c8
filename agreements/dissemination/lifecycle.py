"""What the parties hear of an agreement's life: a revision awaiting their signature, the
agreement executed, a party's notice of withdrawal (dissemination.md, "What is sent")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.dissemination.outbox import (agreement_contact, enqueue_agreement,
                                             party_destinations, user_destinations)
from agreements.models import Agreement, Revision, User, Withdrawal


def _parties(session: Session, revision: Revision, party_ids) -> list:
    out = []
    for party in party_ids:
        contact = agreement_contact(session, party, revision.content_hash,
                                    lambda: revision.source, revision.agreement.slug)
        out += party_destinations(session, party, contact=contact)
    return out


def awaiting_signature(session: Session, agreement: Agreement, revision: Revision,
                       at: datetime) -> int:
    """To the partner users of each party still to sign."""
    signed = {s.party_id for s in revision.signatures}
    waiting = [p for p in revision.party_ids if p not in signed]
    destinations = []
    for party in waiting:
        destinations += user_destinations(session, select(User).where(
            User.organisation_id == party, User.role == "partner"), "user")
    return len(enqueue_agreement(
        session, "revision.awaiting_signature", agreement.slug, destinations, at,
        title="Awaiting your signature",
        body=f"Revision {revision.number} of '{agreement.slug}' is out for signature; "
             f"{len(waiting)} of {len(revision.party_ids)} parties are still to sign: "
             f"{', '.join(waiting)}."))


def executed(session: Session, agreement: Agreement, revision: Revision, at: datetime) -> int:
    """To every party: the agreement is in force."""
    return len(enqueue_agreement(
        session, "agreement.executed", agreement.slug,
        _parties(session, revision, revision.party_ids), at, title="Agreement executed",
        body=f"Every party has signed revision {revision.number} of '{agreement.slug}': it is "
             f"executed and in force from {at:%Y-%m-%d %H:%M} UTC."))


def withdrawal_notice(session: Session, agreement: Agreement, revision: Revision,
                      withdrawal: Withdrawal, at: datetime) -> int:
    """To every party: one of them has given notice."""
    reason = f" Reason given: {withdrawal.reason}" if withdrawal.reason else ""
    return len(enqueue_agreement(
        session, "agreement.withdrawal_notice", agreement.slug,
        _parties(session, revision, revision.party_ids), at, title="Notice of withdrawal",
        body=f"{withdrawal.party_id} gave notice of withdrawal from '{agreement.slug}' on "
             f"{withdrawal.notice_at:%Y-%m-%d %H:%M} UTC; it stops being a party on "
             f"{withdrawal.effective_at:%Y-%m-%d %H:%M} UTC.{reason}"))
