"""The trigger index answers exactly what the linear reference answers, on random libraries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from engine.compiler import load
from engine.evaluator import evaluate
from engine.incidents import IncidentError
from engine.index import Library

TYPES = ["flood", "wildfire", "hazmat", "storm", "quake"]
REGIONS = ["north", "south", "east", "west"]
SEVERITIES = ["minor", "moderate", "severe", "extreme", "unknown"]
PARTIES = ["p1", "p2", "p3", "p4"]
CODES = ["FIPS:1", "FIPS:2", "FIPS:3"]
# Values outside every `one of` that are close to a listed one: warnings with a suggestion.
NEAR_MISSES = ["Flood", "flod", "storm ", "wild fire"]


@st.composite
def atoms(draw, triggers: list[str], clauses: list[str]):
    choices = [
        lambda: f'incident.type == "{draw(st.sampled_from(TYPES))}"',
        lambda: f'incident.type in ["{draw(st.sampled_from(TYPES))}", '
                f'"{draw(st.sampled_from(TYPES))}"]',
        lambda: f'incident.region == "{draw(st.sampled_from(REGIONS))}"',
        lambda: f'incident.severity {draw(st.sampled_from([">=", ">", "==", "<", "!="]))} '
                f'"{draw(st.sampled_from(SEVERITIES))}"',
        lambda: f"incident.displaced {draw(st.sampled_from(['>=', '>', '<', '<=', '==', '!=']))} "
                f"{draw(st.sampled_from([0, 499, 500, 501, 1000]))}",
        lambda: f"{draw(st.sampled_from([0, 499, 500, 501, 1000]))} {draw(st.sampled_from(['<', '<=']))} "
                "incident.displaced",
        lambda: f"incident.requested_by is {draw(st.sampled_from(['', 'not ']))}given",
        lambda: f'incident.urgent == {draw(st.sampled_from(["yes", "no"]))}',
        lambda: f'incident.type not in ["{draw(st.sampled_from(TYPES))}"]',
        lambda: f'incident.area contains "{draw(st.sampled_from(CODES))}"',
        lambda: f'incident.area contains "{draw(st.sampled_from(CODES))}" and '
                f'incident.type == "{draw(st.sampled_from(TYPES))}"',
    ]
    if triggers:
        choices.append(lambda: draw(st.sampled_from(triggers)))
    if clauses:
        choices.append(lambda: f"breached {draw(st.sampled_from(clauses))}")
        choices.append(lambda: f"lapsed {draw(st.sampled_from(clauses))}")
    return draw(st.sampled_from(choices))()


@st.composite
def conditions(draw, triggers, clauses, depth=0):
    kind = draw(st.integers(0, 5 if depth < 2 else 0))
    if kind <= 2:
        return draw(atoms(triggers, clauses))
    left = draw(conditions(triggers, clauses, depth + 1))
    right = draw(conditions(triggers, clauses, depth + 1))
    if kind == 3:
        return f"{left} and {right}"
    if kind == 4:
        return f"({left} or {right})"
    return f"not ({left})"


@st.composite
def agreement_texts(draw, name: str):
    start = draw(st.sampled_from(["2026-01-01", "2026-03-14", "2026-03-15", "2027-01-01"]))
    ends = [e for e in ("2026-03-14", "2028-12-31") if e >= start]
    parties = draw(st.lists(st.sampled_from(PARTIES), min_size=2, max_size=4, unique=True))
    lines = [f"agreement {name}", f'  title "{name}"', "  kind mutual-aid", "  binding",
             f"  effective {start}" + draw(st.sampled_from([""] + [f" until {e}" for e in ends]))]
    lines += draw(st.sampled_from([[], ['  holidays "US-FL"'], ['  holidays "LT", "PL"']]))
    one_of = draw(st.booleans())
    for p in parties:
        lines.append(f'party {p} "{p.upper()}" region "{draw(st.sampled_from(REGIONS))}"')
        lines += draw(st.sampled_from([[], [], ['  holidays "US"']]))
    lines.append("fields")
    lines.append("  type text" + (' one of "flood", "wildfire", "storm"' if one_of else ""))
    lines.append("  displaced " + draw(st.sampled_from(["number", "number"])))
    lines.append("  requested_by party")
    lines.append("  requested_at time")
    lines.append("  urgent yes/no")
    lines.append("role requesting is incident.requested_by")
    lines.append("role local is parties where party.region == incident.region")
    lines.append("role others is parties except requesting")
    lines.append(f"role fixed is {parties[0]}")
    lines.append(f"role union is local, fixed, {parties[-1]}, others")
    lines.append(f'role named is parties where party.id != incident.requested_by and party.id in '
                 f'["{parties[0]}", "{parties[-1]}", "p9"]')
    triggers = []
    for i in range(draw(st.integers(0, 2))):
        cond = draw(conditions(triggers, []))
        if one_of:
            cond = cond.replace('"hazmat"', '"flood"').replace('"quake"', '"storm"')
        triggers.append(f"t{i}")
        lines.append(f"trigger t{i} when {cond}")
    clauses = []
    for i in range(draw(st.integers(1, 5))):
        cond = draw(conditions(triggers, clauses))
        if one_of:
            cond = cond.replace('"hazmat"', '"flood"').replace('"quake"', '"storm"')
        who = draw(st.sampled_from(["requesting", "local", "others", "fixed", parties[-1], "union",
                                    "named"]))
        modality = draw(st.sampled_from(["must", "must", "may", "must not"]))
        deadline = draw(st.sampled_from([
            "", " within 2 hours", " within 1 business day", " within 3 business days of "
            "incident.requested_at", " within 30 minutes of "
            "incident.requested_at", " by 2026-03-14T12:00:00Z", " within 1 month",
            " within 2 calendar days of incident.requested_at", " within 1 year",
            " within 3 hours of incident.requested_at or 2 hours, whichever is earlier",
            " every 1 hour", " every 2 hours of incident.requested_at", " every 1 business day",
            " within 30 minutes of incident.requested_at or by 2026-03-14T09:00:00Z, "
            "whichever is later"]
            + ([f" within 1 hour of breach of {clauses[-1]}",
                f" within 2 hours of lapse of {clauses[-1]}",
                f" within 1 hour of breach of {clauses[-1]} or 90 minutes of "
                "incident.requested_at, whichever is earlier",
                f" within 1 hour of lapse of {clauses[-1]} or 2 hours, whichever is later"]
               if clauses else [])))
        lines.append(f'clause c{i} "Clause {i}"')
        lines.append(f"  when {cond}")
        if modality == "must not":
            deadline = ""  # a prohibition has no deadline (an error)
        owed = draw(st.sampled_from(["", "", " to requesting", f" to fixed, local, {parties[-1]}",
                                     " to others"]))
        lines.append(f'  {who} {modality} "act {i}"{owed}{deadline}')
        if draw(st.booleans()):
            lines.append(f"  unless {draw(conditions(triggers, []))}".replace(
                '"hazmat"', '"flood"').replace('"quake"', '"storm"') if one_of else
                f"  unless {draw(conditions(triggers, []))}")
        if modality != "must not" and deadline and draw(st.booleans()):
            lines.append(f'  otherwise "consequence {i}"')
        if modality != "must not" and draw(st.booleans()):
            lines.append("  fulfilled at incident.requested_at")
        if draw(st.booleans()):
            lines.append("  costs " + draw(st.sampled_from(
                ["borne by requesting", "shared equally by local, fixed",
                 f"shared others 75%, {parties[0]} 25%"])))
        clauses.append(f"c{i}")
    return "\n".join(lines) + "\n"


@st.composite
def incidents(draw):
    reported = datetime(2026, 3, 14, 8, tzinfo=timezone.utc) + timedelta(
        hours=draw(st.integers(-30, 30)))
    offset = timezone(timedelta(hours=draw(st.sampled_from([-5, 0, 2]))))
    data = {"id": "I-1", "type": draw(st.sampled_from(TYPES + NEAR_MISSES)),
            "reported_at": reported.astimezone(offset).isoformat()}
    optional = {
        "severity": st.sampled_from(SEVERITIES),
        "region": st.sampled_from(REGIONS),
        "displaced": st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False),
                               st.sampled_from(["many"])),
        "requested_by": st.sampled_from(PARTIES + ["outsider"]),
        "requested_at": st.sampled_from(["2026-03-14T09:00:00Z", "2026-03-14T09:00:00",
                                         "2026-12-24T09:00:00Z"]),
        "urgent": st.booleans(),
        "status": st.sampled_from(["actual", "exercise", "test"]),
        "area": st.lists(st.sampled_from(CODES), max_size=3),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    if draw(st.booleans()):
        data["fulfilled"] = [{"clause": f"c{draw(st.integers(0, 4))}",
                              "party": draw(st.sampled_from(PARTIES)),
                              "at": "2026-03-14T09:30:00Z"}]
        if draw(st.booleans()):  # of one occurrence of a recurring duty
            data["fulfilled"][0]["occurrence"] = draw(st.integers(1, 3))
    return data


def outcome(fn):
    """The whole answer: its dict (duties, skipped, warnings), and both JSON texts byte for
    byte (the CLI's indented one and the API's compact one)."""
    try:
        result = fn()
    except IncidentError as exc:
        return ("invalid", exc.messages)
    compact = result.to_json(compact=True)
    assert json.loads(compact) == result.as_dict()
    return result.as_dict(), result.to_json(), compact


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.integers(0, 10**6), min_size=1, max_size=4).flatmap(
    lambda seeds: st.tuples(*[agreement_texts(f"ag-{i}") for i in range(len(seeds))])),
    incident_list=st.lists(incidents(), min_size=4, max_size=8),
    later=st.sampled_from([None, 1, 8, 30]))
def test_indexed_and_linear_evaluation_agree(texts, incident_list, later):
    agreements = [load(text, f"ag-{i}.agreement") for i, text in enumerate(texts)]
    at = None
    if later is not None:
        at = datetime(2026, 3, 14, 8, tzinfo=timezone.utc) + timedelta(hours=later)
    library = Library(agreements)
    # Every severity and a spread of numbers for each incident shape: thresholds are
    # where an index goes wrong.
    variants = []
    for incident in incident_list:
        variants.append(incident)
        variants.extend({**incident, "severity": s} for s in SEVERITIES)
        variants.extend({**incident, "displaced": n} for n in (0, 499, 500, 501, 1000))
    for incident in variants:
        indexed = outcome(lambda: library.evaluate(incident, at=at))
        linear = outcome(lambda: evaluate(incident, agreements, at=at))
        assert indexed == linear, incident


def test_index_examines_only_matching_clauses():
    texts = []
    for i, hazard in enumerate(TYPES):
        texts.append(f"""agreement a{i}
  title "A{i}"
  kind protocol
  non-binding
  effective 2026-01-01
