"""A revision's agreement in plain words for a page: the PDF's document model, for those who may see it."""

from __future__ import annotations

from agreements.access import can_see_revision
from agreements.documents import _executed_at, _signature_records
from agreements.errors import Invalid, NotFound
from agreements.models import Revision, User
from agreements.pdf import document_context
from engine.compiler import load


def document_model(revision: Revision) -> dict:
    """Everything the revision's PDF prints, worded by agreements.pdf (the same recitals, role
    definitions, clause summaries, annex and signature blocks), for an HTML template."""
    if revision.error_count:
        raise Invalid(f"revision {revision.number} of '{revision.agreement.slug}' has errors, so "
                      f"it cannot be read in plain words; its text shows where",
                      revision.diagnostics.splitlines())
    agreement = load(revision.source, f"{revision.agreement.slug}.agreement")
    return document_context(agreement, revision.number, _signature_records(revision),
                            _executed_at(revision))


def plain_document(actor: User | None, revision: Revision) -> dict:
    """The document model, if the actor may see the revision; else the 404 a missing one gets."""
    if not can_see_revision(actor, revision):
        raise NotFound(f"agreement '{revision.agreement.slug}' has no revision {revision.number}")
    return document_model(revision)

