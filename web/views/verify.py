"""Verify a PDF: is its seal intact and trusted, and which revision on record does it show?"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from agreements.access import can_see_agreement
from agreements.documents import verify_document
from web.db import db

bp = Blueprint("verify", __name__)

PDF_TYPES = ("application/pdf",)
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "")


def _agreement_link(slug: str) -> str | None:
    if "agreements.detail" not in current_app.view_functions:
        return None
    try:
        return url_for("agreements.detail", slug=slug)
    except BuildError:
        return None


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
    visible = revision is not None and can_see_agreement(current_user, revision.agreement)
    # Said in words here rather than with checked.message, which names the agreement: only
    # someone who may see the agreement learns its title. The hash is listed below, where a
    # narrow screen can break it.
    if not seal.valid:
        message = seal.message
    elif revision is None:
        message = f"{seal.message} But its content hash names no revision on record here."
    elif visible:
        message = (f"{seal.message} It shows revision {revision.number} of “{revision.title}”, "
                   f"as on record here.")
    else:
        message = f"{seal.message} It names a revision on record that you may not see."
    result = {
        "filename": name,
        "valid": checked.valid,
        "message": message,
        "content_hash": seal.content_hash,
        "revision": revision if visible else None,
        "hidden": revision is not None and not visible,
        "link": _agreement_link(revision.agreement.slug) if visible else None,
    }
    return render_template("verify/page.html", result=result, error=None)
