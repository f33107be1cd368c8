"""Incidents: the list, recording (form, JSON or CAP), the board of duties, updates, cancelling,
and what a party or a coordinator does with a duty."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from sqlalchemy import func, select

from agreements import clock
from agreements.access import (can_see_duty, can_see_incident, owed_duty_ids, require_role,
                               visible_duties, visible_incidents)
from agreements.cancellation import cancel_incident
from agreements.duties import (CLOSED_STATES, TRANSITIONS, beneficiaries, change_duty,
                               consequence, effective_state, get_duty, refusal)
from agreements.dissemination.channel import board_context as channel_board_context
from agreements.dissemination.status import board_version, gaps, reach_of
from agreements.errors import Conflict, Invalid, NotFound, OperationError
from agreements.incidents import (LIVE_STATES, ExpiredAlert, _referenced_incident,
                                  check_breaches, get_incident,
                                  holds_several, parse_incident, record_incident,
                                  record_incidents, update_incident)
from agreements.reports import board as glance
from agreements.reports.facts import facts_of
from agreements.models import Duty, DutyEvent, Organisation, Revision, User
from markupsafe import Markup

from engine import limits
from web import board_view, fragments, local_time
from web.db import db

from web.filters import countdown, duty_urls, sentence
from web.form_stash import keeps_typed_form, kept_from, restored
from web.incident_form import FormField, incident_form_fields, incident_from_form
from web.incident_form_errors import refused as refused_form
from web.incident_form_layout import field_groups
from web.evaluation_notes import shown_notes
from web.views.auth import _safe_next

bp = Blueprint("incidents", __name__)

# What an uploaded incident may be: a JSON incident, a CAP alert or a file of alerts, nothing else.
UPLOAD_TYPES = {"application/json", "text/json", "application/xml", "text/xml",
                "application/cap+xml", "application/atom+xml", "application/rss+xml",
                "application/octet-stream"}
UPLOAD_SUFFIXES = {".json", ".xml", ".cap", ".atom", ".rss"}
DONE = {action: to_state for action, (to_state, *_rest) in TRANSITIONS.items()}
DONE["reopen"] = "reopened"


def _user():
    return current_user._get_current_object()


def local_target(target: str | None) -> str | None:
    """A path on this site to return to, or None: never a redirect elsewhere (a backslash or a
    control character could make a browser read the path as another host)."""
    target = _safe_next(target)
    if target is None or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def _known_key(key: str) -> str:
    """A key no incident can have (a NUL, longer than the column) is not asked of the database."""
    if "\x00" in key or len(key) > 300:
        raise NotFound(f"there is no incident '{key[:200]}'")
    return key


def _text_within_limits(value: str, name: str) -> str:
    problems = limits.value_problems(value, name)
    if problems:
        raise Invalid(f"the {name} is beyond the limits: " + "; ".join(problems), problems)
    return value


def _coordinator(doing: str):
    return require_role(_user(), "coordinator", "admin", doing=doing)


def _refresh_breaches() -> None:
    """Mark what is overdue as breached (and give escalation duties) before showing duties.
    A failure here must not hide the board: the duties are shown with their effective state."""
    try:
        check_breaches(db(), None)
    except OperationError as exc:
        current_app.logger.warning("breach check failed: %s", exc.message)


# ---------------------------------------------------------------- submissions

class Unsupported(OperationError):
    status = 415


def _uploaded_text(upload) -> bytes:
    """The bytes of an uploaded incident file, if it is a JSON incident or a CAP alert."""
    name = (upload.filename or "").strip() if upload is not None else ""
    if not name:
        raise Invalid("choose a file to upload: a JSON incident (.json), a CAP alert (.xml or "
                      ".cap), or a feed of alerts (.xml, .atom or .rss)")
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    mimetype = (upload.mimetype or "application/octet-stream").lower()
    if suffix not in UPLOAD_SUFFIXES or mimetype not in UPLOAD_TYPES:
        raise Unsupported(f"'{name}' ({mimetype}) is not an incident file: upload a JSON incident "
                          f"(.json), a CAP alert (.xml or .cap), or a feed of alerts (.xml, .atom or .rss)")
    data = upload.read()
    if not data.strip():
        raise Invalid(f"'{name}' is empty")
    return data


def _submission(fields: list[FormField] | None, kept: dict):
    """The incident text of the form that was sent: built from the fields, pasted, or a file.
    `kept` is filled with what the user gave, to show it again if the incident is refused."""
    source = request.form.get("source", "paste")
    kept.update(source=source, text=request.form.get("incident_text", ""))
    if source == "form" and fields is not None:
        kept["unclear"] = {}  # times the clocks skip or repeat in the user's zone
        data, kept["values"] = incident_from_form(fields, request.form,
                                                  zone=local_time.viewer_zone_name(),
                                                  unclear=kept["unclear"])
        kept["built"] = json.dumps(data, indent=2, ensure_ascii=False)
        return kept["built"]
    if source == "file":
        return _uploaded_text(request.files.get("incident_file"))
    kept["source"] = "paste"
    if not kept["text"].strip():
        raise Invalid("paste an incident: a JSON object, or a CAP alert")
    return kept["text"]


def _summary(incident) -> str:
    live = [d for d in incident.duties if d.state != "superseded"]
    parties = {d.party_id for d in live}
    return (f"{len(live)} dut{'y' if len(live) == 1 else 'ies'} for {len(parties)} "
            f"part{'y' if len(parties) == 1 else 'ies'}")


def _recorded_several(results):
    """A feed, distribution or list was read alert by alert: say how many and what came of
    each, then show the incidents."""
    recorded = [r for r in results if r.incident is not None]
    flash(f"{len(results)} alerts read: {len(recorded)} recorded"
          + (f" ({', '.join(r.incident.key for r in recorded)})" if recorded else "")
          + (f", {len(results) - len(recorded)} not" if len(recorded) < len(results) else "")
          + ".", "success" if len(recorded) == len(results) else "warning")
    for r in results:
        if r.error is not None:
            who = f"alert {r.position}" + (f" ({r.identifier})" if r.identifier else "")
            flash(f"Not recorded: {who}: {sentence(r.error.message)}", "error")
        else:
            notes = r.incident.latest_message.notes or {}
            if notes.get("warnings") or notes.get("why_none"):
                flash(f"Incident {r.incident.key}: {_summary(r.incident)}, with warnings: "
                      "see its board.", "warning")
    return redirect(url_for("incidents.index"))


def _flash_recorded(incident, word: str) -> None:
    """The recording banner: a success only when duties were given and nothing was warned."""
    notes = incident.latest_message.notes or {}
    warnings = len(notes.get("warnings") or ())
    live = [d for d in incident.duties if d.state != "superseded"]
    if incident.state == "cancelled":
        flash(f"Incident {incident.key} {word}: {_summary(incident)}.", "success")
    elif not live:
        flash(f"Incident {incident.key} {word}, but no agreement in force gave any duty"
              + (f" and there {'is' if warnings == 1 else 'are'} {warnings} "
                 f"warning{'' if warnings == 1 else 's'}" if warnings else "")
              + ": see below why each agreement gave nothing.", "warning")
    elif warnings:
        flash(f"Incident {incident.key} {word}: {_summary(incident)}, with {warnings} "
              f"warning{'' if warnings == 1 else 's'}: read {'it' if warnings == 1 else 'them'}"
              " below.", "warning")
    else:
        flash(f"Incident {incident.key} {word}: {_summary(incident)}.", "success")


# ---------------------------------------------------------------- pages

@bp.route("/incidents")
@login_required
def index():
    user = _user()
    require_role(user, "coordinator", "admin", "drafter", "partner", doing="see incidents")
    _refresh_breaches()
    now = clock.utcnow()
    incidents = visible_incidents(db(), user)
    counts = {}
    if incidents:
        query = (select(Duty.incident_id, Duty.state, Duty.modality, Duty.due)
                 .where(Duty.state.in_(LIVE_STATES), Duty.past.is_(False)))
        if user.role == "partner":
            query = query.where(Duty.party_id == user.organisation_id)
        for incident_id, state, modality, due in db().execute(query):
            entry = counts.setdefault(incident_id, {"live": 0, "overdue": 0})
            entry["live"] += 1
            if state == "breached" or (modality == "must" and due is not None and due < now):
                entry["overdue"] += 1
    return render_template("incidents/index.html", incidents=incidents, counts=counts, now=now,
                           can_record=user.role in ("coordinator", "admin"))


@bp.route("/incidents/new", methods=["GET", "POST"])
@keeps_typed_form
@login_required
def new():
    _coordinator("record an incident")
    fields, in_force = incident_form_fields(db())
    kept = {"source": None, "text": "", "values": {}, "built": None}
    errors, status = None, 200
    expired = None
    if restored() is not None:  # given back after signing in again: shown, not recorded
        kept_from(restored(), fields, kept)
    elif request.method == "POST":
        text = None
        try:
            text = _submission(fields, kept)
            local_time.refuse_unclear(kept.get("unclear"))
            as_past = request.form.get("as_past") == "yes"
            if holds_several(text):
                return _recorded_several(record_incidents(db(), _user(), text,
                                                          as_past=as_past))
            incident = record_incident(db(), _user(), text, as_past=as_past)
        except ExpiredAlert as exc:
            # Ask: record it as a past incident, or not at all. The text is kept to re-send.
            expired, status = exc, exc.status
            kept["source"] = "paste"
            kept["text"] = _as_text(text)
        except (Invalid, Conflict, Unsupported) as exc:
            status = exc.status
            errors = refused_form(db(), _user(), exc, text, kept, fields)
        else:
            word = "recorded" if len(incident.messages) == 1 else (
                "cancelled" if incident.state == "cancelled" else "updated")
            _flash_recorded(incident, word)
            return redirect(url_for("incidents.board", key=incident.key))
    if not kept["values"]:
        kept["values"] = {"status": "actual",
                          "reported_at": local_time.form_value(clock.utcnow())}
    return render_template("incidents/new.html", fields=fields, in_force=in_force, kept=kept,
                           groups=field_groups(db(), fields), errors=errors,
                           expired=expired), status


def _state_order(duty: Duty):
    return (duty.due is None, duty.due or 0, duty.agreement_slug, duty.clause, duty.party_id)


def _party_names(session, duties) -> dict[str, str]:
    ids = {d.party_id for d in duties} | {c.get("party") for d in duties for c in d.costs or ()}
    names = {}
    revisions = {d.revision_id for d in duties}  # hundreds of duties, a few revisions
    if revisions:  # as the agreements name them, then as the organisations are known here
        for parties in session.scalars(select(Revision.parties)
                                       .where(Revision.id.in_(revisions))):
            for party, name in parties:
                names.setdefault(party, name)
    if ids:
        for org_id, name in session.execute(select(Organisation.id, Organisation.name)
                                            .where(Organisation.id.in_(ids))):
            names[org_id] = name
    return names


def allowed_actions(user, duty: Duty, now) -> list[str]:
    """The actions this user may take on this duty now, in the order the page offers them."""
    if duty.state == "superseded" or user.role not in ("partner", "coordinator", "admin"):
        return []
    if user.role == "partner" and duty.party_id != user.organisation_id:
        return []
    state = effective_state(duty, now)
    return [action for action, (_to, from_states, roles, _reason) in TRANSITIONS.items()
            if user.role in roles and state in from_states and not refusal(duty, action)]


def closing_events(session, duties) -> dict[int, tuple]:
    """duty id -> (event id, who, when, why) of the event that closed each fulfilled, declined
    or waived duty: what the closed duties on the board show."""
    wanted = [d.id for d in duties if d.state in CLOSED_STATES]
    if not wanted:
        return {}
    last = (select(DutyEvent.duty_id, func.max(DutyEvent.id).label("id"))
            .where(DutyEvent.duty_id.in_(wanted)).group_by(DutyEvent.duty_id).subquery())
    rows = session.execute(
        select(DutyEvent.duty_id, DutyEvent.id, User.name, DutyEvent.at, DutyEvent.note)
        .join(last, DutyEvent.id == last.c.id).outerjoin(User, User.id == DutyEvent.actor_id))
    return {duty_id: (event_id, name or "the system", at, note)
            for duty_id, event_id, name, at, note in rows}


def declined_musts(session, user, current, closings, names) -> list[dict]:
    """The `must` duties declined by their party, for the coordinators' notice on the board."""
    if user.role not in ("coordinator", "admin"):
        return []
    return [{"id": d.id, "party": names.get(d.party_id, d.party_id), "clause": d.clause,
             "by": closings[d.id][1], "at": closings[d.id][2], "reason": closings[d.id][3]}
            for d in current if d.state == "declined" and d.modality == "must"
            and d.id in closings]


