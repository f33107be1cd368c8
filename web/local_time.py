"""Times in the viewer's time zone: shown on pages with UTC on hover, and read from forms.

The viewer's zone is agreements.time_zones.zone_name_of(the signed-in user): their own, else
their organisation's, else UTC. A time shown to someone whose zone is UTC is plain text
("2026-06-18 12:00 UTC"); to anyone else it is a <time> element whose text is local, with the
zone's abbreviation, and whose title is the UTC time. A local time typed into a form
("2026-06-18T14:00") is read in the viewer's zone; one that names its offset
("2026-06-18T14:00+02:00", "…Z") is taken as it says. A local time that a change of the
clocks skips or repeats is refused with a sentence saying why and what to give instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from markupsafe import Markup, escape

from agreements import clock
from agreements.time_zones import UTC_NAMES, zone, zone_name_of

DEFAULT_FORMAT = "%Y-%m-%d %H:%M"
_ENVIRON_KEY = "compact.time_zone"
_LOCAL = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)$")
_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)"
                          r"(Z|z|[+-]\d{2}(?::?\d{2})?)$")


class LocalTimeError(ValueError):
    """A local time that does not name one moment in the zone; `message` says why, and for a
    repeated one `choices` lists its two offsets as (offset, words)."""

    def __init__(self, message: str, stand_in: datetime):
        super().__init__(message)
        self.message = message
        self.choices: list[tuple[str, str]] = []
        # The earlier reading of the time (UTC), for the rest of a form to be checked with.
        self.stand_in = stand_in


# ---------------------------------------------------------------- whose zone

def viewer_zone_name() -> str:
    """The zone of whoever this request is for (UTC outside a request or signed out)."""
    from flask import has_request_context, request
    if not has_request_context():
        return "UTC"
    name = request.environ.get(_ENVIRON_KEY)
    if name is None:
        from flask_login import current_user
        user = current_user._get_current_object() if current_user.is_authenticated else None
        name = zone_name_of(user)
        request.environ[_ENVIRON_KEY] = name
    return name


def use_zone_for_request(name: str) -> None:
    """Show this request's times in `name` (for a page with no signed-in viewer, such as an
    acknowledgement link, whose reader is the duty's organisation)."""
    from flask import request
    request.environ[_ENVIRON_KEY] = name


def is_utc(name: str) -> bool:
    return name in UTC_NAMES or zone(name) is timezone.utc


# ---------------------------------------------------------------- showing

def abbreviation(local: datetime) -> str:
    """The zone's abbreviation at that moment ("CEST", "EDT"), or "UTC+03" where the zone
    database has only a number for it."""
    abbr = local.strftime("%Z")
    if abbr and abbr[0] not in "+-":
        return abbr
    offset = local.strftime("%z")  # +0300, +0545
    return "UTC" + offset[:3] + (":" + offset[3:5] if offset[3:5] not in ("", "00") else "")


def zone_label(name: str | None = None, at: datetime | None = None) -> str:
    """The zone as a form or a page names it: "Europe/Berlin (CEST)", or "UTC"."""
    name = name or viewer_zone_name()
    if is_utc(name):
        return "UTC"
    local = (at or clock.utcnow()).astimezone(zone(name))
    return f"{name} ({abbreviation(local)})"


def _utc_text(moment: datetime, fmt: str) -> str:
    return moment.strftime(fmt) + (" UTC" if "%H" in fmt else "")


def shown(moment: datetime | None, fmt: str | None = None, name: str | None = None, *,
          element: bool = False):
    """A time for a page: plain UTC text for a viewer in UTC (a <time> element without a title
    if `element`), else a <time> element with the local time and abbreviation, the UTC time as
    its title. `fmt` (strftime) without the zone: the abbreviation follows when it shows the
    hour."""
    if moment is None:
        return "—"
    fmt = (fmt or DEFAULT_FORMAT).removesuffix(" UTC")
    at = moment.astimezone(timezone.utc)
    name = name or viewer_zone_name()
    # Digits and the zone database's abbreviations only, escaped all the same (a board shows
    # hundreds of these: one escape each, not a Markup.format).
    if is_utc(name):
        if element:
            return Markup(f'<time datetime="{at:%Y-%m-%dT%H:%M:%SZ}">'
                          f'{escape(_utc_text(at, fmt))}</time>')
        return _utc_text(at, fmt)
    local = at.astimezone(zone(name))
    text = local.strftime(fmt) + (" " + abbreviation(local) if "%H" in fmt else "")
    return Markup(f'<time datetime="{at:%Y-%m-%dT%H:%M:%SZ}" title="{at:%Y-%m-%d %H:%M} UTC">'
                  f'{escape(text)}</time>')


