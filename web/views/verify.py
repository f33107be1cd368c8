"""Verify a PDF: is its seal intact and trusted, and which revision on record does it show?"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from agreements.access import can_see_revision
from agreements.documents import verify_document
from web.db import db

bp = Blueprint("verify", __name__)

PDF_TYPES = ("application/pdf",)
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "")


def _revision_link(slug: str, number: int) -> str | None:
    """The page of the exact revision the PDF shows (not the agreement's, which names the
    revision out for signature or in force)."""
    if "agreements.revision" not in current_app.view_functions:
        return None
    try:
        return url_for("agreements.revision", slug=slug, number=number)
    except BuildError:
        return None


def _standing(revision) -> tuple[str | None, str]:
    """(a note when the revision is not the one in force, its state in words)."""
    agreement = revision.agreement
    in_force = agreement.executed_revision
    if in_force is not None and in_force.id == revision.id:
        return None, "in force"
    if agreement.published_revision_id == revision.id:
        state = "out for signature"
    elif in_force is not None and revision.number < in_force.number:
        state = "superseded"
    else:
        state = "not executed"
    if in_force is None:
        return "It is not the revision in force: no revision of this agreement is.", state
    return (f"It is not the revision in force: revision {in_force.number} is.", state)


def _refuse(status: int, message: str):
    return render_template("verify/page.html", result=None, error=message), status


@bp.route("/verify", methods=["GET", "POST"])
@login_required
def page():
    if request.method == "GET":
        return render_template("verify/page.html", result=None, error=None)
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return _refuse(422, "Choose a PDF file to verify.")
    name = upload.filename
    mimetype = (upload.mimetype or "").lower()
    looks_pdf = mimetype in PDF_TYPES or (mimetype in GENERIC_TYPES
                                          and name.lower().endswith(".pdf"))
    if not looks_pdf:
        return _refuse(415, f"“{name}” is not a PDF file ({mimetype or 'unknown type'}); "
                            f"upload the agreement PDF you downloaded or received.")
    data = upload.read()
    if not data:
        return _refuse(422, f"“{name}” is empty; upload the agreement PDF itself.")
    if b"%PDF-" not in data[:1024]:
        return _refuse(415, f"“{name}” is not a PDF file (it does not start like one); upload "
                            f"the agreement PDF you downloaded or received.")
    checked = verify_document(db(), data)
    seal = checked.verification
    revision = checked.revision
    # The exact revision the content hash names, seen by its own rule: a partner party to the
    # agreement through another revision (an amendment adding it) learns nothing of this one.
    visible = revision is not None and can_see_revision(current_user, revision)
    note, state = _standing(revision) if visible else (None, None)
    # Said in words here rather than with checked.message, which names the agreement: only
    # someone who may see the revision learns its title. The hash is listed below, where a
    # narrow screen can break it.
    if not seal.valid:
        message = seal.message
    elif revision is None:
        message = f"{seal.message} But its content hash names no revision on record here."
    elif visible:
        message = (f"{seal.message} It shows revision {revision.number} of “{revision.title}”, "
                   f"as on record here." + (f" {note}" if note else ""))
    else:
        message = f"{seal.message} It names a revision on record that you may not see."
    result = {
        "filename": name,
        "valid": checked.valid,
        "message": message,
        "content_hash": seal.content_hash,
        "revision": revision if visible else None,
        "state": state,
        "not_in_force": note,
        "hidden": revision is not None and not visible,
        "link": _revision_link(revision.agreement.slug, revision.number) if visible else None,
    }
    return render_template("verify/page.html", result=result, error=None)
