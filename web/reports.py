"""Situation reports of an incident: the PDF, the CSV of its duties, and its timeline page.

Access is the board's: whoever may see the incident (agreements.access.can_see_incident), a
partner seeing only its own organisation's duties; 404 for an incident the user may not see.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user, login_required

from agreements import clock
from agreements.access import can_see_incident
from agreements.errors import NotFound, OperationError
from agreements.incidents import check_breaches, get_incident
from agreements.reports.csv_export import to_csv
from agreements.reports.pdf import render_report_pdf
from agreements.reports.situation import situation_report
from web.db import db

bp = Blueprint("reports", __name__)


def _report(key: str):
    user = current_user._get_current_object()
    if "\x00" in key or len(key) > 300:
        raise NotFound(f"there is no incident '{key[:200]}'")
    session = db()
    try:  # as the board does: what is overdue is marked breached first
        check_breaches(session, None)
    except OperationError as exc:
        current_app.logger.warning("breach check failed: %s", exc.message)
    incident = get_incident(session, key)
    if not can_see_incident(user, session, incident):
        raise NotFound(f"there is no incident '{key}'")
    return situation_report(session, user, incident, clock.utcnow())


def _filename(key: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:150] + suffix


def _download(data, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/incidents/<path:key>/report.pdf")
@login_required
def pdf(key: str):
    report = _report(key)
    return _download(render_report_pdf(report), "application/pdf",
                     _filename(report.key, "-situation-report.pdf"))


@bp.route("/incidents/<path:key>/report.csv")
@login_required
def csv(key: str):
    report = _report(key)
    return _download(to_csv(report).encode("utf-8"), "text/csv; charset=utf-8",
                     _filename(report.key, "-duties.csv"))


@bp.route("/incidents/<path:key>/timeline")
@login_required
def timeline(key: str):
    report = _report(key)
    return render_template("reports/timeline.html", report=report)
