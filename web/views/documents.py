"""The agreement in plain words: a revision's PDF content as an accessible, printable page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from agreements.errors import OperationError
from agreements.plain_document import plain_document
from web.errors import error_response
from web.filters import sentence
from web.views.agreements import _visible_revision

bp = Blueprint("documents", __name__)


def _state(agreement, revision) -> tuple[str, str]:
    """(words, badge class) for where the revision stands."""
    if agreement.executed_revision_id == revision.id:
        return "in force", "state-executed"
    if agreement.published_revision_id == revision.id:
        return "out for signature", "state-out_for_signature"
    if revision.published_at is not None:
        return "published, superseded", "muted"
    return "draft", "state-draft"


@bp.route("/agreements/<slug>/revisions/<int:number>/document")
@login_required
def document(slug: str, number: int):
    user = current_user._get_current_object()
    # The same 404 as the revision page for a revision that is missing or may not be seen.
    agreement, revision = _visible_revision(slug, number)
    model = plain_document(user, revision)
    own = user.organisation_id if user.role == "partner" else None
    can_sign = (own is not None and agreement.published_revision_id == revision.id
                and own in revision.party_ids
                and not any(s.party_id == own for s in revision.signatures))
    state, badge = _state(agreement, revision)
    return render_template("agreements/document.html", agreement=agreement, revision=revision,
                           doc=model, own=own, can_sign=can_sign, state=state, badge=badge)


@bp.errorhandler(OperationError)
def _operation_error(exc):  # worded as a sentence, as the other agreement pages do
    return error_response(exc.status, sentence(exc.message), exc.details)
