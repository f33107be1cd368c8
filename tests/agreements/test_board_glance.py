"""The board at a glance as pure functions (agreements/reports/board.py): the view read from the
address, filters, counts, next deadlines, collapsed prohibitions, sorting and grouping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from agreements.reports import board as glance
from agreements.reports.board import BadQuery, BoardQuery, Row, parse_query

NOW = datetime(2026, 6, 18, 12, 0, tzinfo=timezone.utc)
NAMES = {"ash": "Ashford County", "bay": "Bayside City", "cove": "Cove Township",
         "dale": "Dale Fire District"}
_ids = iter(range(1, 10_000))


def duty(party, clause, modality="must", due=None, *, action=None, agreement="plan",
         title=None, state="open", past=False, exercise=False):
    return SimpleNamespace(id=next(_ids), party_id=party, clause=clause, modality=modality,
                           due=due, action=action or f"do {clause}", agreement_slug=agreement,
                           title=title or clause.title(), state=state, past=past,
                           exercise=exercise)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


def states_of(duties) -> dict:
    return {d.id: d.state for d in duties}


def ids(duties) -> list[int]:
    return [d.id for d in duties]


# ---------------------------------------------------------------- the address

def test_the_view_is_read_from_the_address_and_written_back():
    assert parse_query(MultiDict()) == BoardQuery()
    q = parse_query(MultiDict([("state", "open"), ("state", "breached"), ("party", "ash"),
                               ("agreement", "plan"), ("modality", "must not"),
                               ("q", "  sandbags "), ("sort", "party"), ("dir", "desc"),
                               ("group", "clause"), ("view", "cards"), ("history", "1"),
                               ("_", "ignored")]))
    assert q == BoardQuery(states=("open", "breached"), parties=("ash",), agreements=("plan",),
                           modalities=("must not",), text="sandbags", sort="party",
                           descending=True, group="clause", view="cards", history=True)
    assert q.args() == {"state": ["open", "breached"], "party": "ash", "agreement": "plan",
                        "modality": "must not", "q": "sandbags", "sort": "party",
                        "dir": "desc", "group": "clause", "view": "cards", "history": "1"}
    assert parse_query(MultiDict(q.args())) == q  # a link reproduces the view
    # Empty values (a form sent with "All states") are no filter; group=none is no grouping.
    assert parse_query(MultiDict([("state", ""), ("party", ""), ("q", ""), ("group", "none")])
                       ) == BoardQuery()
    assert BoardQuery().args() == {}


def test_a_column_header_sorts_by_it_and_then_turns_its_direction():
    q = BoardQuery(parties=("ash",))
    assert q.sort_args("party") == {"party": "ash", "sort": "party", "dir": "asc"}
    on_party = BoardQuery(parties=("ash",), sort="party")
    assert on_party.sort_args("party") == {"party": "ash", "sort": "party", "dir": "desc"}
    assert BoardQuery(sort="party", descending=True).sort_args("party") == {
        "sort": "party", "dir": "asc"}
    assert BoardQuery(sort="party", descending=True).sort_args("due") == {}  # the default
    assert BoardQuery().sort_args("due") == {"sort": "due", "dir": "desc"}


@pytest.mark.parametrize("args, message", [
    ([("state", "late")], "'state' is one of breached, open, acknowledged, fulfilled, declined, "
                          "waived, lapsed, not 'late'"),
    ([("modality", "shall")], "'modality' is one of must, may, must not, not 'shall'"),
    ([("sort", "colour")], "'sort' is one of due, party, clause, modality, action, countdown, "
                           "state, reached, not 'colour'"),
    ([("dir", "up")], "'dir' is one of asc, desc, not 'up'"),
    ([("group", "agency")], "'group' is one of party, clause, none, not 'agency'"),
    ([("view", "list")], "'view' is one of table, cards, not 'list'"),
    ([("sort", "due"), ("sort", "party")], "give one 'sort', not 2"),
    ([("q", "x" * 201)], "'q' is at most 200 characters of text"),
    ([("party", "ash\x00")], "'party' is at most 200 characters of text"),
    ([("party", f"p{i}") for i in range(51)], "at most 50 values of 'party' at once"),
])
def test_what_the_board_does_not_know_is_refused_with_400_and_says_what_it_takes(args, message):
    with pytest.raises(BadQuery) as refused:
        parse_query(MultiDict(args))
    assert refused.value.status == 400
    assert refused.value.message == message


# ---------------------------------------------------------------- filters and counts

def test_filters_and_the_text_search():
    a = duty("ash", "relay", due=hours(1), action="Relay the warning on local sirens")
    b = duty("bay", "relay", due=hours(1), state="acknowledged")
    c = duty("bay", "liaison", "may", due=hours(3), agreement="aid")
    d = duty("cove", "no_self_dispatch", "must not")
    e = duty("dale", "stand_up", due=hours(-1), state="breached")
    duties = [a, b, c, d, e]
    states = states_of(duties)

    def shown(**query):
        return ids(glance.filter_duties(duties, states, NAMES, BoardQuery(**query)))

    assert shown() == ids(duties)
    assert shown(states=("open",)) == ids([a, c, d])
    assert shown(states=("open", "breached")) == ids([a, c, d, e])
    assert shown(parties=("bay",)) == ids([b, c])
    assert shown(agreements=("aid",)) == ids([c])
    assert shown(modalities=("must not", "may")) == ids([c, d])
    assert shown(parties=("bay",), modalities=("must",)) == ids([b])
    # Every word, in any case, in the party (id or name), agreement, clause, title or action.
    assert shown(text="SIRENS relay") == ids([a])
    assert shown(text="bayside") == ids([b, c])
    assert shown(text="township dispatch") == ids([d])
    assert shown(text="aid") == ids([c])
    assert shown(text="sirens bayside") == []
    # The counts by state are of every state the other filters leave.
    counted = glance.filter_duties(duties, states, NAMES, BoardQuery(states=("open",),
                                                                     parties=("bay",)),
                                   with_state=False)
    assert glance.tally(counted, states) == {"open": 1, "acknowledged": 1}
    assert list(glance.tally(duties, states)) == ["breached", "open", "acknowledged"]


def test_the_next_deadlines_are_the_open_duties_still_ahead_soonest_first():
    soon = duty("bay", "relay", due=hours(0.5))
    sooner = duty("ash", "relay", due=hours(0.5))
    later = duty("ash", "liaison", "may", due=hours(2), state="acknowledged")
    duties = [
        later, soon, sooner,
        duty("cove", "relay", due=hours(-0.5), state="breached"),   # overdue: not ahead
        duty("dale", "relay", due=hours(0.2), state="fulfilled"),   # done
        duty("dale", "ban", "must not", due=hours(0.1)),            # standing
        duty("dale", "old", due=hours(0.1), past=True),             # of a past incident
        duty("dale", "open_ended"),                                 # no due time
        *(duty("dale", f"step_{i}", due=hours(3 + i)) for i in range(5)),
    ]
    strip = glance.next_deadlines(duties, states_of(duties), NOW)
    assert [(d.party_id, d.clause) for d in strip] == [
        ("ash", "relay"), ("bay", "relay"), ("ash", "liaison"), ("dale", "step_0"),
        ("dale", "step_1")]
    assert glance.next_deadlines(duties, states_of(duties), NOW, count=2) == [sooner, soon]


# ---------------------------------------------------------------- collapsed prohibitions

def test_identical_prohibitions_for_many_parties_collapse_into_one_row():
    ban = [duty(p, "no_self_dispatch", "must not", action="self-dispatch resources")
           for p in ("cove", "ash", "bay")]
    other_action = duty("dale", "no_self_dispatch", "must not", action="close the bridge")
    other_agreement = duty("dale", "no_self_dispatch", "must not",
                           action="self-dispatch resources", agreement="aid")
    dated = duty("dale", "no_self_dispatch", "must not", due=hours(1),
                 action="self-dispatch resources")
    musts = [duty(p, "relay", due=hours(1)) for p in ("ash", "bay")]  # never collapsed
    rows = glance.collapse_prohibitions([musts[0], ban[0], other_action, ban[1], musts[1],
                                         ban[2], other_agreement, dated])
    assert [r.ids for r in rows] == [
        (musts[0].id,), (ban[0].id, ban[1].id, ban[2].id), (other_action.id,),
        (musts[1].id,), (other_agreement.id,), (dated.id,)]
    assert rows[1].collapsed and rows[1].lead is ban[0] and not rows[0].collapsed
    # Grouped by party, each party's group has its own; by clause they stay together.
    by_party = glance.group_rows(rows, "party", NAMES)
    assert [(g.label, [r.ids for r in g.rows]) for g in by_party] == [
        ("Ashford County", [(musts[0].id,), (ban[1].id,)]),
        ("Bayside City", [(ban[2].id,), (musts[1].id,)]),
        ("Cove Township", [(ban[0].id,)]),
        ("Dale Fire District", [(other_action.id,), (other_agreement.id,), (dated.id,)])]
    by_clause = glance.group_rows(rows, "clause", NAMES)
    assert [(g.key, [r.ids for r in g.rows]) for g in by_clause] == [
        ("aid.no_self_dispatch", [(other_agreement.id,)]),
        ("plan.no_self_dispatch", [(ban[0].id, ban[1].id, ban[2].id), (other_action.id,),
                                   (dated.id,)]),
        ("plan.relay", [(musts[0].id,), (musts[1].id,)])]
    assert by_clause[1].label == "no_self_dispatch (plan)"
    assert len(by_clause[1].duties) == 5


# ---------------------------------------------------------------- sorting

def test_sorting_by_each_column_with_undated_duties_last_either_way():
    a = duty("dale", "relay", due=hours(2), state="acknowledged")
    b = duty("ash", "stand_up", due=hours(1))
    c = duty("cove", "liaison", "may", due=hours(3), action="Attend the command post")
    d = duty("bay", "ban", "must not", action="self-dispatch")
    e = duty("ash", "relay", due=hours(-1), state="breached")
    f = duty("bay", "aid", state="fulfilled")
    rows = [Row([x]) for x in (a, b, c, d, e, f)]
    states = states_of([a, b, c, d, e, f])
    reached = {a.id: "delivered", b.id: "failed", c.id: "queued", d.id: "not sent",
               e.id: "retrying", f.id: "delivered"}

    def order(sort="due", descending=False):
        q = BoardQuery(sort=sort, descending=descending)
        return [r.lead.id for r in glance.sort_rows(rows, q, states, NAMES, reached)]

    assert order() == ids([e, b, a, c, f, d])  # undated last; ash before bay by name
    assert order(descending=True) == ids([c, a, b, e, f, d])
    assert order("countdown") == order("due")
    assert order("party") == ids([e, b, f, d, c, a])  # by name, then by due time
    assert order("party", True) == ids([a, c, f, d, e, b])
    assert order("clause") == ids([f, d, c, e, a, b])
    assert order("modality") == ids([e, b, a, f, c, d])
    assert order("action") == ids([c, f, e, a, b, d])  # "Attend", "do aid", "do relay"...
    assert order("state") == ids([e, b, c, d, a, f])
    assert order("reached") == ids([d, b, e, c, a, f])


def test_a_collapsed_row_sorts_by_its_first_party_and_its_least_advanced_state():
    x = duty("dale", "ban", "must not", state="acknowledged")
    y = duty("ash", "ban", "must not")
    z = duty("bay", "relay", due=hours(1), state="acknowledged")
    rows = [Row([x, y]), Row([z])]
    states = states_of([x, y, z])
    q = BoardQuery(sort="party")
    assert [r.ids for r in glance.sort_rows(rows, q, states, NAMES)] == [(x.id, y.id), (z.id,)]
    q = BoardQuery(sort="state")
    assert [r.ids for r in glance.sort_rows(rows, q, states, NAMES)] == [(x.id, y.id), (z.id,)]


def test_how_a_duty_was_reached_in_a_word():
    def reach(state, attempts=0):
        return SimpleNamespace(state=state, attempts=attempts)

    assert glance.reach_label([]) == "not sent"
    assert glance.reach_label(None) == "not sent"
    assert glance.reach_label([reach("queued")]) == "queued"
    assert glance.reach_label([reach("queued", 2)]) == "retrying"
    assert glance.reach_label([reach("failed", 5), reach("delivered", 1)]) == "delivered"
    assert glance.reach_label([reach("failed", 5), reach("failed", 5)]) == "failed"
    assert glance.reach_label([reach("failed", 5), reach("queued")]) == "queued"


def test_the_filters_offer_what_the_user_may_see():
    duties = [duty("dale", "relay"), duty("ash", "ban", "must not", agreement="aid"),
              duty("ash", "relay")]
    choices = glance.options(duties, NAMES)
    assert choices["party"] == [("ash", "Ashford County"), ("dale", "Dale Fire District")]
    assert choices["agreement"] == [("aid", "aid"), ("plan", "plan")]
    assert choices["modality"] == [("must", "must"), ("must not", "must not")]
    assert [v for v, _ in choices["state"]] == list(glance.STATES)


def test_numbered_names_sort_as_they_are_read_in_rows_groups_and_filters():
    names = {f"z{n}": f"Zone {n} County" for n in (1, 2, 10, 11)}
    duties = [duty(p, c) for p in ("z11", "z10", "z2", "z1") for c in ("step_10", "step_2")]
    rows = glance.sort_rows([Row([d]) for d in duties], parse_query(MultiDict({"sort": "party"})),
                            states_of(duties), names)
    assert [(r.lead.party_id, r.lead.clause) for r in rows] == [
        ("z1", "step_2"), ("z1", "step_10"), ("z2", "step_2"), ("z2", "step_10"),
        ("z10", "step_2"), ("z10", "step_10"), ("z11", "step_2"), ("z11", "step_10")]
    groups = glance.group_rows(rows, "party", names)
    assert [g.label for g in groups] == ["Zone 1 County", "Zone 2 County", "Zone 10 County",
                                         "Zone 11 County"]
    assert [v for v, _ in glance.options(duties, names)["party"]] == ["z1", "z2", "z10", "z11"]
