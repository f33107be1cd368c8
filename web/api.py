"""The JSON API for scripts: bearer tokens only, the same access rules as the pages.

Every refusal is a JSON error {"error": {"status", "title", "message", "details"?}} with a 4xx
status (see web/errors.py); an object the caller may not see is 404, as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timezone

from flask import Blueprint, Response, g, jsonify, request, url_for
from sqlalchemy import and_, not_, or_, select, tuple_, union_all
from sqlalchemy.orm import selectinload

from agreements import clock
from agreements import compiled as cache
from agreements.access import (can_see_agreement, can_see_duty, can_see_incident,
                               can_see_revision, partner_duties, require_role)
from agreements.documents import revision_pdf
from agreements.drafting import get_agreement, get_revision
from agreements.duties import TRANSITIONS, change_duty, effective_state
from agreements.errors import Invalid, NotFound, OperationError
from agreements.incidents import (evaluate_in_store, get_incident, holds_several,
                                  parse_incident, record_incident, record_incidents, time_field,
                                  update_incident)
from agreements.models import (DUTY_STATES, Agreement, Duty, Incident, Revision, User,
                               UTCDateTime)
from agreements.tokens import check_token
from dsl.timestamps import parse_time
from engine import limits
from engine.schema import BUILTIN_FIELDS
from engine.evaluator import Evaluation
from web.api_json import (_time, _visible_revisions, agreement_json, duty_json,
                           incident_json, revision_json)
from web.db import db
from web.errors import error_response
from web import pagination

bp = Blueprint("api", __name__, url_prefix="/api")

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
JSON_TYPES = frozenset({"application/json"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/cap+xml",
                       "application/atom+xml", "application/rss+xml"})
# What the engine says when it cannot even read the text: a malformed body, not a bad incident.
_SYNTAX_PREFIXES = ("not valid JSON", "not valid XML", "the incident is not UTF-8 text",
                    "the file is not valid XML", "the XML declares the encoding",
                    "the XML is not valid text in the encoding")
_OF_AGREEMENT = re.compile(r"of agreement ([a-z][a-z0-9_-]*)")


class BadRequest(OperationError):
    status = 400


class UnsupportedType(OperationError):
    status = 415


# ---------------------------------------------------------------- authentication

# A read-only token may use these besides reading: evaluation stores nothing.
READ_ONLY_ALLOWED = frozenset({"api.evaluate"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_REFUSAL = ("This token is read-only: it may read and evaluate, not change the "
                     "record. Use a token without the read-only scope for this.")


@bp.before_request
def authenticate():
    """Only `Authorization: Bearer <token>`: a session cookie never authenticates the API.
    401 without a valid token (unknown, revoked, expired); 403 for a read-only token on a
    request that would change the record."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _unauthorized("This API needs an API token: send 'Authorization: Bearer "
                             "<token>'. Create a token on your account page.")
    checked = check_token(db(), token, clock.utcnow())
    if checked.token is None:
        return _unauthorized(checked.refused)
    if (checked.token.read_only and request.method not in READ_METHODS
            and request.endpoint not in READ_ONLY_ALLOWED):
        return error_response(403, READ_ONLY_REFUSAL)
    g.api_user = checked.user
    return None


