"""Signing in and out, and a user's own API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from agreements.dissemination.contacts import email_off
from agreements.models import ApiToken
from agreements.users import authenticate, create_token, revoke_token
from web.db import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send a user elsewhere after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return None  # browsers read "/\\host" as another site
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    error = None
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        user = authenticate(db(), email, request.form.get("password") or "")
        if user is None:
            error = "That e-mail address and password do not match an active account."
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", error=error, email=email), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc())).all()
    return render_template("auth/account.html", tokens=tokens, new_token=None,
                           email_off=email_off(db(), current_user))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def new_token():
    record, token = create_token(db(), current_user, request.form.get("name", ""))
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc())).all()
    return render_template("auth/account.html", tokens=tokens, new_token=token,
                           new_token_name=record.name, email_off=email_off(db(), current_user))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    revoke_token(db(), current_user, token_id)
    flash("The token is revoked; scripts using it are refused from now on.", "info")
    return redirect(url_for("auth.account"))
