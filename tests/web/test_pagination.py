"""Pages of the API's lists: ?limit= and a keyset ?cursor=, `next` and a Link header; walking a
list while rows are added gives each row once, with no gap (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from agreements.drafting import create_agreement, publish
from agreements.users import create_token
from tests.agreements.conftest import library_text, postgres_url  # noqa: F401 - a fixture
from web.openapi import DOCUMENT
from web.pagination import DEFAULT_LIMIT, MAX_LIMIT

from .conftest import T0
from .test_limits import TORNADO, app, frozen_clock  # noqa: F401 - fixtures


@pytest.fixture
def tokens(session, people, executed):
    def token(user):
        return {"Authorization": f"Bearer {create_token(session, user, 'pages')[1]}"}
    return token


def record(client, headers, n: int) -> None:
    response = client.post("/api/incidents", json={**TORNADO, "id": f"TOR-{n}"}, headers=headers)
    assert response.status_code == 201, response.data[:300]


def walk(client, headers, first: str, key: str, between=None) -> list[dict]:
    items, url, pages = [], first, 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.data[:300]
        body = response.get_json()
        items += body[key]
        url = body.get("next")
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            url = urlsplit(url)._replace(scheme="", netloc="").geturl()
        else:
            assert "Link" not in response.headers
        pages += 1
        if between and url:
            between(pages)
    return items


def test_duties_walk_with_rows_added_between_pages(app, session, people, tokens):
    client, headers = app.test_client(), tokens(people.coordinator)
    for n in range(4):
        record(client, headers, n)
    before = client.get("/api/duties", headers=headers).get_json()["duties"]
    assert len(before) == 24 and "next" not in client.get("/api/duties",
                                                         headers=headers).get_json()
    added = iter(range(100, 200))
    walked = walk(client, headers, "/api/duties?limit=5", "duties",
                  lambda page: record(client, headers, next(added)))
    ids = [d["id"] for d in walked]
    assert len(ids) == len(set(ids))  # no duplicate
    assert {d["id"] for d in before} <= set(ids)  # no gap
    keys = [(d["due"] is None, d["due"] or "", d["id"]) for d in walked]
    assert keys == sorted(keys)  # due (none last), then id, across pages
    everything = client.get(f"/api/duties?limit={MAX_LIMIT}", headers=headers).get_json()
    assert [d["id"] for d in everything["duties"] if d["id"] in set(ids)] == ids


def test_duty_filters_hold_across_pages(app, session, people, tokens):
    client, headers = app.test_client(), tokens(people.coordinator)
    for n in range(3):
        record(client, headers, n)
    whole = client.get("/api/duties?party=harmon_county,state_eoc&state=open",
                       headers=headers).get_json()["duties"]
    paged = walk(client, headers, "/api/duties?party=harmon_county,state_eoc&state=open&limit=2",
                 "duties")
    assert [d["id"] for d in paged] == [d["id"] for d in whole] and len(whole) > 2
    partner = tokens(people.partners["harmon_county"])
    mine = walk(client, partner, "/api/duties?limit=1", "duties")
    assert {d["party"] for d in mine} == {"harmon_county"} and len(mine) == 6


def test_incidents_walk_newest_first(app, session, people, tokens):
    client, headers = app.test_client(), tokens(people.coordinator)
    for n in range(5):
        record(client, headers, n)
    added = iter(range(100, 200))
    walked = walk(client, headers, "/api/incidents?limit=2", "incidents",
                  lambda page: record(client, headers, next(added)))
    ids = [i["id"] for i in walked]
    # Newest first: what is recorded during the walk comes before the page reached, so the walk
    # shows exactly what there was when it began, each once.
    assert ids == [f"TOR-{n}" for n in range(4, -1, -1)]
    again = [i["id"] for i in walk(client, headers, "/api/incidents?limit=3", "incidents")]
    added_during = len(again) - len(ids)
    assert added_during >= 1
    assert again == [f"TOR-{100 + k}" for k in range(added_during - 1, -1, -1)] + ids
    for party in ("lakeside_county", "columbia_dep"):  # a partner: those that gave it duties
        partner = tokens(people.partners[party])
        theirs = {d["incident"] for d in walk(client, partner, "/api/duties?limit=3", "duties")}
        listed = [i["id"] for i in walk(client, partner, "/api/incidents?limit=1", "incidents")]
        assert len(listed) == len(theirs) and set(listed) == theirs


def test_agreements_walk_by_slug(app, session, people, tokens):
    create_agreement(session, people.drafter, library_text("intrastate-mutual-aid.agreement"),
                     now=T0)
    client = app.test_client()
    walked = walk(client, tokens(people.drafter), "/api/agreements?limit=1", "agreements")
    assert [a["id"] for a in walked] == sorted(a["id"] for a in walked) and len(walked) == 2
    partner = tokens(people.partners["harmon_county"])  # the draft is not the partner's to see
    assert [a["id"] for a in walk(client, partner, "/api/agreements?limit=1", "agreements")] == [
        "columbia-cap-joint-task-force"]


LIMIT_MESSAGE = "the query parameter 'limit' must be a whole number from 1 to 500; '{}' is not"
CURSOR_MESSAGE = ("the cursor is not one this API gave ({}); start again without 'cursor' and "
                  "follow the 'next' link of each page")


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/duties", "/api/incidents", "/api/agreements"])
@pytest.mark.parametrize("query, status, message", [
    ("limit=0", 422, LIMIT_MESSAGE.format("0")),
    ("limit=501", 422, LIMIT_MESSAGE.format("501")),
    ("limit=ten", 422, LIMIT_MESSAGE.format("ten")),
    ("limit=-1", 422, LIMIT_MESSAGE.format("-1")),
    ("limit=99999999999999999999", 422, LIMIT_MESSAGE.format("99999999999999999999")),
    ("cursor=not-a-cursor!", 400, CURSOR_MESSAGE.format("it does not decode")),
    ("cursor=" + _cursor(["elsewhere", 1]), 400, None),
    ("cursor=" + _cursor(["duties", "yesterday", 1]), 400, None),
    ("cursor=" + _cursor(["incidents", "2026-06-19T04:15:00+00:00", 2 ** 70]), 400, None),
])
def test_a_bad_limit_or_cursor_is_refused(app, people, tokens, path, query, status, message):
    response = app.test_client().get(f"{path}?{query}", headers=tokens(people.coordinator))
    assert response.status_code == status, response.data[:300]
    error = response.get_json()["error"]
    if message:
        assert error["message"] == message
    assert error["message"].startswith(("the query parameter 'limit'", "the cursor is not one"))


def test_the_page_size_and_the_query(app, session, people, tokens):
    client, headers = app.test_client(), tokens(people.coordinator)
    for n in range(3):
        record(client, headers, n)
    statements = []
    engine = app.extensions["compact.engine"]
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        first = client.get("/api/duties?limit=4", headers=headers).get_json()
        statements.clear()
        client.get(urlsplit(first["next"])._replace(scheme="", netloc="").geturl(),
                   headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(first["duties"]) == 4 and first["next"]
    keyed = [s for s in statements if "LIMIT" in s.upper() and "duty.due" in s]
    assert keyed and all("(duty.due, duty.id) >" in s for s in keyed if "IS NOT NULL" in s)
    assert DEFAULT_LIMIT == 100 and MAX_LIMIT == 500


def test_the_openapi_lists_the_page_parameters():
    for path in ("/api/duties", "/api/incidents", "/api/agreements"):
        operation = DOCUMENT["paths"][path]["get"]
        names = [p["name"] for p in operation["parameters"]]
        assert {"limit", "cursor"} <= set(names), path
        assert "next" in operation["responses"]["200"]["content"]["application/json"][
            "schema"]["properties"]
        assert "Link" in operation["responses"]["200"]["headers"]
