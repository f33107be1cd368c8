"""Golden tests of language.md's "More static checks" (v2): exact message, line and column.

Two checks: the error for a path that steps through a list as if it were one value (the shape
of a CAP alert in `incident.cap` and `incident.info`, and list fields), and the warning for a
clause whose `text` states a duration or a percentage that disagrees with its logic.

As in test_checks.py, each test makes one edit to the complete example of language.md (see
base_agreement.py) and asserts the complete list of diagnostics.

Decisions pinned here for the text warning:
- A text disagrees when it states at least one duration and none of them equals the clause's
  deadline. Minutes, hours, days (calendar days) and weeks compare by their length (60 minutes
  is 1 hour, 24 hours is 1 day, 7 days is 1 week); business days equal only business days;
  months and years only each other (12 months is 1 year).
- A clause without a deadline, or with a `by TIME` deadline, is not compared: the durations
  its text states may be about something else ("for up to 72 hours").
- Percentages are compared only for `costs shared ROLE N%, ...`: each percentage the text
  states must be one of the shares; the warning names those that are not.
"""

from __future__ import annotations

import pytest

from dsl.textcheck import measure
from tests.dsl.base_agreement import check_summary, diagnostics, edit

# Line 36 is the major_flood trigger, line 37 mass_displacement (its path starts at column 32),
# lines 44-48 the engines clause (deadline 4 hours, on line 46).
MASS = "incident.displaced >= 500"
ENGINES_COSTS = "  costs borne by requesting\n"
NOTIFY_TEXT = "thirty (30) minutes of the onset"


def with_engines_text(text: str, costs: str = "  costs borne by requesting") -> str:
    """The engines clause (within 4 hours) with a text line 49 after its costs line 48."""
    return edit((ENGINES_COSTS, f"{costs}\n  text \"{text}\"\n"))


# ------------------------------------------------------------------ paths through lists

def test_render_cap_info_event_steps_through_info():
    diags = diagnostics(edit(('incident.type == "flood" and',
                              'incident.cap.info.event == "Flood" and')))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:36:26: error: incident.cap.info.event steps through <info>, which "
        "repeats (a list); read incident.info.event or incident.type\n"
        '   36 | trigger major_flood when incident.cap.info.event == "Flood" and '
        'incident.severity >= "severe"\n'
        "      |                          ^^^^^^^^^^^^^^^^^^^^^^^"]