@bp.route("/incidents/<path:key>")
@login_required
def board(key: str):
    user = _user()
    _refresh_breaches()
    session = db()
    incident = get_incident(session, _known_key(key))
    if not can_see_incident(user, session, incident):
        raise NotFound(f"there is no incident '{key}'")
    now = clock.utcnow()
    query = glance.parse_query(request.args)  # the view kept in the address; 400 if unknown
    history = query.history
    # A board of hundreds of duties reads plain columns; the rows and cards come from the
    # per-worker cache (web/fragments.py), and explanations and histories are fetched on demand.
    rows = session.execute(select(*BOARD_COLUMNS).where(Duty.incident_id == incident.id)).all()
    owed = owed_duty_ids(session, user, [r.id for r in rows])
    duties = sorted(visible_duties(user, rows, owed), key=_state_order)
    current = [d for d in duties if d.state != "superseded"]
    superseded = []
    if history:
        wanted = [d.id for d in duties if d.state == "superseded"]
        superseded = sorted(session.scalars(select(Duty).where(Duty.id.in_(wanted))).all(),
                            key=_state_order) if wanted else []
    names = _party_names(session, duties)
    states = {d.id: effective_state(d, now) for d in duties}
    # The filters: the counts by state are of every state, the rest of the view of those asked.
    counted = glance.filter_duties(current, states, names, query, with_state=False)
    shown = glance.filter_duties(counted, states, names, query)
    groups: dict[str, list] = {}
    for duty in shown:
        groups.setdefault(duty.party_id, []).append(duty)
    ordered = sorted(groups.items(), key=lambda kv: (_state_order(kv[1][0])[:2],
                                                     names.get(kv[0], kv[0]).lower()))
    here = request.full_path.rstrip("?")
    offered: dict[tuple, list] = {}  # what is offered depends on these alone: a few kinds
    for d in duties:
        kind = (d.state, states[d.id], d.modality, d.party_id == user.organisation_id)
        if kind not in offered:
            offered[kind] = allowed_actions(user, d, now)
    actions = {d.id: offered[(d.state, states[d.id], d.modality,
                              d.party_id == user.organisation_id)] for d in duties}
    closings = closing_events(session, shown)
    reach = reach_of(session, [d.id for d in shown])
    if query.view == "cards":
        cards, table = _duty_cards(session, ordered, states, actions, names, now, here,
                                   closings), None
    else:
        cards = None
        table = board_view.table_context(
            glance.collapse_prohibitions(shown) if query.group != "party"
            else [glance.Row([d]) for d in shown],
            query, states, actions, names, reach, now, here, incident.key,
            owed_to=beneficiaries(session, [d.id for d in shown]),
            otherwise={d.id: consequence(d, states[d.id], session) for d in shown
                       if states[d.id] in ("breached", "lapsed")})
    by_party: dict[str, list] = {}
    for duty in current:
        by_party.setdefault(duty.party_id, []).append(duty)
    return render_template(
        "incidents/board.html", incident=incident, groups=ordered, superseded=superseded,
        history=history, names=names, states=states, now=now, here=here,
        actions=actions, cards=cards, message=incident.latest_message,
        facts=facts_of(incident, local_time.fact_time),
        query=query, table=table, tally=glance.tally(counted, states),
        strip=glance.next_deadlines(shown, states, now), choices=glance.options(current, names),
        closed=[(d, closings[d.id]) for d in shown if d.id in closings],
        superseded_count=sum(d.state == "superseded" for d in duties),
        declined=declined_musts(session, user, current, closing_events(session, [
            d for d in current if d.state == "declined" and d.modality == "must"]), names),
        reach=reach, reach_rows=board_view.reach_rows(ordered, states, names, reach),
        gaps=(gaps(session, list(by_party), reach_of(session, [
            d.id for d in current]) if query.filtered else reach, by_party)
            if user.role in ("coordinator", "admin") else {}),
        version=board_version(session, incident),
        **{k: v for k, v in channel_board_context(session, user, incident).items()
           if k != "incident"},
        notes=shown_notes(user, session, incident.latest_message),
        can_ask_why=user.role in ("coordinator", "admin"),
        can_manage=user.role in ("coordinator", "admin") and incident.state in ("active",
                                                                                "past"))


