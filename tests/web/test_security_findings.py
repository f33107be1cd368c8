"""Findings of the probe of the running application (issue 11, point 11), each with its test."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from agreements.incidents import record_incident
from agreements.models import Duty

from .conftest import ALERT, T0, login

NOW = T0.replace(day=19, hour=4, minute=15)


@pytest.fixture
def recorded(session, people, executed):
    return record_incident(session, people.coordinator, ALERT, now=NOW)


def test_a_duty_action_on_another_organisations_duty_is_404_like_a_missing_one(
        app, session, people, recorded):
    other = session.scalars(select(Duty).where(Duty.party_id != "lakeside_county")
                            .order_by(Duty.id)).first()
    partner = app.test_client()
    login(partner, people.partners["lakeside_county"])
    theirs = partner.post(f"/duties/{other.id}/acknowledge")
    missing = partner.post("/duties/999999/acknowledge")
    assert theirs.status_code == missing.status_code == 404
    assert f"there is no duty {other.id}".encode() in theirs.data
    assert other.party_id.encode() not in theirs.data  # neither the owner nor the duty is told
    session.refresh(other)
    assert other.state == "open"


def test_pages_say_where_forms_may_post_and_signed_in_pages_are_not_cached(app, people):
    anonymous = app.test_client().get("/login")
    assert "form-action 'self'" in anonymous.headers["Content-Security-Policy"]
    client = app.test_client()
    login(client, people.coordinator)
    page = client.get("/incidents")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    style = client.get("/static/style.css")
    assert "no-store" not in style.headers.get("Cache-Control", "")
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP in this test


def test_hsts_is_sent_when_cookies_are_secure(tmp_path, monkeypatch):
    from agreements import compiled
    from web.app import create_app
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("COMPACT_SECURE_COOKIES", "1")
    compiled.clear()
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite'}",
                      "SECRET_KEY": "test"})
    try:
        answer = app.test_client().get("/login", base_url="https://compact.example")
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    finally:
        app.extensions["compact.engine"].dispose()


def test_every_page_names_its_icon_and_the_icon_is_served(app, people):
    page = app.test_client().get("/login").data.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    client = app.test_client()
    for url in (icon, "/favicon.ico"):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
        assert answer.data.startswith(b"<svg")