@pytest.mark.parametrize("path, message", [
    pytest.param("incident.cap.info.event",
                 "incident.cap.info.event steps through <info>, which repeats (a list); read "
                 "incident.info.event or incident.type", id="cap-info-event"),
    pytest.param("incident.cap.info.severity",
                 "incident.cap.info.severity steps through <info>, which repeats (a list); read "
                 "incident.info.severity or incident.severity", id="cap-info-severity"),
    pytest.param("incident.cap.info.senderName",
                 "incident.cap.info.senderName steps through <info>, which repeats (a list); read "
                 "incident.info.senderName or incident.sender_name", id="cap-info-senderName"),
    pytest.param("incident.cap.info.language",
                 "incident.cap.info.language steps through <info>, which repeats (a list); read "
                 "incident.info.language", id="cap-info-other-element"),
    pytest.param("incident.cap.info.area",
                 "incident.cap.info.area steps through <info>, which repeats (a list); read "
                 "incident.info.area, incident.area (the geocodes), incident.regions (the area "
                 "descriptions) or incident.geometry (the polygons and circles)",
                 id="cap-info-area"),
    pytest.param("incident.cap.info.parameter",
                 "incident.cap.info.parameter steps through <info>, which repeats (a list); read "
                 "incident.info.parameter or incident.parameters (each as valueName:value)",
                 id="cap-info-parameter"),
    pytest.param("incident.cap.info.area.geocode.value",
                 "incident.cap.info.area.geocode.value steps through <info>, <area> and "
                 "<geocode>, which repeat (lists); read incident.area (every geocode as "
                 "valueName:value)", id="cap-three-lists"),
    pytest.param("incident.info.area.geocode",
                 "incident.info.area.geocode steps through <area>, which repeats (a list); read "
                 "incident.area (every geocode as valueName:value)", id="info-area-geocode"),
    pytest.param("incident.info.area.areaDesc",
                 "incident.info.area.areaDesc steps through <area>, which repeats (a list); read "
                 "incident.regions (every area description) or incident.region (the first)",
                 id="info-area-areaDesc"),
    pytest.param("incident.info.area.polygon",
                 "incident.info.area.polygon steps through <area>, which repeats (a list); read "
                 "incident.geometry (every polygon and circle, as GeoJSON)",
                 id="info-area-polygon"),
    pytest.param("incident.info.area.circle",
                 "incident.info.area.circle steps through <area>, which repeats (a list); read "
                 "incident.geometry (every polygon and circle, as GeoJSON)", id="info-area-circle"),
    pytest.param("incident.info.parameter.value",
                 "incident.info.parameter.value steps through <parameter>, which repeats (a "
                 "list); read incident.parameters (each as valueName:value)",
                 id="info-parameter-value"),
    pytest.param("incident.info.eventCode.value",
                 "incident.info.eventCode.value steps through <eventCode>, which repeats (a "
                 "list); read incident.event_codes (each as valueName:value)",
                 id="info-eventCode-value"),
    pytest.param("incident.info.category.x",
                 "incident.info.category.x steps through <category>, which repeats (a list); "
                 "read incident.categories (lower case)", id="info-category"),
    pytest.param("incident.info.responseType.x",
                 "incident.info.responseType.x steps through <responseType>, which repeats (a "
                 "list); read incident.response_types (lower case)", id="info-responseType"),
    pytest.param("incident.info.resource.uri",
                 "incident.info.resource.uri steps through <resource>, which repeats (a list); "
                 "only the list itself, incident.info.resource, can be read (e.g. with 'is "
                 "given')", id="info-resource-no-builtin"),
    pytest.param("incident.info.area.altitude",
                 "incident.info.area.altitude steps through <area>, which repeats (a list); only "
                 "the list itself, incident.info.area, can be read (e.g. with 'is given')",
                 id="info-area-altitude-no-builtin"),
    pytest.param("incident.cap.code.x",
                 "incident.cap.code.x steps through <code>, which repeats (a list); only the "
                 "list itself, incident.cap.code, can be read (e.g. with 'contains')",
                 id="cap-code"),
    pytest.param("incident.cap.event",
                 "incident.cap.event: <event> is inside <info>, which repeats (a list); read "
                 "incident.info.event or incident.type", id="cap-event-without-info"),
    pytest.param("incident.cap.msgtype",
                 "incident.cap.msgtype: a CAP <alert> has no element <msgtype> (did you mean "
                 "'incident.cap.msgType'?)", id="cap-unknown-element"),
    pytest.param("incident.info.evnt",
                 "incident.info.evnt: a CAP <info> has no element <evnt> (did you mean "
                 "'incident.info.event'?)", id="info-unknown-element"),
    pytest.param("incident.cap.msgType.x",
                 "incident.cap.msgType is text; it has no part 'x'", id="into-cap-text"),
    pytest.param("incident.info.event.x",
                 "incident.info.event is text; it has no part 'x'", id="into-info-text"),
    pytest.param("incident.area.x",
                 "incident.area.x steps through incident.area, which is a list of text; test the "
                 "whole list (with contains, in, intersects or is given)", id="list-field"),
    pytest.param("incident.regions.first",
                 "incident.regions.first steps through incident.regions, which is a list of text; "
                 "test the whole list (with contains, in, intersects or is given) or read "
                 "incident.region (the first)", id="regions"),
    pytest.param("incident.type.x", "incident.type is text; it has no part 'x'",
                 id="into-builtin-text"),
    pytest.param("incident.displaced.x", "incident.displaced is a number; it has no part 'x'",
                 id="into-declared-number"),
])
def test_path_through_a_list_is_an_error(path, message):
    assert check_summary(edit((MASS, f"{path} is given"))) == [("error", 37, 32, message)]


