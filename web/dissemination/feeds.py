"""The feeds of the dissemination channel: routes only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from agreements import clock
from agreements.dissemination import feeds as ops
from agreements.dissemination.models import FeedToken
from agreements.dissemination.render import base_url
from agreements.errors import Conflict, Invalid
from agreements.models import Organisation
from engine import limits
from web.db import db
from web.dissemination.common import managed_organisation

bp = Blueprint("feeds", __name__)
NOT_FOUND = "There is no feed at this address for this token."


def _feed_url(org_id: str) -> str:
    return base_url() + url_for("feeds.feed", org_id=org_id)


@bp.get("/feeds/<org_id>.atom")
def feed(org_id: str):
    """The organisation's Atom feed; no sign-in: the token in the address decides."""
    session = db()
    if ops.org_for_feed_token(session, request.args.get("token")) != org_id:
        abort(404, NOT_FOUND)
    org = session.get(Organisation, org_id)
    if org is None:
        abort(404, NOT_FOUND)
    now = clock.utcnow()
    body = ops.atom_feed(ops.feed_entries(session, org.id, now), org_name=org.name,
                         feed_url=_feed_url(org.id), base_url=base_url(), now=now)
    return Response(body, status=200, content_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=60"})


def _organisation(org_id: str) -> Organisation:
    return managed_organisation(org_id, "feed tokens")


def _page(org: Organisation, status: int = 200, **context):
    """The page; `token` is a token just made (shown in this answer only, never stored)."""
    context.setdefault("error", None)
    context.setdefault("label", "")
    context.setdefault("token", None)
    response = render_template("dissemination/feeds.html", org=org,
                               tokens=ops.feed_tokens(db(), org.id), feed_url=_feed_url(org.id),
                               max_label=ops.MAX_LABEL, **context)
    headers = {"Cache-Control": "no-store"} if context["token"] else {}
    return response, status, headers


@bp.get("/organisations/<org_id>/feeds")
@login_required
def page(org_id: str):
    return _page(_organisation(org_id))


@bp.post("/organisations/<org_id>/feeds")
@login_required
def create(org_id: str):
    org = _organisation(org_id)
    label = (request.form.get("label") or "").strip()
    try:
        made, token = ops.create_feed_token(db(), current_user, org.id, label)
    except Invalid as exc:
        return _page(org, exc.status, label=label, error=_sentence(exc.message))
    return _page(org, token=token, token_label=made.label,
                 token_url=f"{_feed_url(org.id)}?token={token}")


@bp.post("/organisations/<org_id>/feeds/<int:token_id>/revoke")
@login_required
def revoke(org_id: str, token_id: int):
    org = _organisation(org_id)
    found = db().get(FeedToken, token_id) if limits.route_id(token_id) else None
    if found is None or found.organisation_id != org.id:
        abort(404)
    try:
        ops.revoke_feed_token(db(), current_user, found.id)
    except Conflict as exc:
        return _page(org, exc.status, error=_sentence(exc.message))
    flash(f"The feed token {found.label or found.id} is revoked: its feed address now answers "
          f"“not found”.", "info")
    return redirect(url_for("feeds.page", org_id=org.id))


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
