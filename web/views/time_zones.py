"""Choosing the zone pages show times in: a user's own (account page), an organisation's (admin)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from agreements.errors import Invalid, NotFound
from agreements.time_zones import set_organisation_time_zone, set_user_time_zone, zone_name_of
from web.db import db
from web.filters import sentence
from web.local_time import zone_label
from web.views.admin import _page as admin_page
from web.views.auth import _account_page as account_page

bp = Blueprint("time_zones", __name__)


@bp.post("/account/time-zone")
@login_required
def account():
    chosen = (request.form.get("time_zone") or "").strip()
    try:
        user = set_user_time_zone(db(), current_user, chosen)
    except Invalid as exc:
        # The account page again, the refusal beside the choice; nothing was changed.
        return account_page(400, zone_error=sentence(exc.message))
    if user.time_zone:
        flash(f"Times are now shown in {zone_label(user.time_zone)}, with UTC when you point "
              f"at one.", "success")
    else:
        flash(f"You use your organisation's time zone: times are shown in "
              f"{zone_label(zone_name_of(user))}.", "success")
    return redirect(url_for("auth.account") + "#time-zone")


@bp.post("/admin/organisations/time-zone")
@login_required
def organisation():
    if current_user.role != "admin":
        abort(403, "Only an administrator may manage users and organisations.")
    org_id = (request.form.get("organisation") or "").strip()
    chosen = (request.form.get("time_zone") or "").strip()
    try:
        org = set_organisation_time_zone(db(), current_user, org_id, chosen)
    except (Invalid, NotFound) as exc:
        # NotFound too is a mistake in this form (no such organisation), said beside it.
        return admin_page(400, error_for="zone", error=sentence(exc.message),
                     zone_form={"organisation": org_id, "time_zone": chosen})
    if org.time_zone:
        flash(f"{org.name} ({org.id}) is in {zone_label(org.time_zone)}: its users see times in "
              f"it unless they chose their own.", "success")
    else:
        flash(f"{org.name} ({org.id}) has no time zone of its own: its users see times in UTC "
              f"unless they chose their own.", "success")
    return redirect(url_for("admin.users") + "#organisation-time-zone")