@pytest.mark.parametrize("condition", [
    'incident.cap.msgType == "Alert"',
    'incident.cap.scope == "Public"',
    "incident.cap.info is given",
    "incident.cap.code is given",
    'incident.cap.identifier == "X-1"',
    "incident.cap.Signature is given",
    'incident.info.event == "Flood"',
    'incident.info.parameter contains "x"',
    'incident.info.senderName == "NWS"',
    "incident.info.area is given",
    'incident.info.category contains "Met"',
    'incident.geometry.type == "MultiPolygon"',
    'incident.area contains "FIPS:039001"',
])
def test_paths_that_read_one_value_or_a_whole_list_are_fine(condition):
    assert check_summary(edit((MASS, condition))) == []


def test_deadline_anchor_through_a_list():
    text = edit(("within 4 hours of incident.requested_at",
                 "within 4 hours of incident.cap.info.onset"))
    assert check_summary(text) == [
        ("error", 46, 95, "incident.cap.info.onset steps through <info>, which repeats (a list); "
                          "read incident.info.onset or incident.onset")]


def test_role_read_through_a_list():
    text = edit(("role requesting is incident.requested_by",
                 "role requesting is incident.info.parameter.value"))
    assert check_summary(text) == [
        ("error", 33, 20, "incident.info.parameter.value steps through <parameter>, which repeats "
                          "(a list); read incident.parameters (each as valueName:value)")]


# ------------------------------------------------------------------ text that disagrees

def test_render_text_duration_disagrees_with_deadline():
    diags = diagnostics(with_engines_text(
        "Each assisting Party shall deploy one engine strike team within six (6) hours of the "
        "request."))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:49:8: warning: the text says 'six (6) hours', the deadline is 4 hours\n"
        '   49 |   text "Each assisting Party shall deploy one engine strike team within six (6) '
        'hours of the request."\n'
        "      |        " + "^" * 95]


def test_notify_text_with_another_number_of_minutes():
    text = edit((NOTIFY_TEXT, "forty-five (45) minutes of the onset"))
    assert check_summary(text) == [
        ("warning", 42, 8, "the text says 'forty-five (45) minutes', the deadline is 30 minutes")]


@pytest.mark.parametrize("said", [
    "within four (4) hours of the request",
    "within four hours",
    "within 4 hours",
    "within 240 minutes",
    "within two (2) hours of notice, and in any case within four (4) hours of the request",
])
def test_text_that_states_the_deadline_agrees(said):
    assert check_summary(with_engines_text(f"The assisting Parties shall deploy {said}.")) == []


@pytest.mark.parametrize("deadline, said", [
    ("within 60 minutes", "within one (1) hour"),
    ("within 1 hour", "within sixty (60) minutes"),
    ("within 1 day", "within twenty-four (24) hours"),
    ("within 1 week", "within seven (7) days"),
    ("within 14 days", "within two weeks"),
    ("within 2 business days", "within two (2) business days"),
    ("within 10 days", "within 10 calendar days"),
])
def test_equal_lengths_in_other_units_agree(deadline, said):
    text = edit(("within 30 minutes\n", f"{deadline}\n"),
                (f"within {NOTIFY_TEXT}", f"{said} of the onset"))
    assert check_summary(text) == []


@pytest.mark.parametrize("deadline, said, message", [
    ("within 2 days", "within two (2) business days",
     "the text says 'two (2) business days', the deadline is 2 days"),
    ("within 2 business days", "within 48 hours",
     "the text says '48 hours', the deadline is 2 business days"),
    ("within 1 day", "within a business day",
     "the text says 'a business day', the deadline is 1 day"),
    ("within 3 weeks", "within twenty (20) days",
     "the text says 'twenty (20) days', the deadline is 3 weeks"),
])
def test_business_days_and_other_lengths_disagree(deadline, said, message):
    text = edit(("within 30 minutes\n", f"{deadline}\n"),
                (f"within {NOTIFY_TEXT}", f"{said} of the onset"))
    assert check_summary(text) == [("warning", 42, 8, message)]


def test_every_duration_stated_is_named_when_none_is_the_deadline():
    text = with_engines_text("Deploy within six (6) hours, or within two days if roads are closed.")
    assert check_summary(text) == [
        ("warning", 49, 8, "the text says 'six (6) hours' and 'two days', the deadline is 4 hours")]


def test_deadline_from_a_breach_is_compared_too():
    text = edit(("of breach of engines\n",
                 'of breach of engines\n  text "The State shall arrange alternate resources '
                 'within three (3) hours."\n'))
    assert check_summary(text) == [
        ("warning", 53, 8, "the text says 'three (3) hours', the deadline is 2 hours")]


