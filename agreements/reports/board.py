"""The incident board at a glance: filters, sorting, grouping and collapsed prohibitions, as
pure functions over duty rows (anything with the Duty columns' attributes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from agreements.errors import OperationError

STATES = ("breached", "open", "acknowledged", "fulfilled", "declined", "waived", "lapsed")
LIVE = ("breached", "open", "acknowledged")
MODALITIES = ("must", "may", "must not")
SORTS = ("due", "party", "clause", "modality", "action", "countdown", "state", "reached")
GROUPS = ("party", "clause")
VIEWS = ("table", "cards")
_NUMBERS = re.compile(r"(\d+)")
MAX_TEXT = 200          # a filter value longer than this is no party, clause or search
MAX_VALUES = 50         # repeated values of one filter
NEXT_DEADLINES = 5
# How a duty's notifications went, from worst to best, for sorting by "how reached".
REACH_ORDER = ("not sent", "failed", "retrying", "queued", "delivered")


class BadQuery(OperationError):
    """A board address with a filter, sort or grouping the board does not know."""

    status = 400


@dataclass(frozen=True)
class BoardQuery:
    """What the board shows, as kept in its address (?state=open&sort=due&dir=asc...)."""

    states: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    agreements: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    text: str = ""
    sort: str = "due"
    descending: bool = False
    group: str | None = None
    view: str = "table"
    history: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.states or self.parties or self.agreements or self.modalities
                    or self.text)

    def args(self, **changes) -> dict:
        """The query-string arguments of this view (defaults left out), with `changes`."""
        q = replace(self, **changes)
        out: dict = {}
        for name, values in (("state", q.states), ("party", q.parties),
                             ("agreement", q.agreements), ("modality", q.modalities)):
            if values:
                out[name] = list(values) if len(values) > 1 else values[0]
        if q.text:
            out["q"] = q.text
        if q.sort != "due" or q.descending:
            out["sort"] = q.sort
            out["dir"] = "desc" if q.descending else "asc"
        if q.group:
            out["group"] = q.group
        if q.view != "table":
            out["view"] = q.view
        if q.history:
            out["history"] = "1"
        return out

    def sort_args(self, column: str) -> dict:
        """The arguments of a column header's link: sort by it, or turn its direction."""
        descending = not self.descending if self.sort == column else False
        return self.args(sort=column, descending=descending)


