"""Agreement PDFs on record: rendered once per revision and signature state, sealed when executed."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements.access import can_see_revision
from agreements.audit import operation, record
from agreements.clock import moment
from agreements.db import instance_path
from agreements.drafting import get_revision
from agreements.errors import Conflict, Invalid, NotAllowed
from agreements.models import Revision, StoredPdf, User
from agreements.pdf import SignatureRecord, render_pdf
from agreements.seal import SealIdentity, Verification, ensure_identity, seal_pdf, verify_pdf


def seal_identity() -> SealIdentity:
    """The deployment's certificate: configured by path (COMPACT_SEAL_KEY and COMPACT_SEAL_CERT),
    or a self-signed one created on first run in the instance folder."""
    key, cert = os.environ.get("COMPACT_SEAL_KEY"), os.environ.get("COMPACT_SEAL_CERT")
    if bool(key) != bool(cert):
        raise Invalid("set both COMPACT_SEAL_KEY and COMPACT_SEAL_CERT, or neither")
    return ensure_identity(instance_path() / "seal", key_path=Path(key) if key else None,
                           cert_path=Path(cert) if cert else None)


def _signature_records(revision: Revision) -> list[SignatureRecord]:
    return [SignatureRecord(party_id=s.party_id, signer_name=s.signer_name,
                            signer_title=s.signer_title, signed_at=s.signed_at,
                            user=s.user.email, address=s.address, content_hash=s.content_hash)
            for s in revision.signatures]


def _executed_at(revision: Revision) -> datetime | None:
    agreement = revision.agreement
    return agreement.executed_at if agreement.executed_revision_id == revision.id else None


def _variant(signatures: list[SignatureRecord], executed_at: datetime | None) -> str:
    """A digest of everything besides the revision that the PDF shows."""
    shown = [[s.party_id, s.signer_name, s.signer_title, s.signed_at.isoformat(), s.user,
              s.address] for s in signatures]
    payload = json.dumps([shown, executed_at.isoformat() if executed_at else None])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes
    sealed: bool
    sha256: str


def _document(revision: Revision, stored: StoredPdf) -> Document:
    state = "executed" if stored.sealed else "draft" if not revision.signatures else "signing"
    name = f"{revision.agreement.slug}-r{revision.number}-{state}.pdf"
    return Document(name, stored.data, stored.sealed, stored.sha256)


def revision_pdf(session: Session, actor: User, slug: str, number: int, *,
                 now: datetime | None = None) -> Document:
    """The revision's PDF as it stands: from storage when already rendered, else rendered now."""
    revision = get_revision(session, slug, number)
    if not can_see_revision(actor, revision):
        raise NotAllowed(f"you may not see revision {number} of '{slug}'")
    if revision.error_count:
        raise Invalid(f"revision {number} of '{slug}' has errors, so it has no PDF",
                      revision.diagnostics.splitlines())
    signatures = _signature_records(revision)
    executed_at = _executed_at(revision)
    variant = _variant(signatures, executed_at)
    stored = session.scalar(select(StoredPdf).where(StoredPdf.revision_id == revision.id,
                                                    StoredPdf.variant == variant))
    if stored is None:
        try:
            stored = _render_and_store(session, actor, revision.id, signatures, executed_at,
                                       variant, now=now)
        except Conflict:
            # Somebody rendered the same state at the same moment; theirs is as good.
            stored = session.scalar(select(StoredPdf).where(
                StoredPdf.revision_id == revision.id, StoredPdf.variant == variant))
    return _document(revision, stored)


@operation
def _render_and_store(session: Session, actor: User, revision_id: int, signatures, executed_at,
                      variant: str, *, now: datetime | None = None) -> StoredPdf:
    at = moment(now)
    revision = session.get(Revision, revision_id)
    data = render_pdf(revision.source, revision_number=revision.number, signatures=signatures,
                      executed_at=executed_at, filename=f"{revision.agreement.slug}.agreement")
    sealed = executed_at is not None
    if sealed:
        data = seal_pdf(data, seal_identity())
    stored = StoredPdf(revision_id=revision.id, variant=variant, sealed=sealed,
                       sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=at)
    session.add(stored)
    session.flush()
    record(session, actor, "revision.render_pdf", revision, at=at,
           agreement=revision.agreement.slug, revision_hash=revision.content_hash,
           number=revision.number, sealed=sealed, sha256=stored.sha256)
    return stored


@dataclass(frozen=True)
class VerifiedDocument:
    verification: Verification
    revision: Revision | None

    @property
    def valid(self) -> bool:
        return self.verification.valid and self.revision is not None

    @property
    def message(self) -> str:
        v = self.verification
        if not v.valid:
            return v.message
        if self.revision is None:
            return (f"{v.message} But its content hash {v.content_hash} names no revision "
                    f"on record here.")
        r = self.revision
        return (f"{v.message} Its content hash {r.content_hash} names revision {r.number} of "
                f"'{r.agreement.slug}' ({r.title}).")


def verify_document(session: Session | None, pdf: bytes,
                    trusted: list[Path] | None = None) -> VerifiedDocument:
    """Check the seal against the deployment's certificate (and any others trusted), and look up
    the revision its content hash names."""
    certs = list(trusted or [])
    certs.append(seal_identity().cert_path)
    verification = verify_pdf(pdf, certs)
    revision = None
    if session is not None and verification.content_hash:
        candidates = session.scalars(select(Revision).where(
            Revision.content_hash == verification.content_hash).order_by(Revision.id)).all()
        # One text can recur (a revision put back as it was); prefer the number the PDF names.
        named = [r for r in candidates if r.number == verification.revision_number
                 and r.agreement.slug == verification.agreement_id]
        revision = (named or candidates or [None])[0]
    return VerifiedDocument(verification, revision)
