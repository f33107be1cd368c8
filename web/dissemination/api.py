"""The JSON API of the dissemination channel: contact points and deliveries; routes only.

The API's own conventions (web/api.py): bearer tokens only, errors as JSON {"error": {...}}
with a 4xx status, and an object the caller may not see answers 404 as if it did not exist.
Contact points: an administrator manages every organisation's, a partner its own (404 for
others); other roles are refused 403. Deliveries of a duty: whoever may see the duty.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from agreements.access import can_see_duty
from agreements.dissemination import contacts as ops
from agreements.dissemination import dispatcher
from agreements.dissemination.models import ContactPoint
from agreements.dissemination.status import reach_of
from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.models import Duty, Organisation
from engine import limits
from web import api
from web.api_json import _time
from web.db import db

bp = Blueprint("dissemination_api", __name__)


@bp.before_request
def authenticate():
    """The API's authentication (bearer tokens, never a cookie) and its refusal of NUL."""
    refused = api.authenticate()
    if refused is not None:
        return refused
    api.refuse_nul_in_query()
    return None


# ---------------------------------------------------------------- contact points

def _organisation(org_id: str) -> Organisation:
    """The organisation the caller may manage; a partner is told nothing of the others."""
    user = api.caller()
    if user.role not in ("admin", "partner"):
        raise NotAllowed("only an administrator, or a partner for its own organisation, may "
                         f"manage contact points; you are {_article(user.role)} {user.role}")
    org = db().get(Organisation, org_id) if org_id and "\x00" not in org_id else None
    if org is None or (user.role == "partner" and org.id != user.organisation_id):
        raise NotFound(f"there is no organisation '{org_id}'")
    return org


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _number(text: str) -> int | None:
    """The id a path names, or None. The routes take any text rather than `<int:...>`, so
    that a caller without a token is answered 401 before anything is looked up."""
    if text.isascii() and text.isdigit() and len(text) <= 20 and limits.route_id(int(text)):
        return int(text)
    return None


def _point(org: Organisation, point_id: str) -> ContactPoint:
    """One of the organisation's contact points (a removed one too: the operation says)."""
    number = _number(point_id)
    point = db().get(ContactPoint, number) if number is not None else None
    if point is None or point.organisation_id != org.id:
        raise NotFound(f"{org.id} has no contact point {point_id}")
    return point


def point_json(point: ContactPoint) -> dict:
    """A contact point as the API shows it: never its secret."""
    health = ("removed" if point.removed_at is not None
              else dispatcher.contact_point_health(db(), point))
    return {"id": point.id, "kind": point.kind, "address": point.address, "label": point.label,
            "paused": point.paused, "health": health, "removed_at": _time(point.removed_at)}


def _text(data: dict, name: str, *, required: bool) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        message = (f"'{name}' must be text" if value is not None else
                   f"give '{name}'" + (": email or webhook" if name == "kind" else ""))
        raise Invalid(message, [f"$.{name}: {message}"])
    return value


@bp.get("/api/organisations/<org_id>/contact-points")
def contact_points(org_id: str):
    org = _organisation(org_id)
    session = db()
    listed = [{key: p[key] for key in ("id", "kind", "address", "label", "paused", "health")}
              | {"removed_at": None} for p in ops.contact_overview(session, org.id)]
    return jsonify({"organisation": org.id, "contact_points": listed,
                    "falls_back_to_agreement_contact": ops.falls_back(session, org.id)})


@bp.post("/api/organisations/<org_id>/contact-points")
def add_contact_point(org_id: str):
    org = _organisation(org_id)  # 403/404 before the body is read
    data = api._json_object("a contact point")
    unknown = sorted(set(data) - {"kind", "address", "label"})
    if unknown:
        problems = [f"$.{name}: not a field of a contact point (kind, address, label)"
                    for name in unknown]
        raise Invalid("a contact point has only kind, address and label", problems)
    kind = _text(data, "kind", required=True)
    address = _text(data, "address", required=True)
    label = _text(data, "label", required=False)
    point, secret = ops.add_contact_point(db(), api.caller(), org.id, kind=kind,
                                          address=address, label=label)
    body = point_json(point)
    if secret is not None:
        body["secret"] = secret  # shown in this answer only: it is never shown again
    return api._created(body, url_for("dissemination_api.contact_points", org_id=org.id))


@bp.post("/api/organisations/<org_id>/contact-points/<point_id>/pause")
def pause(org_id: str, point_id: str):
    org = _organisation(org_id)
    point = ops.set_paused(db(), api.caller(), _point(org, point_id).id, True)
    return jsonify(point_json(point))


@bp.post("/api/organisations/<org_id>/contact-points/<point_id>/resume")
def resume(org_id: str, point_id: str):
    org = _organisation(org_id)
    point = ops.set_paused(db(), api.caller(), _point(org, point_id).id, False)
    return jsonify(point_json(point))


@bp.post("/api/organisations/<org_id>/contact-points/<point_id>/remove")
def remove(org_id: str, point_id: str):
    """Removing a removed point again changes nothing and answers it as it is."""
    org = _organisation(org_id)
    point = ops.remove_contact_point(db(), api.caller(), _point(org, point_id).id)
    return jsonify(point_json(point))


# ---------------------------------------------------------------- deliveries

@bp.get("/api/duties/<duty_id>/deliveries")
def deliveries(duty_id: str):
    """The latest message about the duty to each destination, and what became of it."""
    session = db()
    number = _number(duty_id)
    duty = session.get(Duty, number) if number is not None else None
    if duty is None or not can_see_duty(api.caller(), duty):
        raise NotFound(f"there is no duty {duty_id}")
    reached = reach_of(session, [duty.id]).get(duty.id, [])
    return jsonify({"duty": duty.id, "deliveries": [
        {"event": r.event, "wave": r.wave, "channel": r.channel, "address": r.address,
         "source": r.source, "state": r.state, "attempts": r.attempts,
         "delivered_at": _time(r.delivered_at),
         "next_try": _time(r.next_try) if r.state == "queued" else None,
         "outcome": r.outcome} for r in reached]})
