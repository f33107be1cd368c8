"""The verify-a-PDF page and the administrators' pages for users and organisations."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from agreements.documents import revision_pdf
from agreements.drafting import create_agreement, get_revision, publish
from agreements.models import Organisation, User
from agreements.signing import sign
from tests.agreements.conftest import library_text

from .conftest import PASSWORD, T0, TASK_FORCE_ID, login


def upload(client, data: bytes, filename: str = "agreement.pdf",
           content_type: str = "application/pdf"):
    return client.post("/verify", data={"pdf": (io.BytesIO(data), filename, content_type)},
                       content_type="multipart/form-data")


def text_of(response) -> str:
    """The page's visible text, with tags and the word breaks of long hashes taken out."""
    html = response.data.decode()
    html = re.sub(r"<wbr>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def sealed(session, people, executed) -> bytes:
    document = revision_pdf(session, people.coordinator, TASK_FORCE_ID, 1)
    assert document.sealed
    return document.data


# ---------------------------------------------------------------- verify

def test_the_verify_page_needs_sign_in_and_offers_an_upload(app, people, client_for):
    response = app.test_client().get("/verify")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = client_for(people.partners["state_eoc"]).get("/verify")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.data and b'type="file"' in page.data
    assert b"<script" not in page.data and b"style=" not in page.data


def test_a_sealed_pdf_is_valid_and_names_its_revision(app, people, executed, sealed,
                                                      client_for):
    for user in (people.coordinator, people.drafter, people.partners["harmon_county"]):
        response = upload(client_for(user), sealed)
        assert response.status_code == 200
        text = text_of(response)
        assert "Valid" in text and "Not valid" not in text
        assert executed.title in text
        assert TASK_FORCE_ID in text
        assert "Revision 1" in text
        assert executed.content_hash in text
        if "agreements.detail" in app.view_functions:
            assert f'href="/agreements/{TASK_FORCE_ID}' in response.data.decode()
    # Sent as a generic download with a .pdf name, it is read as a PDF too.
    response = upload(client_for(people.coordinator), sealed, "copy.PDF",
                      "application/octet-stream")
    assert response.status_code == 200 and "Valid" in text_of(response)

    changed = bytearray(sealed)
    changed[len(changed) // 3] ^= 0x01
    response = upload(client_for(people.coordinator), bytes(changed))
    assert response.status_code == 200
    text = text_of(response)
    assert "Not valid" in text and "Do not rely on this PDF" in text
    assert "seal" in text.lower()


def test_a_partner_of_another_organisation_learns_no_title(app, session, people, executed,
                                                           client_for):
    # A second agreement, executed between two of the counties only.
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=T0)
    slug = "columbia-intrastate-mutual-aid"
    publish(session, people.drafter, slug, 1, now=T0)
    for party in ("state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county",
                  "ashford_county"):
        sign(session, people.partners[party], slug, 1, signer_name=f"Signer of {party}",
             signer_title="Director", consent=True, now=T0)
    document = revision_pdf(session, people.coordinator, slug, 1)
    assert document.sealed
    title = get_revision(session, slug, 1).title

    outsider = upload(client_for(people.partners["columbia_dep"]), document.data)
    assert outsider.status_code == 200
    text = text_of(outsider)
    assert "Valid" in text
    assert "a revision on record that you may not see" in text
    assert title not in outsider.data.decode() and slug not in text

    insider = upload(client_for(people.partners["lakeside_county"]), document.data)
    assert title in text_of(insider) and "Revision 1" in text_of(insider)


@pytest.mark.parametrize("data, filename, content_type, status, words", [
    (b"hello, world", "notes.txt", "text/plain", 415, "is not a PDF file"),
    (b"\x89PNG\r\n\x1a\n....", "scan.png", "image/png", 415, "is not a PDF file"),
    (b"hello, world", "fake.pdf", "application/pdf", 415, "does not start like one"),
    (b"hello, world", "fake.bin", "application/octet-stream", 415, "is not a PDF file"),
    (b"", "empty.pdf", "application/pdf", 422, "is empty"),
])
def test_bad_uploads_get_a_clear_message(app, people, client_for, data, filename,
                                         content_type, status, words):
    response = upload(client_for(people.drafter), data, filename, content_type)
    assert response.status_code == status
    assert words in text_of(response)
    assert b'type="file"' in response.data  # the form is there to try again


def test_a_post_without_a_file_is_422(app, people, client_for):
    response = client_for(people.drafter).post("/verify", data={},
                                               content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a PDF file" in text_of(response)


def test_a_readable_unsealed_pdf_is_not_valid(app, session, people, executed, client_for):
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=T0)
    draft = revision_pdf(session, people.drafter, "columbia-intrastate-mutual-aid", 1)
    assert not draft.sealed
    response = upload(client_for(people.drafter), draft.data)
    assert response.status_code == 200
    assert "Not valid" in text_of(response) and "no seal" in text_of(response)


# ---------------------------------------------------------------- admin

def test_only_administrators_manage_users(app, people, client_for):
    response = app.test_client().get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for user in (people.drafter, people.coordinator, people.partners["state_eoc"]):
        client = client_for(user)
        assert client.get("/admin/users").status_code == 403
        assert client.post("/admin/users", data={"email": "x@y.example", "name": "X",
                                                 "role": "admin",
                                                 "password": "long enough pw"}).status_code == 403
        assert client.post("/admin/organisations",
                           data={"id": "evil", "name": "Evil"}).status_code == 403
        assert client.post(f"/admin/users/{user.id}", data={"role": "admin"}).status_code == 403


def test_the_users_page_lists_users_and_organisations(app, people, client_for):
    response = client_for(people.admin).get("/admin/users")
    assert response.status_code == 200
    text = text_of(response)
    for user in (people.admin, people.drafter, people.partners["columbia_dep"]):
        assert user.name in text and user.email in text
    assert "Columbia Department of Environmental Protection" in text and "columbia_dep" in text
    assert 'data-label="Organisation"' in response.data.decode()
    assert b"<script" not in response.data and b"style=" not in response.data


def test_create_a_user(app, session, people, client_for):
    client = client_for(people.admin)
    response = client.post("/admin/users", data={
        "email": "New.Partner@harmon.example", "name": "Nia New", "role": "partner",
        "organisation": "harmon_county", "password": "a long password"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert "Nia New (new.partner@harmon.example) can now sign in" in text_of(
        client.get("/admin/users"))
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "new.partner@harmon.example"))
    assert user.role == "partner" and user.organisation_id == "harmon_county" and user.active
    fresh = app.test_client()
    response = fresh.post("/login", data={"email": "new.partner@harmon.example",
                                          "password": "a long password"})
    assert response.status_code == 302


@pytest.mark.parametrize("form, status, words", [
    ({"email": "short@x.example", "name": "Shorty", "role": "drafter", "password": "123456789"},
     422, "at least 12 characters"),
    ({"email": "not an address", "name": "Nemo", "role": "drafter",
      "password": "a long password"}, 422, "e-mail address"),
    ({"email": "p@x.example", "name": "Pat", "role": "partner", "password": "a long password"},
     422, "a partner acts for an organisation"),
    ({"email": "r@x.example", "name": "Ray", "role": "emperor", "password": "a long password"},
     422, "the role must be one of"),
    ({"email": "drafter@compact.example", "name": "Again", "role": "drafter",
      "password": "a long password"}, 409, "already a user"),
])
def test_bad_new_users_are_refused_keeping_the_inputs(app, session, people, client_for, form,
                                                      status, words):
    before = session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    response = client_for(people.admin).post("/admin/users", data=form)
    assert response.status_code == status
    text = text_of(response)
    assert words.lower() in text.lower()
    page = response.data.decode()
    assert f'value="{form["email"]}"' in page and f'value="{form["name"]}"' in page
    assert form["password"] not in page
    session.expire_all()
    assert session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before


def test_create_an_organisation(app, session, people, client_for):
    client = client_for(people.admin)
    response = client.post("/admin/organisations",
                           data={"id": "riverbend_wfo", "name": "Riverbend Weather Office"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Organisation, "riverbend_wfo").name == "Riverbend Weather Office"
    assert "Riverbend Weather Office" in text_of(client.get("/admin/users"))

    bad = client.post("/admin/organisations", data={"id": "Bad Id", "name": "Bad"})
    assert bad.status_code == 422 and "lower-case letters" in text_of(bad)
    assert 'value="Bad Id"' in bad.data.decode()
    nameless = client.post("/admin/organisations", data={"id": "nameless", "name": " "})
    assert nameless.status_code == 422
    again = client.post("/admin/organisations", data={"id": "riverbend_wfo", "name": "Again"})
    assert again.status_code == 409 and "already an organisation" in text_of(again)


def test_change_a_users_role_organisation_and_access(app, session, people, client_for):
    client = client_for(people.admin)
    target = people.drafter2
    response = client.post(f"/admin/users/{target.id}",
                           data={"role": "partner", "organisation": "state_patrol",
                                 "active": "1"})
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(User, target.id)
    assert (changed.role, changed.organisation_id, changed.active) == (
        "partner", "state_patrol", True)

    response = client.post(f"/admin/users/{target.id}",
                           data={"role": "partner", "organisation": "", "active": "1"})
    assert response.status_code == 422 and "acts for an organisation" in text_of(response)
    form = re.search(r'<section class="card" id="change">.*?</section>', response.data.decode(),
                     re.S).group(0)
    assert f"Change {target.name}" in form
    assert '<option value="" selected>' in form  # the form shows what was sent
    assert 'value="state_patrol" selected' not in form

    response = client.post(f"/admin/users/{target.id}",
                           data={"role": "coordinator", "organisation": "", "active": "0"})
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(User, target.id)
    assert (changed.role, changed.organisation_id, changed.active) == (
        "coordinator", None, False)
    refused = app.test_client().post("/login", data={"email": target.email,
                                                     "password": PASSWORD})
    assert refused.status_code == 401

    own = client.post(f"/admin/users/{people.admin.id}",
                      data={"role": "drafter", "organisation": "", "active": "1"})
    assert own.status_code == 409 and "your own administrator rights" in text_of(own)
    assert client.post("/admin/users/99999", data={"role": "drafter"}).status_code == 404


def test_the_change_form_opens_for_one_user(app, people, client_for):
    client = client_for(people.admin)
    page = client.get(f"/admin/users?edit={people.partners['harmon_county'].id}")
    assert page.status_code == 200
    form = re.search(r'<section class="card" id="change">.*?</section>', page.data.decode(),
                     re.S).group(0)
    assert f'action="/admin/users/{people.partners["harmon_county"].id}#change"' in form
    assert '<option value="harmon_county" selected>' in form
    assert '<option value="partner" selected>' in form
    assert 'id="change"' not in client.get("/admin/users").data.decode()
    assert client.get("/admin/users?edit=99999").status_code == 404


def test_a_signed_in_admin_lands_on_the_users_page(app, people):
    client = app.test_client()
    login(client, people.admin)
    assert client.get("/").headers["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