def test_clause_without_deadline_is_not_compared():
    """withhold has no deadline: '72 hours' may describe the withholding, not a due time."""
    text = edit(('"withhold resources needed to protect its own jurisdiction"\n',
                 '"withhold resources needed to protect its own jurisdiction"\n  text "An '
                 'assisting Party may withhold resources for up to seventy-two (72) hours."\n'))
    assert check_summary(text) == []


def test_clause_with_a_by_deadline_is_not_compared():
    text = edit(('within 2 hours of breach of engines\n',
                 'by 2026-03-15T00:00:00Z\n  text "The State shall act within three (3) hours."\n'))
    assert check_summary(text) == []


def test_text_without_a_duration_is_not_compared():
    assert check_summary(with_engines_text("The assisting Parties shall deploy promptly.")) == []


def test_text_in_triple_quotes_points_at_the_string():
    text = edit((ENGINES_COSTS, ENGINES_COSTS + '  text """\n    Deploy within\n    six (6) '
                 'hours.\n  """\n'))
    assert check_summary(text) == [
        ("warning", 49, 8, "the text says 'six (6) hours', the deadline is 4 hours")]


# ------------------------------------------------------------------ percentages

def test_render_text_percentage_that_is_not_a_share():
    diags = diagnostics(with_engines_text(
        "The requesting Party bears seventy-five percent (75%) of the costs and deploys within "
        "four (4) hours.", costs="  costs shared requesting 60%, coordinator 40%"))
    assert [d.render() for d in diags] == [
        "lakeside.agreement:49:8: warning: the text says 'seventy-five percent (75%)', the costs "
        "are 60% and 40%\n"
        '   49 |   text "The requesting Party bears seventy-five percent (75%) of the costs and '
        'deploys within four (4) hours."\n'
        "      |        " + "^" * 103]


def test_only_the_percentages_that_are_not_shares_are_named():
    text = with_engines_text("Costs: sixty per cent (60%) by the requesting Party and thirty per "
                             "cent (30%) by the State, within 4 hours.",
                             costs="  costs shared requesting 60%, coordinator 40%")
    assert check_summary(text) == [
        ("warning", 49, 8, "the text says 'thirty per cent (30%)', the costs are 60% and 40%")]


def test_duration_and_percentage_both_disagree():
    text = with_engines_text("Deploy within six (6) hours; the requesting Party pays 50%.",
                             costs="  costs shared requesting 60%, coordinator 40%")
    assert check_summary(text) == [
        ("warning", 49, 8, "the text says 'six (6) hours', the deadline is 4 hours"),
        ("warning", 49, 8, "the text says '50%', the costs are 60% and 40%")]


@pytest.mark.parametrize("costs, said", [
    ("  costs shared requesting 60%, coordinator 40%",
     "sixty per cent (60%) by the requesting Party and forty per cent (40%) by the State"),
    ("  costs shared requesting 60%, coordinator 40%", "60% by the requesting Party"),
    # Only `costs shared ... N%` is compared: a percentage next to other costs is not a share.
    ("  costs borne by requesting", "costs up to 10% above the estimate"),
    ("  costs shared equally by requesting, coordinator", "twenty percent (20%) in advance"),
])
def test_percentages_that_agree_or_are_not_compared(costs, said):
    assert check_summary(with_engines_text(f"Deploy within four (4) hours; {said}.",
                                           costs=costs)) == []


# ------------------------------------------------------------------ comparable lengths

@pytest.mark.parametrize("a, b", [
    ((60, "minute"), (1, "hour")), ((24, "hour"), (1, "day")), ((7, "day"), (1, "week")),
    ((1, "calendar day"), (1, "day")), ((12, "month"), (1, "year")),
    ((90, "minute"), (1.5, "hour")),
])
def test_same_length(a, b):
    assert measure(*a) == measure(*b)


@pytest.mark.parametrize("a, b", [
    ((1, "business day"), (1, "day")), ((5, "business day"), (1, "week")),
    ((1, "month"), (30, "day")), ((1, "year"), (365, "day")), ((2, "hour"), (1, "hour")),
])
def test_different_length(a, b):
    assert measure(*a) != measure(*b)
