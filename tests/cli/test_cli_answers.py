"""`compact evaluate` never gives an empty answer without saying why: warnings in the text
format, why each agreement gave nothing, `--why-not`, unknown parties and expired alerts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import compact, workdir  # noqa: F401 - the fixture
from tests.engine.samples import LAKESIDE_ID, T1, cap_alert


def write(name: str, data) -> str:
    Path(name).write_text(json.dumps(data), encoding="utf-8")
    return name


def test_text_format_shows_the_one_of_warning_with_its_suggestion(workdir):
    write("flood.json", dict(T1, type="Flood "))
    result = compact("evaluate", "lakeside.agreement", "--incident", "flood.json",
                     "--format", "text")
    assert result.exit_code == 0
    assert ("Warnings:\n  type 'Flood ' is not one of the values any agreement lists "
            "(did you mean 'flood'?)") in result.stdout


def test_no_duty_says_why_each_agreement_gave_nothing(workdir):
    write("minor.json", dict(T1, severity="minor", displaced=10))
    result = compact("evaluate", "lakeside.agreement", "--incident", "minor.json",
                     "--format", "text")
    assert result.exit_code == 0
    text = result.stdout
    assert "No duties. Why each agreement gave nothing:\n  lakeside-riverbend-mutual-aid:\n" \
        in text
    flat = text.replace("\n      ", " ")
    assert ("    - engines: when major_flood and incident.requested_by is given: trigger "
            "major_flood did not hold: incident.severity >= severe was false (was minor)") in flat


def test_why_not_for_a_party(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                     "--why-not", f"{LAKESIDE_ID}.engines:lakeside", "--format", "text")
    assert result.exit_code == 0
    assert result.stdout == (
        f"{LAKESIDE_ID}.engines for lakeside: no duty\n"
        "  role assisting is parties except requesting, coordinator; lakeside is left out "
        "because it is requesting\n")


def test_why_not_json_for_every_clause(workdir):
    write("moderate.json", dict(T1, severity="moderate"))
    result = compact("evaluate", "lakeside.agreement", "--incident", "moderate.json",
                     "--why-not", LAKESIDE_ID)
    assert result.exit_code == 0
    answers = json.loads(result.stdout)
    assert [a["clause"] for a in answers] == ["notify", "engines", "escalate", "withhold",
                                              "no_self_deploy"]
    assert answers[1] == {
        "agreement": LAKESIDE_ID, "clause": "engines", "party": None, "gave_duty": False,
        "reasons": ["when major_flood and incident.requested_by is given: trigger major_flood "
                    "did not hold: incident.severity >= severe was false (was moderate)"]}


def test_why_not_unknown_clause_exits_1_with_a_suggestion(workdir):
    result = compact("evaluate", "lakeside.agreement", "--incident", "incident.json",
                     "--why-not", f"{LAKESIDE_ID}.engine")
    assert result.exit_code == 1
    assert result.stderr == (f"compact: agreement {LAKESIDE_ID} has no clause 'engine' "
                             "(did you mean 'engines'?)\n")


def test_unknown_party_is_an_input_error_with_a_suggestion(workdir):
    write("typo.json", dict(T1, requested_by="lakesde"))
    result = compact("evaluate", "lakeside.agreement", "--incident", "typo.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("typo.json: error: $.requested_by: 'lakesde' is not a known party "
                             "(did you mean 'lakeside'?)\n")


@pytest.mark.parametrize("at, warned", [("2026-06-20T00:00:00Z", True),
                                        ("2026-06-19T00:00:00Z", False)])
def test_expired_alert_is_warned_of(workdir, at, warned):
    text = cap_alert().replace("</info>", "<expires>2026-06-19T06:00:00-05:00</expires></info>")
    Path("alert.xml").write_text(text, encoding="utf-8")
    result = compact("evaluate", "lakeside.agreement", "--incident", "alert.xml", "--at", at)
    assert result.exit_code == 0
    json.loads(result.stdout)
    message = ("alert.xml: warning: this alert expired at 2026-06-19T11:00:00Z, before the "
               f"evaluation time ({at}); its duties are evaluated at its own time, as a past "
               "incident\n")
    assert (result.stderr == message) is warned
    assert result.stderr == ("" if not warned else message)