def _values(args, name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    raw = args.getlist(name) if hasattr(args, "getlist") else (
        [args[name]] if name in args else [])
    values = tuple(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
    if len(values) > MAX_VALUES:
        raise BadQuery(f"at most {MAX_VALUES} values of '{name}' at once")
    for value in values:
        if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
            raise BadQuery(f"'{name}' is at most {MAX_TEXT} characters of text")
        if allowed is not None and value not in allowed:
            raise BadQuery(f"'{name}' is one of {', '.join(allowed)}, not '{value[:60]}'")
    return values


def _one(args, name: str, allowed: tuple[str, ...], default):
    values = _values(args, name, allowed)
    if len(values) > 1:
        raise BadQuery(f"give one '{name}', not {len(values)}")
    return values[0] if values else default


def parse_query(args) -> BoardQuery:
    """The board's view from its query string (a MultiDict or a dict); BadQuery (400) with a
    clear message for a value it does not know. Unknown arguments are ignored."""
    text = _values(args, "q")
    direction = _one(args, "dir", ("asc", "desc"), "asc")
    group = _one(args, "group", GROUPS + ("none",), None)
    return BoardQuery(
        states=_values(args, "state", STATES), parties=_values(args, "party"),
        agreements=_values(args, "agreement"), modalities=_values(args, "modality", MODALITIES),
        text=" ".join(text)[:MAX_TEXT], sort=_one(args, "sort", SORTS, "due"),
        descending=direction == "desc", group=None if group == "none" else group,
        view=_one(args, "view", VIEWS, "table"),
        history=_one(args, "history", ("0", "1"), "0") == "1")


# ---------------------------------------------------------------- filters and counts

def _matches(duty, state: str, names: dict, query: BoardQuery, *, with_state: bool) -> bool:
    if with_state and query.states and state not in query.states:
        return False
    if query.parties and duty.party_id not in query.parties:
        return False
    if query.agreements and duty.agreement_slug not in query.agreements:
        return False
    if query.modalities and duty.modality not in query.modalities:
        return False
    if query.text:
        haystack = " ".join((duty.party_id, names.get(duty.party_id, ""), duty.agreement_slug,
                             duty.clause, duty.title or "", duty.action or "")).casefold()
        if not all(word in haystack for word in query.text.casefold().split()):
            return False
    return True


def filter_duties(duties, states: dict, names: dict, query: BoardQuery, *,
                  with_state: bool = True) -> list:
    """The duties the view's filters let through (each word of the text search must occur in
    the party, its name, the agreement, clause, title or action). `with_state=False` leaves
    the state filter out: the counts by state are of every state."""
    return [d for d in duties if _matches(d, states[d.id], names, query, with_state=with_state)]


def tally(duties, states: dict) -> dict[str, int]:
    """How many duties are in each state, in the board's order of states."""
    counts = {s: 0 for s in STATES}
    for d in duties:
        counts[states[d.id]] = counts.get(states[d.id], 0) + 1
    return {s: n for s, n in counts.items() if n}


def next_deadlines(duties, states: dict, now: datetime, count: int = NEXT_DEADLINES) -> list:
    """The next `count` open or acknowledged duties by due time, still ahead (a `must not`,
    standing, has no deadline to meet)."""
    ahead = [d for d in duties if states[d.id] in ("open", "acknowledged")
             and d.due is not None and d.due >= now and d.modality != "must not"
             and not d.past]
    return sorted(ahead, key=lambda d: (d.due, d.party_id, d.clause, d.id))[:count]


# ---------------------------------------------------------------- rows

@dataclass
class Row:
    """One line of the board: a duty, or one prohibition repeated for several parties."""

    duties: list
    _ids: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def lead(self):
        return self.duties[0]

    @property
    def collapsed(self) -> bool:
        return len(self.duties) > 1

    @property
    def ids(self) -> tuple[int, ...]:
        """The row's duty ids (kept: a row's duties are fixed once the rows are made)."""
        if self._ids is None or len(self._ids) != len(self.duties):
            self._ids = tuple(d.id for d in self.duties)
        return self._ids


def collapse_prohibitions(duties) -> list[Row]:
    """One row per duty, except that identical prohibitions (the same `must not` of the same
    clause, action and due time) for several parties become one row listing them, where the
    first of them stands."""
    rows: list[Row] = []
    seen: dict[tuple, Row] = {}
    for d in duties:
        if d.modality == "must not":
            key = (d.agreement_slug, d.clause, d.action, d.due, d.exercise, d.past)
            row = seen.get(key)
            if row is not None:
                row.duties.append(d)
                continue
            seen[key] = row = Row([d])
        else:
            row = Row([d])
        rows.append(row)
    return rows


def reach_label(reaches) -> str:
    """How a duty's notifications went, in a word: delivered, queued, retrying, failed, or
    not sent (from agreements.dissemination.status.Reach: the latest to each destination)."""
    if not reaches:
        return "not sent"
    states = [r.state for r in reaches]
    if "delivered" in states:
        return "delivered"
    if all(s == "failed" for s in states):
        return "failed"
    if any(r.attempts for r in reaches if r.state != "failed"):
        return "retrying"
    return "queued"


def _state_rank(row: Row, states: dict) -> int:
    return min(STATES.index(states[d.id]) for d in row.duties)


def reading_order(text: str) -> tuple:
    """A name's key in the order a person reads a list: case aside, and numbers by their value
    ("Zone 2" before "Zone 10")."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in _NUMBERS.split(text.casefold()) if part)


def _party_key(row: Row, names: dict) -> tuple:
    return min(reading_order(names.get(d.party_id, d.party_id)) for d in row.duties)


def sort_rows(rows: list[Row], query: BoardQuery, states: dict, names: dict,
              reached: dict | None = None) -> list[Row]:
    """The rows in the view's order; duties without a due time come last either way, and
    ties go by due time, then party, then clause."""
    reached = reached or {}

    def due(row):
        return row.lead.due

    def tie(row):
        return (_party_key(row, names), row.lead.agreement_slug, reading_order(row.lead.clause),
                row.lead.id)

    column = "due" if query.sort == "countdown" else query.sort
    keys = {
        "party": lambda r: _party_key(r, names),
        "clause": lambda r: (reading_order(r.lead.clause), r.lead.agreement_slug),
        "modality": lambda r: MODALITIES.index(r.lead.modality)
        if r.lead.modality in MODALITIES else len(MODALITIES),
        "action": lambda r: (r.lead.action or "").casefold(),
        "state": lambda r: _state_rank(r, states),
        "reached": lambda r: min(REACH_ORDER.index(reached.get(d.id, "not sent"))
                                 for d in r.duties),
    }
    # Stable sorts, the least significant first: the tie-break, the due time, then the column.
    out = sorted(rows, key=tie)
    dated = sorted((r for r in out if due(r) is not None), key=due,
                   reverse=query.descending and column == "due")
    undated = [r for r in out if due(r) is None]
    out = dated + undated
    if column != "due":
        out = sorted(out, key=keys[column], reverse=query.descending)
    return out


@dataclass
class Group:
    """The rows of one party or one clause, shown as a section that folds."""

    key: str
    label: str
    rows: list[Row] = field(default_factory=list)

    @property
    def duties(self) -> list:
        return [d for r in self.rows for d in r.duties]


def group_rows(rows: list[Row], by: str, names: dict) -> list[Group]:
    """The rows by party or by clause (of an agreement); groups in the order of their labels,
    rows in the order given. By party, a collapsed prohibition is split again: each party's
    group shows its own."""
    groups: dict[str, Group] = {}
    for row in rows:
        if by == "party":
            for d in row.duties:
                group = groups.setdefault(d.party_id, Group(d.party_id,
                                                            names.get(d.party_id, d.party_id)))
                group.rows.append(Row([d]))
        else:
            lead = row.lead
            key = f"{lead.agreement_slug}.{lead.clause}"
            group = groups.setdefault(key, Group(key, f"{lead.clause} ({lead.agreement_slug})"))
            group.rows.append(row)
    return sorted(groups.values(), key=lambda g: (reading_order(g.label), g.key))


def options(duties, names: dict) -> dict[str, list[tuple[str, str]]]:
    """The values each filter offers, from the duties the user may see: (value, label)."""
    parties = sorted({d.party_id for d in duties}, key=lambda p: reading_order(names.get(p, p)))
    return {"party": [(p, names.get(p, p)) for p in parties],
            "agreement": [(a, a) for a in sorted({d.agreement_slug for d in duties})],
            "modality": [(m, m) for m in MODALITIES if any(d.modality == m for d in duties)],
            "state": [(s, s) for s in STATES]}
