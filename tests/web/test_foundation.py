"""Sign-in, CSRF, cookies, security headers and error pages of the application shell."""

from __future__ import annotations

import re


from web.app import create_app

from .conftest import PASSWORD


def test_sign_in_lands_each_role_where_its_work_is(app, people, client_for):
    expected = {people.drafter: "/agreements", people.coordinator: "/incidents",
                people.partners["state_eoc"]: "/my/agreements", people.admin: "/admin/users"}
    for user, path in expected.items():
        response = client_for(user).get("/")
        assert response.status_code == 302 and response.headers["Location"] == path


def test_a_wrong_password_is_refused_with_a_clear_message(app, people):
    response = app.test_client().post("/login", data={"email": people.drafter.email,
                                                      "password": "wrong"})
    assert response.status_code == 401
    assert b"That e-mail address and password do not match an active account." in response.data


def test_pages_need_sign_in(app):
    response = app.test_client().get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_sign_in_never_redirects_off_site(app, people):
    client = app.test_client()
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": people.drafter.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_forms_need_the_csrf_token(tmp_path, monkeypatch, people, app):
    strict = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                         "SECRET_KEY": "test"})
    client = strict.test_client()
    response = client.post("/login", data={"email": people.drafter.email,
                                           "password": PASSWORD})
    assert response.status_code == 400
    assert b"The form had expired or did not come from this site" in response.data
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    response = client.post("/login", data={"email": people.drafter.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    strict.extensions["compact.engine"].dispose()


def test_cookies_and_headers_are_strict(app, people):
    client = app.test_client()
    response = client.post("/login", data={"email": people.drafter.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/account")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_an_unknown_address_is_a_404_page_and_json_for_the_api(app, people, client_for):
    client = client_for(people.drafter)
    page = client.get("/no/such/page")
    assert page.status_code == 404 and b"There is nothing at this address" in page.data
    api = app.test_client().get("/api/no/such/thing")
    assert api.status_code in (401, 404) and api.is_json