BOARD_COLUMNS = (Duty.id, Duty.party_id, Duty.state, Duty.due, Duty.modality, Duty.exercise,
                 Duty.agreement_slug, Duty.clause, Duty.costs, Duty.revision_id, Duty.past,
                 Duty.title, Duty.action, Duty.occurrence, Duty.content_hash)


def _duty_cards(session, groups, states, actions, names, now, here,
                closings=None) -> dict[str, Markup]:
    """Each party's duty cards as one piece of HTML, from the per-worker card cache; the
    duties whose card is not cached are loaded whole, in one query, and rendered."""
    context = _card_context()
    database = current_app.extensions["compact.engine"].url.render_as_string()
    viewer_zone = local_time.viewer_zone_name()  # a card's times are in its viewer's zone
    keys, clocks = {}, {}
    closings = closings or {}
    for _party, duties in groups:
        for d in duties:
            clocks[d.id] = countdown(d.due, now) if d.due else None
            cost_names = tuple(names.get(c.get("party"), c.get("party")) for c in d.costs or ())
            # A duty's text never changes, so the database and its id stand for it; the rest
            # of what its card shows is in the key too, but for the countdown, filled below;
            # a closed duty shows who closed it: that event's id (a duty reopened and closed
            # again has a new one).
            closing = closings.get(d.id)
            keys[d.id] = (database, d.id, states[d.id], d.due is not None and d.due < now, d.past,
                          tuple(actions[d.id]), cost_names, context["patterns"],
                          closing[0] if closing else None, viewer_zone)
    found = fragments.cached(keys.values())
    missing = [i for i, key in keys.items() if key not in found]
    if missing:
        template = current_app.jinja_env.get_template("incidents/_duty_card.html")
        helpers = current_app.jinja_env.globals
        for d in session.scalars(select(Duty).where(Duty.id.in_(missing))):
            html = template.render({**helpers, **context, "d": d, "state": states[d.id],
                                    "now": now, "names": names, "allowed": actions[d.id],
                                    "closing": closings.get(d.id),
                                    "here": fragments.NEXT_MARK,
                                    "countdown_mark": fragments.COUNTDOWN_MARK})
            found[keys[d.id]] = fragments.keep(keys[d.id], html)
    return {party: Markup(fragments.fill("".join(
                fragments.assemble(found[keys[d.id]], clocks[d.id]) for d in duties),
                context["real_csrf"], here))
            for party, duties in groups}


