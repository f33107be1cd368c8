"""The channel of the dissemination channel: routes only."""

from __future__ import annotations

import functools

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from agreements.dissemination import channel as ops
from agreements.dissemination.models import ChannelMessage
from web import api
from web.api_json import _time
from web.csrf import csrf
from web.db import db

bp = Blueprint("channel", __name__)
board_context = ops.board_context  # what the incident board includes


@bp.post("/incidents/<path:key>/channel")
@login_required
def post(key: str):
    """A refusal is raised: the app's error handler answers it with the 4xx error page."""
    message = ops.post_message(db(), current_user._get_current_object(), key,
                               request.form.get("body", ""))
    flash("Your message is posted and sent to the parties with a live duty and the "
          "coordinators.", "success")
    return redirect(url_for("incidents.board", key=message.incident.key) + "#channel", 303)


# ---------------------------------------------------------------- the JSON API

def _bearer(view):
    """The API's own authentication (bearer tokens only, never a cookie, so no CSRF token)."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        refused = api.authenticate()
        if refused is not None:
            return refused
        api.refuse_nul_in_query()
        return view(*args, **kwargs)

    return csrf.exempt(run)


def message_json(message: ChannelMessage) -> dict:
    return {"id": message.id, "author": message.author.name,
            "organisation": message.organisation_id, "body": message.body,
            "posted_at": _time(message.posted_at)}


@bp.get("/api/incidents/<path:key>/channel")
@_bearer
def api_messages(key: str):
    session = db()
    incident = ops.channel_incident(session, api.caller(), key)
    return jsonify({"messages": [message_json(m) for m in ops.channel_messages(session, incident)]})


@bp.post("/api/incidents/<path:key>/channel")
@_bearer
def api_post(key: str):
    user = api.caller()
    ops.channel_incident(db(), user, key)  # 404 before reading the body of a hidden incident
    data = api._json_object("a message")
    message = ops.post_message(db(), user, key, data.get("body", ""))
    return api._created(message_json(message),
                        url_for("channel.api_messages", key=message.incident.key))
