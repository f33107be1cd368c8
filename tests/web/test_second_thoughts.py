"""Second thoughts and duties by their nature, as users see them (issue 11, points 2 and 6):
reopening with a reason, fulfilling with a note, no fulfilment of a `may`, acknowledgement only
of a `must not`, the coordinators' notice of a declined `must`, who closed what, and exercises
apart in "My duties"."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from agreements.models import AuditEntry, Duty
from agreements.users import create_token

from .conftest import T0
from .test_incident_pages import (ALERT_KEY, INCIDENTS, duty_of, fixed_clock,  # noqa: F401
                                  no_inline_code, page, page_text, record_alert, upload)

BOARD = f"/incidents/{ALERT_KEY}"
CARDS = f"{BOARD}?view=cards"  # the board's cards: each duty with all its actions
LAKESIDE = "Lakeside County Office of Emergency Management"


def actions_of(response, duty_id: int) -> list[str]:
    """The actions offered for the duty: on the board (its card) or on its own page."""
    return [a.rsplit("/", 1)[1] for a in page(response).xpath(
        f'//form[@class="duty-actions"]//button[starts-with(@formaction, "/duties/{duty_id}/")]'
        '/@formaction')]


@pytest.fixture
def api(app, session):
    """api(user) -> a test client whose requests carry that user's bearer token."""
    def make(user):
        _, token = create_token(session, user, "tests")
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client
    return make


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def test_fulfil_takes_an_optional_note_from_the_form(session, people, executed, client_for):
    record_alert(client_for(people.coordinator))
    relay = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning").id
    partner = client_for(people.partners["lakeside_county"])
    card = page(partner.get(CARDS)).xpath(f'//article[@id="duty-{relay}"]')[0]
    details = card.xpath('.//details[contains(@class, "reason-form")]')[0]
    assert text(details.xpath("./summary")[0]) == "Add a note or decline…"
    assert text(details.xpath(".//label")[0]) == \
        "Note (optional to mark fulfilled; required to decline)"
    # the note is in the same form as "Mark fulfilled", so it goes with it
    assert card.xpath('.//form//textarea[@name="note"]') and card.xpath(
        f'.//form//button[@formaction="/duties/{relay}/fulfil"]')
    assert partner.post(f"/duties/{relay}/fulfil", data={"note": "sirens and radio"}
                        ).status_code == 302
    assert partner.post(f"/duties/{relay}/fulfil").status_code == 409  # once
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison").id
    assert partner.post(f"/duties/{liaison}/fulfil", data={"note": ""}).status_code == 302
    assert session.get(Duty, liaison).events[-1].note is None