def _card_context() -> dict:
    from flask_wtf.csrf import generate_csrf
    return {**duty_urls(), "page_csrf": fragments.CSRF_MARK, "csrf_mark": fragments.CSRF_MARK,
            "next_mark": fragments.NEXT_MARK, "real_csrf": generate_csrf()}


@bp.route("/duties/<int:duty_id>")
@login_required
def duty(duty_id: int):
    """One duty: why it applies, with the values read then, and everything that happened to it.
    `?fragment=1` gives just that part, for the board to show when a user opens it."""
    user = _user()
    session = db()
    found = session.get(Duty, duty_id) if limits.route_id(duty_id) else None
    if found is None or not can_see_duty(user, found):
        raise NotFound(f"there is no duty {duty_id}")
    now = clock.utcnow()
    context = dict(duty=found, now=now, names=_party_names(session, [found]),
                   state=effective_state(found, now))
    if request.args.get("fragment") == "1":
        # `level`: its headings' level where it is put (default 4, under a duty card's h3).
        level = request.args.get("level", "4")
        return render_template("incidents/_duty_detail.html",
                               detail_level=int(level) if level in ("2", "3", "4", "5") else 4,
                               **context)
    here = request.full_path.rstrip("?")
    return render_template("incidents/duty.html", here=here,
                           actions=allowed_actions(user, found, now), **context)


