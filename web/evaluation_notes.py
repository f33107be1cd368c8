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
        mine = [compiled for _, compiled in _in_force_compiled(session)
                if user.organisation_id in compiled.party_index]
        ids = {a.id for a in mine}
        warnings = [w if "field" not in w else
                    {**w, "message": partner_value_message(w["field"], w["value"], mine)}
                    for w in warnings if w.get("agreement") is None or w.get("agreement") in ids]
        why_none = [entry for entry in why_none if entry[0] in ids]
    return {"warnings": warnings, "why_none": why_none}


def partner_value_message(field: str, value, mine) -> str:
    """A value warning for a partner: its suggestion is drawn only from the `one of` lists of
    the agreements the partner is party to (`mine`), never from another's."""
    from engine.advice import closest, one_of_message
    listed = [v for ag in mine for v in ag.one_of.get(field, ())]
    return one_of_message(field, value, closest(value, listed))


def _in_force_compiled(session):
    return [(r.slug, cache.by_hash(r.content_hash, r.source, f"{r.slug}.agreement"))
            for r in executed_in_force(session)]
