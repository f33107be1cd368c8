"""Acknowledge links from messages, and the administrator's view of the outbox: routes only."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from agreements import clock
from agreements.db import instance_path
from agreements.dissemination import acks
from agreements.dissemination.mail import list_written, read_written
from agreements.dissemination.models import Notification
from agreements.errors import Conflict
from agreements.models import Organisation
from agreements.time_zones import known
from web.db import db
from web.local_time import use_zone_for_request

bp = Blueprint("dissemination", __name__)
OUTBOX_PAGE = 200


def outbox_folder():
    return instance_path() / "outbox"


def _reader_zone(link) -> None:
    """Whoever follows a link without signing in reads its times in the zone of the duty's
    organisation (a signed-in user, in their own)."""
    if link is not None and link.duty is not None and not current_user.is_authenticated:
        organisation = db().get(Organisation, link.duty.party_id)
        use_zone_for_request(known(organisation.time_zone if organisation else None) or "UTC")


@bp.get("/ack/<token>")
def ack_page(token: str):
    """The duty alone and one button: following the link (a mail scanner does) changes nothing."""
    link = acks.find_link(db(), token)
    _reader_zone(link)
    problem = acks.why_not_usable(link, clock.utcnow())
    return render_template("dissemination/ack.html", link=link, duty=link.duty, token=token,
                           problem=problem, done=False), 409 if problem else 200


@bp.post("/ack/<token>")
def ack(token: str):
    session = db()
    _reader_zone(acks.find_link(session, token))
    try:
        link = acks.acknowledge_by_link(session, token)
    except Conflict as exc:
        link = acks.find_link(session, token)
        return render_template("dissemination/ack.html", link=link, duty=link.duty, token=token,
                               problem=exc.message,
                               done=False), 409
    return render_template("dissemination/ack.html", link=link, duty=link.duty, token=token,
                           problem=None, done=True)


@bp.get("/admin/outbox")
@login_required
def outbox():
    if current_user.role != "admin":
        abort(403, "Only an administrator may see the outbox.")
    session = db()
    state = request.args.get("state", "")
    query = select(Notification).order_by(Notification.id.desc()).limit(OUTBOX_PAGE)
    if state in ("queued", "delivered", "failed"):
        query = query.where(Notification.state == state)
    elif state:
        abort(400, f"'{state}' is not a state of the outbox; use queued, delivered or failed.")
    notes = session.scalars(query).all()
    return render_template("dissemination/outbox.html", notifications=notes, state=state,
                           files=list_written(outbox_folder())[:OUTBOX_PAGE],
                           folder=outbox_folder(), page=OUTBOX_PAGE)


@bp.get("/admin/outbox/files/<name>")
@login_required
def outbox_file(name: str):
    if current_user.role != "admin":
        abort(403, "Only an administrator may see the outbox.")
    message = read_written(outbox_folder(), name)
    if message is None:
        abort(404, f"There is no written message '{name}'.")
    text = message.get_body(preferencelist=("plain",))
    return render_template("dissemination/outbox_file.html", name=name, message=message,
                           text=text.get_content() if text else "")


@bp.get("/incidents/<path:key>/version")
@login_required
def board_version_json(key: str):
    """What an open board polls: a version that changes with anything the board shows.
    Answers 304 to a poll whose If-None-Match is current, so an idle board costs little."""
    from agreements.access import can_see_incident
    from agreements.dissemination.status import board_version
    from agreements.errors import NotFound
    from agreements.incidents import get_incident
    session = db()
    incident = get_incident(session, key)
    if not can_see_incident(current_user, session, incident):
        raise NotFound(f"there is no incident '{key}'")
    version = board_version(session, incident)
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(version=version)
    response.set_etag(version)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