def shown_text(moment: datetime | None, name: str | None = None, *,
               seconds: bool = False) -> str:
    """A time as plain text, for an attribute or a message: "2026-06-18 14:00 CEST (12:00 UTC)",
    or "2026-06-18 12:00 UTC" for a viewer in UTC."""
    if moment is None:
        return "—"
    fmt = DEFAULT_FORMAT + (":%S" if seconds else "")
    at = moment.astimezone(timezone.utc)
    name = name or viewer_zone_name()
    if is_utc(name):
        return _utc_text(at, fmt)
    local = at.astimezone(zone(name))
    same_day = local.date() == at.date()
    utc_part = at.strftime(fmt[len("%Y-%m-%d "):] if same_day else fmt)
    return f"{local.strftime(fmt)} {abbreviation(local)} ({utc_part} UTC)"


def form_value(moment: datetime, name: str | None = None) -> str:
    """A time as a datetime-local input holds it, in the viewer's zone ("2026-06-18T14:00")."""
    return moment.astimezone(zone(name or viewer_zone_name())).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- reading

def offset_words(offset: timedelta) -> str:
    """An offset as RFC 3339 writes it: "+02:00", "-05:00", "+05:45"."""
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"{'+' if minutes >= 0 else '-'}{hours:02d}:{rest:02d}"


def parse_local(text: str, name: str, *, offset: str | None = None) -> datetime:
    """The moment a form's time names, as an aware UTC datetime. Without an offset it is read
    in zone `name`; `offset` ("+02:00") says which of the two a repeated local time is.
    LocalTimeError for a local time the clocks skip (a gap) or repeat (a fold) when `offset`
    does not say which; ValueError for text that is no date and time at all."""
    text = (text or "").strip()
    if (match := _WITH_OFFSET.match(text)) is not None:
        given = match.group(3)
        given = "+00:00" if given in ("Z", "z") else given
        if len(given) == 3:
            given += ":00"
        elif ":" not in given:
            given = given[:3] + ":" + given[3:]
        try:
            return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}{given}") \
                .astimezone(timezone.utc)
        except OverflowError:  # year 1 or 9999 pushed past the calendar by the offset
            raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None
    match = _LOCAL.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date and time such as 2026-06-18T14:00")
    naive = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
    try:
        return resolve(naive, name, offset=offset)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def resolve(naive: datetime, name: str, *, offset: str | None = None) -> datetime:
    """A wall-clock time in zone `name` as UTC; LocalTimeError in a gap, or in a fold unless
    `offset` names one of its two offsets."""
    place = zone(name)
    first, second = naive.replace(tzinfo=place, fold=0), naive.replace(tzinfo=place, fold=1)
    as_utc = first.astimezone(timezone.utc)
    if as_utc.astimezone(place).replace(tzinfo=None) != naive:
        raise LocalTimeError(_gap_words(naive, name, place, first.utcoffset(), as_utc), as_utc)
    if first.utcoffset() != second.utcoffset():
        for candidate in (first, second):
            if offset and offset_words(candidate.utcoffset()) == offset.strip():
                return candidate.astimezone(timezone.utc)
        error = LocalTimeError(_fold_words(naive, name, first, second), as_utc)
        error.choices = [(offset_words(c.utcoffset()),
                          f"{'the first' if c is first else 'the second'}: "
                          f"{_wall(naive)} {abbreviation(c)} (UTC{offset_words(c.utcoffset())})")
                         for c in (first, second)]
        raise error
    return as_utc


def _wall(naive: datetime) -> str:
    return naive.strftime("%Y-%m-%d %H:%M" + (":%S" if naive.second else ""))


