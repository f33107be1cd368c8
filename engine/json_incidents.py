"""JSON incidents: a JSON object read as an incident."""

from __future__ import annotations

import json
import re

from engine import limits
from engine.incident_types import Incident, IncidentError


MAX_DEPTH = limits.MAX_DEPTH  # objects and arrays inside each other; an incident needs a handful
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "true or false"}


def from_dict(data) -> Incident:
    if not isinstance(data, dict):
        kind = "null" if data is None else _JSON_KINDS.get(type(data), type(data).__name__)
        raise IncidentError(f"the incident must be a JSON object {{ ... }}, not {kind}")
    if "status" not in data:
        data = {**data, "status": "actual"}  # the documented default of the built-in field
    return Incident(data)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def checked(incident: Incident) -> Incident:
    """The incident, if its mapping (and each CAP block's) is within the limits of
    engine/limits.py; an IncidentError naming each problem with its JSON path otherwise."""
    problems = []
    for data in [incident.data, *(d for _, d in incident.variants)]:
        problems += [p for p in limits.incident_problems(data) if p not in problems]
    if problems:
        raise IncidentError(problems)
    return incident


def load_json_incident(text: str) -> Incident:
    try:
        data = limits.loads(text, check=False)  # checked below, with the id and type
    except limits.LimitError as exc:
        raise IncidentError(exc.messages)
    except json.JSONDecodeError as exc:
        raise IncidentError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if _SURROGATE_ESCAPE.search(text):  # a pair is an emoji; half of one is no character at all
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise IncidentError("not valid JSON text: it escapes half of a UTF-16 surrogate pair "
                                "(such as \\ud800), which is no character")
    incident = from_dict(data)
    return checked(Incident(incident.data, received=text))
