"""Probe findings (issue 11, point 11) on who sees which agreement and revision: a party an
amendment drops keeps the revision in force; a party an amendment adds sees nothing of the
revision in force; /api/evaluate names no field of another's agreement; /withdraw and /sign do
not tell an agreement the partner is no party to from a missing one; the verify page reports
the exact revision a PDF's content hash names."""

from __future__ import annotations

import html
import io
import json
import re

import pytest

from agreements.documents import revision_pdf
from agreements.drafting import analyse, create_agreement, publish, save_revision
from agreements.models import Organisation
from agreements.signing import sign
from agreements.users import create_token, create_user_unchecked
from tests.agreements.conftest import LIBRARY, library_text

from .conftest import PASSWORD, T0, TASK_FORCE, TASK_FORCE_ID

MUTUAL_AID = "intrastate-mutual-aid.agreement"
MUTUAL_AID_ID = "columbia-intrastate-mutual-aid"
MUTUAL_AID_PARTIES = ("state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county",
                      "ashford_county")
TORNADO = json.loads((LIBRARY / "incidents" / "harmon-tornado-warning.json").read_text())
NEWCOMER = "red_cross"


def dropping_dep(text: str) -> str:
    """The task force protocol without the environmental agency: its party, the role that
    names it, its clause and the examples that expect that clause."""
    text = re.sub(r"party columbia_dep .*?\n\n", "", text, flags=re.S)
    text = text.replace(", columbia_guard, columbia_dep", ", columbia_guard")
    text = re.sub(r"clause hazmat_support .*?\n\n", "", text, flags=re.S)
    return re.sub(r"  expect (columbia_dep must|no) hazmat_support.*\n", "", text)


def adding_newcomer(text: str) -> str:
    return text.replace("# The CAP <event>", f'party {NEWCOMER} "Columbia Red Cross"\n'
                        '  region "Statewide"\n  contact "ops@redcross.columbia.example"\n'
                        '  signatory "Regional Director"\n\n# The CAP <event>')


def amend(session, people, text: str) -> int:
    checked = analyse(text)
    assert checked.errors == 0 and checked.warnings == 0, checked.diagnostics
    revision, created = save_revision(session, people.drafter, TASK_FORCE_ID, text,
                                      base_revision=1, now=T0)
    assert created and revision.number == 2
    publish(session, people.drafter, TASK_FORCE_ID, 2, now=T0)
    session.commit()
    return revision.number


def text_of(response) -> str:
    page = re.sub(r"<wbr>", "", response.data.decode())
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def newcomer(session, people):
    session.add(Organisation(id=NEWCOMER, name="Columbia Red Cross", created_at=T0))
    user = create_user_unchecked(session, email="red_cross@partner.example",
                                 name="Rita of the Red Cross", role="partner",
                                 organisation_id=NEWCOMER, password=PASSWORD, at=T0)
    session.commit()
    return user


@pytest.fixture
def bearer(app, session):
    def make(user):
        _, token = create_token(session, user, "tests")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        return lambda method, path, **kw: client.open(path, method=method, headers=headers,
                                                      **kw)
    return make


# ---------------------------------------------------------------- 1. a dropped party

