"""The JSON API's objects: agreements, revisions, duties and incidents as a caller may see them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from flask import url_for

from agreements import compiled as cache
from agreements.access import can_see_duty, can_see_revision
from agreements.duties import consequence, effective_state
from agreements.models import Agreement, Duty, Incident, Revision, User
from dsl.errors import CompactError
from web.db import db

_KIND = re.compile(r"^[ \t]+kind[ \t]+([A-Za-z_][\w-]*)", re.MULTILINE)


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compiled(revision: Revision):
    """The compiled agreement of an error-free revision (from the cache), else None."""
    if revision.error_count:
        return None
    try:
        return cache.compiled(revision)
    except CompactError:
        return None


def _kind(revision: Revision) -> str | None:
    agreement = _compiled(revision)
    if agreement is not None:
        return agreement.kind
    match = _KIND.search(revision.source or "")
    return match.group(1) if match else None


def _visible_revisions(user: User, agreement: Agreement) -> list[Revision]:
    if user.role != "partner":
        return list(agreement.revisions)
    return [r for r in agreement.revisions if can_see_revision(user, r)]


def _shown_revision(user: User, agreement: Agreement, visible: list[Revision]) -> Revision | None:
    """The revision that describes the agreement now: out for signature, else in force, else
    the latest one the caller may see."""
    ids = {r.id for r in visible}
    for candidate in (agreement.published_revision, agreement.executed_revision):
        if candidate is not None and candidate.id in ids:
            return candidate
    return visible[-1] if visible else None


def _revision_state(revision: Revision) -> str:
    agreement = revision.agreement
    if agreement.executed_revision_id == revision.id:
        return "executed"
    if agreement.published_revision_id == revision.id:
        return "out_for_signature"
    return "published" if revision.published_at is not None else "draft"


def agreement_json(user: User, agreement: Agreement, *, detail: bool = False) -> dict:
    visible = _visible_revisions(user, agreement)
    shown = _shown_revision(user, agreement, visible)
    ids = {r.id for r in visible}
    executed = agreement.executed_revision
    published = agreement.published_revision
    out = {
        "id": agreement.slug,
        "slug": agreement.slug,
        "title": shown.title if shown else agreement.slug,
        "kind": _kind(shown) if shown else None,
        "status": agreement.state,
        "parties": [{"id": p, "name": name} for p, name in (shown.parties if shown else [])],
        "latest_revision": visible[-1].number if visible else None,
        "executed_revision": executed.number if executed is not None and executed.id in ids
        else None,
        "executed_at": _time(agreement.executed_at) if executed is not None else None,
        "out_for_signature": published.number if published is not None and published.id in ids
        else None,
        "url": url_for("api.agreement", slug=agreement.slug),
    }
    if detail:
        compiled = _compiled(shown) if shown else None
        out.update({
            "binding": compiled.binding if compiled else None,
            "effective_from": compiled.effective_from.isoformat() if compiled else None,
            "effective_until": (compiled.effective_until.isoformat()
                                if compiled and compiled.effective_until else None),
            "revisions": [revision_json(r) for r in visible],
        })
    return out


def revision_json(revision: Revision, *, detail: bool = False) -> dict:
    slug = revision.agreement.slug
    out = {
        "agreement": slug,
        "number": revision.number,
        "title": revision.title,
        "state": _revision_state(revision),
        "content_hash": revision.content_hash,
        "author": revision.author.name,
        "created_at": _time(revision.created_at),
        "published_at": _time(revision.published_at),
        "errors": revision.error_count,
        "warnings": revision.warning_count,
        "url": url_for("api.revision", slug=slug, number=revision.number),
        "pdf": (url_for("api.revision_pdf", slug=slug, number=revision.number)
                if not revision.error_count else None),
    }
    if detail:
        out.update({
            "parties": [{"id": p, "name": name} for p, name in revision.parties],
            "diagnostics": revision.diagnostics or "",
            "source": revision.source,
            "signatures": [{"party": s.party_id, "signer_name": s.signer_name,
                            "signer_title": s.signer_title, "signed_at": _time(s.signed_at),
                            "content_hash": s.content_hash, "user": s.user.email}
                           for s in revision.signatures],
        })
    return out


def duty_json(duty: Duty, now: datetime | None = None) -> dict:
    out = duty.as_dict()
    out["effective_state"] = state = effective_state(duty, now)
    otherwise = consequence(duty, state)
    if otherwise is not None:  # a key added, as the evaluation JSON has it
        out["consequence"] = otherwise
    out["created_at"] = _time(duty.created_at)
    out["fulfilled_at"] = _time(duty.fulfilled_at)
    out["superseded_at"] = _time(duty.superseded_at)
    out["escalation_of"] = duty.escalation_of_id
    return out


def incident_json(user: User, incident: Incident, *, detail: bool = False) -> dict:
    out = {
        "id": incident.key,
        "type": incident.type,
        "state": incident.state,
        "exercise": incident.exercise,
        "reported_at": _time(incident.reported_at),
        "recorded_at": _time(incident.recorded_at),
        "updated_at": _time(incident.updated_at),
        "url": url_for("api.incident", key=incident.key),
    }
    if detail:
        from web.evaluation_notes import shown_notes
        notes = shown_notes(user, db(), incident.latest_message)
        out["warnings"] = notes["warnings"]
        out["why_none"] = [{"agreement": a, "reasons": r} for a, r in notes["why_none"]]
        out["messages"] = [{"sequence": m.sequence, "format": m.format,
                            "message_type": m.message_type, "cap_identifier": m.cap_identifier,
                            "received_at": _time(m.received_at)} for m in incident.messages]
        out["duties"] = [duty_json(d) for d in incident.duties if can_see_duty(user, d)]
    return out
