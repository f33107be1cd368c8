"""A form sent after its session expired is never lost: what was typed is kept in a signed stash on a sign-in page, and given back filled in once the user has signed in again.

`keeps_typed_form` wraps a form's view (outside `login_required`) and checks the form's CSRF
token itself (the view is exempt from the global check), so that an expired session -- no
session at all, one ended by signing out elsewhere, or a form older than the session -- is
answered with a page, not a 400 that throws the input away:

* signed out: a sign-in page (401) saying "Your session expired; sign in again — what you
  typed is kept.", whose form holds the typed values in a hidden field, signed with the
  application's secret key (itsdangerous, compressed): not in a URL, nothing stored on the
  server, no limit but the request's. Signing in there (the same checks and lockout as
  /login) gives the form back, filled in, for the user to check and send;
* signed in, but the form's token is stale: the form back, filled in, with a message.

The view reads `restored()`: when it is not None, it shows the form with those values and
records nothing.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, render_template, request, session, url_for
from flask_login import current_user, login_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from agreements import accounts, clock
from web.csrf import csrf
from web.db import db

FIELD = "kept_form"
SALT = "compact.kept-form"
MAX_AGE = 7 * 24 * 3600  # a stash older than a week is not taken back
EXPIRED = "Your session expired; sign in again — what you typed is kept."
BACK = ("You are signed in again, and what you typed is back in the form: check it, then "
        "send it.")
STALE = ("The form had expired (your session changed since it was opened); what you typed "
         "is kept: check it, then send it again.")
NOT_READ = ("What you typed could not be read back (it was kept more than a week, or it was "
            "altered); the form is empty.")
_KEPT = "compact.kept_form"  # the request's own: what the view shows again
_NOT_TYPED = {"csrf_token", FIELD, "email", "password"}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def typed(form, files) -> dict:
    """What the user sent, as text: every field but the token, and an uploaded incident file's
    text in place of the file (given back as pasted text)."""
    data = {key: form.get(key, "") for key in form if key not in _NOT_TYPED}
    upload = files.get("incident_file") if files else None
    if upload is not None and (upload.filename or "").strip():
        raw = upload.read()
        try:
            from engine.xml_input import decode, looks_like_xml
            text = decode(raw) if looks_like_xml(raw) else raw.decode("utf-8-sig")
        except (UnicodeDecodeError, LookupError, ValueError):
            text = None
        if text is not None:
            data.update(source="paste", incident_text=text, kept_file=upload.filename)
    return data


def stash(data: dict) -> str:
    return _serializer().dumps(data)


def unstash(token: str) -> dict | None:
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def kept_from(data: dict, fields, kept: dict) -> dict:
    """Fill `kept` (what the incident pages show again) from a form given back."""
    source = data.get("source") or "paste"
    kept["source"] = source if source == "form" and fields else "paste"
    kept["text"] = data.get("incident_text", "")
    if kept["source"] == "form":
        from web.incident_form import incident_from_form
        kept["values"] = incident_from_form(fields, data)[1]
    return kept


def restored() -> dict | None:
    """The form given back this request ({field: value}), or None: the request is the form's own."""
    return request.environ.get(_KEPT)


def _fresh() -> bool:
    """Whether the form's CSRF token is this session's (always, when CSRF is off)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


def _give_back(view, args, kwargs, data: dict, message: str):
    request.environ[_KEPT] = data
    flash(message + (f" The file {data['kept_file']} is kept as pasted text."
                     if data.get("kept_file") else ""), "warning")
    return view(*args, **kwargs)


def _sign_in_page(token: str, status: int, *, error: str | None = None, email: str = "",
                  headers=None):
    action = url_for(request.endpoint, **(request.view_args or {}))  # the form's own address
    return render_template("kept_form_sign_in.html", token=token, action=action,
                           message=EXPIRED, error=error, email=email,
                           field=FIELD), status, {"Cache-Control": "no-store", **(headers or {})}


def _sign_in_again(view, args, kwargs, token: str):
    if not _fresh():  # the sign-in page itself is older than the session: ask again
        return _sign_in_page(token, 401)
    data = unstash(token)
    if current_user.is_authenticated:  # signed in meanwhile (another tab)
        user = current_user
    else:
        email = (request.form.get("email") or "").strip()
        now = clock.utcnow()
        outcome = accounts.sign_in(db(), email, request.form.get("password") or "",
                                   address=request.remote_addr or "unknown", now=now)
        if outcome.user is None:
            if outcome.refused == "password":
                return _sign_in_page(token, 401, email=email, error=(
                    "That e-mail address and password do not match an active account."))
            seconds = max(1, int((outcome.until - now).total_seconds()))
            return _sign_in_page(token, 429, email=email, headers={"Retry-After": str(seconds)},
                                 error=(f"Too many failed sign-ins: signing in is refused until "
                                        f"{outcome.until:%Y-%m-%d %H:%M} UTC."))
        from web.views.auth import SESSION_VERSION
        session.clear()  # as /login: nothing of an earlier session carries over
        login_user(outcome.user)
        session[SESSION_VERSION] = outcome.user.session_version
        user = outcome.user
    if data is None:
        flash(NOT_READ, "error")
        return _empty(view, args, kwargs)
    by = data.pop("_by", None)
    if by is not None and str(by) != str(user.id):
        flash("What was typed was typed by another account; the form is empty.", "error")
        return _empty(view, args, kwargs)
    return _give_back(view, args, kwargs, data, BACK)


def _empty(view, args, kwargs):
    request.environ[_KEPT] = {}
    return view(*args, **kwargs)


def keeps_typed_form(view):
    """Wrap a form's view so that a POST of an expired session keeps what was typed."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        token = request.form.get(FIELD)
        if token is not None:
            return _sign_in_again(view, args, kwargs, token)
        signed_in = current_user.is_authenticated
        if signed_in and _fresh():
            return view(*args, **kwargs)
        data = typed(request.form, request.files)
        if signed_in:
            return _give_back(view, args, kwargs, data, STALE)
        if session.get("_user_id") is not None:  # ended by signing out elsewhere: still theirs
            data["_by"] = session["_user_id"]
        return _sign_in_page(stash(data), 401)

    csrf.exempt(wrapper)  # checked in the wrapper, which keeps the form when the check fails
    return wrapper
