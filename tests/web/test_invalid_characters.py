"""Half of a UTF-16 surrogate pair (JSON's "\\ud800") is no character: a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from agreements.models import Incident
from agreements.users import create_token
from dsl.errors import CompactError
from dsl.parser import parse

from .conftest import login

LONE = '{"id": "X\\ud800", "type": "flood warning", "reported_at": "2026-06-19T04:00:00Z"}'


@pytest.mark.parametrize("path", ["/api/incidents", "/api/evaluate"])
def test_the_api_refuses_a_lone_surrogate_and_stores_nothing(app, session, people, executed, path):
    _, token = create_token(session, people.coordinator, "script")
    response = app.test_client().post(path, data=LONE, content_type="application/json",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (400, 422)
    assert "half of a UTF-16 surrogate pair" in response.get_json()["error"]["message"] + \
        " ".join(response.get_json()["error"].get("details", []))
    assert session.scalar(select(func.count(Incident.id))) == 0


def test_the_live_check_reports_it_at_its_place(app, people):
    client = app.test_client()
    login(client, people.drafter)
    response = client.post("/agreements/check", json={"source": "agreement x\ud800"})
    assert response.status_code == 200
    [diagnostic] = response.get_json()["diagnostics"]
    assert (diagnostic["line"], diagnostic["column"]) == (1, 12)
    assert diagnostic["message"] == ("the text holds an invalid character (U+D800, half of a "
                                     "UTF-16 pair); remove it")


def test_the_parser_names_the_character_and_renders_safely():
    with pytest.raises(CompactError) as caught:
        parse("agreement x\ud800\n", "x.agreement")
    rendered = str(caught.value)
    rendered.encode("utf-8")  # printable: the snippet shows U+FFFD in its place
    assert rendered.startswith("x.agreement:1:12: error: the text holds an invalid character")
