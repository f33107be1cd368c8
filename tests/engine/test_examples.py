"""The examples' v2 expectations: a duty's status, no duty from a clause for one party, and a
warning; each passes when the evaluation says so and fails with a message that says what it
found instead."""

from __future__ import annotations

from engine.compiler import load
from engine.examples import run_examples
from tests.engine.samples import LAKESIDE

LATE = '''
example "late"
  incident """
    {"id": "T-2", "type": "flood", "severity": "extreme", "region": "Lakeside",
     "reported_at": "2026-03-14T08:00:00Z", "requested_by": "lakeside",
     "requested_at": "2026-03-14T09:00:00Z",
     "fulfilled": [{"clause": "notify", "party": "lakeside", "at": "2026-03-14T08:20:00Z"}]}
  """
  at 2026-03-14T14:00:00Z
  expect lakeside must notify by 2026-03-14T08:30:00Z fulfilled
  expect riverbend must engines breached
  expect state must escalate by 2026-03-14T15:00:00Z open
  expect riverbend may withhold open
  expect no engines for lakeside
  expect no notify for riverbend
'''

NOBODY = '''
example "nobody affected"
  incident """
    {"id": "T-3", "type": "flood", "severity": "extreme", "region": "Elsewhere",
     "reported_at": "2026-03-14T08:00:00Z"}
  """
  expect warning "role affected names no party"
  expect warning "affected"
'''


def results(extra: str) -> dict[str, tuple[str, ...]]:
    agreement = load(LAKESIDE + extra, "lakeside.agreement")
    return {r.name: r.failures for r in run_examples(agreement)}


def test_statuses_parties_and_warnings_that_hold_pass():
    assert results(LATE + NOBODY) == {"severe flood in Lakeside with a request": (),
                                      "late": (), "nobody affected": ()}


def test_each_expectation_that_does_not_hold_says_what_was_found():
    wrong = (LATE.replace("engines breached", "engines open")
             .replace("escalate by 2026-03-14T15:00:00Z open",
                      "escalate by 2026-03-14T15:00:00Z breached")
             .replace("notify by 2026-03-14T08:30:00Z fulfilled",
                      "notify by 2026-03-14T08:30:00Z breached")
             .replace("expect no notify for riverbend", "expect no engines for riverbend\n"
                      '  expect warning "names no party"'))
    start = LAKESIDE.count("\n") + 2  # the line of `example "late"` (after a blank line)
    assert results(wrong)["late"] == (
        f"line {start + 8}: expected lakeside must notify by 2026-03-14T08:30:00Z breached, but "
        "it is fulfilled",
        f"line {start + 9}: expected riverbend must engines open, but it is breached",
        f"line {start + 10}: expected state must escalate by 2026-03-14T15:00:00Z breached, but "
        "it is open",
        f"line {start + 13}: expected no duty from clause engines for riverbend, but riverbend "
        "must engines by 2026-03-14T13:00:00Z",
        f"line {start + 14}: expected a warning containing 'names no party', but there is no "
        "warning")


def test_a_warning_expected_but_other_warnings_given_names_them():
    failures = results(NOBODY.replace('"affected"', '"coordinator"'))["nobody affected"]
    assert failures == (f"line {LAKESIDE.count(chr(10)) + 8}: expected a warning containing "
                        "'coordinator', but the warnings are: role affected names no party",)


def test_a_lapsed_permission_is_expected_by_the_status_the_engine_reports():
    # The engine gives a `may` without a deadline the status open, never lapsed.
    failures = results(LATE.replace("withhold open", "withhold lapsed"))["late"]
    assert failures == (f"line {LAKESIDE.count(chr(10)) + 13}: expected riverbend may withhold "
                        "lapsed, but it is open",)