party p1 "P1"
clause c "C"
  when incident.type == "{hazard}" and incident.severity >= "severe"
  p1 must "act" within 1 hour
clause d "D"
  when incident.type == "{hazard}"
  p1 may "help"
""")
    library = Library([load(t) for t in texts])
    result = library.evaluate({"id": "x", "type": "flood", "severity": "moderate",
                               "reported_at": "2026-03-14T08:00:00Z"})
    assert [(d.agreement, d.clause) for d in result.duties] == [("a0", "d")]
    assert (result.clauses_examined, result.clauses_total) == (2, 10)


def test_index_gives_the_linear_warnings_and_skipped_list():
    """`one of` warnings (with and without a suggestion) depend on the agreements in effect;
    the skipped list and its JSON are kept per period by the index: all as the linear
    evaluator says, on days either side of every boundary."""
    texts = []
    for i, (start, until, listed) in enumerate([
            ("2026-01-01", "", '"flood", "storm"'), ("2026-03-15", "", '"flood", "wildfire"'),
            ("2025-01-01", " until 2026-03-14", '"hazmat"'), ("2027-01-01", "", '"quake"')]):
        texts.append(f"""agreement w{i}
  title "W{i}"
  kind protocol
  non-binding
  effective {start}{until}
party p1 "P1"
fields
  type text one of {listed}
clause c "C"
  when incident.type == {listed.split(", ")[0]}
  p1 must "act" within 1 hour
""")
    agreements = [load(t, f"w{i}.agreement") for i, t in enumerate(texts)]
    library = Library(agreements)
    seen = set()
    for day in ("2026-03-13", "2026-03-14", "2026-03-15", "2026-03-16", "2026-12-31",
                "2027-01-01", "2024-06-01"):
        for value in ("flood", "wildfire", "hazmat", "quake", "Flood", "wild fire", "other"):
            incident = {"id": "w", "type": value, "reported_at": f"{day}T08:00:00Z"}
            for _ in range(2):  # the second time from what the index keeps
                indexed = outcome(lambda: library.evaluate(incident))
                assert indexed == outcome(lambda: evaluate(incident, agreements)), incident
            seen.update(w["message"].split("(")[-1][:8] for w in indexed[0]["warnings"])
            seen.add(len(indexed[0]["skipped"]))
    assert "did you " in seen and {1, 2} <= seen
