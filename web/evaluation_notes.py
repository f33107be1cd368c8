"""What an evaluation said besides its duties, as far as the reader may see it."""

from __future__ import annotations

from agreements import compiled as cache
from agreements.incidents import executed_in_force


def shown_notes(user, session, message) -> dict:
    """The evaluation's warnings and why-nothing list, as far as this user may see them: a
    partner sees no warning about, and no reason from, an agreement it is not party to."""
    notes = message.notes or {}
    warnings = list(notes.get("warnings") or ())
    why_none = list(notes.get("why_none") or ())
    if user.role == "partner":
        mine = {slug for slug, compiled in _in_force_compiled(session)
                if user.organisation_id in compiled.party_index}
        from engine.advice import one_of_message
        warnings = [w if "field" not in w else  # its suggestion may quote another's value
                    {**w, "message": one_of_message(w["field"], w["value"], None)}
                    for w in warnings if w.get("agreement") in mine
                    or w.get("agreement") is None and "field" in w]
        why_none = [entry for entry in why_none if entry[0] in mine]
    return {"warnings": warnings, "why_none": why_none}


def _in_force_compiled(session):
    return [(r.slug, cache.by_hash(r.content_hash, r.source, f"{r.slug}.agreement"))
            for r in executed_in_force(session)]