def _transition(place: tzinfo, after: datetime) -> datetime | None:
    """The instant (UTC) the offset of `place` last changed before `after`, within two days
    (the longest gap in the zone database is one day: Samoa skipped 2011-12-30)."""
    high, low = after, after - timedelta(days=2)
    wanted = high.astimezone(place).utcoffset()
    if low.astimezone(place).utcoffset() == wanted:
        return None
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(place).utcoffset() == wanted:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _gap_words(naive: datetime, name: str, place: tzinfo, before: timedelta,
               as_utc: datetime) -> str:
    changed = _transition(place, as_utc)
    words = f"{_wall(naive)} does not exist in {name}: "
    if changed is None:  # no gap is that long; said plainly should a zone ever have one
        return words + "the clocks skipped it. Give another time, or write the offset."
    start = (changed + before).replace(tzinfo=None)
    end = changed.astimezone(place)
    return (words + f"the clocks went forward from {start:%H:%M} to {end:%H:%M} "
            f"({abbreviation(end)}) that day, so times from {start:%H:%M} to just before "
            f"{end:%H:%M} were skipped. Give a time before {start:%H:%M} or from {end:%H:%M}.")


def _fold_words(naive: datetime, name: str, first: datetime, second: datetime) -> str:
    back = _duration(first.utcoffset() - second.utcoffset())
    return (f"{_wall(naive)} happens twice in {name}: the clocks went back {back} that day, "
            f"so it is first {abbreviation(first)} (UTC{offset_words(first.utcoffset())}), then "
            f"{abbreviation(second)} (UTC{offset_words(second.utcoffset())}). Choose which, or "
            f"write the offset, such as {naive:%Y-%m-%dT%H:%M}"
            f"{offset_words(first.utcoffset())} for the first.")


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} hour{'s' if hours != 1 else ''}" if not rest else f"{minutes} minutes"


def times_note(name: str | None = None) -> str:
    """What a page says of its times: "Times are UTC." or, for a viewer elsewhere, "Times are
    in Europe/Berlin (CEST); point at one for UTC."."""
    name = name or viewer_zone_name()
    if is_utc(name):
        return "Times are UTC."
    return f"Times are in {zone_label(name)}; point at one to see it in UTC."


def fact_time(moment: datetime, seconds: bool = False) -> str:
    """A time among an incident's facts (agreements.reports.facts), for a page."""
    return shown_text(moment, seconds=seconds)


def zone_choices(current: str | None = None) -> list[tuple[str, list[str]]]:
    """The zones a list offers, grouped by region: [("UTC", ["UTC"]), ("Africa", [...]), ...];
    `current` is among them even when it is a name outside the regions (set before)."""
    from agreements.time_zones import choices
    names = list(choices())
    if current and current not in names:
        names.append(current)
    groups: dict[str, list[str]] = {}
    for name in names:
        region = name.split("/", 1)[0] if "/" in name else ("UTC" if name == "UTC" else "Other")
        groups.setdefault(region, []).append(name)
    return sorted(groups.items(), key=lambda kv: (kv[0] != "UTC", kv[0] == "Other", kv[0]))


# ---------------------------------------------------------------- forms

def zone_hint(name: str | None = None) -> str:
    """What a form says beside a time: "Times in Europe/Berlin (CEST)." or "Times in UTC."."""
    return f"Times in {zone_label(name)}."


def form_time(text: str, name: str, *, offset: str | None = None):
    """A time typed into a form as an incident holds it, and the refusal or None: RFC 3339 in
    UTC when it names one moment (read in zone `name` without an offset); as written when it is
    no time at all (the incident's validation then says why); for a local time the clocks skip
    or repeat, the earlier reading with the LocalTimeError, so that the rest of the form is
    still checked in the same round."""
    try:
        return parse_local(text, name, offset=offset).strftime("%Y-%m-%dT%H:%M:%SZ"), None
    except LocalTimeError as exc:
        return exc.stand_in.strftime("%Y-%m-%dT%H:%M:%SZ"), exc
    except ValueError:
        return text, None


def form_reader(name: str, field: str, unclear: dict | None, *, offset: str | None = None):
    """read(text) for one field of a form: form_time in zone `name`, its refusal kept in
    `unclear[field]` (the first, for a list of times)."""
    def read(text: str) -> str:
        value, problem = form_time(text, name, offset=offset)
        if problem is not None and unclear is not None:
            unclear.setdefault(field, problem)
        return value
    return read


def refuse_unclear(unclear: dict | None) -> None:
    """Refuse a form with a time the clocks skip or repeat: Invalid, one "$.field: why" detail
    per field (shown beside it), after the form was otherwise built and can be checked."""
    from agreements.errors import Invalid
    if not unclear:
        return
    details = [f"$.{field}: {problem.message}" for field, problem in unclear.items()]
    raise Invalid(details[0] if len(details) == 1 else "some times do not name one moment",
                  details)
