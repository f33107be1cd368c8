"""A partner's pages: its agreements, signing, withdrawing, and its duties across incidents."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from agreements.drafting import create_agreement, publish
from agreements.models import Agreement, Organisation, Signature, Withdrawal
from agreements.signing import sign
from agreements.users import create_user_unchecked
from tests.agreements.conftest import library_text

from .conftest import PASSWORD, T0, TASK_FORCE, TASK_FORCE_ID
from .test_incident_pages import (ALERT_KEY, TORNADO, TORNADO_KEY, fixed_clock,  # noqa: F401
                                  duty_of, no_inline_code, page, page_text, paste, record_alert)

SIGN_URL = f"/agreements/{TASK_FORCE_ID}/revisions/1/sign"


@pytest.fixture
def published(session, people):
    """The CAP joint task force protocol, revision 1 out for signature, signed by no one."""
    revision = create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
    return revision


@pytest.fixture
def outsider(session, people):
    """A partner of an organisation that is party to nothing."""
    session.add(Organisation(id="riverbend", name="Riverbend Water Board", created_at=T0))
    user = create_user_unchecked(session, email="riverbend@partner.example", name="Rita River",
                                 role="partner", organisation_id="riverbend",
                                 password=PASSWORD, at=T0)
    session.commit()
    return user


def card(response, slug=TASK_FORCE_ID):
    return page(response).xpath(f'//section[@id="agreement-{slug}"]')[0]


def text_of(element) -> str:
    return " ".join(element.text_content().split())


# ---------------------------------------------------------------- access

def test_the_partner_pages_are_for_partners(people, published, client_for, outsider):
    for user in (people.coordinator, people.drafter, people.admin):
        client = client_for(user)
        for url in ("/my/agreements", "/my/duties", SIGN_URL,
                    f"/agreements/{TASK_FORCE_ID}/withdraw"):
            assert client.get(url).status_code == 403, (user, url)
    stranger = client_for(outsider)
    assert stranger.get("/my/agreements").status_code == 200
    assert TASK_FORCE_ID not in page_text(stranger.get("/my/agreements"))
    assert stranger.get(SIGN_URL).status_code == 404
    assert stranger.post(SIGN_URL, data={"signer_name": "R", "signer_title": "D",
                                         "consent": "yes"}).status_code == 404
    assert stranger.get(f"/agreements/{TASK_FORCE_ID}/withdraw").status_code == 404
    assert stranger.get("/agreements/no-such/revisions/1/sign").status_code == 404


# ---------------------------------------------------------------- my agreements and signing

def test_my_agreements_shows_what_is_out_for_signature(people, published, client_for):
    client = client_for(people.partners["lakeside_county"])
    response = client.get("/my/agreements")
    assert response.status_code == 200
    section = card(response)
    text = text_of(section)
    assert published.title in text and "Out for signature" in text
    assert "0 of 8 parties have signed revision 1" in text
    assert "has not signed" in text
    assert section.xpath(f'.//a[@href="{SIGN_URL}"]')
    assert not section.xpath('.//a[contains(@href, "/withdraw")]')
    no_inline_code(response)


def test_signing_needs_a_name_a_title_and_consent(session, people, published, client_for):
    client = client_for(people.partners["lakeside_county"])
    form = client.get(SIGN_URL)
    assert form.status_code == 200
    statement = ("I consent to bind Lakeside County Office of Emergency Management to revision 1 "
                 f"of this agreement (content hash {published.content_hash}).")
    assert statement in page_text(form)
    no_inline_code(form)
    refused = client.post(SIGN_URL, data={"signer_name": "Lee Lake",
                                          "signer_title": "Director"})
    assert refused.status_code == 422
    assert "confirm that you consent" in page_text(refused)
    doc = page(refused)
    assert doc.xpath('//input[@name="signer_name"]/@value') == ["Lee Lake"]
    assert doc.xpath('//input[@name="signer_title"]/@value') == ["Director"]
    missing = client.post(SIGN_URL, data={"signer_name": " ", "consent": "yes"})
    assert missing.status_code == 422
    assert "give your name and your title" in page_text(missing)
    assert page(missing).xpath('//input[@name="consent"]/@checked')
    assert session.scalar(select(func.count(Signature.id))) == 0


def test_two_partners_sign_and_the_agreement_is_executed(session, people, published,
                                                         client_for):
    # six parties have signed already; Lakeside and Harmon sign through the pages
    for party in ("state_eoc", "pine_ridge_county", "ashford_county", "state_patrol",
                  "columbia_guard", "columbia_dep"):
        sign(session, people.partners[party], TASK_FORCE_ID, 1, signer_name=f"S {party}",
             signer_title="Director", consent=True, now=T0)
    lakeside = client_for(people.partners["lakeside_county"])
    response = lakeside.post(SIGN_URL, data={"signer_name": "Lee Lake",
                                             "signer_title": "Director", "consent": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == "/my/agreements"
    mine = lakeside.get("/my/agreements")
    assert "You signed revision 1" in page_text(mine)
    assert "7 of 8 parties have signed" in text_of(card(mine))
    assert "Lakeside County Office of Emergency Management has signed" in text_of(card(mine))
    assert not card(mine).xpath(f'.//a[@href="{SIGN_URL}"]')
    assert lakeside.get(SIGN_URL).status_code == 409  # signed already
    assert lakeside.post(SIGN_URL, data={"signer_name": "Lee", "signer_title": "D",
                                         "consent": "yes"}).status_code == 409

    harmon = client_for(people.partners["harmon_county"])
    response = harmon.post(SIGN_URL, data={"signer_name": "Hal Harmon",
                                           "signer_title": "Director", "consent": "yes"})
    assert response.status_code == 302
    mine = harmon.get("/my/agreements")
    assert "Every party has signed: the agreement is executed" in page_text(mine)
    section = card(mine)
    assert "Executed" in text_of(section) and "8 of 8 parties have signed" in text_of(section)
    assert "In force Revision 1" in text_of(section)
    assert section.xpath(f'.//a[@href="/agreements/{TASK_FORCE_ID}/withdraw"]')
    assert "Hal Harmon, Director" in text_of(section)
    agreement = session.scalar(select(Agreement).where(Agreement.slug == TASK_FORCE_ID))
    assert agreement.state == "executed"
    signature = session.scalar(select(Signature).where(Signature.party_id == "harmon_county"))
    assert signature.address == "127.0.0.1" and signature.content_hash == published.content_hash
    assert harmon.get(SIGN_URL).status_code == 409  # no longer out for signature


def test_a_revision_not_out_for_signature_cannot_be_signed(people, published, client_for):
    client = client_for(people.partners["lakeside_county"])
    assert client.get(f"/agreements/{TASK_FORCE_ID}/revisions/2/sign").status_code == 404


# ---------------------------------------------------------------- withdrawal

def test_withdrawal_explains_the_notice_and_records_it(session, people, executed, client_for):
    client = client_for(people.partners["harmon_county"])
    url = f"/agreements/{TASK_FORCE_ID}/withdraw"
    form = client.get(url)
    assert form.status_code == 200
    text = page_text(form)
    assert "requires 30 days of notice" in text and "2026-07-18 12:00 UTC" in text
    no_inline_code(form)
    refused = client.post(url, data={"reason": "  "})
    assert refused.status_code == 422 and "give the reason" in page_text(refused)
    assert session.scalar(select(func.count(Withdrawal.id))) == 0
    response = client.post(url, data={"reason": "county reorganisation"})
    assert response.status_code == 302 and response.headers["Location"] == "/my/agreements"
    mine = client.get("/my/agreements")
    assert "leaves on 2026-07-18 12:00 UTC" in text_of(card(mine))
    assert not card(mine).xpath(f'.//a[@href="{url}"]')
    again = client.get(url)
    assert again.status_code == 200 and "it leaves on 2026-07-18 12:00 UTC" in page_text(again)
    assert not page(again).xpath("//form[textarea]")
    assert client.post(url, data={"reason": "again"}).status_code == 409
    withdrawal = session.scalar(select(Withdrawal))
    assert withdrawal.party_id == "harmon_county" and withdrawal.reason == "county reorganisation"
    other = client_for(people.partners["lakeside_county"]).get("/my/agreements")
    assert card(other).xpath(f'.//a[@href="{url}"]')  # only Harmon gave notice


def test_withdrawing_from_an_agreement_not_yet_executed_is_a_conflict(people, published,
                                                                      client_for):
    client = client_for(people.partners["harmon_county"])
    assert client.get(f"/agreements/{TASK_FORCE_ID}/withdraw").status_code == 409


# ---------------------------------------------------------------- my duties

def test_my_duties_lists_the_organisations_live_duties_soonest_first(
        session, people, executed, client_for, fixed_clock):
    coordinator = client_for(people.coordinator)
    record_alert(coordinator)
    paste(coordinator, TORNADO)
    harmon = client_for(people.partners["harmon_county"])
    response = harmon.get("/my/duties")
    assert response.status_code == 200
    rows = page(response).xpath("//table//tbody/tr")
    listed = [(text_of(r.xpath('./td[@data-label="Incident"]')[0]),
               r.xpath('./td[@data-label="Duty"]//span[contains(@class, "small")]')[0]
               .text_content().split("·")[1].strip(),
               r.xpath('.//span[@class="due-at" or @class="muted"]')[0].text) for r in rows]
    # The tornado warning (JSON) gives no onset, from which liaison runs: no deadline, listed last.
    assert listed == [
        (ALERT_KEY, "relay_warning", "2026-06-19 04:42 UTC"),
        (ALERT_KEY, "liaison", "2026-06-19 06:10 UTC"),
        (TORNADO_KEY, "relay_warning", "2027-05-11 21:15 UTC"),
        (TORNADO_KEY, "liaison", "no deadline"),
    ]
    first = rows[0]
    assert first.xpath('.//a/@href')[0].startswith(f"/incidents/{ALERT_KEY}#duty-")
    assert first.xpath('.//span[@class="badge state-open"]')
    assert first.xpath('.//time[@class="countdown"]/@datetime') == ["2026-06-19T04:42:00Z"]
    actions = first.xpath(".//button/@formaction")
    assert [a.rsplit("/", 1)[1] for a in actions] == ["acknowledge", "fulfil", "decline"]
    no_inline_code(response)

    duty = duty_of(session, ALERT_KEY, "harmon_county", "relay_warning").id
    done = harmon.post(f"/duties/{duty}/fulfil", data={"next": "/my/duties"})
    assert done.status_code == 302 and done.headers["Location"] == f"/my/duties#duty-{duty}"
    assert len(page(harmon.get("/my/duties")).xpath("//tbody/tr")) == 3
    closed = harmon.get("/my/duties?closed=1")
    assert len(page(closed).xpath("//tbody/tr")) == 4
    assert page(closed).xpath('//span[@class="badge state-fulfilled"]')

    # past the due time, an open duty shows as breached and overdue
    fixed_clock.now = datetime(2026, 6, 19, 7, 0, tzinfo=timezone.utc)
    late = page(harmon.get("/my/duties"))
    liaison = late.xpath("//tbody/tr")[0]
    assert liaison.xpath('.//span[@class="badge state-breached"]')
    assert liaison.xpath('.//span[@class="badge overdue"]')


def test_my_duties_when_there_are_none(people, executed, client_for):
    response = client_for(people.partners["columbia_dep"]).get("/my/duties")
    assert response.status_code == 200
    assert "has no open duties" in page_text(response)