def test_a_coordinator_reopens_a_fulfilled_duty_with_a_reason(session, people, executed,
                                                              client_for, fixed_clock):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    relay = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning").id
    partner = client_for(people.partners["lakeside_county"])
    partner.post(f"/duties/{relay}/acknowledge")
    fixed_clock.now = datetime(2026, 6, 18, 12, 5, tzinfo=timezone.utc)
    partner.post(f"/duties/{relay}/fulfil", data={"note": "sirens and radio"})

    # The closed duty shows who closed it, when and why; only a coordinator may reopen it.
    board = coordinator.get(CARDS)
    card = page(board).xpath(f'//article[@id="duty-{relay}"]')[0]
    closed = card.xpath('.//p[contains(@class, "closed-by")]')[0]
    assert text(closed) == "fulfilled by Signer of lakeside_county, 2026-06-18 12:05 UTC: " \
                           "sirens and radio"
    assert actions_of(board, relay) == ["reopen"]
    assert text(card.xpath('.//details[contains(@class, "reason-form")]/summary')[0]) == \
        "Reopen…"
    assert text(card.xpath('.//details//label')[0]) == "Reason (required)"
    no_inline_code(board)
    assert actions_of(partner.get(CARDS), relay) == []
    assert "fulfilled by Signer of lakeside_county" in page_text(partner.get(BOARD))

    assert partner.post(f"/duties/{relay}/reopen", data={"note": "we erred"}).status_code == 403
    refused = coordinator.post(f"/duties/{relay}/reopen", data={"note": "  ", "next": BOARD})
    assert refused.status_code == 422
    assert "Not done. To reopen a duty, give the reason." in page_text(refused)
    retry = page(refused).xpath('//form[@action="/duties/%d/reopen"]' % relay)[0]
    assert retry.xpath('.//textarea[@name="note"][@required]')
    assert text(retry.xpath(".//button")[0]) == "Reopen this duty"
    assert session.get(Duty, relay).state == "fulfilled"

    fixed_clock.now = datetime(2026, 6, 18, 12, 30, tzinfo=timezone.utc)
    done = coordinator.post(f"/duties/{relay}/reopen",
                            data={"note": "sirens not heard in the north", "next": BOARD})
    assert done.status_code == 302 and done.headers["Location"] == f"{BOARD}#duty-{relay}"
    board = coordinator.get(BOARD)
    title = session.get(Duty, relay).title
    assert f"{title} (lakeside_county): reopened, acknowledged again." in page_text(board)
    board = coordinator.get(CARDS)
    duty = session.get(Duty, relay)
    assert duty.state == "acknowledged" and duty.fulfilled_at is None
    card = page(board).xpath(f'//article[@id="duty-{relay}"]')[0]
    assert card.xpath('.//span[@class="badge state-acknowledged"]')
    assert not card.xpath('.//p[contains(@class, "closed-by")]')
    assert actions_of(board, relay) == ["fulfil", "decline", "waive"]

    # The history keeps both: the fulfilment and the reopening, who, when and why.
    events = page(coordinator.get(f"/duties/{relay}")).xpath('//ol[@class="events"]/li')
    assert [text(e) for e in events][1:] == [
        "2026-06-18 12:00 UTC: open → acknowledged by Signer of lakeside_county",
        "2026-06-18 12:05 UTC: acknowledged → fulfilled by Signer of lakeside_county: "
        "sirens and radio",
        "2026-06-18 12:30 UTC: fulfilled → acknowledged (reopened) by Cory Coordinator: "
        "sirens not heard in the north"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "duty.reopen")).one()
    assert entry.detail["note"] == "sirens not heard in the north"

    # Fulfilled again, the card shows the new closing (not a cached copy of the first one).
    partner.post(f"/duties/{relay}/fulfil", data={"note": "north sirens fixed"})
    card = page(coordinator.get(CARDS)).xpath(f'//article[@id="duty-{relay}"]')[0]
    assert text(card.xpath('.//p[contains(@class, "closed-by")]')[0]) == \
        "fulfilled by Signer of lakeside_county, 2026-06-18 12:30 UTC: north sirens fixed"


def test_a_reopened_duty_past_due_is_breached_on_the_board(session, people, executed,
                                                         client_for, fixed_clock):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    liaison = duty_of(session, ALERT_KEY, "harmon_county", "liaison").id  # due 06:10Z
    client_for(people.partners["harmon_county"]).post(f"/duties/{liaison}/decline",
                                                      data={"note": "no officer free"})
    fixed_clock.now = datetime(2026, 6, 19, 7, 0, tzinfo=timezone.utc)
    assert coordinator.post(f"/duties/{liaison}/reopen",
                            data={"note": "an officer is back"}).status_code == 302
    board = coordinator.get(CARDS)
    card = page(board).xpath(f'//article[@id="duty-{liaison}"]')[0]
    assert card.xpath('.//span[@class="badge state-breached"]')
    assert session.get(Duty, liaison).state == "breached"  # recorded by the breach check


def test_the_api_reopens_and_refuses_what_a_duty_does_not_take(session, people, executed,
                                                               client_for, api):
    record_alert(client_for(people.coordinator))
    coordinator = api(people.coordinator)
    relay = duty_of(session, ALERT_KEY, "lakeside_county", "relay_warning").id
    partner = api(people.partners["lakeside_county"])
    assert partner.post(f"/api/duties/{relay}/fulfil", json={"note": "done"}).status_code == 200
    assert partner.post(f"/api/duties/{relay}/reopen", json={"note": "x"}).status_code == 403
    missing = coordinator.post(f"/api/duties/{relay}/reopen", json={})
    assert missing.status_code == 422
    reopened = coordinator.post(f"/api/duties/{relay}/reopen", json={"note": "not heard"})
    assert reopened.status_code == 200 and reopened.json["state"] == "open"
    guard = duty_of(session, ALERT_KEY, "columbia_guard", "high_water").id
    refused = api(people.partners["columbia_guard"]).post(f"/api/duties/{guard}/fulfil")
    assert refused.status_code == 422
    assert (f"duty {guard} (high_water for columbia_guard) cannot be fulfilled: a 'may' duty is "
            "a permission, not an obligation; there is nothing to fulfil, and it lapses at its "
            "due time") in refused.get_data(as_text=True)
    doc = coordinator.get("/api/openapi.json").json
    action = [p for p in doc["paths"]["/api/duties/{id}/{action}"]["post"]["parameters"]
              if p["name"] == "action"][0]
    assert action["schema"]["enum"] == ["acknowledge", "fulfil", "decline", "waive", "reopen"]