@bp.route("/incidents/<path:key>/update", methods=["GET", "POST"])
@keeps_typed_form
@login_required
def update(key: str):
    user = _coordinator("update an incident")
    session = db()
    incident = get_incident(session, _known_key(key))
    latest = incident.latest_message
    kept = {"source": "paste", "text": latest.received if latest.format == "json" else "",
            "values": {}, "built": None}
    errors, status, expired = None, 200, None
    as_past = request.form.get("as_past") == "yes"
    if restored() is not None:  # given back after signing in again: shown, not sent
        kept_from(restored(), None, kept)
    elif request.method == "POST":
        text = None
        try:
            if incident.state == "cancelled":
                raise Conflict(f"incident '{key}' was cancelled; record a new incident instead")
            text = _submission(None, kept)
            parsed = parse_incident(text)
            if parsed.format == "cap" and parsed.message_type in ("Update", "Cancel"):
                if _referenced_incident(session, parsed) is not incident:
                    raise Invalid(f"this CAP {parsed.message_type} does not reference an alert "
                                  f"of incident '{key}' (its references: "
                                  f"{', '.join(parsed.references) or 'none'})")
                incident = record_incident(session, user, text, as_past=as_past)
            elif parsed.format == "cap":
                raise Invalid(f"this CAP message is a new {parsed.message_type or 'Alert'}, not an "
                              f"update; record it as a new incident, or send a CAP Update that "
                              f"references the alert")
            else:
                incident = update_incident(session, user, key, text, as_past=as_past)
        except ExpiredAlert as exc:
            expired, status = exc, exc.status
            kept["source"] = "paste"
            kept["text"] = _as_text(text)
            session.rollback()
            incident = get_incident(session, key)
        except (Invalid, Conflict, Unsupported) as exc:
            status = exc.status
            session.rollback()
            incident = get_incident(session, key)
            errors = refused_form(session, user, exc, text, kept, None, updating=incident.key)
        else:
            _flash_recorded(incident, "cancelled" if incident.state == "cancelled" else "updated")
            return redirect(url_for("incidents.board", key=incident.key))
    return render_template("incidents/update.html", incident=incident, kept=kept, errors=errors,
                           expired=expired, message=incident.latest_message), status


