"""Contact points and notification settings of an organisation: routes only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from agreements.dissemination import contacts as ops
from agreements.dissemination.models import CONTACT_KINDS, ContactPoint
from agreements.dissemination.outbox import settings_of
from agreements.errors import Conflict, Invalid
from agreements.models import Organisation
from engine import limits
from web.db import db
from web.dissemination.common import managed_organisation

bp = Blueprint("contacts", __name__)


def _organisation(org_id: str) -> Organisation:
    return managed_organisation(org_id, "contact points and notification settings")


def _point(org: Organisation, point_id: int, *, removed: bool = False) -> ContactPoint:
    point = db().get(ContactPoint, point_id) if limits.route_id(point_id) else None
    if point is None or point.organisation_id != org.id or (
            point.removed_at is not None and not removed):
        abort(404)
    return point


def _page(org: Organisation, status: int = 200, **context):
    """The page; `error` and `error_for` say what went wrong in which form, `secret` is a
    webhook secret just made (shown in this answer only, never stored for a later one)."""
    session = db()
    settings = settings_of(session, org.id)
    context.setdefault("add_form", {"kind": "email"})
    context.setdefault("settings_form", {
        "time_zone": settings.time_zone,
        "reminder_lead_minutes": "" if settings.reminder_lead_minutes is None
        else str(settings.reminder_lead_minutes),
        "ack_wait_minutes": str(settings.ack_wait_minutes)})
    context.setdefault("error", None)
    context.setdefault("error_for", None)
    context.setdefault("details", [])
    context.setdefault("secret", None)
    response = render_template(
        "dissemination/contacts.html", org=org, points=ops.contact_overview(session, org.id),
        falls_back=ops.falls_back(session, org.id), kinds=CONTACT_KINDS,
        lead_range=ops.LEAD_RANGE, wait_range=ops.WAIT_RANGE,
        my_email_off=ops.email_off(session, current_user), **context)
    headers = {"Cache-Control": "no-store"} if context["secret"] else {}
    return response, status, headers


@bp.get("/organisations/<org_id>/contacts")
@login_required
def page(org_id: str):
    return _page(_organisation(org_id))


@bp.post("/organisations/<org_id>/contacts")
@login_required
def add(org_id: str):
    org = _organisation(org_id)
    form = {key: (request.form.get(key) or "").strip() for key in ("kind", "address", "label")}
    if form["kind"] not in CONTACT_KINDS:
        return _page(org, 400, add_form=form, error_for="add",
                     error="Choose whether the contact point is an e-mail address or a webhook.")
    try:
        point, secret = ops.add_contact_point(db(), current_user, org.id, kind=form["kind"],
                                              address=form["address"], label=form["label"])
    except (Invalid, Conflict) as exc:
        return _page(org, exc.status, add_form=form, error_for="add",
                     error=_sentence(exc.message))
    if secret is None:
        flash(f"{point.address} now receives {org.name}'s notifications.", "success")
        return redirect(url_for("contacts.page", org_id=org.id))
    return _page(org, secret=secret, secret_for=point.address, secret_new=True)


@bp.post("/organisations/<org_id>/contacts/<int:point_id>/pause")
@login_required
def pause(org_id: str, point_id: int):
    return _pause(org_id, point_id, True)


@bp.post("/organisations/<org_id>/contacts/<int:point_id>/resume")
@login_required
def resume(org_id: str, point_id: int):
    return _pause(org_id, point_id, False)


def _pause(org_id: str, point_id: int, paused: bool):
    org = _organisation(org_id)
    point = ops.set_paused(db(), current_user, _point(org, point_id).id, paused)
    if paused:
        flash(f"{point.address} is paused: nothing is sent to it until it is resumed.", "info")
    else:
        flash(f"{point.address} is resumed: it receives {org.name}'s notifications again.",
              "success")
    return redirect(url_for("contacts.page", org_id=org.id))


@bp.post("/organisations/<org_id>/contacts/<int:point_id>/remove")
@login_required
def remove(org_id: str, point_id: int):
    org = _organisation(org_id)
    point = _point(org, point_id, removed=True)
    was_removed = point.removed_at is not None
    ops.remove_contact_point(db(), current_user, point.id)
    flash(f"{point.address} is {'already ' if was_removed else ''}removed: nothing more is "
          f"sent to it.", "info")
    return redirect(url_for("contacts.page", org_id=org.id))


@bp.post("/organisations/<org_id>/contacts/<int:point_id>/rotate")
@login_required
def rotate(org_id: str, point_id: int):
    org = _organisation(org_id)
    point = _point(org, point_id)
    try:
        secret = ops.rotate_secret(db(), current_user, point.id)
    except Invalid as exc:
        return _page(org, exc.status, error=_sentence(exc.message), error_for="points")
    return _page(org, secret=secret, secret_for=point.address, secret_new=False)


@bp.post("/organisations/<org_id>/settings")
@login_required
def settings(org_id: str):
    org = _organisation(org_id)
    form = {key: (request.form.get(key) or "").strip()
            for key in ("time_zone", "reminder_lead_minutes", "ack_wait_minutes")}
    problems = []
    lead = wait = None
    if form["reminder_lead_minutes"]:
        lead = _minutes(form["reminder_lead_minutes"])
        if lead is None:
            problems.append("give the reminder lead time as a whole number of minutes, or "
                            "leave it empty")
    wait = _minutes(form["ack_wait_minutes"])
    if wait is None:
        problems.append("give the wait for an acknowledgement as a whole number of minutes")
    if not problems:
        try:
            ops.update_settings(db(), current_user, org.id, time_zone=form["time_zone"],
                                reminder_lead_minutes=lead, ack_wait_minutes=wait)
        except Invalid as exc:
            problems = exc.details or [exc.message]
    if problems:  # a wrong value in the form: answered 400, nothing saved
        return _page(org, 400, settings_form=form, error_for="settings",
                     **_problems(problems, "The settings were not saved"))
    flash(f"{org.name}'s notification settings are saved.", "success")
    return redirect(url_for("contacts.page", org_id=org.id))


@bp.post("/account/notifications")
@login_required
def notifications():
    off = request.form.get("email_off") == "1"
    ops.set_email_off(db(), current_user, off)
    if off:
        flash("You no longer receive your organisation's notifications by e-mail; its contact "
              "points still do.", "info")
    else:
        flash("You receive your organisation's notifications by e-mail again.", "success")
    return redirect(url_for("auth.account"))


def _minutes(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _problems(problems: list[str], what: str) -> dict:
    if len(problems) > 1:
        return {"error": f"{what}:", "details": problems}
    return {"error": _sentence(problems[0]), "details": []}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
