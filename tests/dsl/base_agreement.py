"""The complete example of docs/language.md, and helpers to make one targeted mistake in it.

Every diagnostic test starts from BASE (which checks clean) and applies one small edit, so
the mistake under test is plain to see and the expected line and column are easy to verify
against the numbered listing below.
"""

from __future__ import annotations

from pathlib import Path

from dsl.errors import CompactError, Diagnostic
from dsl.parser import parse
from engine.compiler import check_source

# The project's own language reference, whose "A complete example" this is.
LANGUAGE_MD = Path(__file__).resolve().parents[2] / "docs" / "language.md"
FILENAME = "lakeside.agreement"

# A verbatim copy of "A complete example" in docs/language.md (test_base_is_the_spec_example checks
# it). Useful line numbers: 2 agreement, 6 effective, 13/18/22 parties, 25 fields, 31-34 roles,
# 36-37 triggers, 39/44/50/54/58 clauses, 62 example, 63-67 its incident, 68-72 expect lines.
BASE = '''\
# Lakeside County / City of Riverbend mutual aid
agreement lakeside-riverbend-mutual-aid
  title "Mutual Aid Agreement between Lakeside County and the City of Riverbend"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31
  governing law "the laws of the State of Columbia"
  withdrawal notice 30 days

recital "Both parties are exposed to seasonal river flooding that can exceed the resources of either party alone."
recital "The parties wish to arrange assistance in advance, before the next emergency."

party lakeside "Lakeside County Office of Emergency Management"
  region "Lakeside"
  contact "eoc@lakeside.example"
  signatory "Director of Emergency Management"

party riverbend "City of Riverbend Fire Department"
  region "Riverbend"
  contact "dispatch@riverbend.example"

party state "State Emergency Operations Center"
  region "Statewide"

fields
  type text one of "flood", "wildfire", "hazmat"
  displaced number
  requested_by party
  requested_at time

role coordinator is state
role affected is parties where party.region == incident.region
role requesting is incident.requested_by
role assisting is parties except requesting, coordinator

trigger major_flood when incident.type == "flood" and incident.severity >= "severe"
trigger mass_displacement when incident.displaced >= 500

clause notify "Notification of the State"
  when major_flood or mass_displacement
  affected must "notify the State EOC through the shared incident channel" within 30 minutes
  text "The Affected Party shall notify the State EOC within thirty (30) minutes of the onset of a major flood or of the displacement of five hundred or more persons."

clause engines "Deployment of engine strike teams"
  when major_flood and incident.requested_by is given
  assisting must "deploy one Type 1 engine strike team to the staging area" within 4 hours of incident.requested_at
  unless incident.displaced > 5000
  costs borne by requesting

clause escalate "Escalation to the State"
  when breached engines
  coordinator must "arrange alternate resources through the statewide compact" within 2 hours of breach of engines

clause withhold "Right to withhold resources"
  when major_flood
  assisting may "withhold resources needed to protect its own jurisdiction"

clause no_self_deploy "No self-deployment"
  when major_flood and incident.requested_by is not given
  assisting must not "deploy resources without a request"

example "severe flood in Lakeside with a request"
  incident """
    {"id": "T-1", "type": "flood", "severity": "extreme", "region": "Lakeside",
     "reported_at": "2026-03-14T08:00:00Z", "displaced": 120,
     "requested_by": "lakeside", "requested_at": "2026-03-14T09:00:00Z"}
  """
  expect lakeside must notify by 2026-03-14T08:30:00Z
  expect riverbend must engines by 2026-03-14T13:00:00Z
  expect riverbend may withhold
  expect no duty for state
  expect no no_self_deploy
'''

# The example's incident block (lines 63-67), for tests that replace the incident.
INCIDENT_BLOCK = '''\
  incident """
    {"id": "T-1", "type": "flood", "severity": "extreme", "region": "Lakeside",
     "reported_at": "2026-03-14T08:00:00Z", "displaced": 120,
     "requested_by": "lakeside", "requested_at": "2026-03-14T09:00:00Z"}
  """
'''

# The smallest header that checks: for tests of constructs the example does not use.
HEADER = '''\
agreement t
  title "T"
  kind mou
  binding
  effective 2026-01-01
'''


def edit(*changes: tuple[str, str], text: str = BASE) -> str:
    """Apply (old, new) replacements; each old text must occur exactly once, so edits are exact."""
    for old, new in changes:
        count = text.count(old)
        assert count == 1, f"{old!r} occurs {count} times in the text being edited"
        text = text.replace(old, new)
    return text


def diagnostics(text: str, filename: str = FILENAME) -> list[Diagnostic]:
    """Every diagnostic of a parse + check run (the `compact check` entry point)."""
    _doc, diags, _symbols = check_source(text, filename)
    return list(diags)


def summary(diags) -> list[tuple[str, int, int, str]]:
    """(severity, line, column, message) of each diagnostic, for exact golden comparison."""
    return [(d.severity, d.span.line, d.span.col, d.message) for d in diags]


def check_summary(text: str) -> list[tuple[str, int, int, str]]:
    return summary(diagnostics(text))


def errors(text: str) -> list[tuple[str, int, int, str]]:
    return [d for d in check_summary(text) if d[0] == "error"]


def syntax_error(text: str, filename: str = FILENAME) -> Diagnostic:
    """The one diagnostic `parse` raises for text with a syntax error."""
    try:
        parse(text, filename)
    except CompactError as exc:
        assert len(exc.diagnostics) == 1, exc.render()
        return exc.diagnostics[0]
    raise AssertionError("expected a syntax error, but the text parsed")


def syntax_summary(text: str) -> tuple[int, int, str]:
    d = syntax_error(text)
    return d.span.line, d.span.col, d.message
