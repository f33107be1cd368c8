"""The front door: each role lands where its work is."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

bp = Blueprint("main", __name__)

HOME = {"drafter": "agreements.library", "coordinator": "incidents.index",
        "partner": "partner.my_agreements", "admin": "admin.users"}


@bp.route("/")
@login_required
def home():
    return redirect(url_for(HOME.get(current_user.role, "agreements.library")))
