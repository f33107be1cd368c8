"""The agreement in plain words as a page, and on the sign page what an amendment changes from
the revision in force: what each user reads, and the 404 of those who may not see it."""

from __future__ import annotations

import re

import lxml.html
import pytest

from agreements.drafting import create_agreement, publish, save_revision
from agreements.models import Organisation
from agreements.signing import sign
from agreements.users import create_user_unchecked
from tests.agreements.conftest import library_text

from .conftest import PASSWORD, T0, TASK_FORCE, TASK_FORCE_ID

DOC = f"/agreements/{TASK_FORCE_ID}/revisions/{{n}}/document"
SIGN = f"/agreements/{TASK_FORCE_ID}/revisions/{{n}}/sign"
TITLE = ("Protocol on a Joint Task Force Activated by Common Alerting Protocol Warnings in the "
         "State of Columbia")
LAKESIDE = "Lakeside County Office of Emergency Management"


def amended_text() -> str:
    """Revision 2: relay within 45 minutes (was 30), no high-water clause, a shelters clause,
    and a new party, the Columbia River Basin Board; its examples still pass."""
    text = library_text(TASK_FORCE)
    text = text.replace("on local warning channels\" within 30 minutes",
                        "on local warning channels\" within 45 minutes")
    text = text.replace("thirty (30) minutes", "forty-five (45) minutes")
    text = text.replace("relay_warning by 2026-06-19T04:42:00Z", "relay_warning by 2026-06-19T04:57:00Z")
    text = text.replace("relay_warning by 2027-05-11T21:15:00Z", "relay_warning by 2027-05-11T21:30:00Z")
    start, end = text.index("clause high_water"), text.index("clause hazmat_support")
    text = text[:start] + text[end:]
    text = text.replace("  expect columbia_guard may high_water\n", "")
    text = text.replace("  expect no high_water\n", "")
    text = text.replace("party columbia_dep", 'party river_board "Columbia River Basin Board"\n'
                        '  region "Statewide"\n\nparty columbia_dep')
    return text.replace('clause standby "', 'clause shelters "Opening of shelters"\n'
                        "  when imminent and water\n"
                        '  affected must "open public shelters for evacuated residents" within 3 hours\n\n'
                        'clause standby "')


@pytest.fixture
def amendment(session, people, executed):
    """Revision 1 in force; revision 2 (amended_text) out for signature."""
    save_revision(session, people.drafter, TASK_FORCE_ID, amended_text(), base_revision=1, now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 2, now=T0)
    river = create_user_unchecked(session, email="river@partner.example", name="Rae River",
                                  role="partner", organisation_id="river_board",
                                  password=PASSWORD, at=T0)
    session.commit()
    return river


@pytest.fixture
def outsider(session):
    session.add(Organisation(id="riverbend", name="Riverbend Water Board", created_at=T0))
    user = create_user_unchecked(session, email="riverbend@partner.example", name="Rita River",
                                 role="partner", organisation_id="riverbend", password=PASSWORD,
                                 at=T0)
    session.commit()
    return user


def tree(response):
    return lxml.html.fromstring(response.data)


def words(element) -> str:
    return " ".join(element.text_content().split())


def headings(doc, level: str) -> list[str]:
    return [words(h) for h in doc.xpath(f"//main//{level}")]


def summary(doc, number: int) -> dict[str, str]:
    box = doc.xpath(f'//li[@id="clause-{number}"]//section[@class="clause-summary"]')[0]
    return dict(zip((words(d) for d in box.xpath(".//dt")), (words(d) for d in box.xpath(".//dd"))))


def annex_rows(doc, party: str) -> list[list[str]]:
    return [[words(td) for td in tr.xpath("./td")]
            for tr in doc.xpath(f'//section[@id="annex-{party}"]//tbody/tr')]


# ---------------------------------------------------------------- the document page

def test_the_document_reads_like_the_pdf_in_order(people, executed, client_for):
    response = client_for(people.coordinator).get(DOC.format(n=1))
    assert response.status_code == 200
    doc = tree(response)
    assert headings(doc, "h1") == [TITLE]
    assert headings(doc, "h2") == ["Contents", "Parties and terms", "Recitals", "Definitions",
                                   "Clauses", "Annex: duties by party", "Signatures"]
    assert words(doc.xpath('//p[@class="doc-state"]')[0]).startswith("Revision 1 in force")
    assert words(doc.xpath('//ol[@class="doc-recitals"]/li')[0]) == (
        "Whereas Warnings for flash floods, tornadoes and hazardous materials releases reach the "
        "parties as CAP 1.2 alerts through the State's alert aggregator.")
    definitions = doc.xpath('//dl[@class="doc-definitions"]')[0]
    assert [words(d) for d in definitions.xpath("./dt")] == ["The lead party",
                                                             "The affected parties",
                                                             "The neighbours"]
    assert words(definitions.xpath("./dd")[1]) == (
        "every party of this agreement whose area overlaps the incident's area.")
    assert headings(doc, "h3")[:9] == [
        "1. Stand-up of the joint task force", "2. Relay of protective actions",
        "3. County liaison officers", "4. Traffic control", "5. High-water vehicles",
        "6. Environmental response team", "7. Standby on a watch-level alert",
        "8. No self-dispatch by counties outside the warned area",
        "9. Exercises stay off live warning channels"]
    assert summary(doc, 4) == {
        "Who": "Columbia State Patrol",
        "What": "must establish traffic control points at the boundaries of the warned area",
        "By when": "within 90 minutes of the incident's onset",
        "Trigger": "when imminent and (water or hazmat)",
        "Costs": "Costs are borne by the lead party."}
    assert words(doc.xpath('//li[@id="clause-4"]//p[@class="clause-text"]')[0]).startswith(
        "For flood and hazardous materials warnings the State Patrol shall establish")


