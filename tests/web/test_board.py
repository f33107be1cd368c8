"""The board at a glance (issue 11, points 1 and 2), as served: the table of duties with its
next deadlines and counts, filters, sorting and grouping kept in the address, identical
prohibitions in one row, and an address the board does not know answered 400."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select

from agreements.models import Duty

from .test_incident_pages import (ALERT_KEY, duty_of, fixed_clock, no_inline_code,  # noqa: F401
                                  page, page_text, record_alert, row_parties, table_rows)

BOARD = f"/incidents/{ALERT_KEY}"
EOC = "State of Columbia Emergency Operations Center"
LAKESIDE = "Lakeside County Office of Emergency Management"
HARMON = "Harmon County Emergency Management Agency"
PATROL = "Columbia State Patrol"
GUARD = "Columbia National Guard"
ASHFORD = "Ashford County Office of Homeland Security and Emergency Management"
PINE = "Pine Ridge County Department of Emergency Services"


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def cell(row, column: str) -> str:
    return text(row.xpath(f'./td[contains(@class, "c-{column}")]')[0])


def rows_of(response) -> list[tuple]:
    """(party cell, clause, state cell) of each row, in the order shown."""
    return [(cell(r, "party"), cell(r, "clause"), cell(r, "state")) for r in table_rows(response)]


def tally_of(response) -> list[str]:
    return [text(li) for li in page(response).xpath('//ul[@class="tally"]/li')]


# The flash flood warning's nine duties, soonest first; the two identical `must not` of
# no_self_dispatch (Ashford and Pine Ridge) in one row; duties without a due time last.
DEFAULT_ROWS = [
    (HARMON, "relay_warning", "open"), (LAKESIDE, "relay_warning", "open"),
    (EOC, "stand_up", "open"), (PATROL, "traffic_control", "open"),
    (HARMON, "liaison", "open"), (LAKESIDE, "liaison", "open"),
    (f"Parties: {ASHFORD}, {PINE}", "no_self_dispatch", "open"),
    (GUARD, "high_water", "open")]


def test_the_table_shows_every_duty_in_one_row_soonest_first(session, people, executed,
                                                             client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert rows_of(response) == DEFAULT_ROWS
    rows = table_rows(response)
    relay = rows[0]
    relay_id = duty_of(session, ALERT_KEY, "harmon_county", "relay_warning").id
    assert relay.get("id") == f"duty-{relay_id}"
    assert [cell(relay, c) for c in ("modality", "action", "due", "countdown", "reached")] == [
        "must", "relay the alert's protective-action instructions on local warning channels",
        "2026-06-19 04:42 UTC", "in 16 h 42 min", "queued"]
    assert relay.xpath('./td[contains(@class, "c-reached")]/span/@title') == [
        "email ema@harmon-county.example: queued; email harmon_county@partner.example: queued"]
    assert relay.xpath('./td[contains(@class, "c-clause")]/a/@href') == [f"/duties/{relay_id}"]
    # The row's action: the next step as a button, the rest on the duty's page.
    assert relay.xpath(".//form/@action") == [f"/duties/{relay_id}/acknowledge"]
    assert [text(b) for b in relay.xpath(".//button")] == ["Acknowledge"]
    assert relay.xpath('.//a[@class="more"]/@aria-label') == [
        f"More actions: fulfil, decline, waive (relay_warning, {HARMON})"]
    # A `may` lapses; it has no countdown to a breach, and it is never fulfilled.
    guard = rows[7]
    assert cell(guard, "due") == "no deadline" and cell(guard, "countdown") == "—"
    assert cell(rows[6], "countdown") == "standing"
    # The collapsed prohibition: each party's name links to its own duty.
    ban = rows[6]
    ids = [duty_of(session, ALERT_KEY, p, "no_self_dispatch").id
           for p in ("ashford_county", "pine_ridge_county")]
    assert ban.xpath('./td[contains(@class, "c-party")]//a/@href') == [f"/duties/{i}" for i in ids]
    assert ban.xpath('./td[contains(@class, "c-party")]//a/@id') == [f"duty-{i}" for i in ids]
    assert row_parties(ban) == ["ashford_county", "pine_ridge_county"]
    assert not ban.xpath(".//form")
    # The next deadlines and the counts by state.
    strip = [text(li) for li in page(response).xpath('//*[@id="next-deadlines"]//li')]
    assert strip == [f"in 16 h 42 min relay_warning {HARMON}",
                     f"in 16 h 42 min relay_warning {LAKESIDE}",
                     f"in 17 h 12 min stand_up {EOC}",
                     f"in 17 h 40 min traffic_control {PATROL}",
                     f"in 18 h 10 min liaison {HARMON}"]
    assert tally_of(response) == ["all 9", "open 9"]
    assert page(response).xpath('//ul[@class="tally"]//a/@href') == [BOARD, f"{BOARD}?state=open"]
    no_inline_code(response)


def test_each_party_acknowledges_its_own_prohibition_and_the_row_says_who_has(
        session, people, executed, client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    ban = duty_of(session, ALERT_KEY, "pine_ridge_county", "no_self_dispatch").id
    pine = client_for(people.partners["pine_ridge_county"])
    own = pine.get(BOARD)
    assert rows_of(own) == [(PINE, "no_self_dispatch", "open")]
    [row] = table_rows(own)
    assert row.xpath(".//form/@action") == [f"/duties/{ban}/acknowledge"]
    assert not row.xpath('.//a[@class="more"]')  # a `must not` takes nothing else
    done = pine.post(f"/duties/{ban}/acknowledge", data={"next": BOARD})
    assert done.status_code == 302 and done.headers["Location"] == f"{BOARD}#duty-{ban}"
    assert rows_of(pine.get(BOARD)) == [(PINE, "no_self_dispatch", "acknowledged")]
    # The coordinator's one row: who has acknowledged, and how many are where.
    row = table_rows(coordinator.get(BOARD))[6]
    assert cell(row, "party") == f"Parties: {ASHFORD} open, {PINE} acknowledged"
    assert cell(row, "state") == "acknowledged 1 open 1"
    assert tally_of(coordinator.get(BOARD)) == ["all 9", "open 8", "acknowledged 1"]


def test_filters_in_the_address_show_exactly_the_duties_asked(session, people, executed,
                                                              client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    relay = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning").id
    client_for(people.partners["lakeside_county"]).post(f"/duties/{relay}/acknowledge")

    def shown(query: str) -> list[tuple]:
        response = client.get(f"{BOARD}?{query}")
        assert response.status_code == 200, query
        return rows_of(response)

    assert shown("party=lakeside_county") == [(LAKESIDE, "relay_warning", "acknowledged"),
                                              (LAKESIDE, "liaison", "open")]
    assert shown("state=acknowledged") == [(LAKESIDE, "relay_warning", "acknowledged")]
    assert shown("state=open&party=lakeside_county") == [(LAKESIDE, "liaison", "open")]
    assert shown("party=harmon_county&party=state_eoc") == [
        (HARMON, "relay_warning", "open"), (EOC, "stand_up", "open"),
        (HARMON, "liaison", "open")]
    assert shown("modality=must+not") == [(f"Parties: {ASHFORD}, {PINE}", "no_self_dispatch",
                                           "open")]
    assert shown("modality=may") == [(GUARD, "high_water", "open")]
    assert shown("agreement=columbia-cap-joint-task-force") == [
        (p, c, "acknowledged" if (p, c) == (LAKESIDE, "relay_warning") else s)
        for p, c, s in DEFAULT_ROWS]
    assert shown("q=RELAY+harmon") == [(HARMON, "relay_warning", "open")]
    assert shown("q=guard") == [(GUARD, "high_water", "open")]
    assert shown("q=pine+ridge") == [(PINE, "no_self_dispatch", "open")]  # one party: a row
    # A form sent with every "All ..." choice is the whole board.
    assert shown("state=&party=&agreement=&modality=&q=&group=") == [
        (p, c, "acknowledged" if (p, c) == (LAKESIDE, "relay_warning") else s)
        for p, c, s in DEFAULT_ROWS]
    # The counts are of every state the other filters leave; the form shows what is chosen.
    response = client.get(f"{BOARD}?state=open&party=lakeside_county")
    assert tally_of(response) == ["all 2", "open 1", "acknowledged 1"]
    doc = page(response)
    assert doc.xpath('//select[@name="party"]/option[@selected]/@value') == ["lakeside_county"]
    assert doc.xpath('//select[@name="state"]/option[@selected]/@value') == ["open"]
    assert doc.xpath('//ul[@class="tally"]//a/@href') == [
        f"{BOARD}?party=lakeside_county", f"{BOARD}?state=open&party=lakeside_county",
        f"{BOARD}?state=acknowledged&party=lakeside_county"]
    assert [text(li) for li in doc.xpath('//*[@id="next-deadlines"]//li')] == [
        f"in 18 h 10 min liaison {LAKESIDE}"]
    # Nothing matches: said, with the way back.
    none = client.get(f"{BOARD}?agreement=no-such-agreement")
    assert none.status_code == 200 and not table_rows(none)
    assert "No duty matches these filters. Show every duty." in page_text(none)
    assert tally_of(none) == ["all 0"]


def test_column_headers_sort_and_turn_the_direction(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    response = client.get(f"{BOARD}?party=lakeside_county&party=harmon_county")
    heads = page(response).xpath('//table[contains(@class, "board-table")]//th')
    assert [text(h) for h in heads] == ["Party", "Clause", "Modality", "Action", "Due ▲",
                                        "Countdown", "State", "How reached", "Actions"]
    links = dict(zip([text(h) for h in heads], [h.xpath(".//a/@href") for h in heads]))
    party_only = "party=lakeside_county&party=harmon_county"
    assert links["Party"] == [f"{BOARD}?{party_only}&sort=party&dir=asc"]
    assert links["Due ▲"] == [f"{BOARD}?{party_only}&sort=due&dir=desc"]
    assert heads[4].get("aria-sort") == "ascending"

    def order(query):
        return [(p, c) for p, c, _ in rows_of(client.get(f"{BOARD}?{query}"))]

    assert order(f"{party_only}&sort=party&dir=asc") == [
        (HARMON, "relay_warning"), (HARMON, "liaison"), (LAKESIDE, "relay_warning"),
        (LAKESIDE, "liaison")]
    assert order(f"{party_only}&sort=party&dir=desc") == [
        (LAKESIDE, "relay_warning"), (LAKESIDE, "liaison"), (HARMON, "relay_warning"),
        (HARMON, "liaison")]
    assert order(f"{party_only}&sort=due&dir=desc") == [
        (HARMON, "liaison"), (LAKESIDE, "liaison"), (HARMON, "relay_warning"),
        (LAKESIDE, "relay_warning")]
    assert order("sort=clause") == [
        (GUARD, "high_water"), (HARMON, "liaison"), (LAKESIDE, "liaison"),
        (f"Parties: {ASHFORD}, {PINE}", "no_self_dispatch"), (HARMON, "relay_warning"),
        (LAKESIDE, "relay_warning"), (EOC, "stand_up"), (PATROL, "traffic_control")]
    assert order("sort=modality&modality=may&modality=must+not") == [
        (GUARD, "high_water"), (f"Parties: {ASHFORD}, {PINE}", "no_self_dispatch")]
    desc = page(client.get(f"{BOARD}?sort=party&dir=desc")).xpath('//th[@aria-sort]')
    assert [(h.get("aria-sort"), text(h)) for h in desc] == [("descending", "Party ▼")]


def test_grouping_by_party_or_clause_folds(session, people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    response = client.get(f"{BOARD}?group=party")
    assert response.status_code == 200
    groups = page(response).xpath('//details[contains(@class, "board-group")]')
    assert [g.get("id") for g in groups] == [
        "group-party-ashford_county", "group-party-columbia_guard", "group-party-state_patrol",
        "group-party-harmon_county", "group-party-lakeside_county",
        "group-party-pine_ridge_county", "group-party-state_eoc"]
    assert not [g for g in groups if g.get("open") is not None]  # folded, without script
    assert text(groups[3].xpath("./summary")[0]) == \
        f"{HARMON} 2 duties open 2 next due 2026-06-19 04:42 UTC"
    assert [(cell(r, "party"), cell(r, "clause")) for r in groups[3].xpath(".//tbody/tr")] == [
        (HARMON, "relay_warning"), (HARMON, "liaison")]
    # By party, a prohibition is each party's own row.
    assert [cell(r, "party") for r in groups[0].xpath(".//tbody/tr")] == [ASHFORD]
    by_clause = page(client.get(f"{BOARD}?group=clause&sort=party"))
    groups = by_clause.xpath('//details[contains(@class, "board-group")]')
    assert [text(g.xpath("./summary/strong")[0]) for g in groups] == [
        f"{c} (columbia-cap-joint-task-force)" for c in
        ("high_water", "liaison", "no_self_dispatch", "relay_warning", "stand_up",
         "traffic_control")]
    assert [cell(r, "party") for r in groups[2].xpath(".//tbody/tr")] == [
        f"Parties: {ASHFORD}, {PINE}"]
    assert text(groups[2].xpath("./summary")[0]) == \
        "no_self_dispatch (columbia-cap-joint-task-force) 2 duties open 2"
    assert [cell(r, "party") for r in groups[1].xpath(".//tbody/tr")] == [HARMON, LAKESIDE]
    # Filters and grouping together; the cards keep the filters too.
    filtered = page(client.get(f"{BOARD}?group=party&modality=must+not"))
    assert [g.get("id") for g in filtered.xpath('//details[contains(@class, "board-group")]')
            ] == ["group-party-ashford_county", "group-party-pine_ridge_county"]
    cards = page(client.get(f"{BOARD}?view=cards&party=harmon_county"))
    assert [s.get("id") for s in cards.xpath('//section[contains(@class, "party-group")]')] == [
        "party-harmon_county"]
    assert len(cards.xpath("//article[contains(@class, 'duty')]")) == 2
    assert cards.xpath('//a[text()="Show as a table"]/@href') == [
        f"{BOARD}?party=harmon_county"]


def test_an_address_the_board_does_not_know_is_refused_with_400(people, executed, client_for):
    client = client_for(people.coordinator)
    record_alert(client)
    for query, message in (
            ("sort=colour", "'sort' is one of due, party, clause, modality, action, countdown, "
                            "state, reached, not 'colour'"),
            ("state=late", "'state' is one of breached, open, acknowledged, fulfilled, "
                           "declined, waived, lapsed, not 'late'"),
            ("group=agency", "'group' is one of party, clause, none, not 'agency'"),
            ("dir=sideways", "'dir' is one of asc, desc, not 'sideways'"),
            ("q=" + "x" * 201, "'q' is at most 200 characters of text"),
            ("party=a%00b", "'party' is at most 200 characters of text")):
        response = client.get(f"{BOARD}?{query}")
        assert response.status_code == 400, query
        assert message in page_text(response), query
    assert client.get(f"{BOARD}?unknown=1&_=123").status_code == 200  # other arguments: ignored


def test_closed_duties_say_who_when_and_why_under_the_table(session, people, executed,
                                                            client_for, fixed_clock):
    client = client_for(people.coordinator)
    record_alert(client)
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison").id
    fixed_clock.now = datetime(2026, 6, 18, 12, 5, tzinfo=timezone.utc)
    client_for(people.partners["lakeside_county"]).post(f"/duties/{liaison}/decline",
                                                        data={"note": "no officer free"})
    response = client.get(BOARD)
    row = page(response).xpath(f'//tr[@id="duty-{liaison}"]')[0]
    assert cell(row, "state") == "declined" and cell(row, "countdown") == "—"
    assert row.xpath(".//a[@class='more']/@href") == [f"/duties/{liaison}"]  # to reopen
    closed = page(response).xpath('//section[@id="closed"]')[0]
    assert text(closed.xpath(".//h2")[0]) == "Closed duties (1)"
    assert [text(li) for li in closed.xpath(".//li")] == [
        f"liaison · {LAKESIDE}: declined by Signer of lakeside_county, 2026-06-18 12:05 UTC: "
        "no officer free"]
    # The coordinators' notice links to the row.
    assert page(response).xpath('//*[@id="declined-musts"]//a/@href') == [f"#duty-{liaison}"]
    assert tally_of(response) == ["all 9", "open 8", "declined 1"]
    assert not page(client.get(f"{BOARD}?state=open")).xpath('//section[@id="closed"]')
    assert session.scalar(select(Duty.state).where(Duty.id == liaison)) == "declined"