def _unauthorized(message: str):
    response, status = error_response(401, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response, status


@bp.before_request
def refuse_nul_in_query():
    """A NUL character names nothing and no database takes it: 400, before any query."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\u0000")
            raise BadRequest(f"the query parameter '{shown}' holds a NUL character (U+0000), "
                             "which no value may hold")
    return None


def caller() -> User:
    return g.api_user


# ---------------------------------------------------------------- request bodies

def _body(allowed: frozenset, what: str) -> tuple[bytes, str]:
    """The request body and its media type; 415 for another type, 400 for an empty body
    (413 for one over the size limit, raised by the request itself)."""
    mimetype = request.mimetype or ""
    if mimetype not in allowed and not (mimetype.endswith("+json") and JSON_TYPES <= allowed):
        told = f"'{mimetype}'" if mimetype else "no Content-Type"
        raise UnsupportedType(f"send {what} with Content-Type {_listed(sorted(allowed))}; this "
                              f"request has {told}")
    data = request.get_data(cache=False)
    if not data.strip():
        raise BadRequest(f"the request has no body: send {what}")
    return data, ("xml" if mimetype in XML_TYPES else "json")


def _listed(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _incident_body() -> bytes:
    data, kind = _body(JSON_TYPES | XML_TYPES, "an incident (JSON) or a CAP 1.2 alert (XML)")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if kind == "json" and head == b"<":
        raise BadRequest("the body is sent as JSON but it is XML; send a CAP alert with "
                         "Content-Type application/xml")
    if kind == "xml" and head != b"<":
        raise BadRequest("the body is sent as XML but it is not XML; send a JSON incident with "
                         "Content-Type application/json")
    return data


def _syntax_error(exc: Invalid) -> bool:
    return bool(exc.details) and exc.details[0].startswith(_SYNTAX_PREFIXES)


def _reading(call, *args, **kwargs):
    """Run an operation on an incident text; an unreadable text is 400, not 422."""
    try:
        return call(*args, **kwargs)
    except Invalid as exc:
        if _syntax_error(exc):
            raise BadRequest(exc.message, exc.details) from exc
        raise


def _json_object(what: str) -> dict:
    """An optional JSON object body (empty means {})."""
    if not request.get_data(cache=True).strip():
        return {}
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedType(f"send {what} as JSON with Content-Type application/json")
    try:
        value = limits.loads(request.get_data(cache=True).decode("utf-8-sig"))
    except limits.SyntaxLimitError as exc:
        raise BadRequest(f"the body cannot be read: {exc.messages[0]}", exc.messages)
    except limits.LimitError as exc:
        raise Invalid(f"{what} is beyond the limits: " + "; ".join(exc.messages), exc.messages)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        detail = (f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                  if isinstance(exc, json.JSONDecodeError) else "the body is not UTF-8 text")
        raise BadRequest(f"the body cannot be read: {detail}", [detail])
    if not isinstance(value, dict):
        raise Invalid(f"{what} must be a JSON object", ["$: must be an object"])
    return value


def _query_time(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    raw = raw.strip().replace(" ", "+")  # an unencoded '+' of an offset arrives as a space
    try:
        moment = parse_time(raw)
        if not limits.MIN_YEAR <= moment.year <= limits.MAX_YEAR:
            raise ValueError("out of range")
        return moment
    except ValueError:
        message = (f"the query parameter '{name}' must be an RFC 3339 time with an offset, "
                   f"such as 2026-03-14T08:00:00Z, in the years {limits.MIN_YEAR}.."
                   f"{limits.MAX_YEAR}; '{raw}' is not")
        raise Invalid(message, [f"{name}: {message}"])


def _created(body: dict, location: str, status: int = 201):
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = location
    return response


# ---------------------------------------------------------------- the description

@bp.get("/openapi.json")
def openapi():
    from web.openapi import DOCUMENT
    return jsonify(DOCUMENT)


# ---------------------------------------------------------------- agreements

def _agreement(slug: str) -> Agreement:
    agreement = get_agreement(db(), slug)
    if not can_see_agreement(caller(), agreement):
        raise NotFound(f"there is no agreement '{slug}'")
    return agreement


def _revision(slug: str, number: int) -> Revision:
    _agreement(slug)
    if not limits.route_id(number):
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    revision = get_revision(db(), slug, number)
    if not can_see_revision(caller(), revision):
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    return revision


@bp.get("/agreements")
def agreements():
    """A page of the agreements the caller may see, by slug (see web/pagination.py)."""
    user = caller()
    limit = pagination.page_limit()
    after = pagination.decode("agreements", ("text",))
    found: list[Agreement] = []
    more = False
    while True:  # a partner sees only some: read on in chunks until the page is full
        query = select(Agreement).order_by(Agreement.slug).limit(limit + 1)
        if after is not None:
            query = query.where(Agreement.slug > after[0])
        chunk = db().scalars(query).all()
        for agreement in chunk:
            if can_see_agreement(user, agreement):
                if len(found) == limit:
                    more = True
                    break
                found.append(agreement)
        if more or len(chunk) <= limit:
            break
        after = (chunk[-1].slug,)
    cursor = pagination.encode("agreements", (found[-1].slug,)) if more else None
    return pagination.paged({"agreements": [agreement_json(user, a) for a in found]},
                            pagination.next_url(cursor, limit))


@bp.get("/agreements/<slug>")
def agreement(slug: str):
    return jsonify(agreement_json(caller(), _agreement(slug), detail=True))


@bp.get("/agreements/<slug>/revisions")
def revisions(slug: str):
    found = _agreement(slug)
    return jsonify({"agreement": slug,
                    "revisions": [revision_json(r) for r in _visible_revisions(caller(), found)]})


@bp.get("/agreements/<slug>/revisions/<int:number>")
def revision(slug: str, number: int):
    return jsonify(revision_json(_revision(slug, number), detail=True))


@bp.get("/agreements/<slug>/revisions/<int:number>/pdf", endpoint="revision_pdf")
def pdf(slug: str, number: int):
    _revision(slug, number)
    document = revision_pdf(db(), caller(), slug, number)
    response = Response(document.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["X-Content-SHA256"] = document.sha256
    return response


# ---------------------------------------------------------------- incidents

@bp.post("/agreements/<slug>/revisions/<int:number>/publish")
def publish_revision(slug: str, number: int):
    """Send a revision out for signature; one with warnings needs {"confirm_warnings": true}
    (409 listing them otherwise), one with failing examples is refused (422)."""
    from agreements.drafting import publish
    user = caller()
    _agreement(slug)
    if not limits.route_id(number):
        raise NotFound(f"agreement '{slug}' has no revision {number}")
    body = _json_object("the publication")
    confirm = body.get("confirm_warnings", False)
    if not isinstance(confirm, bool):
        raise Invalid("confirm_warnings must be true or false",
                      [f"$.confirm_warnings: {json.dumps(confirm)} is not true or false"])
    revision = publish(db(), user, slug, number, confirm_warnings=confirm)
    return jsonify(revision_json(revision, detail=True))


def _visible_incident(key: str) -> Incident:
    if "\x00" in key or len(key) > 300:  # no incident has such a key: do not ask the database
        raise NotFound(f"there is no incident '{key[:200]}'")
    incident = get_incident(db(), key)
    if not can_see_incident(caller(), db(), incident):
        raise NotFound(f"there is no incident '{key}'")
    return incident


@bp.get("/incidents")
def incidents():
    """A page of the incidents the caller may see, the latest recorded first (then by id),
    as the list was ordered before it had pages."""
    user = caller()
    limit = pagination.page_limit()
    after = pagination.decode("incidents", ("time", "id"))
    query = (select(Incident).order_by(Incident.recorded_at.desc(), Incident.id.desc())
             .limit(limit + 1))
    if after is not None:
        query = query.where(tuple_(Incident.recorded_at, Incident.id)
                            < tuple_(_typed_time(after[0]), after[1]))
    if user.role == "partner":  # as visible_incidents: those that gave its organisation duties
        query = query.where(Incident.id.in_(
            select(Duty.incident_id).where(partner_duties(user.organisation_id))))
    rows = db().scalars(query).all()
    found = rows[:limit]
    cursor = (pagination.encode("incidents", (found[-1].recorded_at, found[-1].id))
              if len(rows) > limit else None)
    return pagination.paged({"incidents": [incident_json(user, i) for i in found]},
                            pagination.next_url(cursor, limit))


def _typed_time(moment: datetime):
    from sqlalchemy import literal
    return literal(moment, UTCDateTime())


def _as_past() -> bool:
    """`?as_past=true`: record an alert that had expired when received as a past incident."""
    raw = (request.args.get("as_past") or "").strip().lower()
    if raw not in ("", "true", "false", "1", "0", "yes", "no"):
        raise Invalid(f"the query parameter 'as_past' must be true or false, not '{raw}'",
                      [f"as_past: '{raw}' is not true or false"])
    return raw in ("true", "1", "yes")


@bp.post("/incidents")
def record():
    user = caller()
    text = _incident_body()
    if holds_several(text):
        return _record_several(user, text)
    incident = _reading(record_incident, db(), user, text, as_past=_as_past())
    status = 201 if len(incident.messages) == 1 else 200  # a CAP Update/Cancel of a known alert
    return _created(incident_json(user, incident, detail=True),
                    url_for("api.incident", key=incident.key), status)


def _record_several(user: User, text: bytes):
    """A feed, EDXL-DE distribution or list: each alert recorded as its own incident, and
    the answer says how many were read and what came of each (200, whatever each gave)."""
    results = []
    for r in record_incidents(db(), user, text, as_past=_as_past()):
        entry = {"position": r.position, "identifier": r.identifier}
        if r.incident is not None:
            entry.update(status=201 if len(r.incident.messages) == 1 else 200,
                         incident=incident_json(user, r.incident, detail=True))
        else:
            entry.update(status=r.error.status, error={"message": r.error.message,
                                                       "details": r.error.details})
        results.append(entry)
    return jsonify({"read": len(results),
                    "recorded": sum(1 for r in results if "incident" in r),
                    "results": results})


@bp.get("/incidents/<path:key>")
def incident(key: str):
    return jsonify(incident_json(caller(), _visible_incident(key), detail=True))


@bp.post("/incidents/<path:key>/updates")
def update(key: str):
    user = caller()
    text = _incident_body()
    incident = _visible_incident(key)
    require_role(user, "coordinator", "admin", doing="update an incident")
    parsed = _reading(parse_incident, text)
    if parsed.format == "cap":
        if parsed.message_type not in ("Update", "Cancel"):
            raise Invalid(f"a CAP {parsed.message_type or 'Alert'} starts a new incident; "
                          f"POST it to {url_for('api.record')}, or send a CAP Update or Cancel "
                          f"here")
        referenced = {ref.split(",")[1].strip() for ref in parsed.references
                      if ref.count(",") >= 2}
        ours = {m.cap_identifier for m in incident.messages if m.cap_identifier}
        if not referenced & ours:
            raise Invalid(f"this CAP {parsed.message_type} does not reference an alert of "
                          f"incident '{key}' (its <references> name "
                          f"{_listed(sorted(referenced)) if referenced else 'nothing'})")
    incident = _reading(update_incident, db(), user, key, text, as_past=_as_past())
    return _created(incident_json(user, incident, detail=True),
                    url_for("api.incident", key=incident.key), 200)


@bp.get("/incidents/<path:key>/why-not")
def why_not(key: str):
    """Why a clause (or every clause) of an agreement in force gave no duty (to a party)."""
    from agreements.explain import why_not as explain
    incident = _visible_incident(key)
    asked = [(request.args.get(name) or "").strip() or None
             for name in ("agreement", "clause", "party")]
    report = explain(db(), caller(), incident, *asked)
    return jsonify({"incident": incident.key, "evaluated_at": _time(report.evaluated_at),
                    "answers": [a.as_dict() for a in report.answers]})


# ---------------------------------------------------------------- duties

def _filter_values(name: str) -> list[str]:
    values = []
    for raw in request.args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


@bp.get("/duties")
def duties():
    """A page of duties by due time (none last), then id. Each stored state is read on its own
    along the index (state, due, id) and the pieces merged, so that a page reads at most a page
    of rows per state whatever the size of the store (see web/pagination.py)."""
    user = caller()
    states = _filter_values("state")
    unknown = [s for s in states if s not in DUTY_STATES]
    if unknown:
        problems = [f"state: '{s}' is not one of {', '.join(DUTY_STATES)}" for s in unknown]
        raise Invalid("unknown duty state " + ", ".join(repr(s) for s in unknown), problems)
    limit = pagination.page_limit()
    after = pagination.decode("duties", ("time?", "id"))
    now = clock.utcnow()
    common = []
    parties = _filter_values("party")
    if parties:
        common.append(Duty.party_id.in_(parties))
    if user.role == "partner":  # its own duties and those owed to it
        common.append(partner_duties(user.organisation_id))
    keys = _filter_values("incident")
    if keys:
        common.append(Duty.incident_id.in_(select(Incident.id).where(Incident.key.in_(keys))))
    ids: list[tuple] = []
    if after is None or after[0] is not None:  # the duties with a due time, by due then id
        keyset = [] if after is None else [tuple_(Duty.due, Duty.id)
                                           > tuple_(_typed_time(after[0]), after[1])]
        ids = _duty_keys(states, now, common + [Duty.due.is_not(None)] + keyset,
                         (Duty.due, Duty.id), limit + 1)
    if len(ids) <= limit:  # then those without, by id
        start = after[1] if after is not None and after[0] is None else 0
        ids += _duty_keys(states, now, common + [Duty.due.is_(None), Duty.id > start],
                          (Duty.id,), limit + 1 - len(ids))
    page = ids[:limit]
    loaded = {d.id: d for d in db().scalars(select(Duty).options(selectinload(Duty.incident))
                                            .where(Duty.id.in_([i for _, i in page])))}
    found = [loaded[i] for _, i in page if can_see_duty(user, loaded[i])]
    if states:
        found = [d for d in found if effective_state(d, now) in states]
    cursor = pagination.encode("duties", page[-1]) if len(ids) > limit else None
    return pagination.paged({"duties": [duty_json(d, now) for d in found]},
                            pagination.next_url(cursor, limit))


def _duty_keys(states: list[str], now: datetime, where: list, order: tuple,
               limit: int) -> list[tuple]:
    """(due, id) of the first `limit` duties in `order` that match, one query per stored state
    (each an index range of (state, due, id)), merged."""
    if limit <= 0:
        return []
    wanted = set(states) or set(DUTY_STATES) - {"superseded"}
    stored = set(wanted)
    if "breached" in wanted:  # past due and not done counts as breached before the check
        stored.update(("open", "acknowledged"))
    overdue = and_(Duty.modality == "must", Duty.due.is_not(None), Duty.due < _typed_time(now),
                   not_(Duty.past))
    parts = []
    for state in sorted(stored):
        conditions = [Duty.state == state, *where]
        if state in ("open", "acknowledged") and states:
            if state not in wanted:
                conditions.append(overdue)
            elif "breached" not in wanted:
                conditions.append(or_(Duty.due.is_(None), not_(overdue)))
        parts.append(select(Duty.due, Duty.id).where(*conditions).order_by(*order)
                     .limit(limit).subquery())
    merged = union_all(*[select(p.c.due, p.c.id) for p in parts]).subquery()
    rows = db().execute(select(merged.c.due, merged.c.id)
                        .order_by(*[merged.c[c.key] for c in order]).limit(limit)).all()
    return [(due.replace(tzinfo=timezone.utc) if due is not None and due.tzinfo is None
             else due, id_) for due, id_ in rows]


@bp.post("/duties/<int:id>/<action>")
def duty_action(id: int, action: str):  # noqa: A002 - the name the API documents
    user = caller()
    if action not in TRANSITIONS:
        raise NotFound(f"there is no duty action '{action}'; use one of "
                       f"{', '.join(TRANSITIONS)}")
    body = _json_object("the action")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise Invalid("the note must be text", [f"$.note: {json.dumps(note)} is not text: write "
                                                 f"it in double quotes"])
    duty = db().get(Duty, id) if limits.route_id(id) else None
    if duty is None or not can_see_duty(user, duty):
        raise NotFound(f"there is no duty {id}")
    duty = change_duty(db(), user, id, action, note=note)
    return jsonify(duty_json(duty))


# ---------------------------------------------------------------- stateless evaluation

@bp.post("/evaluate")
def evaluate():
    """Evaluate an incident against every executed agreement in force; store nothing.

    The body is the JSON `compact evaluate --format json` prints for the same agreements, made
    compact: the same keys, values and order, without whitespace (`Evaluation.to_json(compact=
    True)`: `,` and `:` separators, no final newline), so the C JSON encoder writes it."""
    user = caller()
    text = _incident_body()
    at = _query_time("at")
    parsed = _reading(parse_incident, text)
    when = at or time_field(parsed, "reported_at") or clock.utcnow()
    try:
        evaluation, revisions = evaluate_in_store(db(), parsed, when)
    except Invalid as exc:
        if user.role == "partner":
            raise _for_partner_error(exc, user) from exc
        raise
    if user.role == "partner":
        evaluation = _for_partner(evaluation, revisions, user.organisation_id)
    return Response(evaluation.to_json(compact=True), mimetype="application/json")




def _party_of(revisions: dict, organisation: str | None) -> set[str]:
    """The agreements in force that the organisation is a party to (from the compiled cache)."""
    out = set()
    for slug, in_force in revisions.items():
        compiled = cache.by_hash(in_force.content_hash, in_force.source, f"{slug}.agreement")
        if organisation in compiled.party_index:
            out.add(slug)
    return out


_IN_LANGUAGE = re.compile(r"^no <info> block of the alert is in language '([^']*)'")


def _for_partner(evaluation: Evaluation, revisions: dict, organisation: str | None) -> Evaluation:
    """Only the partner's own duties, and only what concerns agreements it is party to: no
    warning of another's agreement, nor one about a field or a language only another's reads."""
    mine = _party_of(revisions, organisation)
    compiled = [cache.by_hash(revisions[s].content_hash, revisions[s].source, f"{s}.agreement")
                for s in sorted(mine)]
    return dataclasses.replace(
        evaluation,
        duties=tuple(d for d in evaluation.duties
                     if d.party == organisation or organisation in (d.to or ())),
        skipped=tuple((a, r) for a, r in evaluation.skipped if a in mine),
        warnings=tuple(_for_partner_warning(w, revisions, mine) for w in evaluation.warnings
                       if _concerns(w, mine, compiled)))


def _concerns(warning, mine: set, compiled: list) -> bool:
    """Whether a warning is about the partner's agreements (`mine`, compiled as `compiled`)."""
    if warning.agreement is not None:
        return warning.agreement in mine
    if warning.field is not None:  # a value no agreement lists: a field every incident has
        # (type, severity, ...) names nobody's agreement; another field, only if its own reads it
        return warning.field in BUILTIN_FIELDS or any(warning.field in ag.one_of
                                                      for ag in compiled)
    language = _IN_LANGUAGE.match(warning.message)
    if language is not None:  # an <info> language only another's agreement reads
        return any(ag.language == language.group(1) for ag in compiled)
    return True


def _for_partner_warning(warning, revisions: dict, mine: set):
    """A value warning's suggestion comes only from agreements the partner is party to."""
    if warning.field is None:
        return warning
    from web.evaluation_notes import partner_value_message
    compiled = [cache.by_hash(revisions[s].content_hash, revisions[s].source, f"{s}.agreement")
                for s in sorted(mine)]
    return dataclasses.replace(warning, message=partner_value_message(
        warning.field, warning.value, compiled))


def _for_partner_error(exc: Invalid, user: User) -> Invalid:
    """The same refusal, without naming agreements the partner is not party to."""
    from agreements.incidents import executed_in_force
    mine = _party_of({r.slug: r for r in executed_in_force(db())}, user.organisation_id)

    def hide(text: str) -> str:
        return _OF_AGREEMENT.sub(lambda m: m.group(0) if m.group(1) in mine
                                 else "of an agreement you are not party to", text)

    def hide_line(text: str) -> str:
        # A violation of another's agreement would name its field (in the path and in the
        # words): say only that such an agreement refuses the incident.
        found = _OF_AGREEMENT.findall(text)
        if found and any(a not in mine for a in found):
            return _NOT_MINE
        return hide(text)

    details = list(dict.fromkeys(hide_line(d) for d in exc.details))
    if exc.details and exc.message == _NOT_FIT + "; ".join(exc.details):
        return Invalid(_NOT_FIT + "; ".join(details), details)
    return Invalid(hide_line(exc.message), details)


_NOT_FIT = "the incident does not fit the agreements in force: "
_NOT_MINE = ("a value of the incident does not fit an agreement in force that you are not "
             "party to")