def test_the_annex_lists_each_partys_duties(people, executed, client_for):
    doc = tree(client_for(people.drafter).get(DOC.format(n=1)))
    assert annex_rows(doc, "lakeside_county")[0] == [
        "2. Relay of protective actions",
        "must relay the alert's protective-action instructions on local warning channels",
        "within 30 minutes of the incident's onset",
        "As an affected party, when its area overlaps the incident's area; "
        "when imminent and jtf_hazard and not exercise"]
    assert [row[0] for row in annex_rows(doc, "lakeside_county")] == [
        "2. Relay of protective actions", "3. County liaison officers",
        "8. No self-dispatch by counties outside the warned area",
        "9. Exercises stay off live warning channels"]
    assert [row[:2] for row in annex_rows(doc, "columbia_guard")] == [
        ["5. High-water vehicles",
         "may pre-position high-water vehicles and crews at the armory nearest the warned area"]]
    signatures = [words(li) for li in doc.xpath('//ul[@class="doc-signatures"]/li')]
    assert signatures[1] == (f"For {LAKESIDE} Authorised signatory: Lakeside County Emergency "
                             "Management Director signed Signer of lakeside_county, Director, "
                             "on 2026-06-18")


def test_a_partner_reads_it_with_its_own_annex_marked(people, executed, client_for):
    partner = client_for(people.partners["lakeside_county"])
    doc = tree(partner.get(DOC.format(n=1)))
    own = doc.xpath('//section[contains(@class, "annex-party")][contains(@class, "own")]')
    assert [words(s.xpath("./h3")[0]) for s in own] == [
        f"{LAKESIDE} (lakeside_county) your organisation"]
    assert doc.xpath('//nav[@class="doc-contents"]//a[@href="#annex-lakeside_county"]/text()') == [
        "your organisation's duties"]
    assert not doc.xpath('//a[text()="Sign revision 1"]')  # signed already, and in force


def test_who_may_not_see_the_revision_gets_404(app, session, people, executed, client_for,
                                               outsider):
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=T0)
    stranger = client_for(outsider)
    response = stranger.get(DOC.format(n=1))
    assert response.status_code == 404
    assert TITLE.encode() not in response.data
    partner = client_for(people.partners["lakeside_county"])
    draft = "/agreements/columbia-intrastate-mutual-aid/revisions/1/document"
    assert partner.get(draft).status_code == 404
    assert client_for(people.drafter).get(draft).status_code == 200
    assert partner.get(DOC.format(n=2)).status_code == 404
    assert partner.get("/agreements/no-such/revisions/1/document").status_code == 404
    anonymous = app.test_client().get(DOC.format(n=1))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_party_the_amendment_adds_reads_only_the_amendment(people, amendment, client_for):
    river = client_for(amendment)
    assert river.get(DOC.format(n=1)).status_code == 404
    doc = tree(river.get(DOC.format(n=2)))
    assert "Columbia River Basin Board (river_board) your organisation" in [
        words(h) for h in doc.xpath('//section[@id="annex-river_board"]/h3')]
    assert doc.xpath('//a[text()="Sign revision 2"]/@href') == [SIGN.format(n=2)]


def test_a_revision_with_errors_has_no_plain_words(session, people, executed, client_for):
    broken = library_text(TASK_FORCE).replace("lead must", "leed must", 1)
    save_revision(session, people.drafter, TASK_FORCE_ID, broken, base_revision=1, now=T0)
    response = client_for(people.drafter).get(DOC.format(n=2))
    assert response.status_code == 422
    assert words(tree(response).xpath('//p[@class="lead"]')[0]) == (
        f"Revision 2 of '{TASK_FORCE_ID}' has errors, so it cannot be read in plain words; "
        "its text shows where.")
    revision_page = tree(client_for(people.drafter).get(f"/agreements/{TASK_FORCE_ID}/revisions/2"))
    assert not revision_page.xpath(f'//a[@href="{DOC.format(n=2)}"]')


