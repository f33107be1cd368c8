"""The incident board's table: the view of its address (agreements/reports/board.py) put in
rows of HTML, each rendered once per state and kept per worker (web/fragments.py)."""

from __future__ import annotations

from flask import current_app, url_for
from flask_login import current_user
from markupsafe import Markup

from agreements.reports import board as glance
from web import fragments
from web.filters import countdown

QUICK = ("acknowledge", "fulfil")  # done from the row; the others need a note: the duty page


class _Key(tuple):
    """A kept row's key, whose hash is worked out once: it is looked up several times a page,
    and it holds every Reach of the duty."""

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


def _zone_key() -> tuple:
    """What the times a row shows depend on besides the duty: the user's (and organisation's)
    time zone, once the `utc` filter shows times in it."""
    user = current_user._get_current_object()
    org = getattr(user, "organisation", None)
    return (getattr(user, "time_zone", None), getattr(org, "time_zone", None))


def reach_detail(reaches) -> str:
    """Each destination and what became of the latest message to it (Reach.words)."""
    return "; ".join(f"{r.channel} {r.address}: {r.words}" for r in reaches)


def table_context(rows_in_view, query, states, actions, names, reach, now, here,
                  incident_key: str, owed_to=None, otherwise=None) -> dict:
    """The rows (flat, or in folding groups) as HTML, with the links of the column headers.
    `owed_to` and `otherwise`: duty id -> whom it is owed to, and what follows its breach or
    lapse (the row shows them under the action)."""
    reached = {d.id: glance.reach_label(reach.get(d.id)) for r in rows_in_view for d in r.duties}
    rows = glance.sort_rows(rows_in_view, query, states, names, reached)
    groups = glance.group_rows(rows, query.group, names) if query.group else None
    context = {**marker_context(), "owed_to": owed_to or {}, "otherwise": otherwise or {}}
    html = _rows_html([r for g in groups for r in g.rows] if groups else rows, states, actions,
                      names, reach, reached, now, context)

    def joined(some) -> Markup:
        return Markup(fragments.fill("".join(html[r.ids] for r in some), context["real_csrf"],
                                     here))

    headers = [(column, label, url_for("incidents.board", key=incident_key,
                                       **query.sort_args(column)))
               for column, label in (("party", "Party"), ("clause", "Clause"),
                                     ("modality", "Modality"), ("action", "Action"),
                                     ("due", "Due"), ("countdown", "Countdown"),
                                     ("state", "State"), ("reached", "How reached"))]
    out = {"headers": headers, "rows": rows}
    if groups is None:
        out["table_html"] = joined(rows)
        out["groups_html"] = None
    else:
        out["table_html"] = None
        out["groups_html"] = [
            (g, glance.tally(g.duties, states),
             min((d.due for d in g.duties if d.due is not None and states[d.id] in glance.LIVE),
                 default=None),
             joined(g.rows))
            for g in groups]
    return out


def marker_context() -> dict:
    """The duty addresses, and the markers a kept row has for the per-request CSRF token and
    page to return to (filled when the page is put together)."""
    from flask_wtf.csrf import generate_csrf
    from web.filters import duty_urls
    return {**duty_urls(), "page_csrf": fragments.CSRF_MARK, "csrf_mark": fragments.CSRF_MARK,
            "next_mark": fragments.NEXT_MARK, "real_csrf": generate_csrf()}


def _rows_html(rows, states, actions, names, reach, reached, now, context) -> dict[tuple, str]:
    """Row ids -> the row's HTML (markers not yet filled): from the cache, or rendered and
    kept."""
    database = current_app.extensions["compact.engine"].url.render_as_string()
    zone = _zone_key()
    keys, clocks, said = {}, {}, {}
    for row in rows:
        lead, rid = row.lead, row.ids
        if lead.due is not None and lead.due not in said:  # hundreds of duties, a few times
            said[lead.due] = countdown(lead.due, now)
        clocks[rid] = said.get(lead.due)
        keys[rid] = _Key((
            "row", database, rid, tuple(states[d.id] for d in row.duties),
            lead.due is not None and lead.due < now, lead.past,
            tuple(tuple(actions[d.id]) for d in row.duties),
            tuple(names.get(d.party_id, d.party_id) for d in row.duties),
            tuple(names.get(p, p) for p in context["owed_to"].get(row.lead.id, ())),
            context["otherwise"].get(row.lead.id),
            tuple(reached[d.id] for d in row.duties),
            tuple(tuple(reach.get(d.id, ())) for d in row.duties),  # Reach: frozen, hashable
            context["patterns"], zone))
    found = fragments.cached(keys.values())
    missing = [row for row in rows if keys[row.ids] not in found]
    if missing:
        template = current_app.jinja_env.get_template("incidents/_duty_row.html")
        helpers = current_app.jinja_env.globals
        for row in missing:
            members = [{"d": d, "state": states[d.id], "name": names.get(d.party_id, d.party_id),
                        "reached": reached[d.id],
                        "reach_detail": reach_detail(reach.get(d.id, ()))}
                       for d in row.duties]
            allowed = actions[row.lead.id] if not row.collapsed else []
            html = template.render({
                **helpers, **context, "row": row, "d": row.lead, "members": members,
                "names": names,
                "state": states[row.lead.id], "allowed": allowed,
                "quick": next((a for a in allowed if a in QUICK), None),
                "more": [a for a in allowed if a != next((q for q in allowed if q in QUICK),
                                                         None)],
                "now": now, "here": fragments.NEXT_MARK,
                "countdown_mark": fragments.COUNTDOWN_MARK})
            found[keys[row.ids]] = fragments.keep(keys[row.ids], html)
    return {ids: fragments.assemble(found[key], clocks[ids]) for ids, key in keys.items()}


def reach_rows(groups, states, names, reach) -> Markup:
    """The rows of "How the parties were reached" (dissemination/reach.html): each duty's,
    rendered once for what they show and kept per worker."""
    database = current_app.extensions["compact.engine"].url.render_as_string()
    zone = _zone_key()
    keys = {}
    for party, duties in groups:
        name = names.get(party, party)
        for d in duties:
            reaches = tuple(reach.get(d.id, ()))
            if reaches:
                keys[d.id] = _Key(("reach", database, d.id, name, d.agreement_slug, d.clause,
                                   states[d.id] == "acknowledged", reaches, zone))
    found = fragments.cached(keys.values())
    missing = [(d, key) for d, key in ((d, keys.get(d.id)) for _p, ds in groups for d in ds)
               if key is not None and key not in found]
    if missing:
        template = current_app.jinja_env.get_template("dissemination/_reach_rows.html")
        for d, key in missing:
            found[key] = fragments.keep(key, template.render(
                d=d, name=key[3], acknowledged=key[6], reaches=key[7]))
    return Markup("".join(found[key][0] for key in keys.values()))
