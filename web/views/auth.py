"""Signing in and out (with lockout), passwords (change, forgotten), and a user's own API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from agreements import accounts
from agreements import clock
from agreements.dissemination.contacts import email_off
from agreements.errors import Invalid, NotFound
from agreements.models import ApiToken
from agreements.tokens import (LAST_USE_EVERY, MAX_DAYS, create_token, expiry_from_text,
                               revoke_token)
from agreements.users import MIN_PASSWORD
from engine import limits
from web.db import db

SESSION_VERSION = "session_version"  # the Flask session key web.app.load_user compares

bp = Blueprint("auth", __name__)


@bp.after_request
def never_stored(response):
    """Sign-in, password and reset pages (a reset link's token is in its URL) stay out of caches."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


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
    status, headers = 200, {}
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        now = clock.utcnow()
        outcome = accounts.sign_in(db(), email, request.form.get("password") or "",
                                   address=request.remote_addr or "unknown", now=now)
        if outcome.user is not None:
            session.clear()  # nothing of an earlier session carries over into this one
            login_user(outcome.user)
            session[SESSION_VERSION] = outcome.user.session_version
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        if outcome.refused == "password":
            error, status = "That e-mail address and password do not match an active account.", 401
        else:
            until = outcome.until.strftime("%Y-%m-%d %H:%M UTC")
            seconds = max(1, int((outcome.until - now).total_seconds()))
            status, headers = 429, {"Retry-After": str(seconds)}
            if outcome.refused == "account_locked":
                error = (f"Too many failed sign-ins for this account: it is locked until {until}. "
                         f"Try again then, or choose a new password through "
                         f"“Forgotten your password?”.")
            else:
                error = (f"Too many failed sign-ins from your address: signing in from it is "
                         f"refused until {until}.")
    return render_template("auth/login.html", error=error, email=email), status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.sign_out(db(), current_user, address=request.remote_addr)
        message = ("You are signed out, here and on every other device or browser where you "
                   "were signed in.")
    else:
        message = "You are signed out."
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    error = None
    if request.method == "POST":
        new = request.form.get("new_password") or ""
        if new != (request.form.get("confirm_password") or ""):
            error = "The new password and its repetition differ."
        else:
            try:
                user = accounts.change_password(db(), current_user,
                                                request.form.get("current_password") or "", new)
            except Invalid as exc:
                error = exc.message
            else:
                session[SESSION_VERSION] = user.session_version  # this session goes on
                flash("Your password is changed. You stay signed in here; every other session "
                      "of your account has ended.", "success")
                return redirect(url_for("auth.account"))
    return (render_template("auth/password.html", error=error, min_password=MIN_PASSWORD),
            422 if error else 200)


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot():
    sent = False
    if request.method == "POST":
        accounts.request_reset(db(), request.form.get("email") or "",
                               address=request.remote_addr)
        sent = True
    return render_template("auth/forgot.html", sent=sent)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    invalid = ("This link to choose a new password is not valid: it has been used, it has "
               "expired or it was never sent. Ask for a new one.")
    if accounts.reset_for_token(db(), token) is None:
        return render_template("auth/reset.html", invalid=invalid, error=None,
                               min_password=MIN_PASSWORD), 404
    error = None
    if request.method == "POST":
        new = request.form.get("new_password") or ""
        if new != (request.form.get("confirm_password") or ""):
            error = "The new password and its repetition differ."
        else:
            try:
                accounts.reset_password(db(), token, new)
            except NotFound:
                return render_template("auth/reset.html", invalid=invalid, error=None,
                                       min_password=MIN_PASSWORD), 404
            except Invalid as exc:
                error = exc.message
            else:
                if current_user.is_authenticated:
                    logout_user()
                session.clear()
                flash("Your new password is set, and every session of your account has ended. "
                      "Sign in with it.", "success")
                return redirect(url_for("auth.login"))
    return (render_template("auth/reset.html", invalid=None, error=error,
                            min_password=MIN_PASSWORD), 422 if error else 200)


def _account_page(status: int = 200, **extra):
    tokens = db().scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                          .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    context = dict(new_token=None, token_error=None, form={}, now=clock.utcnow(),
                   last_use_every=int(LAST_USE_EVERY.total_seconds() // 60), max_days=MAX_DAYS)
    context.update(extra)
    return render_template("auth/account.html", tokens=tokens,
                           email_off=email_off(db(), current_user), **context), status


@bp.route("/account")
@login_required
def account():
    return _account_page()


@bp.route("/account/tokens", methods=["POST"])
@login_required
def new_token():
    form = {"name": request.form.get("name", ""), "expires": request.form.get("expires", ""),
            "read_only": request.form.get("read_only") == "1"}
    try:
        expires_at = expiry_from_text(form["expires"], clock.utcnow())
        record, token = create_token(db(), current_user, form["name"], expires_at=expires_at,
                                     read_only=form["read_only"])
    except Invalid as exc:
        return _account_page(422, token_error=exc.message, form=form)
    return _account_page(new_token=token, new_token_name=record.name)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not limits.route_id(token_id):  # names no row; PostgreSQL could not even compare it
        raise NotFound(f"there is no token {token_id}")
    revoke_token(db(), current_user, token_id)
    flash("The token is revoked; scripts using it are refused from now on.", "info")
    return redirect(url_for("auth.account"))