def test_the_revision_agreement_and_sign_pages_link_it(people, amendment, client_for):
    drafter = client_for(people.drafter)
    revision = tree(drafter.get(f"/agreements/{TASK_FORCE_ID}/revisions/1"))
    assert revision.xpath(f'//a[@href="{DOC.format(n=1)}"]/text()') == ["Read in plain words"]
    detail = tree(drafter.get(f"/agreements/{TASK_FORCE_ID}"))
    assert detail.xpath(f'//a[@href="{DOC.format(n=2)}"]/text()') == [
        "Read revision 2 in plain words", "Plain words"]
    assert detail.xpath(f'//a[@href="{DOC.format(n=1)}"]/text()') == ["Plain words"]
    sign_page = tree(client_for(people.partners["lakeside_county"]).get(SIGN.format(n=2)))
    assert "Read in plain words" in sign_page.xpath(f'//a[@href="{DOC.format(n=2)}"]/text()')


# ---------------------------------------------------------------- the sign page

def changes_card(response):
    assert response.status_code == 200
    return tree(response).xpath('//section[@id="changes"]')[0]


def before_after(table) -> list[list[str]]:
    return [[words(c) for c in tr.xpath("./th|./td")] for tr in table.xpath(".//tbody/tr")]


def test_the_sign_page_says_what_changed_since_the_revision_in_force(people, amendment,
                                                                     client_for):
    card = changes_card(client_for(people.partners["lakeside_county"]).get(SIGN.format(n=2)))
    assert words(card.xpath("./h2")[0]) == "What changed since revision 1 (in force)"
    assert card.xpath(".//a[text()='Compare the text line by line']/@href") == [
        f"/agreements/{TASK_FORCE_ID}/diff?a=1&b=2"]
    h3 = [words(h) for h in card.xpath("./h3")]
    assert h3 == ["Your organisation's duties", "Parties", "Clauses"]
    mine = card.xpath("./h3[1]/following-sibling::ul[1]/li")
    assert [words(li) for li in mine] == [
        "New duty, clause 6 (Opening of shelters): must open public shelters for evacuated "
        "residents, within 3 hours of the incident's onset. As an affected party, when its area "
        "overlaps the incident's area; when imminent and water."]
    h4 = [words(h) for h in card.xpath(".//h4")]
    assert h4 == ["Changed duty: clause 2 (Relay of protective actions)",
                  "Clause 6 added: Opening of shelters",
                  "Clause 5 of revision 1 removed: High-water vehicles",
                  "Clause 2 changed: Relay of protective actions"]
    duty_table = card.xpath(".//h4[1]/following-sibling::div[1]//table")[0]
    assert before_after(duty_table) == [[
        "By when", "within 30 minutes of the incident's onset",
        "within 45 minutes of the incident's onset"]]
    assert [words(th) for th in duty_table.xpath(".//thead//th")] == [
        "Part", "Revision 1 (in force)", "Revision 2 (to sign)"]
    clause_table = card.xpath(".//h4[4]/following-sibling::div[1]//table")[0]
    rows = before_after(clause_table)
    assert [r[0] for r in rows] == ["Text", "By when"]
    assert rows[0][1].endswith("within thirty (30) minutes of the issue of the alert.")
    assert rows[0][2].endswith("within forty-five (45) minutes of the issue of the alert.")
    parties = [words(li) for li in card.xpath("./h3[2]/following-sibling::ul[1]/li")]
    assert parties == ["Added: Columbia River Basin Board (river_board)"]
    assert words(card.xpath("./p[last()]")[0]) == (
        "Renumbered, otherwise unchanged: clause 6 (Environmental response team) is now clause 5.")


def test_a_party_the_amendment_adds_is_told_it_cannot_compare(people, amendment, client_for):
    card = changes_card(client_for(amendment).get(SIGN.format(n=2)))
    assert words(card) == (
        "What changed since revision 1 (in force) Your organisation is no party to revision 1, "
        "the one in force, so it cannot be compared here. Read revision 2 in plain words in "
        "full.")
    assert not card.xpath(".//a[contains(@href, '/diff')]")


def test_the_first_revision_has_nothing_in_force_to_compare(session, people, client_for):
    create_agreement(session, people.drafter, library_text(TASK_FORCE), now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 1, now=T0)
    response = client_for(people.partners["lakeside_county"]).get(SIGN.format(n=1))
    card = changes_card(response)
    assert words(card.xpath("./h2")[0]) == "What changed"
    assert words(card.xpath("./p")[0]) == "This is the first revision; nothing is in force yet."
    assert "Before you sign: this is the first revision" in words(tree(response))


def test_an_amendment_of_comments_only_says_nothing_changed_in_words(session, people, executed,
                                                                    client_for):
    save_revision(session, people.drafter, TASK_FORCE_ID,
                  library_text(TASK_FORCE) + "\n# A comment only.\n", base_revision=1, now=T0)
    publish(session, people.drafter, TASK_FORCE_ID, 2, now=T0)
    card = changes_card(client_for(people.partners["harmon_county"]).get(SIGN.format(n=2)))
    assert re.search(r"Nothing changed in the agreement's words: revision 2 differs from "
                     r"revision 1 only in the layout or comments of its text\.", words(card))
    assert not card.xpath(".//h3")
