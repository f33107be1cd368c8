"""Why not: who else could have been tasked in an incident, and why not (coordinators)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from agreements.errors import Invalid, NotFound
from agreements.explain import why_not
from agreements.incidents import get_incident
from agreements.access import can_see_incident
from web.db import db

bp = Blueprint("whynot", __name__)


@bp.route("/incidents/<path:key>/why-not")
@login_required
def page(key: str):
    user = current_user._get_current_object()
    session = db()
    incident = get_incident(session, key)
    if not can_see_incident(user, session, incident):
        raise NotFound(f"there is no incident '{key}'")
    asked = [(request.args.get(name) or "").strip() or None
             for name in ("agreement", "clause", "party")]
    error, report, status = None, None, 200
    try:
        report = why_not(session, user, incident, *asked)
    except Invalid as exc:
        error, status = exc, exc.status
        report = why_not(session, user, incident)
    return render_template("incidents/why_not.html", incident=incident, report=report,
                           asked=asked, error=error), status
