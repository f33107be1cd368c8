"""When a duty is due: single deadlines, `whichever is earlier|later`, and the occurrences of a
recurring duty (`every D`), for one agreement run (`engine.evaluator.AgreementRun`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine import conditions as C
from engine.deadlines import add_duration, utc_text
from engine.holiday_days import closed_on

MAX_OCCURRENCES = 1000  # of one recurring duty in one evaluation


def due(run, dl, calendars=()) -> tuple[datetime | None, str | None, str | None]:
    """The due time, the note when there is none, and for a `whichever` which term decided
    (a line of the explanation). Business days skip the holidays of `calendars`."""
    if dl is None:
        return None, None, None
    if dl.kind != "whichever":
        moment, absent = term_due(run, dl, calendars)
        return (moment, (f"no due time: {absent}" if absent else None),
                skipped(run, dl, moment, calendars))
    found, left_out = [], []
    for term in dl.terms:
        moment, absent = term_due(run, term, calendars)
        if moment is None:
            left_out.append(f"{term.text} left out: {absent}")
        else:
            found.append((moment, term))
    if not found:
        return None, "no due time: " + "; ".join(
            term_due(run, t, calendars)[1] for t in dl.terms), None
    pick = min if dl.pick == "earlier" else max
    moment, term = pick(found, key=lambda f: f[0])  # the first of equal ones
    others = [f"{t.text} ({utc_text(d)})" for d, t in found if t is not term]
    decided = f"whichever is {dl.pick}: {term.text} ({utc_text(moment)})"
    if others:
        decided += " rather than " + ", ".join(others)
    if left_out:
        decided += "; " + "; ".join(left_out)
    holidays = skipped(run, term, moment, calendars)
    return moment, None, decided + ("; " + holidays if holidays else "")


def skipped(run, dl, moment, calendars) -> str | None:
    """For business days counted past public holidays: which holidays were skipped (a line of
    the explanation), else None."""
    if dl.unit != "business day" or not calendars or moment is None:
        return None
    from engine.holiday_days import holiday_name
    closed = closed_on(calendars)
    day, last, found = _anchor_day(run, dl, moment), moment.date(), []
    while day is not None and day < last:
        day += timedelta(days=1)
        if day.weekday() < 5 and closed(day):
            found.append(f"{day.isoformat()} {holiday_name(calendars, day)}")
    if not found:
        return None
    counted = f"{dl.amount} business days skip" if dl.amount != 1 else "1 business day skips"
    return f"{counted} the public holidays of {', '.join(calendars)}: " + ", ".join(found)


def _anchor_day(run, dl, moment):
    """The day (in the due time's own offset) the business days were counted from."""
    if dl.kind == "within":
        anchor = run.typed("reported_at", "time")
    elif dl.kind == "within_field":
        anchor = run.typed(dl.field, "time")
    else:
        late = (run.lapsed_duties(dl.lapse_of) if dl.kind == "within_lapse"
                else run.breached_duties(dl.breach_of))
        anchor = min(d.due for d in late) if late else None
    if anchor is None or anchor is C.MISSING:
        return None
    return anchor.date()


def term_due(run, dl, calendars=()) -> tuple[datetime | None, str | None]:
    """The due time of a single deadline, or None and why it has none."""
    if dl.kind == "by":
        return dl.time, None
    if dl.kind == "within":
        anchor = run.typed("reported_at", "time")
    elif dl.kind == "within_field":
        anchor = run.typed(dl.field, "time")
        if anchor is C.MISSING:
            return None, f"incident.{dl.field} is not given"
    elif dl.kind == "within_lapse":
        late = run.lapsed_duties(dl.lapse_of)
        if not late:
            return None, f"no permission of clause {dl.lapse_of} has lapsed"
        anchor = min(d.due for d in late)
    else:
        late = run.breached_duties(dl.breach_of)
        if not late:
            return None, f"no duty of clause {dl.breach_of} is breached"
        anchor = min(d.due for d in late)
    closed = closed_on(calendars) if dl.unit == "business day" else None
    return add_duration(anchor, dl.amount, dl.unit, closed), None


def occurrences(run, dl, calendars=()):
    """The occurrences of `every D [of incident.F]` at the run's time T: (number, start of its
    period or None for the first, due time) for each one due at or before T and the next one;
    a note when the anchor is absent (no occurrence then); and whether more than
    MAX_OCCURRENCES would be due (only that many are given)."""
    anchor = run.typed(dl.field or "reported_at", "time")
    if anchor is C.MISSING:
        return [], f"no due time: incident.{dl.field} is not given", False
    closed = closed_on(calendars) if dl.unit == "business day" else None
    out, previous, current = [], None, anchor
    for number in range(1, MAX_OCCURRENCES + 1):
        if dl.unit in ("month", "year"):  # from the anchor: 31 Jan, 28 Feb, 31 Mar, ...
            moment = add_duration(anchor, number * dl.amount, dl.unit)
        else:
            moment = current = add_duration(current, dl.amount, dl.unit, closed)
        out.append((number, previous, moment))
        previous = moment
        if moment > run.at:
            return out, None, False
    return out, None, True