def test_a_party_an_amendment_drops_keeps_the_revision_in_force(session, people, executed,
                                                                client_for, bearer):
    amend(session, people, dropping_dep(library_text(TASK_FORCE)))
    dep = client_for(people.partners["columbia_dep"])
    assert dep.get(f"/agreements/{TASK_FORCE_ID}").status_code == 200
    assert dep.get(f"/agreements/{TASK_FORCE_ID}/revisions/1").status_code == 200
    # Not the amendment, to which it is no party.
    assert dep.get(f"/agreements/{TASK_FORCE_ID}/revisions/2").status_code == 404
    assert TASK_FORCE_ID in dep.get("/my/agreements").data.decode()
    api = bearer(people.partners["columbia_dep"])
    assert api("GET", f"/api/agreements/{TASK_FORCE_ID}").status_code == 200
    assert api("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions/1").status_code == 200
    assert api("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions/2").status_code == 404
    pdf = dep.get(f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert dep.get(f"/agreements/{TASK_FORCE_ID}/withdraw").status_code == 200
    response = dep.post(f"/agreements/{TASK_FORCE_ID}/withdraw", data={"reason": "dropped"})
    assert response.status_code == 302, text_of(response)[:500]


def test_a_dropped_party_sees_the_revision_in_force_on_its_pages(session, people, executed,
                                                                 client_for):
    amend(session, people, dropping_dep(library_text(TASK_FORCE)))
    # A signature of the amendment, which the dropped party must not see.
    sign(session, people.partners["harmon_county"], TASK_FORCE_ID, 2,
         signer_name="Second Hand", signer_title="Deputy", consent=True, now=T0)
    session.commit()
    dep = client_for(people.partners["columbia_dep"])
    for path in (f"/agreements/{TASK_FORCE_ID}", "/my/agreements"):
        text = text_of(dep.get(path))
        assert "Second Hand" not in text, path
    detail = text_of(dep.get(f"/agreements/{TASK_FORCE_ID}"))
    assert "Signatures of revision 1" in detail and "Signatures of revision 2" not in detail
    mine = text_of(dep.get("/my/agreements"))
    assert "signed revision 1" in mine and "Withdraw" in mine


# ---------------------------------------------------------------- 2. an added party

def test_a_party_an_amendment_adds_sees_nothing_of_the_revision_in_force(
        session, people, executed, newcomer, client_for, bearer):
    amend(session, people, adding_newcomer(library_text(TASK_FORCE)))
    client = client_for(newcomer)
    detail = text_of(client.get(f"/agreements/{TASK_FORCE_ID}"))
    assert "Signatures of revision 2" in detail
    assert "Signatures of revision 1" not in detail
    assert "Signer of harmon_county" not in detail
    mine = client.get("/my/agreements")
    assert mine.status_code == 200 and "Signer of harmon_county" not in text_of(mine)
    assert f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf" not in mine.data.decode()
    assert client.get(f"/agreements/{TASK_FORCE_ID}/revisions/1").status_code == 404
    assert client.get(f"/agreements/{TASK_FORCE_ID}/revisions/1/pdf").status_code == 404
    assert client.get(f"/agreements/{TASK_FORCE_ID}/withdraw").status_code in (404, 409)
    api = bearer(newcomer)
    body = api("GET", f"/api/agreements/{TASK_FORCE_ID}").json
    assert [r["number"] for r in body["revisions"]] == [2]
    assert api("GET", f"/api/agreements/{TASK_FORCE_ID}/revisions/1").status_code == 404
    # Its own revision's signing page lists the signatures of revision 2 only.
    page = client.get(f"/agreements/{TASK_FORCE_ID}/revisions/2/sign")
    assert page.status_code == 200 and "Signer of harmon_county" not in text_of(page)


# ---------------------------------------------------------------- 3. /api/evaluate

@pytest.fixture
def mutual_aid(session, people, executed):
    """The intrastate mutual aid agreement executed between five parties (not the
    environmental agency)."""
    create_agreement(session, people.drafter, library_text(MUTUAL_AID), now=T0)
    publish(session, people.drafter, MUTUAL_AID_ID, 1, now=T0)
    for party in MUTUAL_AID_PARTIES:
        sign(session, people.partners[party], MUTUAL_AID_ID, 1, signer_name="S",
             signer_title="D", consent=True, now=T0)
    session.commit()
    return MUTUAL_AID_ID


def test_evaluate_names_no_field_of_an_agreement_the_partner_is_no_party_to(
        session, people, mutual_aid, bearer):
    # `declaration` and `request_authorised` are fields of the mutual aid agreement only.
    odd = {**TORNADO, "declaration": "lokal"}
    full = bearer(people.coordinator)("POST", "/api/evaluate", json=odd)
    assert full.status_code == 200
    assert "declaration" in {w.get("field") for w in full.json["warnings"]}
    lakeside = bearer(people.partners["lakeside_county"])("POST", "/api/evaluate", json=odd)
    assert "declaration" in {w.get("field") for w in lakeside.json["warnings"]}
    dep = bearer(people.partners["columbia_dep"])
    answer = dep("POST", "/api/evaluate", json=odd)
    assert answer.status_code == 200
    assert "declaration" not in answer.data.decode() and "lokal" not in answer.data.decode()

    bad = {**TORNADO, "request_authorised": "yes"}
    refused = dep("POST", "/api/evaluate", json=bad)
    assert refused.status_code == 422
    text = refused.data.decode()
    assert "request_authorised" not in text and MUTUAL_AID_ID not in text
    assert "not party to" in text


# ---------------------------------------------------------------- 4. /withdraw and /sign

def test_withdraw_and_sign_do_not_tell_a_foreign_agreement_from_a_missing_one(
        session, people, executed, client_for):
    create_agreement(session, people.drafter, library_text(MUTUAL_AID), now=T0)
    publish(session, people.drafter, MUTUAL_AID_ID, 1, now=T0)
    session.commit()
    dep = client_for(people.partners["columbia_dep"])  # no party of the mutual aid agreement
    for slug in (MUTUAL_AID_ID, "no-such-agreement"):
        for method, path in (("GET", f"/agreements/{slug}/withdraw"),
                             ("POST", f"/agreements/{slug}/withdraw"),
                             ("GET", f"/agreements/{slug}/revisions/1/sign"),
                             ("POST", f"/agreements/{slug}/revisions/1/sign")):
            response = dep.open(path, method=method, data={"reason": "x"})
            assert response.status_code == 404, (path, method)
            text = text_of(response)
            assert f"there is no agreement '{slug}'" in text.lower(), (path, text[:800])
            assert "organisation" not in text.lower().split("there is no agreement")[1][:80]
            assert "revision 1" not in text.lower(), (path, method)


# ---------------------------------------------------------------- 5. verify

def upload(client, data: bytes):
    return client.post("/verify", data={"pdf": (io.BytesIO(data), "agreement.pdf",
                                                "application/pdf")},
                       content_type="multipart/form-data")


def test_verify_checks_the_revision_not_the_agreement(session, people, executed, newcomer,
                                                      client_for):
    first = revision_pdf(session, people.coordinator, TASK_FORCE_ID, 1)
    assert first.sealed
    amend(session, people, adding_newcomer(library_text(TASK_FORCE)))
    # The added party may see the agreement, but not revision 1, which its PDF shows.
    text = text_of(upload(client_for(newcomer), first.data))
    assert "Valid" in text and "may not see" in text
    assert executed.title not in text and "Revision 1" not in text
    # Revision 2 is executed: revision 1's PDF is still sealed and on record, but no longer
    # the revision in force, and the page says so.
    for party, partner in {**people.partners, NEWCOMER: newcomer}.items():
        sign(session, partner, TASK_FORCE_ID, 2, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=T0)
    session.commit()
    response = upload(client_for(people.coordinator), first.data)
    text = text_of(response)
    assert "Valid" in text and "revision 1" in text.lower()
    assert "not the revision in force" in text and "revision 2 is" in text.lower()
    assert f'href="/agreements/{TASK_FORCE_ID}/revisions/1"' in response.data.decode()
    # A party of revision 1 only (none here: every party stayed) — the harmon partner is a
    # party of both and sees it named.
    text = text_of(upload(client_for(people.partners["harmon_county"]), first.data))
    assert "Revision 1" in text and "not the revision in force" in text