def test_a_may_duty_offers_no_fulfilment(session, people, executed, client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    guard = duty_of(session, ALERT_KEY, "columbia_guard", "high_water").id
    partner = client_for(people.partners["columbia_guard"])
    board = partner.get(CARDS)
    assert actions_of(board, guard) == ["acknowledge", "decline"]
    assert "Mark fulfilled" not in text(page(board).xpath(f'//article[@id="duty-{guard}"]')[0])
    assert actions_of(coordinator.get(CARDS), guard) == ["acknowledge", "decline", "waive"]
    assert actions_of(partner.get(f"/duties/{guard}"), guard) == ["acknowledge", "decline"]
    refused = partner.post(f"/duties/{guard}/fulfil")
    assert refused.status_code == 422
    assert (f"Not done. Duty {guard} (high_water for columbia_guard) cannot be fulfilled: a "
            "'may' duty is a permission, not an obligation; there is nothing to fulfil, and it "
            "lapses at its due time.") in page_text(refused)
    assert session.get(Duty, guard).state == "open"


def test_a_may_duty_shows_when_it_lapses_not_a_countdown(app):
    due = datetime(2026, 6, 19, 6, 10, tzinfo=timezone.utc)
    with app.test_request_context():
        macros = app.jinja_env.get_template("incidents/_duty.html").module
        may = SimpleNamespace(due=due, modality="may", past=False)
        shown = str(macros.due(may, "open", T0))
        assert re.sub(r"<[^>]+>", "", shown).strip() == "lapses 2026-06-19 06:10 UTC"
        assert "countdown" not in shown
        after = str(macros.due(may, "open", datetime(2026, 6, 19, 7, 0, tzinfo=timezone.utc)))
        assert re.sub(r"<[^>]+>", "", after).strip() == "lapsed 2026-06-19 06:10 UTC"
        must = str(macros.due(SimpleNamespace(due=due, modality="must", past=False), "open", T0))
        assert "countdown" in must and "lapses" not in must


def test_a_must_not_duty_offers_acknowledgement_only(session, people, executed, client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    ban = duty_of(session, ALERT_KEY, "pine_ridge_county", "no_self_dispatch").id
    partner = client_for(people.partners["pine_ridge_county"])
    assert actions_of(partner.get(CARDS), ban) == ["acknowledge"]
    assert actions_of(coordinator.get(CARDS), ban) == ["acknowledge"]
    assert not page(partner.get(CARDS)).xpath(f'//article[@id="duty-{ban}"]//details'
                                              '[contains(@class, "reason-form")]')
    for client, action, done in ((partner, "fulfil", "fulfilled"),
                                 (partner, "decline", "declined"),
                                 (coordinator, "waive", "waived")):
        refused = client.post(f"/duties/{ban}/{action}", data={"note": "a reason"})
        assert refused.status_code == 422
        assert (f"Duty {ban} (no_self_dispatch for pine_ridge_county) cannot be {done}: a "
                "'must not' duty is a standing prohibition; it is only acknowledged."
                ) in page_text(refused)
    assert partner.post(f"/duties/{ban}/acknowledge").status_code == 302
    assert session.get(Duty, ban).state == "acknowledged"


def test_a_declined_must_is_flagged_to_coordinators_only(session, people, executed, client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    assert not page(coordinator.get(BOARD)).xpath('//*[@id="declined-musts"]')
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison").id
    lakeside = client_for(people.partners["lakeside_county"])
    lakeside.post(f"/duties/{liaison}/decline", data={"note": "no officer free"})
    # a `may` declined is not flagged
    guard = duty_of(session, ALERT_KEY, "columbia_guard", "high_water").id
    client_for(people.partners["columbia_guard"]).post(f"/duties/{guard}/decline",
                                                       data={"note": "not needed"})
    for user in (people.coordinator, people.admin):
        notice = page(client_for(user).get(BOARD)).xpath('//*[@id="declined-musts"]')
        assert notice, user.role
        assert text(notice[0].xpath(".//h2")[0]) == "1 required duty declined"
        items = [text(li) for li in notice[0].xpath(".//li")]
        assert items == [f"declined liaison: declined by {LAKESIDE}: no officer free "
                         "(Signer of lakeside_county, 2026-06-18 12:00 UTC)"]
        assert notice[0].xpath(".//a/@href") == [f"#duty-{liaison}"]
    # the notice comes before the facts and the duties
    html = coordinator.get(BOARD).get_data(as_text=True)
    assert html.index('id="declined-musts"') < html.index("<h2>Facts</h2>")
    for partner in ("lakeside_county", "harmon_county"):
        board = client_for(people.partners[partner]).get(BOARD)
        assert not page(board).xpath('//*[@id="declined-musts"]')
        assert "no officer free" not in page_text(board) or partner == "lakeside_county"
    assert "no officer free" not in page_text(client_for(people.partners["harmon_county"])
                                              .get(BOARD))
    # reopened, it is no longer flagged
    coordinator.post(f"/duties/{liaison}/reopen", data={"note": "ask again"})
    assert not page(coordinator.get(BOARD)).xpath('//*[@id="declined-musts"]')


def test_exercise_duties_are_kept_apart_in_my_duties(session, people, executed, client_for):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    assert upload(coordinator, "/incidents/new", (INCIDENTS / "cap-hazmat-exercise.xml")
                  .read_bytes(), "exercise.xml", "text/xml").status_code == 302
    eoc = client_for(people.partners["state_eoc"])
    response = eoc.get("/my/duties")
    assert response.status_code == 200
    doc = page(response)
    real = doc.xpath('//section[@id="real-duties"]//tbody/tr')
    exercises = doc.xpath('//section[@id="exercise-duties"]')
    assert exercises and text(exercises[0].xpath(".//h2")[0]) == "Exercises"
    drills = exercises[0].xpath(".//tbody/tr")
    assert real and drills
    assert all(ALERT_KEY in text(r.xpath("./td[1]")[0]) for r in real)
    assert not any(r.xpath('.//span[contains(@class, "badge exercise")]') for r in real)
    assert all(r.xpath('.//span[contains(@class, "badge exercise")]') for r in drills)
    assert not any(ALERT_KEY in text(r.xpath("./td[1]")[0]) for r in drills)
    assert doc.xpath('//h2[@id="exercises-title"]/following::tr')  # below the real ones
    no_inline_code(response)
    # a partner with duties only in the real incident has no Exercises section, and one with
    # duties only in the exercise is told it has none in a real incident
    guard = page(client_for(people.partners["columbia_guard"]).get("/my/duties"))
    assert guard.xpath('//section[@id="real-duties"]//tbody/tr')
    assert not guard.xpath('//section[@id="exercise-duties"]')
    dep = client_for(people.partners["columbia_dep"]).get("/my/duties")
    assert "has no open duties in a real incident; those of exercises are below." in \
        page_text(dep)
    assert page(dep).xpath('//section[@id="exercise-duties"]//tbody/tr')


def test_closed_duties_in_my_duties_show_who_when_and_why(session, people, executed, client_for):
    record_alert(client_for(people.coordinator))
    liaison = duty_of(session, ALERT_KEY, "lakeside_county", "liaison").id
    lakeside = client_for(people.partners["lakeside_county"])
    lakeside.post(f"/duties/{liaison}/decline", data={"note": "no officer free"})
    row = page(lakeside.get("/my/duties?closed=1")).xpath(f'//tr[@id="duty-{liaison}"]')[0]
    assert text(row.xpath('.//p[contains(@class, "closed-by")]')[0]) == \
        "declined by Signer of lakeside_county, 2026-06-18 12:00 UTC: no officer free"
