"""Local times: shown in a zone with UTC on hover, and read from forms, gaps and folds too."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from web.local_time import (LocalTimeError, form_value, parse_local, shown, shown_text,
                            times_note, zone_choices, zone_label)

NOON = datetime(2026, 6, 18, 12, 0, tzinfo=timezone.utc)
WINTER = datetime(2026, 1, 15, 3, 30, tzinfo=timezone.utc)


def test_a_time_is_shown_in_the_zone_with_utc_on_hover():
    assert str(shown(NOON, name="Europe/Berlin")) == (
        '<time datetime="2026-06-18T12:00:00Z" title="2026-06-18 12:00 UTC">'
        '2026-06-18 14:00 CEST</time>')
    assert str(shown(WINTER, name="America/New_York")) == (
        '<time datetime="2026-01-15T03:30:00Z" title="2026-01-15 03:30 UTC">'
        '2026-01-14 22:30 EST</time>')
    # A zone the database names only by its offset.
    assert "2026-06-18 16:00 UTC+04</time>" in str(shown(NOON, name="Asia/Dubai"))
    assert "2026-06-18 17:45 UTC+05:45</time>" in str(shown(NOON, name="Asia/Kathmandu"))
    # A date alone is the local date, with no abbreviation.
    assert str(shown(WINTER, "%Y-%m-%d", name="America/New_York")).endswith(">2026-01-14</time>")


def test_a_viewer_in_utc_sees_plain_utc():
    assert shown(NOON, name="UTC") == "2026-06-18 12:00 UTC"
    assert shown(NOON, name="Etc/UTC") == "2026-06-18 12:00 UTC"
    assert shown(NOON, "%Y-%m-%d", name="UTC") == "2026-06-18"
    assert shown(NOON, "%Y-%m-%d %H:%M UTC", name="UTC") == "2026-06-18 12:00 UTC"
    assert shown(None, name="Europe/Berlin") == "—"
    # Where a page marks a time up as such (the time_tag filter): an element without a title.
    assert str(shown(NOON, name="UTC", element=True)) == (
        '<time datetime="2026-06-18T12:00:00Z">2026-06-18 12:00 UTC</time>')
    assert str(shown(NOON, name="Europe/Berlin", element=True)) == str(
        shown(NOON, name="Europe/Berlin"))
    # Outside a request nobody is signed in: UTC.
    assert shown(NOON) == "2026-06-18 12:00 UTC"
    assert times_note() == "Times are UTC."


def test_plain_text_names_both():
    assert shown_text(NOON, "Europe/Berlin") == "2026-06-18 14:00 CEST (12:00 UTC)"
    assert shown_text(WINTER, "America/New_York") == "2026-01-14 22:30 EST (2026-01-15 03:30 UTC)"
    assert shown_text(NOON, "UTC") == "2026-06-18 12:00 UTC"
    assert shown_text(NOON.replace(second=9), "UTC", seconds=True) == "2026-06-18 12:00:09 UTC"
    assert zone_label("Europe/Berlin", NOON) == "Europe/Berlin (CEST)"
    assert zone_label("Europe/Berlin", WINTER) == "Europe/Berlin (CET)"
    assert zone_label("UTC") == "UTC"
    assert times_note("America/New_York").startswith("Times are in America/New_York (E")
    assert form_value(NOON, "America/New_York") == "2026-06-18T08:00"


@pytest.mark.parametrize("text, name, expected", [
    ("2026-06-18T14:00", "Europe/Berlin", "2026-06-18T12:00:00Z"),
    ("2026-06-18 14:00", "Europe/Berlin", "2026-06-18T12:00:00Z"),
    ("2026-01-14T22:30", "America/New_York", "2026-01-15T03:30:00Z"),
    ("2026-06-18T08:00:30", "America/New_York", "2026-06-18T12:00:30Z"),
    ("2026-06-18T14:00", "UTC", "2026-06-18T14:00:00Z"),
    # An explicit offset is taken as it says, whatever the zone.
    ("2026-06-18T14:00+02:00", "America/New_York", "2026-06-18T12:00:00Z"),
    ("2026-06-18T14:00+0200", "UTC", "2026-06-18T12:00:00Z"),
    ("2026-06-18T07:00-05", "Europe/Berlin", "2026-06-18T12:00:00Z"),
    ("2026-06-18T12:00Z", "Asia/Tokyo", "2026-06-18T12:00:00Z"),
    ("2026-06-18 12:00:00z", "Asia/Tokyo", "2026-06-18T12:00:00Z"),
    # Either side of a change of the clocks.
    ("2026-03-29T01:59", "Europe/Berlin", "2026-03-29T00:59:00Z"),
    ("2026-03-29T03:00", "Europe/Berlin", "2026-03-29T01:00:00Z"),
])
def test_local_times_are_read_in_the_zone(text, name, expected):
    assert parse_local(text, name).strftime("%Y-%m-%dT%H:%M:%SZ") == expected


def test_a_skipped_local_time_is_refused_with_the_gap():
    with pytest.raises(LocalTimeError) as gap:
        parse_local("2026-03-29T02:30", "Europe/Berlin")
    assert gap.value.message == (
        "2026-03-29 02:30 does not exist in Europe/Berlin: the clocks went forward from 02:00 "
        "to 03:00 (CEST) that day, so times from 02:00 to just before 03:00 were skipped. "
        "Give a time before 02:00 or from 03:00.")
    assert gap.value.choices == []
    with pytest.raises(LocalTimeError) as new_york:
        parse_local("2026-03-08T02:00", "America/New_York")
    assert new_york.value.message.startswith(
        "2026-03-08 02:00 does not exist in America/New_York: the clocks went forward from "
        "02:00 to 03:00 (EDT)")
    # Lord Howe Island moves its clocks by half an hour.
    with pytest.raises(LocalTimeError) as half:
        parse_local("2026-10-04T02:15", "Australia/Lord_Howe")
    assert "went forward from 02:00 to 02:30" in half.value.message
    # An offset says which moment it is, gap or not.
    assert parse_local("2026-03-29T02:30+01:00", "Europe/Berlin") == datetime(
        2026, 3, 29, 1, 30, tzinfo=timezone.utc)


def test_a_repeated_local_time_asks_which():
    with pytest.raises(LocalTimeError) as fold:
        parse_local("2026-10-25T02:30", "Europe/Berlin")
    assert fold.value.message == (
        "2026-10-25 02:30 happens twice in Europe/Berlin: the clocks went back 1 hour that day, "
        "so it is first CEST (UTC+02:00), then CET (UTC+01:00). Choose which, or write the "
        "offset, such as 2026-10-25T02:30+02:00 for the first.")
    assert fold.value.choices == [
        ("+02:00", "the first: 2026-10-25 02:30 CEST (UTC+02:00)"),
        ("+01:00", "the second: 2026-10-25 02:30 CET (UTC+01:00)")]
    assert parse_local("2026-10-25T02:30", "Europe/Berlin", offset="+02:00") == datetime(
        2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    assert parse_local("2026-10-25T02:30", "Europe/Berlin", offset="+01:00") == datetime(
        2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    with pytest.raises(LocalTimeError):  # an offset that is neither does not choose
        parse_local("2026-10-25T02:30", "Europe/Berlin", offset="+05:00")
    with pytest.raises(LocalTimeError) as new_york:
        parse_local("2026-11-01T01:30", "America/New_York")
    assert [offset for offset, _ in new_york.value.choices] == ["-04:00", "-05:00"]
    # The offset of an unambiguous time is not needed, and a wrong one is ignored.
    assert parse_local("2026-06-18T14:00", "Europe/Berlin", offset="+01:00") == NOON


@pytest.mark.parametrize("text", ["yesterday", "", "2026-06-18", "14:00", "2026-13-01T10:00",
                                  "2026-06-18T25:00", "2026-06-18T12:00+2"])
def test_what_is_no_time_at_all_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_local(text, "Europe/Berlin")


def test_the_list_of_zones_groups_them_by_region():
    groups = dict(zone_choices())
    assert list(dict(zone_choices()))[:2] == ["UTC", "Africa"]
    assert groups["UTC"] == ["UTC"] and "Europe/Berlin" in groups["Europe"]
    assert "Other" not in groups
    # A name set before that the list does not offer is still there, to stay selected.
    assert dict(zone_choices("US/Eastern"))["US"] == ["US/Eastern"]
    assert list(dict(zone_choices("EST5EDT")))[-1] == "Other"
    assert dict(zone_choices("EST5EDT"))["Other"] == ["EST5EDT"]
