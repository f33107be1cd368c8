"""`compact` on the v2 time constructs: check, fmt, test and evaluate from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import compact, workdir  # noqa: F401 - the fixture

SITREPS = '''agreement sitreps
  title "Situation reports"
  kind mou
  non-binding
  effective 2026-01-01
  holidays "US-FL"

party north "North County"

party state "State EOC"

fields
  closed_at time

clause sitrep "Situation reports"
  when incident.type == "flood"
  north must "send a situation report" every 1 day

clause bill "Bill"
  when incident.type == "flood"
  north must "send the bill" within 2 business days of incident.closed_at or 1 month, whichever is earlier

example "two days on"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-07-01T08:00:00Z", "closed_at": "2026-07-02T08:00:00Z"}"""
  at 2026-07-02T09:00:00Z
  expect north must sitrep by 2026-07-02T08:00:00Z
  expect north must sitrep by 2026-07-03T08:00:00Z
  expect north must bill by 2026-07-07T08:00:00Z
'''


def test_check_fmt_test_and_evaluate_a_recurring_and_a_whichever_clause(workdir):
    Path("sitreps.agreement").write_text(SITREPS, encoding="utf-8")
    assert compact("check", "sitreps.agreement").exit_code == 0
    assert compact("fmt", "--check", "sitreps.agreement").exit_code == 0
    tested = compact("test", "sitreps.agreement")
    assert tested.exit_code == 0 and "1 passed, 0 failed" in tested.stdout
    Path("f.json").write_text(json.dumps({"id": "F", "type": "flood",
                                          "reported_at": "2026-07-01T08:00:00Z"}))
    result = compact("evaluate", "sitreps.agreement", "--incident", "f.json",
                     "--at", "2026-07-02T09:00:00Z", "--format", "text")
    assert result.exit_code == 0
    assert "sitreps › sitrep (occurrence 1)" in result.stdout
    assert "sitreps › sitrep (occurrence 2)" in result.stdout
    evaluated = json.loads(compact("evaluate", "sitreps.agreement", "--incident", "f.json",
                                   "--at", "2026-07-02T09:00:00Z").stdout)
    assert [(d["clause"], d.get("occurrence"), d["due"]) for d in evaluated["duties"]] == [
        ("sitrep", 1, "2026-07-02T08:00:00Z"), ("sitrep", 2, "2026-07-03T08:00:00Z"),
        ("bill", None, "2026-08-01T08:00:00Z")]
