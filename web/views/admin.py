"""Administration: user accounts, their role and organisation, and the organisations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from agreements.errors import Conflict, Invalid, NotFound
from agreements.models import ROLES, Organisation, User
from agreements.users import (MIN_PASSWORD, create_organisation, create_user, password_problem,
                              update_user)
from engine import limits
from web.db import db

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def admins_only():
    if current_user.role != "admin":
        abort(403, "Only an administrator may manage users and organisations.")


def _page(status: int = 200, **context):
    """The users page; `editing` is the user whose change form is open (with `row`, the values
    sent), `error` and `details` what went wrong and `error_for` which form it concerns."""
    session = db()
    users = session.scalars(select(User).order_by(User.name, User.email)).all()
    organisations = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    members = dict(session.execute(select(User.organisation_id, func.count(User.id))
                                   .where(User.organisation_id.is_not(None))
                                   .group_by(User.organisation_id)).all())
    context.setdefault("user_form", {"role": "partner"})
    context.setdefault("org_form", {})
    context.setdefault("row", None)
    context.setdefault("editing", None)
    context.setdefault("error", None)
    context.setdefault("error_for", None)
    context.setdefault("details", [])
    return render_template("admin/users.html", users=users, organisations=organisations,
                           members=members, roles=ROLES, min_password=MIN_PASSWORD,
                           **context), status


@bp.get("/admin/users")
def users():
    editing = None
    if request.args.get("edit", "").isdigit():
        editing = db().get(User, int(request.args["edit"]))
        if editing is None:
            abort(404, f"There is no user {request.args['edit']}.")
    return _page(editing=editing)


@bp.post("/admin/users")
def create():
    form = {key: (request.form.get(key) or "").strip()
            for key in ("email", "name", "role", "organisation")}
    password = request.form.get("password") or ""
    problem = password_problem(password, user_inputs=(form["email"], form["name"]))
    if problem:  # the policy of agreements.users: at least MIN_PASSWORD characters, not common
        return _page(422, user_form=form, error_for="user",
                     error=problem)
    try:
        user = create_user(db(), current_user, email=form["email"], name=form["name"],
                           role=form["role"], organisation_id=form["organisation"] or None,
                           password=password)
    except (Invalid, Conflict) as exc:
        return _page(exc.status, user_form=form, error_for="user",
                     **_problems(exc, "The user was not created"))
    flash(f"{user.name} ({user.email}) can now sign in as {_article(user.role)} {user.role}. "
          f"Give them the initial password through a separate channel.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/users/<int:user_id>")
def change(user_id: int):
    if not limits.route_id(user_id):  # names no row; PostgreSQL could not even compare it
        raise NotFound(f"there is no user {user_id}")
    form = {"role": (request.form.get("role") or "").strip(),
            "organisation": (request.form.get("organisation") or "").strip(),
            "active": request.form.get("active", "1") == "1"}
    try:
        user = update_user(db(), current_user, user_id, role=form["role"] or None,
                           organisation_id=form["organisation"], active=form["active"])
    except (Invalid, Conflict) as exc:
        return _page(exc.status, row=form, editing=db().get(User, user_id), error_for="row",
                     **_problems(exc, "The change was not saved"))
    where = f" for {user.organisation.name}" if user.organisation else ""
    state = "active" if user.active else "deactivated (they can no longer sign in)"
    flash(f"{user.name} is now {_article(user.role)} {user.role}{where}, {state}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/organisations")
def create_org():
    form = {key: (request.form.get(key) or "").strip() for key in ("id", "name")}
    try:
        org = create_organisation(db(), current_user, form["id"], form["name"])
    except (Invalid, Conflict) as exc:
        return _page(exc.status, org_form=form, error_for="org",
                     **_problems(exc, "The organisation was not created"))
    flash(f"The organisation {org.name} ({org.id}) is created; partners can now be placed in "
          f"it.", "success")
    return redirect(url_for("admin.users"))


def _problems(exc: Invalid | Conflict, what: str) -> dict:
    """One sentence, or a heading and the list when there are several problems."""
    if len(exc.details) > 1:
        return {"error": f"{what}:", "details": exc.details}
    return {"error": _sentence(exc.message), "details": []}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
