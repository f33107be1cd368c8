"""API tokens' expiry, read-only scope and last use: as the API answers them, as the account page
shows and takes them, and that recording the last use writes at most once a minute."""

from __future__ import annotations

import re
from datetime import timedelta

import lxml.html
import pytest
from sqlalchemy import event, select

from agreements import clock
from agreements.errors import Invalid
from agreements.models import ApiToken, Incident
from agreements.tokens import create_token, expiry_from_text
from tests.agreements.conftest import make_people, postgres_url  # noqa: F401 - a fixture
from web.app import db

from .conftest import ALERT, T0, TASK_FORCE_ID, app_on
from .test_api import assert_error

clock_now = {"now": T0}
EVALUATE = {"id": "T-1", "type": "flood", "severity": "extreme",
            "reported_at": "2026-06-18T08:00:00Z"}
READ_ONLY = ("This token is read-only: it may read and evaluate, not change the record. Use a "
             "token without the read-only scope for this.")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    clock_now["now"] = T0
    monkeypatch.setattr(clock, "utcnow", lambda: clock_now["now"])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", lxml.html.fromstring(response.data).text_content())


@pytest.fixture
def updates(app):
    """The UPDATE statements on api_token the application sends, as they are sent."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            seen.append(statement)

    engine = app.extensions["compact.engine"]
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


# ---------------------------------------------------------------- expiry

def test_an_expired_token_is_refused_with_the_day_it_expired(app, session, people, executed):
    _, token = create_token(session, people.coordinator, "for a week",
                            expires_at=T0 + timedelta(days=7), now=T0)
    client = app.test_client()
    clock_now["now"] = T0 + timedelta(days=7) - timedelta(seconds=1)
    assert client.get("/api/agreements", headers=bearer(token)).status_code == 200
    clock_now["now"] = T0 + timedelta(days=7)
    response = client.get("/api/agreements", headers=bearer(token))
    error = assert_error(response, 401)
    assert error["message"] == ("This token expired on 2026-06-25 12:00 UTC: create a new one "
                                "on your account page.")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    # Expired for every route, a write too; and nothing is recorded.
    before = session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "for a week"))
    error = assert_error(client.post("/api/incidents", data=ALERT,
                                     headers={**bearer(token),
                                              "Content-Type": "application/xml"}), 401)
    assert error["message"].startswith("This token expired on 2026-06-25 12:00 UTC")
    assert session.scalars(select(Incident)).all() == []
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_at)
                          .where(ApiToken.name == "for a week")) == before


@pytest.mark.parametrize("text, expected", [
    ("", None), ("  ", None), ("90", T0 + timedelta(days=90)), ("1", T0 + timedelta(days=1)),
    ("2026-07-01", T0.replace(month=7, day=1, hour=0)),
])
def test_an_expiry_is_a_number_of_days_or_a_date(text, expected):
    assert expiry_from_text(text, T0) == expected


@pytest.mark.parametrize("text, message", [
    ("0", "a token expires after 1 to 3660 days; 0 days is not allowed"),
    ("99999999999999", "a token expires after 1 to 3660 days; 99999999999999 days is not allowed"),
    ("2026-06-18", "the expiry 2026-06-18 is not in the future: choose a later day"),
    ("2026-02-30", "2026-02-30 is not a date in the calendar"),
    ("2040-01-01", "the expiry 2040-01-01 is more than 3660 days away"),
    ("next week", "give the expiry as a number of days (such as 90) or a date (YYYY-MM-DD), or "
                  "leave it empty for a token that does not expire; 'next week' is neither"),
    ("-5", "give the expiry as a number of days (such as 90) or a date (YYYY-MM-DD), or leave "
           "it empty for a token that does not expire; '-5' is neither"),
])
def test_a_bad_expiry_is_refused_with_a_reason(text, message):
    with pytest.raises(Invalid) as raised:
        expiry_from_text(text, T0)
    assert raised.value.message == message


# ---------------------------------------------------------------- read-only scope

def test_a_read_only_token_reads_and_evaluates_but_changes_nothing(app, session, people,
                                                                   executed):
    _, token = create_token(session, people.coordinator, "dashboard", read_only=True)
    _, writer = create_token(session, people.coordinator, "recorder")
    party, partner = next(iter(people.partners.items()))
    _, partner_token = create_token(session, partner, "contacts", read_only=True)
    client = app.test_client()
    assert client.get("/api/agreements", headers=bearer(token)).status_code == 200
    assert client.get("/api/incidents", headers=bearer(token)).status_code == 200
    response = client.post("/api/evaluate", json=EVALUATE, headers=bearer(token))
    assert response.status_code == 200, response.data[:500]
    assert response.json["incident"] == "T-1"

    xml = {**bearer(token), "Content-Type": "application/xml"}
    error = assert_error(client.post("/api/incidents", data=ALERT, headers=xml), 403)
    assert error["message"] == READ_ONLY
    assert session.scalars(select(Incident)).all() == []

    # The same caller with a full token records it; the read-only one still cannot act on it.
    created = client.post("/api/incidents", data=ALERT,
                          headers={**bearer(writer), "Content-Type": "application/xml"})
    assert created.status_code == 201, created.data[:500]
    key = created.json["id"]
    assert client.get(f"/api/incidents/{key}", headers=bearer(token)).status_code == 200
    duty = created.json["duties"][0]["id"]
    for path, kwargs in ((f"/api/duties/{duty}/acknowledge", {}),
                         (f"/api/incidents/{key}/updates", {"data": ALERT, "headers": xml}),
                         (f"/api/incidents/{key}/channel", {"json": {"body": "hello"}}),
                         (f"/api/agreements/{TASK_FORCE_ID}/revisions/1/publish", {}),
                         (f"/api/organisations/{party}/contact-points",
                          {"json": {"kind": "email", "address": "x@y.example"},
                           "headers": bearer(partner_token)})):
        kwargs.setdefault("headers", bearer(token))
        assert assert_error(client.post(path, **kwargs), 403)["message"] == READ_ONLY, path
    session.expire_all()
    assert {d.state for d in session.scalar(select(Incident)).duties} == {"open"}


# ---------------------------------------------------------------- last use

def test_the_last_use_is_written_at_most_once_a_minute(app, session, people, executed, updates):
    record, token = create_token(session, people.coordinator, "poller")
    token_id = record.id
    client = app.test_client()

    def last_used():
        session.expire_all()
        return session.get(ApiToken, token_id).last_used_at

    assert last_used() is None
    for _ in range(5):
        assert client.get("/api/agreements", headers=bearer(token)).status_code == 200
    assert len(updates) == 1 and last_used() == T0

    clock_now["now"] = T0 + timedelta(seconds=59)
    for _ in range(5):
        assert client.get("/api/incidents", headers=bearer(token)).status_code == 200
    assert len(updates) == 1 and last_used() == T0

    clock_now["now"] = T0 + timedelta(seconds=61)
    for _ in range(3):
        assert client.post("/api/evaluate", json=EVALUATE, headers=bearer(token)).status_code == 200
    assert len(updates) == 2 and last_used() == T0 + timedelta(seconds=61)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    """(app, session, a coordinator) on a fresh SQLite file or on the session's PostgreSQL
    database emptied, for the UPDATE that records the last use on both databases."""
    app = app_on(request, tmp_path, monkeypatch, request.param)
    with app.app_context():
        session = db()
        people = make_people(session, ["lakeside"])
        yield app, session, people.coordinator
    app.extensions["compact.engine"].dispose()


def test_the_last_use_is_recorded_once_a_minute_on_both_databases(store):
    app, session, coordinator = store
    record, token = create_token(session, coordinator, "poller")
    client = app.test_client()
    for seconds, expected in ((0, T0), (30, T0), (60, T0 + timedelta(seconds=60)),
                              (90, T0 + timedelta(seconds=60))):
        clock_now["now"] = T0 + timedelta(seconds=seconds)
        assert client.get("/api/incidents", headers=bearer(token)).status_code == 200
        session.expire_all()
        assert session.get(ApiToken, record.id).last_used_at == expected, seconds


def test_a_use_recorded_by_another_worker_is_not_written_again(app, session, people, executed,
                                                               updates):
    """The UPDATE is conditional: a worker that read the token before another recorded its use
    stores nothing over it."""
    from agreements.tokens import note_use
    record, _ = create_token(session, people.coordinator, "poller")
    assert note_use(session, record, T0) is True
    stale = session.get(ApiToken, record.id)
    from sqlalchemy.orm.attributes import set_committed_value
    set_committed_value(stale, "last_used_at", None)  # as read before the other worker wrote
    assert note_use(session, stale, T0 + timedelta(seconds=30)) is False
    session.expire_all()
    assert session.get(ApiToken, record.id).last_used_at == T0


# ---------------------------------------------------------------- the account page

def test_the_account_page_creates_and_shows_scoped_expiring_tokens(app, session, people,
                                                                   client_for):
    client = client_for(people.coordinator)
    response = client.post("/account/tokens", data={"name": "weekly report", "expires": "30",
                                                    "read_only": "1"})
    assert response.status_code == 200
    shown = lxml.html.fromstring(response.data).get_element_by_id("new-token").text
    record = session.scalar(select(ApiToken).where(ApiToken.name == "weekly report"))
    assert record.read_only is True and record.expires_at == T0 + timedelta(days=30)
    assert client.post("/api/evaluate", json=EVALUATE, headers=bearer(shown)).status_code == 200

    client.post("/account/tokens", data={"name": "sync", "expires": ""})
    page = lxml.html.fromstring(client.get("/account").data)
    rows = [[re.sub(r"\s+", " ", td.text_content()).strip() for td in tr.xpath("td")][:6]
            for tr in page.xpath('//table[contains(@class, "tokens")]/tbody/tr')]
    assert rows == [
        ["sync", "read and write", "2026-06-18 12:00 UTC", "never", "never", "active"],
        ["weekly report", "read-only", "2026-06-18 12:00 UTC", "2026-07-18 12:00 UTC",
         "2026-06-18 12:00 UTC", "active"],
    ]
    assert "The last use is recorded to within 1 minute." in text_of(client.get("/account"))

    clock_now["now"] = T0 + timedelta(days=31)
    page = lxml.html.fromstring(client.get("/account").data)
    row = page.xpath('//table[contains(@class, "tokens")]/tbody/tr')[1]
    assert row.xpath("td")[5].text_content().strip() == "expired"
    assert not row.xpath(".//button")  # nothing left to revoke


def test_the_account_page_refuses_a_bad_expiry_and_keeps_what_was_typed(app, session, people,
                                                                        client_for):
    client = client_for(next(iter(people.partners.values())))
    response = client.post("/account/tokens", data={"name": "mine", "expires": "yesterday",
                                                    "read_only": "1"})
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    assert page.get_element_by_id("token-error").text_content().strip() == (
        "Give the expiry as a number of days (such as 90) or a date (YYYY-MM-DD), or leave it "
        "empty for a token that does not expire; 'yesterday' is neither.")
    assert page.xpath('//input[@name="name"]/@value') == ["mine"]
    assert page.xpath('//input[@name="expires"]/@value') == ["yesterday"]
    assert page.xpath('//input[@name="read_only"]/@checked')
    assert session.scalars(select(ApiToken)).all() == []


def test_the_description_tells_of_expiry_and_the_read_only_scope(app):
    doc = app.test_client().get("/api/openapi.json").json
    assert "expired" in doc["components"]["responses"]["Unauthorized"]["description"]
    changing = [(method, path, operation) for path, operations in doc["paths"].items()
                for method, operation in operations.items() if method != "get"]
    assert len(changing) >= 9
    for method, path, operation in changing:
        refusal = operation["responses"].get("403", {}).get("description", "")
        if path == "/api/evaluate":
            assert "read-only" not in refusal
        else:
            assert refusal.endswith("read-only."), (method, path, refusal)
    assert "This token is read-only" in doc["info"]["description"]