def _as_text(text) -> str:
    """An uploaded file as text to send again, in the encoding its XML declares."""
    from engine.xml_input import decode
    return decode(text) if isinstance(text, bytes) else text


@bp.route("/incidents/<path:key>/cancel", methods=["POST"])
@login_required
def cancel(key: str):
    user = _coordinator("cancel an incident")
    reason = _text_within_limits(request.form.get("reason", ""), "reason")
    incident = cancel_incident(db(), user, _known_key(key), reason=reason)
    flash(f"Incident {incident.key} is cancelled; its duties are superseded.", "success")
    return redirect(url_for("incidents.board", key=incident.key))


@bp.route("/duties/<int:duty_id>/<action>", methods=["POST"])
@login_required
def duty_action(duty_id: int, action: str):
    if action not in TRANSITIONS:
        abort(404)
    if not limits.route_id(duty_id):
        raise NotFound(f"there is no duty {duty_id}")
    user = _user()
    session = db()
    note = request.form.get("note", "")
    target = local_target(request.form.get("next"))
    duty = get_duty(session, duty_id)
    if not can_see_duty(user, duty):  # the same answer as for no duty: nothing is revealed
        raise NotFound(f"there is no duty {duty_id}")
    try:
        _text_within_limits(note, "note")
        duty = change_duty(session, user, duty_id, action, note=note)
    except (Invalid, Conflict) as exc:
        duty = get_duty(session, duty_id)
        now = clock.utcnow()
        return render_template("incidents/duty_action.html", duty=duty, action=action,
                               error=exc, note=note, next=target, now=now,
                               names=_party_names(session, [duty]),
                               actions=allowed_actions(user, duty, now)), exc.status
    flash(f"{duty.title} ({duty.party_id}): {DONE[action]}"
          + (f", {duty.state} again" if action == "reopen" else "") + ".", "success")
    target = target or url_for("incidents.board", key=duty.incident.key)
    return redirect(target if "#" in target else f"{target}#duty-{duty.id}")
